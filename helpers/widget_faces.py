"""The display data of a live explorer's ipywidgets view, under ipywidgets 8 and 7.

Every explorer's live face (chapters 1.2-1.8 and the summary) returns its view through here. Colab
preinstalls ipywidgets 7.7, whose widgets display themselves through `_ipython_display_` and have
no `_repr_mimebundle_`; ipywidgets 8 has it. Both show the same widget-view message.

Used by: 9 modules of helpers.
"""


def widget_bundle(view):
    """The mimebundle that shows `view` (an ipywidgets widget) in a notebook."""
    if hasattr(view, "_repr_mimebundle_"):
        return view._repr_mimebundle_()
    # ipywidgets 7 sends exactly this from Widget._ipython_display_
    return {"text/plain": repr(view),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": view.model_id}}
