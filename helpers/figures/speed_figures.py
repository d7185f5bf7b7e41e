"""The course's figure for a measured speed: wall time (or throughput) above, fraction of peak below.

Top panel: what this machine measured, the median with the middle half of the rounds as error
bars, on log axes. Bottom panel: the fraction of the same device's matrix-product peak each model
reached (work / time / peak), the part of the hardware argument that says how well a model's
layout of its work suits the device. Both share the length axis. Explorers restyle `y` and
`error_y` of every trace at once (series_update), so one slider step moves both panels.

Used in: 1.5.
"""
from plotly.subplots import make_subplots

from helpers.figures.plots import PALETTE, describe, round_sig


def series(name, color, values, low, high, fraction=None):
    """One model's curve: top-panel values with their middle-half bounds, and its fraction of peak."""
    return dict(name=name, color=color, y=round_sig(values), low=round_sig(low), high=round_sig(high),
                fraction=None if fraction is None else round_sig([100 * f for f in fraction]))


def _error(s):
    return dict(type="data", symmetric=False, visible=True, thickness=1.2, width=3,
                array=round_sig([max(h - y, 0.0) for y, h in zip(s["y"], s["high"])]),
                arrayminus=round_sig([max(y - lo, 0.0) for y, lo in zip(s["y"], s["low"])]))


def series_update(all_series):
    """{"y": [...], "error_y": [...]} for every trace, in the order speed_figure adds them."""
    ys, errors = [s["y"] for s in all_series], [_error(s) for s in all_series]
    for s in all_series:
        if s["fraction"] is not None:
            ys.append(s["fraction"])
            errors.append(dict(visible=False))
    return {"y": ys, "error_y": errors}


def speed_figure(lengths, all_series, title, top_title, caption, alt, x_title="sequence length (tokens, log scale)",
                 peak_title="% of matmul peak", unit="ms", top_ticks=None):
    """Two panels over `lengths`: each series' values (log y) and, below, its fraction of peak (%)."""
    with_peak = any(s["fraction"] is not None for s in all_series)
    fig = make_subplots(rows=2 if with_peak else 1, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        row_heights=[0.62, 0.38] if with_peak else None)
    lengths = list(lengths)
    for s in all_series:
        fig.add_scatter(x=lengths, y=s["y"], error_y=_error(s), name=s["name"], mode="lines+markers",
                        line=dict(color=s["color"]), legendgroup=s["name"], hovertemplate=f"%{{y:.3g}} {unit}",
                        row=1, col=1)
    if with_peak:
        for s in all_series:
            if s["fraction"] is not None:
                fig.add_scatter(x=lengths, y=s["fraction"], name=s["name"] + ", % of peak", mode="lines+markers",
                                line=dict(color=s["color"], dash="dot"), legendgroup=s["name"], showlegend=False,
                                hovertemplate="%{y:.2g}% of peak", row=2, col=1)
        fig.update_yaxes(title=peak_title, rangemode="tozero", ticksuffix="%", row=2, col=1)
    fig.update_xaxes(type="log", tickvals=lengths, ticktext=[str(L) for L in lengths])
    fig.update_xaxes(title=x_title, row=2 if with_peak else 1, col=1)
    top = dict(type="log", title=top_title)
    if top_ticks:
        top.update(tickvals=top_ticks[0], ticktext=top_ticks[1])
    fig.update_yaxes(**top, row=1, col=1)
    fig.update_layout(title=dict(text=title, font_size=14, y=0.98, yanchor="top"), height=640 if with_peak else 480,
                      legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom"),
                      margin=dict(t=110))     # the legend sits above the plot, clear of any slider below
    return describe(fig, caption=caption, alt=alt)


def cost_figure(timings):
    """Chapter 1.5's CostTimings: this machine's forward times (log-log, middle-half bars) above, fraction of peak below."""
    all_series = []
    for (name, ts), color in zip(timings.timings.items(), PALETTE):
        all_series.append(series(name, color, [1e3 * t.median for t in ts], [1e3 * t.low for t in ts],
                                 [1e3 * t.high for t in ts], timings.fractions(name)))
    peak = f" (100% = {timings.peak.describe()})" if timings.peak is not None else ""
    return speed_figure(
        timings.lengths, all_series,
        f"One forward pass on {timings.device}: width {timings.d_model}, batch {timings.batch}, {timings.repeats} interleaved rounds",
        "forward pass (ms, log)",
        caption=("Above: the time of one forward pass of a forward RNN, a BiRNN (d units per direction) and a "
                 "Transformer encoder layer on the machine that built this page, the median of interleaved "
                 "rounds with bars over the middle half; it belongs to this machine. Below: the fraction of "
                 f"this device's matrix-product peak{peak} each reached, its counted FLOPs over its time."),
        alt=("Two panels sharing a log-scale sequence-length axis: forward-pass time of a forward RNN, a BiRNN "
             "and a Transformer layer, with error bars, and below, the percentage of the device's "
             "matrix-product peak each reached."),
        x_title="sequence length n (log scale)")
