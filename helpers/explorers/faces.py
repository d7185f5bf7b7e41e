"""The plumbing of the live explorers: their display data, and the line that says what they recompute.

Every explorer's live face (chapters 1.2-1.8 and the summary) returns its view through here. Colab
preinstalls ipywidgets 7.7, whose widgets display themselves through `_ipython_display_` and have
no `_repr_mimebundle_`; ipywidgets 8 has it. Both show the same widget-view message.

Used by: 9 modules of helpers.
"""
import contextlib
import html
import time

from .timing import synchronize


def widget_bundle(view):
    """The mimebundle that shows `view` (an ipywidgets widget) in a notebook."""
    if hasattr(view, "_repr_mimebundle_"):
        return view._repr_mimebundle_()
    # ipywidgets 7 sends exactly this from Widget._ipython_display_
    return {"text/plain": repr(view),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": view.model_id}}


class RecomputeLine:
    """The line under a live explorer's controls: what it is recomputing, on which device, how long.

    A recompute that takes seconds (a timing measured again, a long sequence) shows that it is under
    way as soon as it starts: widget updates reach the page while the kernel is still busy.
    """

    def __init__(self, device):
        import ipywidgets as w
        self.device = device
        self.widget = w.HTML()
        self.last_s = None

    @contextlib.contextmanager
    def running(self, what):
        """Say `what` is being recomputed, run the block, then say how long it took (or that it failed)."""
        hint = f" (the last one took {self.last_s:.1f} s)" if self.last_s and self.last_s >= 1 else ""
        self.widget.value = f"<i>Recomputing {html.escape(what)} on {html.escape(str(self.device))}…{hint}</i>"
        start = time.perf_counter()
        try:
            yield
            synchronize(self.device)       # a GPU's queued work counts in the time it took
        except Exception as error:
            self.widget.value = f"<b>Could not recompute {html.escape(what)}</b>: {html.escape(str(error))}"
            raise
        self.last_s = time.perf_counter() - start
        self.widget.value = (f"Recomputed {html.escape(what)} with PyTorch on {html.escape(str(self.device))} "
                             f"in {self.last_s:.2f} s.")
