"""The gradient-flow explorer of chapter 1.4: RNN, LSTM and GRU side by side, with a gate-bias control.

A DualExplorer (helpers.explorers) whose website face is a plotly figure (a slider over
precomputed forget-gate biases restyles y; buttons over lengths toggle which traces are visible,
so the two controls never undo each other) and whose live face recomputes helpers.gated_flow for
any bias, length and hidden size.

Used in: 1.4.
"""
import math

import plotly.graph_objects as go

from helpers.core.checks import check_choice, check_device, check_seed
from helpers.core.device import pick_device
from helpers.experiments.gated_flow import CELL_NAMES, gated_flow
from helpers.explorers import Choice, DualExplorer, LiveExplorer, Range
from helpers.figures.plots import PALETTE, describe, encode_for_log_axis, gradient_axes, live_figure, value_slider

STATIC_BIASES = (None, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)   # None: PyTorch's default bias
STATIC_LENGTHS = (20, 100, 1000)
STATIC_HIDDEN = 64
MAX_POINTS = 200
LABELS = {"rnn": "RNN (no gate)", "lstm": "LSTM (forget gate)", "gru": "GRU (update gate)"}
COLORS = dict(zip(CELL_NAMES, (PALETTE[5], PALETTE[0], PALETTE[2])))
BIAS_LABEL = "starting bias of the keep gate (LSTM forget, GRU update)"
Y_TITLE = "‖∂L/∂xₜ‖ (log scale)"


def bias_text(bias):
    return "PyTorch default" if bias is None else f"{bias:g}"


def _stride(seq_len):
    return max(1, math.ceil(seq_len / MAX_POINTS))


def _curve(flow, cell, k):
    return encode_for_log_axis(flow.grad_x[cell][k, ::_stride(flow.seq_len)])


def static_gated_figure(flows, active_bias=None):
    """flows: {seq_len: GatedFlow} over the same biases. Slider restyles y, buttons toggle visible."""
    if not flows:
        raise ValueError("flows must hold at least one {seq_len: GatedFlow}, got none")
    lengths = sorted(flows)
    biases = flows[lengths[0]].biases
    active = biases.index(check_choice("active_bias", active_bias, biases))
    shown = lengths[1 if len(lengths) > 1 else 0]   # open on the middle length
    fig = go.Figure()
    for L in lengths:
        for cell in CELL_NAMES:
            fig.add_scatter(y=_curve(flows[L], cell, active), x0=0, dx=_stride(L), name=LABELS[cell],
                            line=dict(color=COLORS[cell]), visible=L == shown,
                            hovertemplate="%{y:.3g}", showlegend=L == shown)
    steps = [dict(method="restyle", label=bias_text(b),
                  args=[{"y": [_curve(flows[L], cell, k) for L in lengths for cell in CELL_NAMES]}])
             for k, b in enumerate(biases)]
    buttons = [dict(method="update", label=f"length {L}",
                    args=[{"visible": [L == other for other in lengths for _ in CELL_NAMES],
                           "showlegend": [L == other for other in lengths for _ in CELL_NAMES]},
                          {"xaxis.range": [0, L - 1]}]) for L in lengths]
    fig.update_layout(
        title=dict(text=f"Gradient reaching step t from a loss at the last step (hidden {flows[shown].hidden_size}, "
                        "float32)", y=0.98, yanchor="top"),
        height=600, xaxis_range=[0, shown - 1], margin=dict(t=150, b=150),
        legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom"),
        sliders=[value_slider(steps, active, BIAS_LABEL + " = ", -0.2, pad=dict(t=10))],
        updatemenus=[dict(type="buttons", direction="right", buttons=buttons, active=lengths.index(shown),
                          x=1.0, xanchor="right", y=1.2, yanchor="bottom", showactive=True)])
    gradient_axes(fig, "float32")
    fig.update_yaxes(title=Y_TITLE)
    return describe(fig, caption=("The gradient of a loss at the last step, measured at every earlier step, for a "
                                  "vanilla RNN, an LSTM and a GRU on the same inputs. Move the gate-bias slider and "
                                  "watch the LSTM's curve flatten as its forget gate starts open; the RNN has no gate "
                                  "and does not move."),
                    alt=("Line chart, log scale: gradient norm against position for RNN, LSTM and GRU, with a slider "
                         f"for the gate bias and buttons for sequence lengths {', '.join(map(str, lengths))}."))


LIVE_CONTROLS = (Range("forget_bias", "gate bias", -4.0, 8.0, 0.25),
                 Range("seq_len", "length", 10, 1000, 10, unit="steps", integer=True),
                 Choice("hidden_size", "hidden size", (16, 32, 64, 128, 256), unit="units"))


class GatedFlowWidget(LiveExplorer):
    """The live face: forget bias, length and hidden size, recomputed with PyTorch on every change."""

    def __init__(self, forget_bias=1.0, seq_len=100, hidden_size=64, seed=1234, device=None):
        self.seed, device = check_seed(seed), pick_device() if device is None else check_device(device)
        super().__init__(LIVE_CONTROLS, dict(forget_bias=forget_bias, seq_len=seq_len, hidden_size=hidden_size),
                         device)

    def what(self, values):
        return f"three cells over {values['seq_len']} steps"

    def recompute(self, values):
        return gated_flow([values["forget_bias"]], values["seq_len"], values["hidden_size"], seed=self.seed,
                          device=self.device)

    def first_figure(self, flow, values):
        return live_figure(static_gated_figure({flow.seq_len: flow}, flow.biases[0]), height=520)

    def draw(self, flow, values):
        """Redraw in place for `flow`, the current controls' result."""
        with self.figure.batch_update():
            for trace, cell in zip(self.figure.data, CELL_NAMES):
                trace.y = _curve(flow, cell, 0)
                trace.dx = _stride(flow.seq_len)
            self.figure.layout.xaxis.range = [0, flow.seq_len - 1]
            self.figure.layout.title.text = (f"Gradient reaching step t from a loss at the last step<br>hidden "
                                             f"{flow.hidden_size}, float32, gate bias {flow.biases[0]:.2f}, "
                                             f"length {flow.seq_len}, on {self.device}")


def explore_gated_flow(seed=1234, device=None):
    """Chapter 1.4's explorer: ||dL/dx_t|| for RNN, LSTM and GRU as the gate bias and length change."""
    check_seed(seed)
    if device is not None:
        check_device(device)
    flows = {L: gated_flow(STATIC_BIASES, L, STATIC_HIDDEN, seed=seed) for L in STATIC_LENGTHS}
    return DualExplorer(static_gated_figure(flows), lambda: GatedFlowWidget(seed=seed, device=device))
