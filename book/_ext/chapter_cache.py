"""Execute each chapter once per change that can alter its numbers, on every core, one thread each.

myst-nb's cache (jupyter-cache) keys an executed notebook by its code cells alone. That misses what
the code calls: an edit in helpers/ or a new pin in requirements.txt leaves every page showing the
numbers of the old library. So the cache lives in a folder named after a hash of everything a
chapter's numbers depend on besides its own code (helpers/, requirements.txt, pyproject.toml, the
Python and torch versions, and the environment variables that choose CPU code paths); change any of
them and every chapter runs again, into a new folder. Within a folder, jupyter-cache's own key
decides: a prose edit re-executes nothing, an edit of one chapter's code re-executes that chapter.

Two faces:
- a command, run by `make book` before Sphinx: `python book/_ext/chapter_cache.py [--fresh] [--jobs N]`
  executes the chapters that are not in the cache yet, N side by side (default: one per core), the
  longest first, each kernel on one torch thread (as the checked outputs are stored), and stores
  them as myst-nb would. --fresh empties the folder first (`make test` and CI execute afresh);
- a Sphinx extension that points myst-nb (execute_notebooks: cache) at the same folder, so the
  build only reads what the command executed. A chapter that quotes another chapter's number
  ({eval} of helpers.glued.chapter(...), book/_ext/glued_eval.py) depends on that chapter's file,
  so its page is rebuilt with the new number when the other chapter runs again.
"""
import argparse
import hashlib
import os
import platform
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE_ROOT = ROOT / "_build" / ".jupyter_cache"
# what a chapter's numbers depend on besides its own code cells
INPUTS = ("helpers", "requirements.txt", "pyproject.toml")
# environment variables that change what the kernels compute (code paths, threads)
NUMERIC_ENV = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "TORCH_NUM_THREADS", "COURSE_DEVICE")
KERNEL_ENV = {"COURSE_SITE_BUILD": "1", "TORCH_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}
TIMEOUT_S = 1800    # per cell, as _config.yml's execute.timeout


def input_files(root):
    files = []
    for name in INPUTS:
        path = root / name
        files.extend(sorted(p for p in path.rglob("*.py")) if path.is_dir() else [path])
    return files


def library_hash(root=ROOT, environ=None):
    """A short hash of everything the chapters' numbers depend on besides their own code."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for path in input_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:         # the hash must not need torch to be importable
        torch_version = "none"
    digest.update(f"{platform.python_version()} {torch_version}".encode())
    for name in NUMERIC_ENV:
        digest.update(f"{name}={environ.get(name, KERNEL_ENV.get(name, ''))}".encode())
    return digest.hexdigest()[:16]


def cache_path(root=ROOT, environ=None):
    return (root / "_build" / ".jupyter_cache") / f"chapters-{library_hash(root, environ)}"


def chapters(root=ROOT):
    """The notebooks of _toc.yml, in order."""
    import yaml
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [entry["file"] for entry in toc.get("chapters", [])]
    return [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").exists()]


def _execute(path, timeout):
    """Run one chapter in its own folder (as myst-nb does); return (path, notebook, seconds, error)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution
    os.environ.update(KERNEL_ENV)        # the kernel inherits them
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False,
                                 meta_override=True)
    return str(path), result.nb, result.time, result.exc_string


def previous_seconds(cache_root, path):
    """How long `path` took the last time any cache folder executed it (to start the longest first)."""
    from jupyter_cache import get_cache
    best = None
    for folder in sorted(cache_root.glob("chapters-*"), key=lambda p: p.stat().st_mtime):
        for record in get_cache(folder).list_cache_records():
            if record.uri == str(path) and record.data.get("execution_seconds"):
                best = record.data["execution_seconds"]
    return best


def execute(paths, folder, jobs, log=print):
    """Execute the chapters of `paths` that `folder`'s cache lacks, `jobs` at a time; return those run."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    cache = get_cache(str(folder))
    todo = []
    for path in paths:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        log(f"chapter cache {folder.name}: every chapter is up to date, nothing to execute")
        return []
    # longest first (the last run's times; on a fresh clone, the largest code)
    def expected(p):
        seconds = previous_seconds(folder.parent, p)
        return seconds if seconds is not None else sum(len(c.source) for c in nbformat.read(p, as_version=4).cells
                                                       if c.cell_type == "code") / 100
    todo.sort(key=expected, reverse=True)
    log(f"chapter cache {folder.name}: executing {len(todo)} chapter(s), {jobs} at a time: "
        + ", ".join(p.stem for p in todo))
    failed = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_execute, str(p), TIMEOUT_S) for p in todo]
        for future in as_completed(futures):
            path, nb, seconds, error = future.result()
            name = Path(path).stem
            if error:
                failed.append(name)
                log(f"  {name}: FAILED after {seconds:.0f} s\n{error}")
                continue
            record = cache.add_nb_to_project(path)
            cache.cache_notebook_bundle(CacheBundleIn(nb, record.uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            log(f"  {name}: {seconds:.0f} s")
    log(f"chapter cache: {len(todo) - len(failed)} executed in {time.perf_counter() - start:.0f} s (wall)")
    if failed:
        raise SystemExit(f"chapters failed: {', '.join(failed)}")
    return todo


def prune(folder):
    """Drop the folders of other library versions: their numbers can never be shown again."""
    for other in folder.parent.glob("chapters-*"):
        if other != folder:
            shutil.rmtree(other, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="empty the cache first: execute every chapter")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="chapters executed side by side")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be an integer >= 1, got {args.jobs}")
    folder = cache_path()
    if args.fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    execute(chapters(), folder, args.jobs)
    prune(folder)


# --- the Sphinx side ----------------------------------------------------------------------------------

def use_chapter_cache(app, config):
    config.nb_execution_cache_path = str(cache_path(Path(app.srcdir)))


def save_executed_copy(app, doctree):
    """Write the executed chapter, as the cache holds it, where myst-nb writes executed notebooks
    (_build/jupyter_execute). In cache mode myst-nb writes the notebook it read, with only the outputs
    stored in book/, so tests/test_executed_checks.py would compare the stored outputs with themselves."""
    path = Path(app.env.doc2path(app.env.docname))
    if path.suffix != ".ipynb":
        return
    import nbformat
    from jupyter_cache import get_cache
    try:
        _, executed = get_cache(app.config.nb_execution_cache_path).merge_match_into_notebook(
            nbformat.read(path, as_version=4))
    except KeyError:        # not in the cache: myst-nb executed it itself and wrote its own copy
        return
    target = Path(app.env.mystnb_config.output_folder).joinpath(*f"{app.env.docname}.ipynb".split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, target)


def setup(app):
    app.connect("config-inited", use_chapter_cache)
    app.connect("doctree-read", save_executed_copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
