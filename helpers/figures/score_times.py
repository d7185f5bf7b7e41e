"""The figure of chapter 1.7's score timings: milliseconds per scoring call against source length.

The measurement is helpers/measure/score_costs.py; the explorer that re-measures it for other
hidden sizes is helpers/explorers/score_times.py.

Used by: helpers.explorers.score_times.
"""
import plotly.graph_objects as go

from helpers.figures.plots import PALETTE, describe, round_sig
from helpers.models.attention import SCORES


def timing_curves_ms(timings):
    """One list of milliseconds per score, rounded to 3 significant digits (the figure's y values)."""
    return [round_sig(1e3 * timings.seconds[kind]) for kind in SCORES]


def timing_errors(timings):
    """Error bars of every score's curve: the middle half of the rounds around the median (ms)."""
    errors = []
    for kind, ys in zip(SCORES, timing_curves_ms(timings)):
        samples = timings.samples.get(kind, ())
        high = [1e3 * t.high for t in samples] or ys
        low = [1e3 * t.low for t in samples] or ys
        errors.append(dict(type="data", symmetric=False, visible=bool(samples), thickness=1.2, width=3,
                           array=round_sig([max(h - y, 0.0) for y, h in zip(ys, high)]),
                           arrayminus=round_sig([max(y - lo, 0.0) for y, lo in zip(ys, low)])))
    return errors


def timing_title(timings):
    return (f"One scoring call + softmax on {timings.device}: {timings.tgt_len} queries, hidden size "
            f"{timings.hidden_size}, {timings.repeats} interleaved rounds")


def score_time_figure(timings):
    """Milliseconds per scoring call against source length, one line per score, log-log axes."""
    fig = go.Figure()
    for kind, ys, error, color in zip(SCORES, timing_curves_ms(timings), timing_errors(timings), PALETTE):
        fig.add_scatter(x=list(timings.lengths), y=ys, error_y=error, name=kind, mode="lines+markers",
                        line=dict(color=color), hovertemplate="%{y:.3g} ms")
    fig.update_xaxes(type="log", title="source length m (keys)", tickvals=list(timings.lengths))
    fig.update_yaxes(type="log", title="milliseconds (log scale)", exponentformat="power")
    fig.update_layout(title=dict(text=timing_title(timings), font_size=14), height=450)
    return describe(fig, caption=("Time of one call that scores every query against every key and applies the "
                                  "softmax, for the four scores, on the machine that built this page: the median "
                                  "of interleaved rounds, the bars spanning the middle half. The additive and "
                                  "concat lines do identical arithmetic: the gap between them is how precisely "
                                  "this run could time anything."),
                    alt=("Line chart, log-log: milliseconds per scoring call against the number of source positions "
                         "for the additive, dot, general and concat scores, with error bars."))
