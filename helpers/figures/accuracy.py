"""Accuracy against source length for trained encoder-decoders (chapters 1.6 and 1.7): the shared
axes, and one token-accuracy curve per model. The cliff explorer (helpers/explorers/cliff.py)
draws on the same axes.

Used in: 1.6, 1.7.
"""
import plotly.graph_objects as go

from helpers.figures.plots import PALETTE


def percent(values):
    return [round(100 * float(v), 1) for v in values]


def accuracy_axes(fig, lengths):
    """The axes every accuracy-by-length figure of chapters 1.6 and 1.7 shares."""
    fig.update_xaxes(title="source length (symbols)", range=[0.5, max(lengths) + 0.5])
    fig.update_yaxes(title="accuracy (%)", range=[0, 102], ticksuffix="%")
    # the legend goes under the x axis: above the plot it ran into a long title at the site's width
    fig.update_layout(height=500, margin=dict(t=70, b=130),
                      legend=dict(orientation="h", x=0, y=-0.2, yanchor="top"))
    return fig


def accuracy_figure(results, title):
    """One token-accuracy curve per trained model: results is {label: LengthAccuracy}."""
    fig = go.Figure()
    for (label, result), color in zip(results.items(), PALETTE):
        fig.add_scatter(x=list(result.lengths), y=percent(result.token_accuracy), name=label,
                        mode="lines+markers", line=dict(color=color), hovertemplate="%{y:.1f}%")
    fig.update_layout(title=title)
    return accuracy_axes(fig, next(iter(results.values())).lengths)
