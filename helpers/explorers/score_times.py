"""The score-timing explorer of chapter 1.7: a hidden-size slider over measured runs on the site,
and a live re-measurement of the four attention scores for any hidden size and number of queries.

Used in: 1.7.
"""
from helpers.core.checks import check_int
from helpers.explorers import Choice, DualExplorer, LiveExplorer
from helpers.figures.plots import live_figure, value_slider
from helpers.figures.score_times import score_time_figure, timing_curves_ms, timing_errors, timing_title
from helpers.measure.score_costs import measure_score_times

STATIC_HIDDEN = (32, 128, 512)


HIDDEN_CHOICES = (16, 32, 64, 128, 256, 512, 1024)


def static_score_time_figure(runs, active_hidden):
    """runs: {hidden_size: ScoreTimings} over the same lengths; the slider restyles y and the title."""
    hidden_sizes = sorted(runs)
    fig = score_time_figure(runs[active_hidden])
    steps = [dict(method="update", label=str(h),
                  args=[{"y": timing_curves_ms(runs[h]), "error_y": timing_errors(runs[h])},
                        {"title.text": timing_title(runs[h])}])
             for h in hidden_sizes]
    fig.update_layout(height=540, margin=dict(b=170), legend=dict(y=-0.2),
                      sliders=[value_slider(
                          steps, hidden_sizes.index(active_hidden), "hidden size d = d_a (units) = ", -0.36)])
    return fig


class ScoreTimeWidget(LiveExplorer):
    """Live face: re-measure the four scores for any hidden size and number of queries."""

    def __init__(self, timings, seed=0):
        self.lengths, self.repeats, self.seed = timings.lengths, timings.repeats, seed
        controls = (Choice("hidden_size", "hidden size d = d_a", sorted({*HIDDEN_CHOICES, timings.hidden_size}),
                           unit="units"),
                    Choice("tgt_len", "queries n", sorted({1, 8, 32, 128, timings.tgt_len})))
        super().__init__(controls, dict(hidden_size=timings.hidden_size, tgt_len=timings.tgt_len), timings.device,
                         first=timings)

    def what(self, values):
        return f"the four scores at {len(self.lengths)} lengths"

    def recompute(self, values):
        return measure_score_times(self.lengths, values["hidden_size"], values["tgt_len"], repeats=self.repeats,
                                   device=self.device, seed=self.seed)

    def first_figure(self, timings, values):
        return live_figure(score_time_figure(timings))

    def draw(self, timings, values):
        """Redraw the measured times in place."""
        with self.figure.batch_update():
            for trace, y, error in zip(self.figure.data, timing_curves_ms(timings), timing_errors(timings)):
                trace.y, trace.error_y = y, error
            self.figure.layout.title.text = timing_title(timings)


def explore_score_times(timings, hidden_sizes=STATIC_HIDDEN, seed=0, measured=None):
    """Explorer over hidden sizes around an existing measurement (same lengths, queries and device).

    measured: optional {hidden_size: ScoreTimings} already taken, reused instead of measuring again.
    """
    hidden_sizes = [check_int("hidden_sizes", h, 1, 4096) for h in hidden_sizes]
    runs = {**(measured or {}), timings.hidden_size: timings}
    for h in hidden_sizes:
        if h not in runs:
            runs[h] = measure_score_times(timings.lengths, h, timings.tgt_len, timings.batch, timings.repeats,
                                          timings.device, seed)
    return DualExplorer(static_score_time_figure(runs, timings.hidden_size), lambda: ScoreTimeWidget(timings, seed))
