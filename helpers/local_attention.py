"""Luong's local attention for one query: where the window goes, and what the weights become.

Global attention scores all S source positions. Local attention first picks an aligned position
p_t, then scores only the 2D + 1 positions of the window [p_t - D, p_t + D] and multiplies the
softmax by a Gaussian of width sigma = D / 2 centred on p_t:

  local-m (monotonic):  p_t = t
  local-p (predictive): p_t = S * sigmoid(v_p^T tanh(W_p h_t))

The weighting itself is helpers.attention.local_window_weights; this module predicts p_t and draws
the comparison with global attention.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from .attention import local_window_weights
from .checks import check_int
from .plots import PALETTE, describe


def predicted_position(decoder_state, W_p, v_p, src_len):
    """local-p's aligned position S * sigmoid(v_p^T tanh(W_p h_t)), a real number in (0, S).

    decoder_state: (..., hidden); W_p: (attention, hidden); v_p: (attention,).
    """
    src_len = check_int("src_len", src_len, 1)
    if W_p.dim() != 2 or v_p.dim() != 1 or W_p.shape != (v_p.shape[0], decoder_state.shape[-1]):
        raise ValueError(f"W_p must be (attention, hidden) and v_p (attention,), matching the state's hidden size "
                         f"{decoder_state.shape[-1]}; got W_p {tuple(W_p.shape)} and v_p {tuple(v_p.shape)}")
    return src_len * torch.sigmoid(torch.tanh(decoder_state @ W_p.T) @ v_p)


def local_example(src_len=40, half_width=4, hidden_size=16, seed=0):
    """One query against `src_len` random encoder states: global weights, local-p weights, p_t.

    The dot score is used for both, so the only difference is the window and its Gaussian.
    Returns (global_weights, local_weights, p_t) as numpy arrays / a float.
    """
    src_len = check_int("src_len", src_len, 2, 10_000)
    half_width = check_int("half_width", half_width, 0, src_len)
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    keys = torch.randn(1, src_len, hidden_size, generator=g, dtype=torch.float64)
    query = torch.randn(1, 1, hidden_size, generator=g, dtype=torch.float64)
    W_p = torch.randn(hidden_size, hidden_size, generator=g, dtype=torch.float64) / hidden_size ** 0.5
    v_p = torch.randn(hidden_size, generator=g, dtype=torch.float64)
    scores = query @ keys.transpose(1, 2) / hidden_size ** 0.5          # (1, 1, src_len)
    p_t = predicted_position(query[0, 0], W_p, v_p, src_len)
    local = local_window_weights(scores, p_t.reshape(1, 1), half_width)
    return torch.softmax(scores, -1)[0, 0].numpy(), local[0, 0].numpy(), float(p_t)


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
