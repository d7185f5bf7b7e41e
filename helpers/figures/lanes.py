"""The lanes figure of chapter 1.8: two layers' modelled times on a device of P lanes, with measured points.

Top: one forward pass of an LSTM layer and a Transformer layer against the sequence length, as the
model of helpers.measure.lanes gives it at P lanes (a line at the lower bound max(W / (P r), D t),
a band up to Brent's W / (P r) + D t), this page's measured times as points, and a vertical line
where the two layers change places. Bottom: the time of one dependent LSTM step against the FLOPs in
it (the model's max(w / (P r), t)), with this page's steps and DeepBench's published cuDNN steps on
two GPUs as points. The explorer (helpers.explorers.lanes) restyles the traces TRACES names.

Used by: helpers.explorers.lanes.
"""
from plotly.subplots import make_subplots

from helpers.figures.plots import PALETTE, describe

COLORS = {"LSTM": PALETTE[5], "Transformer layer": PALETTE[0]}
GPU_COLORS = {"P100": PALETTE[3], "V100": PALETTE[2]}
# trace indices, in the order lanes_figure adds them; MOVING are those a change of P redraws
TRACES = {"LSTM": (0, 1), "Transformer layer": (2, 3), "measured": (4, 5), "crossover": 6, "step": 7}
MOVING = (0, 1, 2, 3, 6, 7)


def _band(fig, name, x, lower, upper):
    color = COLORS[name]
    fig.add_scatter(x=x, y=lower, name=f"{name}, model", mode="lines", line=dict(color=color, width=2.5),
                    legendgroup=name, hovertemplate="%{y:.3g} s", row=1, col=1)
    fig.add_scatter(x=x, y=upper, name=f"{name}, model: Brent's bound", mode="lines", fill="tonexty",
                    line=dict(color=color, width=1, dash="dot"), legendgroup=name, showlegend=False,
                    hovertemplate="%{y:.3g} s", row=1, col=1)


def _points(fig, name, x, y, low, high, color, symbol, row, hover):
    fig.add_scatter(x=list(x), y=list(y), name=name, mode="markers", marker=dict(color=color, symbol=symbol, size=9),
                    error_y=dict(type="data", symmetric=False, array=[h - v for v, h in zip(y, high)],
                                 arrayminus=[v - lo for v, lo in zip(y, low)], thickness=1.2, width=3),
                    hovertemplate=hover, row=row, col=1)


def lanes_figure(curves, lengths, step_work, measured, steps, published, title, lanes_here, device):
    """The figure: `curves` from helpers.explorers.lanes.lane_curves at the starting P.

    measured: {layer: (lengths, seconds, low, high)}, this page's forward passes; steps: (work,
    seconds, low, high, labels), this page's LSTM steps; published: {gpu: (work, seconds, labels,
    model_work, model_seconds)}, DeepBench's steps and the model with that GPU's own P, r and t.
    """
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.16, row_heights=[0.6, 0.4])
    for name in ("LSTM", "Transformer layer"):
        lower, upper = curves[name]
        _band(fig, name, list(lengths), lower, upper)
    for name, symbol in (("LSTM", "circle"), ("Transformer layer", "diamond")):
        n, seconds, low, high = measured[name]
        _points(fig, f"{name}, measured here (P = {lanes_here})", n, seconds, low, high, COLORS[name], symbol,
                1, "n = %{x}: %{y:.3g} s")
    x, y = curves["crossover"]
    fig.add_scatter(x=x, y=y, name="where they change places", mode="lines", line=dict(color="#888", dash="dash"),
                    hovertemplate="n* = %{x:.3g}", row=1, col=1)
    fig.add_scatter(x=list(step_work), y=curves["step"], name="LSTM step, model at P lanes", mode="lines",
                    line=dict(color=COLORS["LSTM"], width=2.5), hovertemplate="%{y:.3g} s", row=2, col=1)
    work, seconds, low, high, labels = steps
    fig.add_scatter(x=list(work), y=list(seconds), name=f"LSTM step, measured here ({device})", mode="markers",
                    marker=dict(color=COLORS["LSTM"], symbol="circle-open", size=10, line=dict(width=2)),
                    error_y=dict(type="data", symmetric=False, array=[h - v for v, h in zip(seconds, high)],
                                 arrayminus=[v - lo for v, lo in zip(seconds, low)], thickness=1.2, width=3),
                    text=list(labels), hovertemplate="%{text}: %{y:.3g} s", row=2, col=1)
    for gpu, (work, seconds, labels, model_work, model_seconds) in published.items():
        fig.add_scatter(x=list(work), y=list(seconds), name=f"LSTM step, {gpu} (DeepBench)",
                        mode="markers", marker=dict(color=GPU_COLORS[gpu], symbol="square", size=8), text=list(labels),
                        hovertemplate="%{text}: %{y:.3g} s", row=2, col=1)
        fig.add_scatter(x=list(model_work), y=list(model_seconds), name=f"{gpu} model, its own P, r, t",
                        mode="lines", line=dict(color=GPU_COLORS[gpu], dash="dot"), hovertemplate="%{y:.3g} s",
                        row=2, col=1)
    fig.update_xaxes(type="log", title="sequence length n (tokens, log scale)", row=1, col=1)
    fig.update_xaxes(type="log", title="FLOPs in one step (log scale)", row=2, col=1)
    fig.update_yaxes(type="log", title="one forward pass (s, log)", exponentformat="power", row=1, col=1)
    fig.update_yaxes(type="log", title="one step (s, log)", exponentformat="power", row=2, col=1)
    fig.update_layout(title=dict(text=title, y=0.98, yanchor="top"), height=900, margin=dict(t=90, b=60),
                      legend=dict(orientation="h", x=0, y=-0.12, yanchor="top"), hovermode="closest")
    return describe(fig, caption=(
        "Top: one forward pass of an LSTM layer and a Transformer layer of the same width and almost the same "
        "parameters, as the model gives it on a device of P parallel lanes: neither can finish before its counted "
        "work W spread over all lanes (W / (P r)) nor before its chain of D dependent products, each taking at "
        "least t (D t). The solid line is the larger of the two, the band reaches up to Brent's bound, their sum. "
        "r (a lane's FLOP/s) and t (a dependent step's latency) were measured on the device that built this page; "
        "the points are this page's own timings, on that device's lanes. The dashed line marks where the two "
        "layers change places. Bottom: the time of one dependent LSTM step against the FLOPs in it: flat at t "
        "while the lanes wait for the step before, rising once the step's own work fills them. The squares are "
        "published cuDNN LSTM steps on a P100 and a V100 (DeepBench, float32, recurrent product only), the "
        "dotted lines the model with each GPU's own lanes, fastest matrix product and quickest step. Move P with "
        "the slider or the buttons above the figure."),
        alt=("Two log-log panels. Top: modelled time of one forward pass of an LSTM layer and a Transformer layer "
             "against sequence length, with measured points and a dashed line where the two cross; a slider above "
             "sets the number of parallel lanes P from 1 to 65,536. Bottom: time of one dependent LSTM step against "
             "its FLOPs, with points measured on this page and published points for two GPUs."))
