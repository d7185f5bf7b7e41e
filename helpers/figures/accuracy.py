"""Accuracy against source length for trained encoder-decoders (chapters 1.6 and 1.7): the shared
axes, one token-accuracy curve per model, and the two captioned figures the chapters show. The cliff
explorer (helpers/explorers/cliff.py) draws on the same axes.

Used in: 1.6, 1.7.
"""
import numpy as np
import plotly.graph_objects as go

from helpers.experiments.seq2seq_training import LengthAccuracy
from helpers.figures.plots import PALETTE, describe


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


def mean_accuracy(per_seed):
    """The mean over seeds, length by length, of LengthAccuracy results measured at the same lengths."""
    per_seed = list(per_seed)
    if not per_seed or any(r.lengths != per_seed[0].lengths for r in per_seed):
        raise ValueError("per_seed must hold one or more LengthAccuracy results measured at the same lengths")
    return LengthAccuracy(per_seed[0].lengths,
                          *(np.mean([getattr(r, field) for r in per_seed], axis=0)
                            for field in ("token_accuracy", "sequence_accuracy")))


def context_size_figure(per_size):
    """Chapter 1.6: per_size is {context size: [LengthAccuracy, one per seed]}; one mean curve per size."""
    if not per_size:
        raise ValueError("per_size must hold the results of at least one context size")
    sizes = list(per_size)
    seeds = len(next(iter(per_size.values())))
    figure = accuracy_figure({f"context {d}": mean_accuracy(per_size[d]) for d in sizes},
                             title=f"Copy task, no attention: tokens right by source length (mean of {seeds} seeds)")
    longest = max(next(iter(per_size.values()))[0].lengths)
    return describe(figure, caption=(
        f"Share of output symbols right against source length for each context size, the mean of {seeds} "
        "training seeds. A bigger context shifts the curve to the right; every curve still falls as the "
        "source grows."),
        alt=(f"Line chart of accuracy in percent against source length 1 to {longest} for contexts of "
             f"{', '.join(map(str, sizes[:-1]))} and {sizes[-1]} numbers; each curve falls with length, the "
             "larger contexts later."))


def attention_comparison_figure(results, context):
    """Chapter 1.7: results is {label: LengthAccuracy} for one seed of each model, all with `context` numbers."""
    if not results:
        raise ValueError("results must hold at least one model's LengthAccuracy")
    figure = accuracy_figure(results, title=f"Copy task, context {context}: with and without attention (seed 0)")
    longest = max(next(iter(results.values())).lengths)
    at_longest = ", ".join(f"{label} {r.token_accuracy[r.lengths.index(longest)]:.0%}" for label, r in results.items())
    return describe(figure, caption=(
        "Share of output symbols right against source length, on the axes of chapter 1.6, for the same "
        "encoder-decoder without attention and with the dot and additive scores, trained identically "
        "(seed 0; the table above has all three seeds). With attention the curve stays high over every "
        "length trained on."),
        alt=(f"Line chart of accuracy in percent against source length 1 to {longest} for {len(results)} "
             f"models; at the longest length: {at_longest}."))
