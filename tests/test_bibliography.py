"""The bibliography parses, and every work a chapter cites is in it (a broken one stops the build)."""
import re
from pathlib import Path

import nbformat
import pybtex.database
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.fixture(scope="module")
def keys():
    return set(pybtex.database.parse_file(ROOT / "book" / "references.bib").entries)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_citation_is_in_the_bibliography(path, keys):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    prefix = re.search(r":keyprefix:[ \t]*(\S+)", text)
    cited = {k.strip() for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text) for k in group.split(",")}
    if prefix:   # chapters with their own bibliography cite prefix + key
        cited = {k.removeprefix(prefix.group(1)) for k in cited}
    assert cited, f"{path.name} cites nothing"
    assert cited <= keys, f"{path.name} cites unknown works: {sorted(cited - keys)}"
