"""Figures for the opening chapters: similarity heatmaps, the unrolled RNN, the bottleneck timing.

Builders only: each takes computed results (or a size) and returns a plotly Figure; nothing here
runs an experiment. The course template from plots.py styles them.

Used in: 1.1, 1.2.
"""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from helpers.core.checks import check_int
from helpers.figures.plots import PALETTE, describe, round_sig

SIMILARITY_PANELS = (("static", "lookup table"), ("forward", "forward RNN"), ("bidirectional", "bidirectional RNN"))


def short_label(sentence, width=22):
    """A sentence cut to `width` characters for an axis label."""
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {sentence!r}")
    width = check_int("width", width, 4)
    return sentence if len(sentence) <= width else sentence[: width - 1] + "…"


def similarity_heatmaps(similarities):
    """One heatmap per representation of the cosine similarities in a WordSimilarities result.

    Rows and columns are labelled with the sentence numbers only, so that three panels fit side by side
    on a phone; the caption lists the sentences by number, and hover shows both sentences of a cell.
    """
    n = len(similarities.sentences)
    numbers = [f"{i + 1}" for i in range(n)]
    pairs = [[[a, b] for b in similarities.sentences] for a in similarities.sentences]
    lowest = min(0.0, float(np.min([getattr(similarities, kind) for kind, _ in SIMILARITY_PANELS])))
    fig = make_subplots(rows=1, cols=len(SIMILARITY_PANELS), subplot_titles=[t for _, t in SIMILARITY_PANELS],
                        horizontal_spacing=0.06, shared_yaxes=True)
    for k, (kind, title) in enumerate(SIMILARITY_PANELS, start=1):
        z = np.round(getattr(similarities, kind), 3)
        fig.add_heatmap(z=z, x=numbers, y=numbers, zmin=lowest, zmax=1, colorscale="Viridis", customdata=pairs,
                        texttemplate="%{z:.2f}", showscale=k == len(SIMILARITY_PANELS), row=1, col=k,
                        colorbar=dict(title="cosine", thickness=12, x=1.02, xanchor="left"),
                        hovertemplate=f"{title}<br>%{{customdata[0]}}<br>vs %{{customdata[1]}}"
                                      "<br>cosine %{z:.3f}<extra></extra>")
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(title="sentence", row=1, col=1)
    fig.update_xaxes(title="sentence", tickangle=0)
    fig.update_annotations(font_size=13)
    fig.update_layout(title=f"Cosine similarity of “{similarities.word}” between sentences", height=400,
                      hovermode="closest", margin=dict(l=60, r=70, t=100, b=60))
    listed = ", ".join(f"{i + 1} “{s}”" for i, s in enumerate(similarities.sentences))
    return describe(fig, caption=(f"Cosine similarity of the vector each representation gives “{similarities.word}” "
                                  f"in every pair of the sentences {listed}. Look at the off-diagonal cells: a "
                                  "lookup table gives 1.00 everywhere, the recurrent networks give each context "
                                  "its own vector."),
                    alt=(f"Heatmaps, one per representation, of the cosine similarity of “{similarities.word}” "
                         f"between {n} sentences."))


def unrolled_rnn_figure(steps=4):
    """The RNN drawn unrolled through time: x_t -> h_t -> y_t, and h_{t-1} -> h_t along the chain.

    Every column is the same cell with the same weights; only the arrows along the middle row carry
    the past forward, which is why step t must wait for step t-1.
    """
    steps = check_int("steps", steps, 1, 8)
    fig = go.Figure()
    rows = {"x": (0.0, PALETTE[4]), "h": (1.0, PALETTE[0]), "y": (2.0, PALETTE[1])}
    half_w, half_h = 0.28, 0.2

    def box(cx, cy, color, text):
        fig.add_shape(type="rect", x0=cx - half_w, x1=cx + half_w, y0=cy - half_h, y1=cy + half_h,
                      line=dict(color=color, width=2), fillcolor=color, opacity=0.25, layer="below")
        fig.add_annotation(x=cx, y=cy, text=text, showarrow=False, font=dict(size=16))

    def arrow(x0, y0, x1, y1, text=""):
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                           showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.6, arrowcolor="#444")
        if text:
            fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=text, showarrow=False,
                               font=dict(size=12, color="#444"), yshift=12)

    box(0, rows["h"][0], "#999999", "h<sub>0</sub>")
    for t in range(1, steps + 1):
        for name, (cy, color) in rows.items():
            box(t, cy, color, f"{name}<sub>{t}</sub>")
        arrow(t, rows["x"][0] + half_h, t, rows["h"][0] - half_h, "")
        arrow(t, rows["h"][0] + half_h, t, rows["y"][0] - half_h, "")
        arrow(t - 1 + half_w, rows["h"][0], t - half_w, rows["h"][0], "W<sub>hh</sub>")
    fig.add_annotation(x=steps + 0.45, y=rows["x"][0] + 0.5, text="W<sub>xh</sub>", showarrow=False,
                       font=dict(size=12, color="#444"))
    fig.add_annotation(x=steps + 0.45, y=rows["h"][0] + 0.5, text="W<sub>hy</sub>", showarrow=False,
                       font=dict(size=12, color="#444"))
    for name, (cy, _) in rows.items():
        fig.add_annotation(x=-0.55, y=cy, text={"x": "input", "h": "hidden state", "y": "output"}[name],
                           showarrow=False, xanchor="right", font=dict(size=13))
    fig.update_xaxes(visible=False, range=[-1.6, steps + 0.8])
    fig.update_yaxes(visible=False, range=[-0.5, 2.5], scaleanchor="x", scaleratio=1)
    fig.update_layout(title=f"An RNN unrolled through {steps} time steps (the same weights in every column)",
                      height=360, hovermode=False, showlegend=False, margin=dict(l=20, r=20, t=60, b=20))
    return describe(fig, caption=("The recurrence unrolled: each column is one time step, and the hidden state "
                                  "is handed from left to right. Every column uses the same weights, and a column "
                                  "cannot start before the one on its left has finished."),
                    alt=f"Diagram of an RNN unrolled over {steps} time steps: inputs below, hidden states in a chain, "
                        "outputs above.")


def bottleneck_figure(timings):
    """Log-log plot of forward time against sequence length for the RNN and for attention."""
    fig = go.Figure()
    lengths = list(timings.lengths)
    fig.add_scatter(x=lengths, y=round_sig(1e3 * t for t in timings.rnn_seconds), mode="lines+markers",
                    name="RNN (torch.nn.RNN): one step after another", line=dict(color=PALETTE[5]))
    fig.add_scatter(x=lengths, y=round_sig(1e3 * t for t in timings.attention_seconds),
                    mode="lines+markers", name="attention-style product: all positions at once",
                    line=dict(color=PALETTE[0]))
    fig.update_xaxes(type="log", title="sequence length (tokens)", tickvals=lengths, ticktext=[str(L) for L in lengths])
    fig.update_yaxes(type="log", dtick=1, title="forward time (ms, median, log scale)")
    fig.update_layout(title=f"Forward pass on {timings.device}: hidden size {timings.hidden_size}, "
                            f"batch {timings.batch}, median of {timings.repeats}",
                      height=440)
    fig.update_traces(hovertemplate="%{y:.3g} ms")
    return describe(fig, caption=("Forward time against sequence length, measured when this page was built. Look at "
                                  "the slopes: the RNN's time grows with every step it must take in turn, while "
                                  "the attention-style product handles all positions in a few large operations."),
                    alt="Log-log line chart of forward-pass time against sequence length for an RNN and for an "
                        "attention-style matrix product.")
