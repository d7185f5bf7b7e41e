"""The figure of chapter 1.7's receptive fields: how far back a stack of causal convolutions sees,
against its depth, dilated and plain (the formulas are helpers/experiments/receptive_field.py).

Used in: 1.7.
"""
import numpy as np
import plotly.graph_objects as go

from helpers.core.checks import check_int
from helpers.experiments.receptive_field import receptive_field
from helpers.figures.plots import PALETTE, describe


def receptive_field_figure(max_layers=12, kernel_sizes=(2, 3), mark=512):
    """Receptive field against depth, dilated vs plain, on a log axis, with a line at `mark` tokens."""
    max_layers = check_int("max_layers", max_layers, 1, 60)
    kernel_sizes = [check_int("kernel_size", k, 2, 1024) for k in kernel_sizes]
    mark = check_int("mark", mark, 2, 2**40)
    depth = np.arange(1, max_layers + 1)
    fig = go.Figure()
    for i, k in enumerate(kernel_sizes):
        for dilated, dash in ((True, "solid"), (False, "dot")):
            fig.add_scatter(x=depth, y=[receptive_field(L, k, 2 if dilated else 1) for L in depth],
                            mode="lines+markers", line=dict(color=PALETTE[i], dash=dash),
                            name=f"k={k}, {'dilations 1, 2, 4, …' if dilated else 'no dilation'}",
                            hovertemplate="%{x} layers: %{y} tokens")
    fig.add_hline(y=mark, line=dict(color="#888", dash="dash"))
    # on a log axis an annotation's y is given in log10 units (add_hline's own annotation would not be)
    fig.add_annotation(x=0, xref="paper", xanchor="left", y=np.log10(mark), yanchor="bottom",
                       text=f"{mark} tokens", showarrow=False, font=dict(color="#666"))
    fig.update_yaxes(type="log", title="receptive field (tokens, log scale)", exponentformat="power")
    fig.update_xaxes(title="number of convolution layers", dtick=1)
    fig.update_layout(title="How far back a stack of causal convolutions sees", height=430)
    return describe(fig, caption=("Receptive field of one output after L causal convolution layers. With dilations "
                                  "doubling per layer (solid) the field is a straight line on the log scale: it "
                                  "grows exponentially with depth. Without dilation (dotted) it grows by k-1 "
                                  f"tokens per layer and is far from {mark} tokens at this depth."),
                    alt=("Line chart with a logarithmic y axis: receptive field in tokens against the number of "
                         f"layers for kernel sizes {', '.join(map(str, kernel_sizes))}, dilated and undilated, "
                         f"with a dashed horizontal line at {mark} tokens."))
