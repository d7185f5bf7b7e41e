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
    # a marker that shares its line with code is ignored by nbval
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "NBVAL_CHECK_OUTPUT" in line:
                assert line.strip() == "# NBVAL_CHECK_OUTPUT", f"marker must be alone on its line: {line!r}"


def test_a_wrong_stored_value_fails_the_suite(tmp_path):
    """Corrupt one number of the stored multiplier table: nbval must fail on that cell."""
    source = ROOT / "book" / "03_vanishing_gradients.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if is_checked(c) and "multiplier_table" in c.source)
    text = json.dumps(cell.outputs)
    assert "131.5" in text, "the stored table should hold 1.05**100 = 131.5"
    cell.outputs = nbformat.from_dict(json.loads(text.replace("131.5", "131.6")))
    # keep only what the table needs, so the check runs fast
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and ("import helpers" in c.source or c is cell)]
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                             "-p", "no:cacheprovider", str(broken)], cwd=ROOT / "book",
                            capture_output=True, text=True, timeout=600)
    report = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)   # nbval colours its diff
    assert result.returncode != 0, report[-2000:]
    assert "131.6" in report and "131.5" in report, report[-2000:]
