"""The numbers the chapters' prose quotes, glued for the website and kept in the reader's kernel.

The prose writes a computed number as {eval}`helpers.glued.name` (or `helpers.glued["a name"]`).
On the website, book/_ext/glued_eval.py pastes the value the build glued under `name` (myst-nb's
glue). Live, in JupyterLab with jupyterlab-myst, the same role is evaluated in the reader's own
kernel when its cell runs, and shows the value that kernel computed: `glue` keeps every value here.
A value the prose quotes before the cell that computes it reads "(computed below)" until then.

A chapter that quotes another chapter's number (the summary does) writes
{eval}`helpers.glued.chapter("04_lstm_gru").name`. Live, a chapter started with
`start_notebook(chapter=...)` saves what it glues to .course_values/<chapter>.json beside the
notebook, so the summary shows the numbers of the reader's own runs, or says which chapter to run.

Used in: every chapter.
"""
import json
import os
from pathlib import Path

NOT_YET = "(computed below)"
SAVED_DIR = Path(".course_values")    # relative: the kernel's folder, which is the notebook's


def not_run_yet(chapter):
    """What a number of `chapter` ("04_lstm_gru") reads until the reader has run that chapter."""
    return f"(run chapter 1.{int(chapter.split('_')[0])} to compute this)"


class ChapterValues:
    """The values another chapter saved when the reader last ran it: `glued.chapter("04_lstm_gru").name`."""

    def __init__(self, chapter, folder=SAVED_DIR):
        self._chapter, self._file = chapter, Path(folder) / f"{chapter}.json"

    def saved(self):
        """{name: value} as saved, or {} when the chapter has not run in this folder."""
        try:
            values = json.loads(self._file.read_text())
        except (OSError, ValueError):
            return {}
        return values if isinstance(values, dict) else {}

    def __getitem__(self, name):
        return self.saved().get(name, not_run_yet(self._chapter))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


class GluedValues:
    """Every value glued so far in this kernel, by name: `glued.name` or `glued["a name"]`."""

    def __init__(self):
        self._values = {}
        self._saved_as = None     # the chapter whose values are saved for other chapters, if any
        self._saved_before = {}   # what that chapter's file held: a partial rerun keeps the rest

    def __setitem__(self, name, value):
        self._values[name] = value
        if self._saved_as is not None:
            self._save()

    def __getitem__(self, name):
        return self._values.get(name, NOT_YET)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name):
        return name in self._values

    def __dir__(self):
        return sorted(self._values) + ["chapter", "save_as"]

    def chapter(self, chapter):
        """The values `chapter` ("04_lstm_gru") saved when it last ran in this folder."""
        return ChapterValues(chapter, SAVED_DIR)

    def save_as(self, chapter):
        """From now on, keep this kernel's plain values in .course_values/<chapter>.json as well.

        Not while the website is built: the site pastes the build's glued values itself.
        """
        if os.environ.get("COURSE_SITE_BUILD"):
            return
        self._saved_as = chapter
        self._saved_before = dict(ChapterValues(chapter).saved())
        self._save()

    def _save(self):
        plain = dict(self._saved_before)
        plain.update((k, v) for k, v in self._values.items() if isinstance(v, (str, int, float, bool)))
        target = SAVED_DIR / f"{self._saved_as}.json"
        try:
            target.parent.mkdir(exist_ok=True)
            partial = target.with_suffix(".json.partial")
            partial.write_text(json.dumps(plain, indent=1))
            partial.replace(target)           # a reader of the file never sees half of it
        except OSError:                       # a read-only folder: the live prose of other chapters says "run"
            pass


glued = GluedValues()


def glue(name, value, display=False):
    """Keep `value` under `name` for the prose: myst_nb.glue for the website, and `glued` live.

    Without myst-nb (on Colab) the value is only kept (and shown, if `display`).
    """
    glued[name] = value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show
            show(value)
        return
    myst_glue(name, value, display=display)
