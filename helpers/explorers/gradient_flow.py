"""The gradient-flow explorer of chapter 1.3: how much gradient reaches each step of a tanh RNN.

Static face: a |W_h| slider (restyles y) and length buttons (toggle visible traces) over values
computed when the book was built. Live face (helpers.explorers): |W_h|, length, init, hidden size
and precision, recomputed with PyTorch at every change.

Used in: 1.3.
"""
import math

import numpy as np
import plotly.graph_objects as go
import torch

from helpers.core.checks import check_device, check_float, check_seed
from helpers.core.device import pick_device
from helpers.experiments.gradient_flow import gradient_flow
from helpers.explorers import Choice, DualExplorer, LiveExplorer, Range
from helpers.figures.plots import PALETTE, describe, encode_for_log_axis, gradient_axes, live_figure, value_slider
from helpers.models.inits import INITS

STATIC_RADII = np.round(np.arange(0.1, 2.0001, 0.1), 2)   # the website's |W_h| slider: 20 values
STATIC_LENGTHS = (20, 100, 1000)
STATIC_HIDDEN = 64
MAX_POINTS = 200          # a long curve is drawn at every k-th step to keep the page light
RADIUS_LABEL = "|W_h| = spectral radius ρ(W_hh)"   # the website's slider
COLORS = dict(zip(INITS, PALETTE))
DTYPES = {"float32": torch.float32, "float64": torch.float64}
HIDDEN_CHOICES = (16, 32, 64, 128, 256)   # the live widget's hidden sizes


def trace_label(init, flow, i, j):
    """Legend entry for one curve: the init, and where float arithmetic gave up, if it did."""
    label = init
    if flow.overflow_step[i, j] >= 0:
        label += f" · inf from t={flow.overflow_step[i, j]} back"
    if flow.underflow_step[i, j] >= 0:
        label += f" · 0 from t={flow.underflow_step[i, j]} back"
    return label


def _stride(seq_len):
    return max(1, math.ceil(seq_len / MAX_POINTS))


def static_gradient_figure(flows, active_radius=1.0):
    """The website's figure: |W_h| slider (restyles y), length buttons (toggle visible traces).

    flows: {seq_len: GradientFlow} over the same radii and inits. The two controls touch
    different trace properties, so each keeps working whatever the other is set to.
    """
    if not flows:
        raise ValueError("flows must hold at least one {seq_len: GradientFlow}, got none")
    check_float("active_radius", active_radius, low=0.0)
    lengths = sorted(flows)
    first = flows[lengths[0]]
    radii, inits = first.radii, first.inits
    active = int(np.abs(radii - active_radius).argmin())
    fig = go.Figure()
    for seq_len in lengths:
        flow, step = flows[seq_len], _stride(seq_len)
        for i, init in enumerate(inits):
            fig.add_scatter(y=encode_for_log_axis(flow.grad_h[i, active, ::step], flow.dtype), x0=0, dx=step,
                            name=trace_label(init, flow, i, active), line=dict(color=COLORS[init]),
                            visible=seq_len == lengths[-1], hovertemplate="%{y:.3g}")

    def all_traces(j):
        ys, names = [], []
        for seq_len in lengths:
            flow, step = flows[seq_len], _stride(seq_len)
            for i, init in enumerate(inits):
                ys.append(encode_for_log_axis(flow.grad_h[i, j, ::step], flow.dtype))
                names.append(trace_label(init, flow, i, j))
        return {"y": ys, "name": names}

    steps = [dict(method="restyle", label=f"{r:.1f}", args=[all_traces(j)]) for j, r in enumerate(radii)]
    buttons = [dict(method="update", label=f"length {L}",
                    args=[{"visible": [L == other for other in lengths for _ in inits]},
                          {"xaxis.range": [0, L - 1]}]) for L in lengths]
    fig.update_layout(
        title=dict(text=f"How much gradient reaches step t (tanh RNN, hidden {first.hidden_size}, {first.dtype})",
                   y=0.98, yanchor="top"),
        height=600, xaxis_range=[0, lengths[-1] - 1], margin=dict(t=150, b=150),
        legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom"),
        sliders=[value_slider(steps, active, RADIUS_LABEL + " = ", -0.2, pad=dict(t=10))],
        updatemenus=[dict(type="buttons", direction="right", buttons=buttons, active=len(lengths) - 1,
                          x=1.0, xanchor="right", y=1.2, yanchor="bottom", showactive=True)])
    describe(fig, caption=("The gradient of a loss at the last step, measured at every earlier step t, for four "
                           "initialisations of W_hh rescaled to the spectral radius on the slider. Look at the slope: "
                           "below 1 every curve falls exponentially towards the floor (exactly 0 in "
                           f"{first.dtype}); near 2 some curves hit the ceiling (inf)."),
             alt=("Line chart, log scale: gradient norm against position in the sequence for the default, Xavier, "
                  "orthogonal and identity initialisations, with a slider for the spectral radius and buttons "
                  f"for sequence lengths {', '.join(map(str, lengths))}."))
    return gradient_axes(fig, first.dtype)


LIVE_CONTROLS = (Range("radius", "|W_h| = ρ", 0.05, 2.0, 0.05, while_dragging=True),    # cheap: follows a drag
                 Range("seq_len", "length", 10, 1000, 10, unit="steps", integer=True),
                 Choice("init", "init of W_hh", ("all",) + INITS),
                 Choice("hidden_size", "hidden size", HIDDEN_CHOICES, unit="units"),
                 Choice("dtype", "precision", tuple(DTYPES), unit="dtype"))


class GradientFlowWidget(LiveExplorer):
    """The live face: controls for |W_h|, length, init, hidden size and precision."""

    def __init__(self, radius=1.0, seq_len=100, init="all", hidden_size=64, dtype="float32", seed=0,
                 device=None):
        self.seed, device = check_seed(seed), pick_device() if device is None else check_device(device)
        values = dict(radius=radius, seq_len=seq_len, init=init, hidden_size=hidden_size, dtype=dtype)
        super().__init__(LIVE_CONTROLS, values, device, rows=[["radius", "seq_len", "init"], ["hidden_size", "dtype"]])

    def what(self, values):
        n = len(INITS) if values["init"] == "all" else 1
        return f"{n} curve{'s' * (n > 1)} of length {values['seq_len']}"

    def recompute(self, values):
        inits = INITS if values["init"] == "all" else (values["init"],)
        return gradient_flow([values["radius"]], inits, values["seq_len"], values["hidden_size"], seed=self.seed,
                             dtype=DTYPES[values["dtype"]], device=self.device)

    def first_figure(self, flow, values):
        # one trace per init, always: the init control shows or hides them
        if flow.inits != INITS:
            flow = self.recompute(dict(values, init="all"))
        return live_figure(static_gradient_figure({flow.seq_len: flow}, values["radius"]), height=520)

    def draw(self, flow, values):
        """Redraw the figure in place for `flow`, the current controls' result."""
        seq_len, step = flow.seq_len, _stride(flow.seq_len)
        with self.figure.batch_update():
            for trace, init in zip(self.figure.data, INITS):
                trace.visible = init in flow.inits
                if init in flow.inits:
                    i = flow.inits.index(init)
                    trace.y = encode_for_log_axis(flow.grad_h[i, 0, ::step], flow.dtype)
                    trace.dx = step
                    trace.name = trace_label(init, flow, i, 0)
            self.figure.layout.xaxis.range = [0, seq_len - 1]
            self.figure.layout.title.text = (f"How much gradient reaches step t (tanh RNN)<br>hidden {flow.hidden_size}, "
                                             f"{flow.dtype}, |W_h| = {flow.radii[0]:.2f}, length {seq_len}, on {self.device}")
            gradient_axes(self.figure, flow.dtype)


def explore_gradient_flow(seed=0, device=None):
    """The chapter's explorer: gradient norm at every step as |W_h|, length, init and size change."""
    check_seed(seed)
    if device is not None:
        check_device(device)
    flows = {L: gradient_flow(STATIC_RADII, INITS, L, STATIC_HIDDEN, seed=seed) for L in STATIC_LENGTHS}
    return DualExplorer(static_gradient_figure(flows), lambda: GradientFlowWidget(seed=seed, device=device))
