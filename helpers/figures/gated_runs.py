"""The figures of chapter 1.4's training runs, each with its caption and alt text, so the chapter's
cell that shows one is a single call: recall after distractors by distance, and the character-level
language models' training curves on real text.

Used in: 1.4.
"""
import numpy as np
import plotly.graph_objects as go

from helpers.core.checks import check_float, check_int
from helpers.figures.plots import PALETTE, describe

COLORS = {"rnn": PALETTE[5], "lstm": PALETTE[0], "gru": PALETTE[2]}


def recall_figure(distances, mean_accuracy, trained_up_to=100, hidden_size=32, seeds=3):
    """Mean recall accuracy against distance, one line per cell: mean_accuracy is {cell: array over distances}."""
    distances = tuple(distances)
    if not distances or not isinstance(mean_accuracy, dict) or not mean_accuracy:
        raise ValueError("distances and mean_accuracy must be non-empty: distances a sequence, mean_accuracy "
                         f"{{cell: accuracy per distance}}, got {distances!r} and {mean_accuracy!r}")
    seeds = check_int("seeds", seeds, 1)
    fig = go.Figure()
    for cell, accuracy in mean_accuracy.items():
        fig.add_scatter(x=list(distances), y=np.round(100 * np.asarray(accuracy), 1), name=cell.upper(),
                        mode="lines+markers", line=dict(color=COLORS.get(cell)))
    fig.add_hline(y=25, line_dash="dot", annotation_text="chance (25%)")
    fig.update_xaxes(type="log", title="distance N between the symbol and the query (log scale)",
                     range=[np.log10(0.7 * min(distances)), np.log10(1.25 * max(distances))], tickvals=list(distances))
    fig.update_yaxes(title=f"accuracy on fresh sequences (%), mean of {seeds} seeds", range=[0, 105])
    fig.update_layout(title=f"Recall after N distractors (trained on N = 1..{trained_up_to}): one layer, "
                            f"{hidden_size} units", height=420)
    return describe(fig, caption=(f"Accuracy of recalling the first symbol after N distractors, for each cell type "
                                  f"(mean of {seeds} seeds). Look at where each curve falls towards the chance "
                                  "line at 25%."),
                    alt=("Line chart: recall accuracy in percent against distance N on a log axis, for RNN, LSTM "
                         "and GRU, with a dotted line at chance."))


def _smooth(values, window):
    """Moving average over the last `window` updates (fewer at the start)."""
    sums = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def char_lm_figure(runs_by_seed, unigram, window=25):
    """Training loss (bits per character, moving average over `window` updates) of each cell: the mean
    over seeds as a line, the lowest and highest seed as a band. runs_by_seed is {seed: {cell: CharLMRun}}."""
    if not isinstance(runs_by_seed, dict) or not runs_by_seed or not all(runs_by_seed.values()):
        raise ValueError(f"runs_by_seed must be a dict {{seed: {{cell: CharLMRun}}}} with at least one run, got {runs_by_seed!r}")
    unigram = check_float("unigram", unigram, low=0.0)
    window = check_int("window", window, 1)
    fig = go.Figure()
    seeds = list(runs_by_seed)
    cells = list(runs_by_seed[seeds[0]])
    for cell in cells:
        curves = np.array([_smooth(runs_by_seed[s][cell].losses, window) for s in seeds])
        updates = np.arange(1, curves.shape[1] + 1)
        color = COLORS.get(cell)
        fig.add_scatter(x=updates, y=np.round(curves.max(0), 3), mode="lines", line=dict(width=0, color=color),
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=updates, y=np.round(curves.min(0), 3), mode="lines", line=dict(width=0, color=color),
                        fill="tonexty", opacity=0.25, showlegend=False, hoverinfo="skip")
        run = runs_by_seed[seeds[0]][cell]
        fig.add_scatter(x=updates, y=np.round(curves.mean(0), 3), mode="lines", line=dict(color=color, width=2),
                        name=f"{cell.upper()} ({run.hidden_size} units, {run.parameters:,} parameters)")
    fig.add_hline(y=unigram, line_dash="dot", annotation_text=f"character frequencies alone ({unigram:.2f})",
                  annotation_position="top right")
    fig.update_xaxes(title="update")
    fig.update_yaxes(title="training loss, bits per character", range=[2.0, max(6.3, unigram + 0.5)])
    fig.update_layout(title="Next-character prediction on Shakespeare: RNN, LSTM, GRU at equal parameters",
                      height=440, legend=dict(orientation="h", x=0, y=-0.22, yanchor="top"), margin=dict(b=120))
    return describe(fig, caption=(f"Training loss per update in bits per character, averaged over the last {window} "
                                  f"updates, for each cell: the line is the mean of {len(seeds)} seeds, the band "
                                  "runs from the lowest to the highest seed. The dotted line is what the "
                                  "characters' frequencies alone score on the held-out text."),
                    alt=("Line chart: training loss in bits per character falling over the updates for a tanh "
                         "RNN, an LSTM and a GRU of equal parameter counts, each with a shaded band for the "
                         "spread over seeds, and a dotted line for the unigram baseline."))
