"""The author's loop: what `make book` executes again after an edit (book/_ext/chapter_cache.py).

A prose edit executes nothing; an edit of one chapter's code executes that chapter; an edit in
helpers/ (or the pins) executes every chapter, though no chapter's code changed; and a page that
quotes another chapter's number shows the new number once that chapter ran again. The set-up is a
two-chapter book in a temporary folder with its own small `helpers` package, built with the
course's own extensions.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_cache  # noqa: E402  (a build extension, imported from its folder)

pytestmark = pytest.mark.build


def notebook(path, code, prose="A chapter."):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {path.stem}\n\n{prose}")] +
                                  [nbformat.v4.new_code_cell(c) for c in code])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def book(tmp_path):
    """book/01_a.ipynb glues a number computed by helpers; book/02_b.ipynb quotes it with {eval}."""
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "__init__.py").write_text(textwrap.dedent("""
        from myst_nb import glue as _glue
        VALUE = 41

        class _Glued:
            def chapter(self, name):
                return self
        glued = _Glued()

        def glue(name, value, display=False):
            _glue(name, value, display=display)
    """))
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "book").mkdir()
    notebook(tmp_path / "book" / "01_a.ipynb", ["import sys; sys.path.insert(0, '..')\nimport helpers",
                                            "helpers.glue('answer', str(helpers.VALUE + 1))"])
    notebook(tmp_path / "book" / "02_b.ipynb", ["print('b')"],
             prose='The answer is {eval}`helpers.glued.chapter("01_a").answer`.')
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/01_a\nchapters:\n  - file: book/02_b\n")
    (tmp_path / "_config.yml").write_text(textwrap.dedent(f"""
        title: t
        only_build_toc_files: true
        exclude_patterns: [_build, helpers]
        execute:
          execute_notebooks: cache
        sphinx:
          local_extensions:
            glued_eval: {ROOT / "book" / "_ext"}
            chapter_cache: {ROOT / "book" / "_ext"}
    """))
    return tmp_path


def run(book, env=None):
    """Execute what the cache lacks; return the names of the chapters executed. `env`: the
    environment the cache folder is named for (the kernels run in this process's own)."""
    folder = chapter_cache.cache_path(book, os.environ if env is None else env)
    folder.mkdir(parents=True, exist_ok=True)
    return sorted(p.stem for p in chapter_cache.execute(chapter_cache.chapters(book), folder, 2, log=lambda *_: None))


def edit_cell(path, index, text):
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = text
    nbformat.write(nb, path)


def test_only_what_changed_runs_again(book):
    assert run(book) == ["01_a", "02_b"]
    assert run(book) == []                                                   # nothing changed
    edit_cell(book / "book" / "01_a.ipynb", 0, "# 01_a\n\nThe same chapter, reworded.")
    assert run(book) == []                                                   # prose
    edit_cell(book / "book" / "02_b.ipynb", 1, "print('b, changed')")
    assert run(book) == ["02_b"]                                                # one chapter's code
    init = book / "helpers" / "__init__.py"
    init.write_text(init.read_text().replace("VALUE = 41", "VALUE = 42"))
    assert run(book) == ["01_a", "02_b"]                                           # the library: every chapter
    (book / "requirements.txt").write_text("torch==2.13.0\nnumpy==2.4.6\n")
    assert run(book) == ["01_a", "02_b"]                                           # the pins
    other_path = {**os.environ, "ATEN_CPU_CAPABILITY": "another"}
    assert run(book, other_path) == ["01_a", "02_b"]                               # another CPU code path


def test_the_hash_follows_the_library_and_not_the_prose(book):
    before = chapter_cache.library_hash(book, {})
    edit_cell(book / "book" / "01_a.ipynb", 0, "# 01_a\n\nNew prose.")
    assert chapter_cache.library_hash(book, {}) == before
    assert chapter_cache.library_hash(book, {"TORCH_NUM_THREADS": "1"}) == before     # the build's default
    assert chapter_cache.library_hash(book, {"TORCH_NUM_THREADS": "2"}) != before
    (book / "helpers" / "extra.py").write_text("X = 1\n")
    assert chapter_cache.library_hash(book, {}) != before


def test_a_quoted_number_follows_the_chapter_it_comes_from(book):
    """02_b's page pastes 01_a's glued number: after 01_a's code changes and it runs again, 02_b shows the new one."""
    def build():
        run(book)
        result = subprocess.run([Path(sys.executable).parent / "jupyter-book", "build", str(book), "-W", "--keep-going"],
                                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(book)})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return re.sub(r"<[^>]+>", "", (book / "_build" / "html" / "book" / "02_b.html").read_text())   # the text shown

    assert "The answer is 42." in build()
    executed = nbformat.read(book / "_build" / "jupyter_execute" / "book" / "01_a.ipynb", as_version=4)
    assert executed.cells[2].outputs, "the build's executed copy must hold the cached outputs"
    edit_cell(book / "book" / "01_a.ipynb", 2, "helpers.glue('answer', str(helpers.VALUE + 2))")
    assert "The answer is 43." in build()
