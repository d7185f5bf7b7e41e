"""Every module of helpers says, in its docstring, which chapters use it, and that stays true.

A chapter uses a module when its code imports from it (`from helpers.models.seq2seq import ...`):
the chapters import every name from the module that defines it. The docstring carries
one line `Used in: 1.3, 1.4.` (the introduction and the summary by name; `every chapter` when all
of them do). A module no chapter names is plumbing: its line says which modules import it,
`Used by: helpers.figures.plots, helpers.measure.timing.`, or how many when that list would be long,
`Used by: 38 modules of helpers.` A subpackage's own __init__ says what its layer holds instead.
"""
import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parents[1]
# every module, those of subpackages too: "gated", "explorers", "explorers.controls"
MODULES = sorted(m.name.removeprefix("helpers.") for m in pkgutil.walk_packages(helpers.__path__, "helpers."))


def chapter_name(path):
    """00_introduction -> 'the introduction', 03_... -> '1.3', 09_summary... -> 'the summary'."""
    number = int(path.name[:2])
    return {0: "the introduction", 9: "the summary"}.get(number, f"1.{number}")


CHAPTERS = {chapter_name(p): p for p in sorted((ROOT / "book").glob("*.ipynb"))}


def imported_modules(name):
    """The helpers modules that helpers.`name` imports (`from helpers.a.b import x`, `from helpers.a import b`)."""
    module = importlib.import_module(f"helpers.{name}")
    found = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers."):
            target = node.module.removeprefix("helpers.")
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)   # from helpers.explorers import live
    return found & set(MODULES)


def chapters_using():
    """{module: set of chapter names whose code imports from it or names its path}."""
    used = {name: set() for name in MODULES}
    for chapter, path in CHAPTERS.items():
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for name in MODULES:
            if re.search(rf"\bhelpers\.{re.escape(name)}\b(?!\.\w+ import)", code):
                used[name].add(chapter)
        for exported in helpers.__all__:          # helpers.glue(...): the module that defines glue
            defined_in = getattr(helpers, exported).__module__.removeprefix("helpers.")
            if defined_in in used and re.search(rf"\bhelpers\.{exported}\b", code):
                used[defined_in].add(chapter)
    return used


def importers():
    """{module: set of 'helpers.X' that import it}."""
    found = {name: set() for name in MODULES}
    for name in MODULES:
        for dep in imported_modules(name):
            found[dep].add(f"helpers.{name}")
    return found


USED = chapters_using()
IMPORTERS = importers()


def stated(module, label):
    """The set a docstring's `Used in:` or `Used by:` line names, or None without that line."""
    line = re.search(rf"^{label}: (.+?)\.$", module.__doc__ or "", re.M | re.S)   # may wrap
    if line is None:
        return None
    text = " ".join(line.group(1).split())
    if text == "every chapter":
        return set(CHAPTERS)
    return {part.strip() for part in text.split(",")}


def importer_count(module):
    line = re.search(r"^Used by: (\d+) modules of helpers\.$", module.__doc__ or "", re.M)
    return int(line.group(1)) if line else None


LAYERS = sorted(m for m in MODULES if "." not in m and hasattr(importlib.import_module(f"helpers.{m}"), "__path__"))


@pytest.mark.parametrize("name", [m for m in MODULES if m not in LAYERS])
def test_the_docstring_names_the_chapters_that_use_the_module(name):
    module = importlib.import_module(f"helpers.{name}")
    if USED[name]:
        assert stated(module, "Used in") == USED[name], \
            f"helpers/{name.replace('.', '/')}.py: its 'Used in:' line should name {sorted(USED[name])}"
    else:
        assert IMPORTERS[name], f"helpers/{name.replace('.', '/')}.py is used by no chapter and no module"
        if importer_count(module) is not None:
            assert importer_count(module) == len(IMPORTERS[name]), \
                f"helpers/{name.replace('.', '/')}.py: {len(IMPORTERS[name])} modules import it"
        else:
            assert stated(module, "Used by") == IMPORTERS[name], \
                f"helpers/{name.replace('.', '/')}.py: its 'Used by:' line should name {sorted(IMPORTERS[name])}"


def test_usage_is_found_in_the_chapters_and_the_imports():
    """The scan itself: 1.3 calls gradient_flow, no chapter names checks and plots imports it."""
    assert "1.3" in USED["experiments.gradient_flow"] and "1.2" not in USED["experiments.gradient_flow"]
    assert not USED["core.checks"] and "helpers.figures.plots" in IMPORTERS["core.checks"]
    assert {"helpers.explorers.controls", "helpers.explorers.gated_flow"} <= IMPORTERS["core.checks"]
    assert "helpers.explorers.live" in IMPORTERS["explorers.faces"]     # a sibling in a subpackage
    doc = type("M", (), {"__doc__": "x\n\nUsed in: 1.2, the summary.\n"})
    assert stated(doc, "Used in") == {"1.2", "the summary"} and stated(doc, "Used by") is None
    wrapped = type("M", (), {"__doc__": "x\n\nUsed by: helpers.a,\n    helpers.b.\n"})
    assert stated(wrapped, "Used by") == {"helpers.a", "helpers.b"}
    assert importer_count(type("M", (), {"__doc__": "Used by: 3 modules of helpers.\n"})) == 3


def test_the_package_lists_every_subpackage():
    """A wheel holds only the packages pyproject.toml lists: a subpackage left out installs on
    Colab and Binder as a helpers that cannot import (the launch tests would fail, minutes later)."""
    tomllib = pytest.importorskip("tomllib")     # Python 3.11 and later
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "helpers").rglob("__init__.py")}
    assert listed == found


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_says_what_it_holds(name):
    assert (importlib.import_module(f"helpers.{name}").__doc__ or "").strip(), f"helpers/{name}/__init__.py has no docstring"
