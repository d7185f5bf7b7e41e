"""The book build's own run of every chapter reproduces the outputs that nbval checks.

`make book` executes every chapter once, on this CPU's native kernels (book/_ext/chapter_cache.py);
`make test` runs them a second time, live in JupyterLab on ATen's generic kernels and MKL's
compatible mode, the stand-in for another CPU (tests/test_live.py compares that run's outputs the
same way). Here the build's executed notebooks are compared with the stored checks, so no chapter
executes a third time.
"""
from pathlib import Path

import nbformat
import pytest

from checked_outputs import compared_fields, differences

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))

pytestmark = pytest.mark.site

if not EXECUTED.exists():
    pytest.skip("the book is not built: run `make book` (make test does)", allow_module_level=True)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_build_reproduces_every_stored_check(chapter):
    stored = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    built = nbformat.read(EXECUTED / f"{chapter}.ipynb", as_version=4)
    problems = differences(stored, built)
    assert not problems, f"{chapter}: " + "\n".join(problems)


def test_the_comparison_sees_a_changed_number_and_ignores_glued_values():
    stream = nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.17\n")
    glued = nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "'0.17'"},
                                   metadata={"scrapbook": {"name": "loss", "mime_prefix": "application/papermill.record/"}})
    changed = nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.18\n")
    assert compared_fields([stream, glued]) == compared_fields([stream])
    assert compared_fields([stream]) != compared_fields([changed])
    split = [nbformat.v4.new_output("stream", name="stdout", text="mean loss 0.17"), glued,
             nbformat.v4.new_output("stream", name="stdout", text="\n")]
    assert compared_fields(split) == compared_fields([stream])
    cell = nbformat.v4.new_code_cell("print(0.17)", metadata={"tags": ["nbval-check-output"]}, outputs=[stream])
    other = nbformat.v4.new_code_cell("print(0.17)", metadata={"tags": ["nbval-check-output"]}, outputs=[changed])
    assert differences(nbformat.v4.new_notebook(cells=[cell]), nbformat.v4.new_notebook(cells=[cell])) == []
    assert len(differences(nbformat.v4.new_notebook(cells=[cell]), nbformat.v4.new_notebook(cells=[other]))) == 1
