"""The sequential-bottleneck measurement as an explorer: how the hidden size changes the race.

Static face: a slider over hidden sizes measured when the book was built (it restyles both panels,
wall time and fraction of peak, and the title). Live face: controls for the hidden size and the
batch, re-measured with PyTorch on the reader's device at every change.

Used in: 1.2.
"""
from helpers.core.checks import check_int
from helpers.explorers import Choice, DualExplorer, LiveExplorer
from helpers.figures.plots import PALETTE, live_figure, value_slider
from helpers.figures.speed_figures import series, series_update, speed_figure
from helpers.measure.bottleneck import sequential_bottleneck

HIDDEN_CHOICES = (16, 32, 64, 128, 256, 512)


def _series(timings):
    """The RNN's and the attention product's milliseconds (median, middle half) and fraction of peak."""
    fractions = timings.fractions() or (None, None)
    out = []
    for k, (name, medians, samples, color) in enumerate((
            ("RNN (torch.nn.RNN): T dependent steps", timings.rnn_seconds, timings.rnn_timings, PALETTE[5]),
            ("attention product: 2 dependent products", timings.attention_seconds, timings.attention_timings,
             PALETTE[0]))):
        low = [1e3 * t.low for t in samples] if samples else 1e3 * medians
        high = [1e3 * t.high for t in samples] if samples else 1e3 * medians
        out.append(series(name, color, 1e3 * medians, low, high, fractions[k]))
    return out


def _curves_ms(timings):
    """What a slider step or a live update sets: y and error bars of every trace."""
    return series_update(_series(timings))


def _title(timings):
    return (f"Forward pass on {timings.device}: hidden size {timings.hidden_size}, batch {timings.batch}, "
            f"{timings.repeats} interleaved rounds")


def bottleneck_speed_figure(timings):
    """Milliseconds per forward pass against length (log-log) and, below, the fraction of peak."""
    peak = f" (100% = {timings.peak.describe()})" if timings.peak is not None else ""
    return speed_figure(
        timings.lengths, _series(timings), _title(timings), "forward pass (ms, log)",
        caption=("Above: the time of one forward pass on the machine that built this page, the median of "
                 "interleaved rounds with bars over the middle half; it belongs to this machine. Below: the "
                 f"fraction of this device's own matrix-product peak{peak} each reached, its counted FLOPs over "
                 "its time. Compare the bottom panel's curves across lengths: how much of what the device can "
                 "do each layout of the work lets it use (T small dependent steps, or 2 products that grow "
                 "with T)."),
        alt=("Two panels sharing a log-scale sequence-length axis: forward time in milliseconds of an RNN and of "
             "an attention-style product, with error bars, and below, the percentage of the device's "
             "matrix-product peak each reached; a slider picks the hidden size."),
        x_title="sequence length T (tokens, log scale)")


def static_bottleneck_figure(runs, active_hidden):
    """runs: {hidden_size: BottleneckTimings} over the same lengths; the slider picks the hidden size."""
    hidden_sizes = sorted(runs)
    fig = bottleneck_speed_figure(runs[active_hidden])
    steps = [dict(method="update", label=str(h),
                  args=[_curves_ms(runs[h]), {"title.text": _title(runs[h])}]) for h in hidden_sizes]
    fig.update_layout(height=700, margin=dict(b=150),
                      sliders=[value_slider(steps, hidden_sizes.index(active_hidden), "hidden size (units) = ", -0.2)])
    return fig


class BottleneckWidget(LiveExplorer):
    """Live face: re-measure the RNN and the attention product for any hidden size and batch."""

    def __init__(self, timings, seed=0):
        self.lengths, self.repeats, self.seed = timings.lengths, timings.repeats, seed
        self.peak_size = timings.peak.size if timings.peak is not None else None
        controls = (Choice("hidden_size", "hidden size", sorted({*HIDDEN_CHOICES, timings.hidden_size}),
                           unit="units"),
                    Choice("batch", "batch", sorted({1, 8, 32, timings.batch}), unit="sequences"))
        super().__init__(controls, dict(hidden_size=timings.hidden_size, batch=timings.batch), timings.device,
                         first=timings)

    def what(self, values):
        return f"the RNN and the attention product at {len(self.lengths)} lengths"

    def recompute(self, values):
        return sequential_bottleneck(self.lengths, values["hidden_size"], values["batch"], self.repeats, self.device,
                                     self.seed, self.peak_size)

    def first_figure(self, timings, values):
        return live_figure(bottleneck_speed_figure(timings))

    def draw(self, timings, values):
        """Redraw the measured times in place."""
        with self.figure.batch_update():
            update = _curves_ms(timings)
            for trace, y, error in zip(self.figure.data, update["y"], update["error_y"]):
                trace.y, trace.error_y = y, error
            self.figure.layout.title.text = _title(timings)


def explore_bottleneck(timings, hidden_sizes=(16, 256), seed=0):
    """Explorer over hidden sizes around an existing measurement (re-using its lengths, device and peak probe)."""
    for h in hidden_sizes:
        check_int("hidden_sizes", h, 1, 4096)
    runs = {timings.hidden_size: timings}
    for h in hidden_sizes:
        if h not in runs:
            runs[h] = sequential_bottleneck(timings.lengths, h, timings.batch, timings.repeats, timings.device, seed,
                                            timings.peak.size if timings.peak is not None else None)
    figure = static_bottleneck_figure(runs, timings.hidden_size)
    return DualExplorer(figure, lambda: BottleneckWidget(timings, seed))
