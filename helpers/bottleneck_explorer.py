"""The sequential-bottleneck timing as an explorer: how the hidden size changes the race.

Static face: a slider over hidden sizes measured when the book was built (it restyles the two
curves and the title). Live face: controls for the hidden size and the batch, re-measured with
PyTorch on the reader's device at every change.
"""
from .checks import check_int
from .explorers import DualExplorer
from .plots import value_slider
from .sequence_figures import bottleneck_figure
from .timing import sequential_bottleneck

HIDDEN_CHOICES = (16, 32, 64, 128, 256, 512)


def _curves_ms(timings):
    return [[float(f"{1e3 * t:.3g}") for t in timings.rnn_seconds],
            [float(f"{1e3 * t:.3g}") for t in timings.attention_seconds]]


def _title(timings):
    return (f"Forward pass on {timings.device}: hidden size {timings.hidden_size}, batch {timings.batch}, "
            f"median of {timings.repeats}")


def static_bottleneck_figure(runs, active_hidden):
    """runs: {hidden_size: BottleneckTimings} over the same lengths; the slider picks the hidden size."""
    hidden_sizes = sorted(runs)
    fig = bottleneck_figure(runs[active_hidden])
    steps = [dict(method="update", label=str(h),
                  args=[{"y": _curves_ms(runs[h])}, {"title.text": _title(runs[h])}]) for h in hidden_sizes]
    fig.update_layout(height=520, margin=dict(b=150),
                      sliders=[value_slider(
                          steps, hidden_sizes.index(active_hidden), "hidden size (units) = ", -0.32)])
    return fig


class BottleneckWidget:
    """Live face: re-measure the RNN and the attention product for any hidden size and batch."""

    def __init__(self, timings, seed=0):
        import ipywidgets as w
        import plotly.graph_objects as go
        self.lengths, self.repeats, self.device, self.seed = timings.lengths, timings.repeats, timings.device, seed
        self.controls = dict(
            hidden_size=w.SelectionSlider(options=HIDDEN_CHOICES, value=timings.hidden_size,
                                          description="hidden size (16–512 units)", continuous_update=False),
            batch=w.Dropdown(options=(1, 8, 32), value=timings.batch, description="batch (sequences)"))
        self.figure = go.FigureWidget(bottleneck_figure(timings))
        for control in self.controls.values():
            control.style.description_width = "initial"
            control.observe(lambda change: self.update(), names="value")
        self.view = w.VBox([w.HBox(list(self.controls.values())), self.figure])

    def update(self):
        """Measure again for the current controls and redraw in place."""
        timings = sequential_bottleneck(self.lengths, self.controls["hidden_size"].value,
                                        self.controls["batch"].value, self.repeats, self.device, self.seed)
        with self.figure.batch_update():
            for trace, y in zip(self.figure.data, _curves_ms(timings)):
                trace.y = y
            self.figure.layout.title.text = _title(timings)

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


def explore_bottleneck(timings, hidden_sizes=(16, 256), seed=0):
    """Explorer over hidden sizes around an existing measurement (re-using its lengths and device)."""
    for h in hidden_sizes:
        check_int("hidden_sizes", h, 1, 4096)
    runs = {timings.hidden_size: timings}
    for h in hidden_sizes:
        if h not in runs:
            runs[h] = sequential_bottleneck(timings.lengths, h, timings.batch, timings.repeats, timings.device, seed)
    figure = static_bottleneck_figure(runs, timings.hidden_size)
    return DualExplorer(figure, lambda: BottleneckWidget(timings, seed))
