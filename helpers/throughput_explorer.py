"""Tokens per second of an LSTM and a Transformer layer as an explorer over the width d_model.

Static face: a slider over the widths measured when the book was built (it restyles the two curves
and the title). Live face: controls for the width, the batch and forward pass against training
step, re-measured with PyTorch on the reader's device at every change.
"""
import plotly.graph_objects as go

from .checks import check_int
from .explorers import DualExplorer
from .plots import PALETTE, describe, value_slider
from .throughput import MODES, measure_throughput

WIDTH_CHOICES = (32, 64, 128, 256, 512)
BATCH_CHOICES = (1, 2, 4, 8, 16, 32)


# 1-2-5 ticks from 100 to 5e9 tokens/s: plotly shows those inside the range, whatever the slider picks
LOG_TICKS = [m * 10 ** k for k in range(2, 10) for m in (1, 2, 5)]


def _short(value):
    """20000 -> '20k', 5000000 -> '5M': tick labels that read at a glance."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def _curves(result):
    """Tokens per second of both layers, rounded to 3 significant digits (a light page)."""
    return [[float(f"{v:.3g}") for v in result.lstm], [float(f"{v:.3g}") for v in result.transformer]]


def _title(result):
    return (f"{result.mode.capitalize()} on {result.device}: d_model {result.d_model}, batch {result.batch}, "
            f"median of {result.repeats}")


def throughput_figure(result):
    """Log-log plot of tokens per second against sequence length for both layers."""
    lengths = list(result.lengths)
    lstm, transformer = _curves(result)
    fig = go.Figure()
    fig.add_scatter(x=lengths, y=lstm, mode="lines+markers", name="LSTM (nn.LSTM): one step after another",
                    line=dict(color=PALETTE[5]))
    fig.add_scatter(x=lengths, y=transformer, mode="lines+markers",
                    name="Transformer layer (nn.TransformerEncoderLayer): all positions at once",
                    line=dict(color=PALETTE[0]))
    fig.update_xaxes(type="log", title="sequence length (tokens, log scale)", tickvals=lengths,
                     ticktext=[str(L) for L in lengths])
    fig.update_yaxes(type="log", title="throughput (tokens per second, log scale)", tickvals=LOG_TICKS,
                     ticktext=[_short(v) for v in LOG_TICKS])
    fig.update_traces(hovertemplate="%{y:,.3s} tokens/s")
    fig.update_layout(title=_title(result), height=460)
    return describe(fig, caption=("Tokens processed per second by an LSTM layer and a Transformer encoder layer with "
                                  "the same width and almost the same number of parameters, measured when this page "
                                  "was built. Higher is better. Look at where the curves cross, and at whether the "
                                  "Transformer layer's curve bends down at long lengths, where its n² attention "
                                  "work grows fastest."),
                    alt=("Log-log line chart of throughput in tokens per second against sequence length for an LSTM "
                         "layer and a Transformer encoder layer, with a slider for the width d_model."))


def static_throughput_figure(runs, active_width):
    """runs: {d_model: Throughput} over the same lengths; the slider picks the width."""
    widths = sorted(runs)
    fig = throughput_figure(runs[active_width])
    steps = [dict(method="update", label=str(d), args=[{"y": _curves(runs[d])}, {"title.text": _title(runs[d]), "yaxis.autorange": True}])
             for d in widths]
    fig.update_layout(height=560, margin=dict(b=170),
                      sliders=[value_slider(steps, widths.index(active_width), "width d_model = ", -0.36)])
    return fig


class ThroughputWidget:
    """Live face: re-measure both layers for any width, batch and mode on this kernel's device."""

    def __init__(self, result, seed=0):
        import ipywidgets as w
        self.lengths, self.repeats, self.device = result.lengths, result.repeats, result.device
        self.nhead, self.seed = result.nhead, seed
        self.controls = dict(
            d_model=w.SelectionSlider(options=sorted({*WIDTH_CHOICES, result.d_model}), value=result.d_model,
                                      description="width d_model (32–512)", continuous_update=False),
            batch=w.Dropdown(options=sorted({*BATCH_CHOICES, result.batch}), value=result.batch, description="batch (sequences)"),
            mode=w.ToggleButtons(options=MODES, value=result.mode, description="measure"))
        self.figure = go.FigureWidget(throughput_figure(result))
        for control in self.controls.values():
            control.style.description_width = "initial"
            control.observe(lambda change: self.update(), names="value")
        self.view = w.VBox([w.HBox([self.controls["d_model"], self.controls["batch"]]), self.controls["mode"],
                            self.figure])

    def update(self):
        """Measure again for the current controls and redraw in place."""
        c = {k: v.value for k, v in self.controls.items()}
        result = measure_throughput(self.lengths, c["d_model"], self.nhead, c["batch"], c["mode"], self.repeats,
                                    self.device, self.seed)
        with self.figure.batch_update():
            for trace, y in zip(self.figure.data, _curves(result)):
                trace.y = y
            self.figure.layout.title.text = _title(result)

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


def explore_throughput(runs, active=None, seed=0):
    """The explorer over widths measured by measure_widths ({d_model: Throughput}, same lengths)."""
    runs = dict(runs)
    if not runs:
        raise ValueError("runs must hold at least one measurement, got none")
    lengths = {r.lengths for r in runs.values()}
    if len(lengths) != 1 or any(r.d_model != d for d, r in runs.items()):
        raise ValueError("runs must map each d_model to its measurement, all over the same lengths")
    active = sorted(runs)[len(runs) // 2] if active is None else active
    if active not in runs:
        raise ValueError(f"active must be one of the measured widths {sorted(runs)}, got {active!r}")
    check_int("seed", seed, 0, 2**32 - 1)
    return DualExplorer(static_throughput_figure(runs, active), lambda: ThroughputWidget(runs[active], seed))
