"""Launching a chapter anywhere: the Colab-style first cell, Binder's files, one repository setting."""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
RUNTIME = ("torch", "numpy", "plotly", "ipywidgets", "anywidget", "tqdm", "ipykernel")


def pins(path):
    """{package: version} from a requirements file (local labels such as +cpu dropped)."""
    found = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^+\s#]+)", line.strip())
        if m:
            found[m.group(1).lower()] = m.group(2)
    return found


def install_cell(nb):
    return next((c for c in nb.cells if c.cell_type == "code"), None)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_cell_installs_helpers_from_the_configured_repository(path):
    cell = install_cell(nbformat.read(path, as_version=4))
    assert "remove-cell" in cell.metadata.get("tags", []), "the install cell must be hidden on the site"
    assert f'"{REPOSITORY}"' in cell.source, f"install cell does not use _config.yml's repository {REPOSITORY}"
    assert 'find_spec("helpers") is None' in cell.source


def test_binder_gets_the_cpu_build_and_the_same_pins():
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    assert "torch==2.13.0+cpu" in binder and "download.pytorch.org/whl/cpu" in binder
    top, ours = pins(ROOT / "requirements.txt"), pins(ROOT / "binder" / "requirements.txt")
    for name, version in ours.items():
        assert top.get(name) == version, f"binder pins {name}=={version}, requirements.txt {top.get(name)}"
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)


RUN_ALONE = textwrap.dedent("""
    import sys, nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(sys.argv[1], as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
    nbformat.write(nb, sys.argv[1])
""")


@pytest.mark.launch
def test_a_chapter_runs_alone_like_on_colab(tmp_path):
    """One chapter in an empty folder, a fresh environment without helpers, the repository setting
    pointed at a local clone, no package index: the first cell installs helpers and the chapter runs."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    top = pins(ROOT / "requirements.txt")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "nbclient", "nbformat", "setuptools>=68"]
                   + [f"{name}=={top[name]}" for name in RUNTIME], check=True)
    # like Colab: no PYTHONPATH or virtualenv of ours leaking in, the repository setting at a clone
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COURSE_SITE_BUILD")}
    env.update(COURSE_REPOSITORY=f"file://{clone}", PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",
               PATH=f"{venv / 'bin'}:{env['PATH']}")
    assert subprocess.run([python, "-c", "import helpers"], capture_output=True, cwd=tmp_path,
                          env=env).returncode != 0

    alone = tmp_path / "alone"
    alone.mkdir()
    chapter = alone / CHAPTERS[0].name
    chapter.write_bytes(CHAPTERS[0].read_bytes())
    result = subprocess.run([python, "-c", RUN_ALONE, str(chapter), str(alone)], env=env, cwd=alone,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]

    ran = nbformat.read(chapter, as_version=4)
    device_line = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert "Device: cpu" in device_line
    installed = subprocess.run([python, "-m", "pip", "show", "road-to-transformers-helpers"], capture_output=True,
                               text=True, cwd=tmp_path)
    assert installed.returncode == 0, "the first cell did not install helpers"
