"""Execute chapters and keep only the outputs that nbval checks.

Cells tagged `nbval-check-output` (in the cell's metadata, where the website does not show it) keep
their outputs, which nbval compares against; every other output is dropped so the notebooks stay
small in git.
Usage: python tests/store_checked_outputs.py book/03_vanishing_gradients.ipynb [...]
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TAG = "nbval-check-output"


def is_checked(cell):
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def store(path):
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if not is_checked(cell):   # nbval wants an execution count on the cells it compares
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    print(f"{path}: stored {sum(map(is_checked, nb.cells))} checked outputs")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        store(arg)
