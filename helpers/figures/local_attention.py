"""The figure of Luong's local attention for one query: global weights against local-p weights.

The computation is helpers/models/local_attention.py; the explorer that moves its window's
half-width is helpers/explorers/local_attention.py.

Used by: helpers.explorers.local_attention.
"""
import numpy as np
import plotly.graph_objects as go

from helpers.figures.plots import PALETTE, describe
from helpers.models.local_attention import local_example, positions_scored


def local_attention_figure(src_len=40, half_width=4, hidden_size=16, seed=0):
    """Global weights (bars) against local-p weights (line) for one query, with the window shaded."""
    global_w, local_w, p_t = local_example(src_len, half_width, hidden_size, seed)
    positions = np.arange(src_len)
    scored = positions_scored(p_t, half_width, src_len)
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
