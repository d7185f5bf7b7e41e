"""Tokens per second and fraction of peak of an LSTM and a Transformer layer, explored over d_model.

Static face: a slider over the widths measured when the book was built (it restyles both panels
and the title). Live face: controls for the width, the batch and forward pass against training
step, re-measured with PyTorch on the reader's device at every change.

Used in: 1.8.
"""
from helpers.core.checks import check_int
from helpers.explorers import Choice, DualExplorer, LiveExplorer
from helpers.figures.plots import PALETTE, live_figure, value_slider
from helpers.figures.speed_figures import series, series_update, speed_figure
from helpers.measure.throughput import MODES, measure_throughput

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


def _series(result):
    """Both layers' tokens per second (median, middle half of the rounds) and fraction of peak."""
    fractions = result.fractions() or (None, None)
    out = []
    for k, (name, color) in enumerate((("LSTM", PALETTE[5]), ("Transformer layer", PALETTE[0]))):
        low, high = result.spread(name)
        values = result.lstm if name == "LSTM" else result.transformer
        out.append(series(name, color, values, low, high, fractions[k]))
    return out


def _curves(result):
    """What a slider step or a live update sets: y and error bars of every trace."""
    return series_update(_series(result))


def _title(result):
    return (f"{result.mode.capitalize()} on {result.device}: d_model {result.d_model}, batch {result.batch}, "
            f"{result.repeats} interleaved rounds")


def throughput_figure(result):
    """Tokens per second against sequence length (log-log), and below it the fraction of peak."""
    peak = f" (100% = {result.peak.describe()})" if result.peak is not None else ""
    return speed_figure(
        result.lengths, _series(result), _title(result), "tokens per second (log)",
        caption=("Tokens processed per second by an LSTM layer and a Transformer encoder layer with the same "
                 "width and almost the same number of parameters, on the machine that built this page: the "
                 "median of interleaved rounds, the bars spanning the middle half. Below: the fraction of this "
                 f"device's own matrix-product peak{peak} each layer reached, its counted FLOPs over its time. "
                 "The top panel belongs to this machine; compare the bottom panel's two curves to see how "
                 "well each layer's layout of its work suits it."),
        alt=("Two panels sharing a log-scale sequence-length axis: tokens per second of an LSTM layer and a "
             "Transformer encoder layer, with error bars, and below, the percentage of the device's matrix-"
             "product peak each reached; a slider picks the width d_model."),
        unit="tokens/s", top_ticks=(LOG_TICKS, [_short(v) for v in LOG_TICKS]))


def static_throughput_figure(runs, active_width):
    """runs: {d_model: Throughput} over the same lengths; the slider picks the width."""
    widths = sorted(runs)
    fig = throughput_figure(runs[active_width])
    steps = [dict(method="update", label=str(d),
                  args=[_curves(runs[d]), {"title.text": _title(runs[d]), "yaxis.autorange": True}])
             for d in widths]
    fig.update_layout(height=700, margin=dict(b=170),
                      sliders=[value_slider(steps, widths.index(active_width), "width d_model = ", -0.2)])
    return fig


class ThroughputWidget(LiveExplorer):
    """Live face: re-measure both layers for any width, batch and mode on this kernel's device."""

    def __init__(self, result, seed=0):
        self.lengths, self.repeats = result.lengths, result.repeats
        self.nhead, self.seed = result.nhead, seed
        self.peak_size = result.peak.size if result.peak is not None else None
        controls = (Choice("d_model", "width d_model", sorted({*WIDTH_CHOICES, result.d_model})),
                    Choice("batch", "batch", sorted({*BATCH_CHOICES, result.batch}), unit="sequences"),
                    Choice("mode", "measure", MODES, look="buttons"))
        super().__init__(controls, dict(d_model=result.d_model, batch=result.batch, mode=result.mode), result.device,
                         rows=[["d_model", "batch"], ["mode"]], first=result)

    def what(self, values):
        return f"both layers' {values['mode']} times at {len(self.lengths)} lengths"

    def recompute(self, values):
        return measure_throughput(self.lengths, values["d_model"], self.nhead, values["batch"], values["mode"],
                                  self.repeats, self.device, self.seed, self.peak_size)

    def first_figure(self, result, values):
        return live_figure(throughput_figure(result))

    def draw(self, result, values):
        """Redraw the measured rates in place."""
        with self.figure.batch_update():
            update = _curves(result)
            for trace, y, error in zip(self.figure.data, update["y"], update["error_y"]):
                trace.y, trace.error_y = y, error
            self.figure.layout.title.text = _title(result)


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
