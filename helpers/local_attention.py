"""Luong's local attention for one query: where the window goes, and what the weights become.

Global attention scores all S source positions. Local attention first picks an aligned position
p_t, then scores only the 2D + 1 positions of the window [p_t - D, p_t + D]:

  local-m (monotonic):  p_t = t, a plain softmax inside the window
  local-p (predictive): p_t = S * sigmoid(v_p^T tanh(W_p h_t)), and the softmax is multiplied by a
                        Gaussian of width sigma = D / 2 centred on p_t

The weighting itself is helpers.attention.local_window_weights; this module predicts p_t and draws
the comparison with global attention.

Used in: 1.7.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from .attention import local_window_weights
from .checks import SEED_MAX, check_int, check_seed, check_values
from .explorers import DualExplorer, LiveExplorer, Range
from .plots import PALETTE, describe, live_figure, value_slider


def predicted_position(decoder_state, W_p, v_p, src_len):
    """local-p's aligned position S * sigmoid(v_p^T tanh(W_p h_t)), in (0, S).

    decoder_state: (..., hidden); W_p: (attention, hidden); v_p: (attention,).
    """
    src_len = check_int("src_len", src_len, 1)
    hidden = decoder_state.shape[-1]
    if W_p.dim() != 2 or v_p.dim() != 1 or W_p.shape != (v_p.shape[0], hidden):
        raise ValueError(f"W_p must be (attention, hidden) and v_p (attention,), matching "
                         f"the state's hidden size {hidden}; got W_p {tuple(W_p.shape)} "
                         f"and v_p {tuple(v_p.shape)}")
    return src_len * torch.sigmoid(torch.tanh(decoder_state @ W_p.T) @ v_p)


def local_example(src_len=40, half_width=4, hidden_size=16, seed=0):
    """One query against `src_len` random encoder states: global weights, local-p weights, p_t.

    The dot score is used for both, so the only difference is the window and its Gaussian.
    Returns (global_weights, local_weights, p_t) as numpy arrays / a float.
    """
    src_len, half_width, hidden_size, seed = _check_example(src_len, half_width, hidden_size, seed, min_half_width=0)
    g = torch.Generator().manual_seed(seed)
    keys = torch.randn(1, src_len, hidden_size, generator=g, dtype=torch.float64)
    query = torch.randn(1, 1, hidden_size, generator=g, dtype=torch.float64)
    W_p = torch.randn(hidden_size, hidden_size, generator=g, dtype=torch.float64) / hidden_size ** 0.5
    v_p = torch.randn(hidden_size, generator=g, dtype=torch.float64)
    scores = query @ keys.transpose(1, 2) / hidden_size ** 0.5          # (1, 1, src_len)
    p_t = predicted_position(query[0, 0], W_p, v_p, src_len)
    local = local_window_weights(scores, p_t.reshape(1, 1), half_width)
    return torch.softmax(scores, -1)[0, 0].numpy(), local[0, 0].numpy(), float(p_t)


def _check_example(src_len, half_width, hidden_size, seed, min_half_width=1):
    src_len = check_int("src_len", src_len, 2, 10_000)
    half_width = check_int("half_width", half_width, min_half_width, src_len)
    return src_len, half_width, check_int("hidden_size", hidden_size, 1, 4096), check_seed(seed)


def local_attention_figure(src_len=40, half_width=4, hidden_size=16, seed=0):
    """Global weights (bars) against local-p weights (line) for one query, with the window shaded."""
    global_w, local_w, p_t = local_example(src_len, half_width, hidden_size, seed)
    positions = np.arange(src_len)
    scored = int(((positions >= p_t - half_width) & (positions <= p_t + half_width)).sum())
    fig = go.Figure()
    fig.add_bar(x=positions, y=np.round(global_w, 4), name=f"global: all {src_len} positions scored",
                marker_color=PALETTE[4], hovertemplate="position %{x}: %{y:.3f}")
    fig.add_scatter(x=positions, y=np.round(local_w, 4), name=f"local-p, D = {half_width}: {scored} positions scored",
                    mode="lines+markers", line=dict(color=PALETTE[5]), hovertemplate="position %{x}: %{y:.3f}")
    fig.add_vrect(x0=p_t - half_width, x1=p_t + half_width, fillcolor=PALETTE[5], opacity=0.12, line_width=0)
    fig.add_vline(x=p_t, line=dict(color=PALETTE[5], dash="dash"), annotation_text=f"p_t = {p_t:.1f}",
                  annotation_position="top right")
    fig.update_xaxes(title="source position s")
    fig.update_yaxes(title="attention weight", range=[0, 1.2 * max(global_w.max(), local_w.max())])
    fig.update_layout(title="One query: global attention against Luong's local-p attention", height=420,
                      hovermode="closest", bargap=0.15)
    return describe(fig, caption=("Attention weights of one query over the source. Global attention (bars) spreads "
                                  "weight over every position; local-p (line) predicts p_t, scores only the shaded "
                                  "window [p_t - D, p_t + D] and damps it with a Gaussian of sigma D/2, so it gives "
                                  "zero weight outside the window even where a global score was high."),
                    alt=(f"Bar chart of global attention weights over {src_len} source positions, overlaid with a "
                         f"line of local attention weights that are non-zero only in a shaded window of "
                         f"{scored} positions around a dashed line at the predicted position."))


# --- the explorer: a D slider on the site, any D, length and seed live -----------------------------

STATIC_HALF_WIDTHS = tuple(range(1, 11))   # D = 0 can miss every position when p_t falls between two


def _frame(src_len, half_width, hidden_size, seed):
    """What changes with D: the traces' y and names, the window's shapes, its label, the y range."""
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    return ({"y": [list(t.y) for t in fig.data], "name": [t.name for t in fig.data]},
            {"shapes": [s.to_plotly_json() for s in fig.layout.shapes],
             "annotations": [a.to_plotly_json() for a in fig.layout.annotations],
             "yaxis.range": list(fig.layout.yaxis.range)})


def static_local_figure(src_len=40, half_width=4, hidden_size=16, seed=0, half_widths=STATIC_HALF_WIDTHS):
    """The website's figure: a slider over the half-width D (it updates the curves and the window)."""
    src_len, half_width, hidden_size, seed = _check_example(src_len, half_width, hidden_size, seed)
    half_widths = check_values("half_widths", half_widths, lambda D: check_int("half_widths", D, 1, src_len))
    half_widths = sorted({*half_widths, half_width})
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    steps = [dict(method="update", label=str(D), args=list(_frame(src_len, D, hidden_size, seed)))
             for D in half_widths]
    fig.update_layout(height=500, margin=dict(b=150),
                      sliders=[value_slider(
                          steps, half_widths.index(half_width), "half-width D (positions) = ", -0.35)])
    return fig


LIVE_CONTROLS = (Range("half_width", "half-width D", 1, 50, 1, unit="positions", integer=True),
                 Range("src_len", "source length S", 10, 200, 5, unit="positions", integer=True),
                 Range("seed", "seed", 0, SEED_MAX, 1, unit="random states", integer=True, box=True))


class LocalAttentionWidget(LiveExplorer):
    """Live face: recompute the example with PyTorch for any D, source length and seed."""

    def __init__(self, src_len=40, half_width=4, hidden_size=16, seed=0):
        src_len, half_width, hidden_size, seed = _check_example(src_len, half_width, hidden_size, seed)
        self.hidden_size = hidden_size
        super().__init__(LIVE_CONTROLS, dict(half_width=half_width, src_len=src_len, seed=seed), torch.device("cpu"))

    def what(self, values):
        return f"one query over {values['src_len']} positions"

    def recompute(self, values):
        D = min(values["half_width"], values["src_len"])      # a window no wider than the source
        return _frame(values["src_len"], D, self.hidden_size, values["seed"])

    def first_figure(self, frame, values):
        D = min(values["half_width"], values["src_len"])
        return live_figure(local_attention_figure(values["src_len"], D, self.hidden_size, values["seed"]))

    def draw(self, frame, values):
        """Redraw in place for the current controls."""
        traces, layout = frame
        with self.figure.batch_update():
            for trace, y, name in zip(self.figure.data, traces["y"], traces["name"]):
                trace.x, trace.y, trace.name = list(range(values["src_len"])), y, name
            self.figure.layout.shapes = layout["shapes"]
            self.figure.layout.annotations = layout["annotations"]
            self.figure.layout.yaxis.range = layout["yaxis.range"]


def explore_local_attention(src_len=40, half_width=4, hidden_size=16, seed=0):
    """Global against local-p attention for one query, with the window's half-width D to explore."""
    src_len, half_width, hidden_size, seed = _check_example(src_len, half_width, hidden_size, seed)
    return DualExplorer(static_local_figure(src_len, half_width, hidden_size, seed),
                        lambda: LocalAttentionWidget(src_len, half_width, hidden_size, seed))
