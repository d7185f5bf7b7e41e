"""The nbval checks themselves: each one has a stored output, and a wrong stored value fails."""
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from store_checked_outputs import is_checked

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_check_has_a_stored_output(path):
    nb = nbformat.read(path, as_version=4)
    checked = [c for c in nb.cells if is_checked(c)]
    assert checked, f"{path.name} has no nbval check"
    for cell in checked:
        assert cell.outputs, f"check without stored output in {path.name}: {cell.source[:80]!r}"
    # the check is a cell tag, which the website does not show; a comment marker would be shown to every reader
    for cell in nb.cells:
        assert "NBVAL_" not in cell.source, f"{path.name}: write the nbval marker as a cell tag, not a comment"


def test_the_project_config_fails_a_wrong_stored_value_and_passes_the_right_one(tmp_path):
    """Under the project's own pytest configuration (pyproject.toml, as `make test` runs nbval on book/),
    a corrupted number in the stored multiplier table fails its check, and the true one passes.

    No nbval option is passed here: if pyproject.toml stopped turning nbval on (its --nbval-lax), the
    notebooks would not be collected and neither run would report its two cells; the right notebook
    passing shows that the failure comes from the corrupted value, not from the set-up.
    """
    source = ROOT / "book" / "03_vanishing_gradients.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if is_checked(c) and "multiplier_table" in c.source)
    text = json.dumps(cell.outputs)
    assert "131.5" in text, "the stored table should hold 1.05**100 = 131.5"
    # keep only what the table needs, so the check runs fast
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and ("import helpers" in c.source or c is cell)]
    nbformat.write(nb, tmp_path / "right.ipynb")
    cell.outputs = nbformat.from_dict(json.loads(text.replace("131.5", "131.6")))
    nbformat.write(nb, tmp_path / "broken.ipynb")
    right, broken = (_nbval_under_project_config(tmp_path / name) for name in ("right.ipynb", "broken.ipynb"))
    assert right.returncode == 0 and right.summary == "2 passed", right.report
    assert broken.returncode == 1 and broken.summary == "1 failed, 1 passed", broken.report
    assert "131.6" in broken.report and "131.5" in broken.report, broken.report


def _nbval_under_project_config(notebook):
    """pytest on one notebook with pyproject.toml as its configuration and the project as rootdir."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
                             "-q", str(notebook)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    result.report = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)   # nbval colours its diff
    last = result.report.strip().splitlines()[-1] if result.report.strip() else ""
    result.summary = re.sub(r" in [0-9.]+s.*$", "", last).strip("= ")
    result.report = result.report[-3000:]
    return result
