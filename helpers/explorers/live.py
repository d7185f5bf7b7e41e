"""An explorer's live face: its declared controls, a line saying what it recomputes, and its figure.

A live face subclasses LiveExplorer. It hands the constructor its control declarations
(helpers.explorers.controls) with the values to start from, and defines three methods:

- `recompute(values)`: the result for {control name: value}, with PyTorch;
- `first_figure(result, values)`: the FigureWidget, built once from the first result;
- `draw(result, values)`: the figure redrawn in place for a new result;
- and, optionally, `what(values)`: the words of the recompute line ("three cells over 100 steps").

The framework does the rest, alike for every explorer: it checks the starting values against the
declarations (a ValueError naming the parameter and its range), builds and lays out the widgets,
recomputes when a control changes (or when the reader presses the explorer's button, for one that
trains), and says under the controls what it is recomputing, on which device, and how long it took.
A recompute that runs for seconds shows that it is under way as soon as it starts, and says how
long the last one took. A reader's value the compute rejects (a ValueError) is shown on that line
and the figure keeps its last drawing.

Used by: helpers.explorers.
"""
import contextlib
import html
import time

from helpers.explorers.faces import widget_bundle
from helpers.measure.timing import synchronize


class RecomputeLine:
    """The line under a live explorer's controls: what it is recomputing, on which device, how long."""

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


class LiveExplorer:
    """The live face of an explorer, built from its control declarations (see the module's docstring).

    controls: the declarations, in the order they are laid out; values: {name: starting value};
    rows: lists of control names, one HBox each (default: all in one row); button: a label, for an
    explorer that recomputes only when the reader presses it (the controls then set what the next
    press computes); extra: widgets shown between the recompute line and the figure; first: a
    result already at hand for the starting values (a measurement the chapter just took), drawn
    without recomputing it.
    """

    def __init__(self, controls, values, device, rows=None, button=None, extra=(), first=None):
        import ipywidgets as w
        declared = {spec.name: spec for spec in controls}
        missing = set(declared) - set(values)
        if missing:
            raise TypeError(f"no starting value for the controls {sorted(missing)}")
        self.device = device
        self.controls = {name: spec.widget(values[name]) for name, spec in declared.items()}
        self.status = RecomputeLine(device)
        where = html.escape(str(device))
        if first is not None:
            result = first
            self.status.widget.value = (f"Showing the measurement taken above, on {where}: move a control to "
                                        f"recompute {html.escape(self.what(self.values()))}.")
        elif button is not None:
            result = None
            self.status.widget.value = (f"Press “{html.escape(button)}” to compute "
                                        f"{html.escape(self.what(self.values()))} with PyTorch on {where}.")
        else:
            result = self._recompute()
        self.figure = self.first_figure(result, self.values())
        if result is not None:
            self.draw(result, self.values())
        rows = rows or [list(self.controls)]
        # a row that is wider than the notebook wraps instead of running off its right edge
        layout = [w.HBox([self.controls[name] for name in row], layout=w.Layout(flex_flow="row wrap")) for row in rows]
        self.button = None
        if button is None:
            for control in self.controls.values():
                control.observe(lambda change: self.update(), names="value")
        else:
            self.button = w.Button(description=button, button_style="primary")
            self.button.on_click(lambda _: self.update())
            layout[-1].children += (self.button,)
        self.view = w.VBox(layout + [self.status.widget, *extra, self.figure])

    def values(self):
        """{control name: its current value}."""
        return {name: control.value for name, control in self.controls.items()}

    def what(self, values):
        return "the figure"

    def recompute(self, values):
        raise NotImplementedError

    def first_figure(self, result, values):
        raise NotImplementedError

    def draw(self, result, values):
        raise NotImplementedError

    def _recompute(self):
        values = self.values()
        with self.status.running(self.what(values)):
            return self.recompute(values)

    def update(self):
        """Recompute for the controls' current values and redraw; returns the result (None if rejected)."""
        if self.button is not None:
            self.button.disabled = True     # one training at a time
        try:
            result = self._recompute()
        except ValueError:                  # the reader's setting, refused: the line says why
            return None
        finally:
            if self.button is not None:
                self.button.disabled = False
        self.draw(result, self.values())
        return result

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.view)
