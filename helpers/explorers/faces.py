"""An explorer's two faces, and how a live face is displayed under ipywidgets 7 and 8.

An explorer is one object with two faces. Its text/html face is a plotly figure whose sliders and
buttons move over values precomputed when the book was built; it needs no kernel, so the website
shows it. Its widget face is a set of ipywidgets controls and a plotly FigureWidget that recompute
with PyTorch on every change, for any value, on the GPU when there is one; Jupyter shows that one.
While the website is built (COURSE_SITE_BUILD is set by book/_ext) only the static face is emitted.

Colab preinstalls ipywidgets 7.7, whose widgets display themselves through `_ipython_display_` and
have no `_repr_mimebundle_`; ipywidgets 8 has it. Both show the same widget-view message.

Used by: helpers.explorers, helpers.explorers.live.
"""
import os

from helpers.figures.plots import figure_html


def widget_bundle(view):
    """The mimebundle that shows `view` (an ipywidgets widget) in a notebook."""
    if hasattr(view, "_repr_mimebundle_"):
        return view._repr_mimebundle_()
    # ipywidgets 7 sends exactly this from Widget._ipython_display_
    return {"text/plain": repr(view),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": view.model_id}}


class DualExplorer:
    """Shows `static_figure` on the website and the live face built by `make_live` in a kernel.

    The live face is built only when a kernel displays the explorer, so building the website (which
    computes every static face) never pays for one. The website's caption says where the explorer's
    code lives: the module that defines `make_live`, and any `code` files added to it.
    """

    def __init__(self, static_figure, make_live, code=()):
        self.static_figure = static_figure
        self._make_live = make_live
        self.widget = None
        module = getattr(make_live, "__module__", None) or ""
        self.code = ((module.replace(".", "/") + ".py",) if module.startswith("helpers.") else ()) + tuple(code)
        if self.code:                   # the caption's "Code:" line (helpers.figures.plots)
            static_figure.update_layout(meta=dict(static_figure.layout.meta or {}, code=list(self.code)))

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": "(interactive figure: open the chapter live to recompute it)"}
        if not os.environ.get("COURSE_SITE_BUILD"):
            self.widget = self.widget or self._make_live()
            bundle.update(self.widget._repr_mimebundle_())
        bundle["text/html"] = figure_html(self.static_figure)
        return bundle
