"""The numbers the chapters' prose quotes, glued for the website and kept in the reader's kernel.

The prose writes a computed number as {eval}`helpers.glued.name` (or `helpers.glued["a name"]`).
On the website, book/_ext/glued_eval.py pastes the value the build glued under `name` (myst-nb's
glue). Live, in JupyterLab with jupyterlab-myst, the same role is evaluated in the reader's own
kernel when its cell runs, and shows the value that kernel computed: `glue` keeps every value here.
A value the prose quotes before the cell that computes it reads "(computed below)" until then.

Used in: every chapter.
"""
NOT_YET = "(computed below)"


class GluedValues:
    """Every value glued so far in this kernel, by name: `glued.name` or `glued["a name"]`."""

    def __init__(self):
        self._values = {}

    def __setitem__(self, name, value):
        self._values[name] = value

    def __getitem__(self, name):
        return self._values.get(name, NOT_YET)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __contains__(self, name):
        return name in self._values

    def __dir__(self):
        return sorted(self._values)


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
