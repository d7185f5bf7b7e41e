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


def fresh_environment(root, packages):
    """A clone of the repository and a venv holding `packages` but not helpers, and the environment
    a chapter runs in there: like Colab, no PYTHONPATH or virtualenv of ours leaking in, the
    repository setting pointed at the clone, no package index (so nothing can be upgraded)."""
    clone = root / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "nbclient", "nbformat", "setuptools>=68"]
                   + packages, check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "COURSE_SITE_BUILD")}
    # one torch thread, as in the build: on a busy 2-core runner a second thread waits at every barrier
    # (1.7 ran past 900 s in one cell that way while a build ran beside it)
    env.update(COURSE_REPOSITORY=f"file://{clone}", PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0",
               PATH=f"{venv / 'bin'}:{env['PATH']}", TORCH_NUM_THREADS="1")
    assert subprocess.run([python, "-c", "import helpers"], capture_output=True, cwd=root,
                          env=env).returncode != 0
    return python, env


def run_alone(python, env, chapter, folder):
    """Copy one chapter into an empty folder, run it top to bottom there, return the executed copy."""
    folder.mkdir()
    alone = folder / chapter.name
    alone.write_bytes(chapter.read_bytes())
    result = subprocess.run([python, "-c", RUN_ALONE, str(alone), str(folder)], env=env, cwd=folder,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return nbformat.read(alone, as_version=4)


def installed_version(python, env, package):
    shown = subprocess.run([python, "-m", "pip", "show", package], capture_output=True, text=True, env=env)
    return re.search(r"^Version: (\S+)", shown.stdout, re.M).group(1) if shown.returncode == 0 else None


@pytest.mark.launch
def test_a_chapter_runs_alone_like_on_colab(tmp_path):
    """One chapter in an empty folder, a fresh environment without helpers: the first cell installs
    helpers from the repository and the chapter runs."""
    top = pins(ROOT / "requirements.txt")
    python, env = fresh_environment(tmp_path, [f"{name}=={top[name]}" for name in RUNTIME])
    ran = run_alone(python, env, CHAPTERS[0], tmp_path / "alone")
    device_line = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert "Device: cpu" in device_line
    assert installed_version(python, env, "road-to-transformers-helpers"), "the first cell did not install helpers"


# What Colab preinstalls (runtime of 2026-08; its torch is 2.11, here the course's pin stands in).
COLAB = {"plotly": "5.24.1", "ipywidgets": "7.7.1", "anywidget": "0.9.21", "numpy": "2.1.3"}
WIDGET = "application/vnd.jupyter.widget-view+json"


def explorer_cells(nb):
    """The cells that show an explorer: cells that call one of the explore_* functions of helpers/explorers."""
    return [c for c in nb.cells if c.cell_type == "code"
            and re.search(r"^(?!def )[^#\n]*\bexplore_\w+\(", c.source, re.M)]


EXPLORER_CHAPTERS = [p for p in CHAPTERS if explorer_cells(nbformat.read(p, as_version=4))]


@pytest.fixture(scope="module")
def colab_environment(tmp_path_factory):
    top = pins(ROOT / "requirements.txt")
    packages = [f"{name}=={COLAB.get(name, top[name])}" for name in RUNTIME]
    return fresh_environment(tmp_path_factory.mktemp("colab"), packages)


@pytest.mark.launch
@pytest.mark.colab
@pytest.mark.parametrize("chapter", EXPLORER_CHAPTERS, ids=lambda p: p.name)
def test_every_explorer_shows_its_widget_face_with_colabs_versions(chapter, colab_environment, tmp_path):
    """Colab's frontend speaks ipywidgets 7: installing helpers must not replace Colab's widgets or
    plotly, and every explorer must still give a kernel-side widget (not only its static figure)."""
    python, env = colab_environment
    ran = run_alone(python, env, chapter, tmp_path / "alone")
    for cell in explorer_cells(ran):
        shown = [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]
        assert any(WIDGET in o.get("data", {}) for o in shown), f"no widget face from: {cell.source[:80]}"
    for package, version in COLAB.items():
        assert installed_version(python, env, package) == version, f"the install cell replaced Colab's {package}"


def test_the_colab_check_covers_every_explorer():
    """The regular expression above must find the explorers, or the Colab test checks nothing."""
    found = sum(len(explorer_cells(nbformat.read(p, as_version=4))) for p in CHAPTERS)
    assert len(EXPLORER_CHAPTERS) >= 7 and found >= 9, (len(EXPLORER_CHAPTERS), found)
