"""The figures of the summary's drills, each with its caption and alt text, so the cell that shows one is a
single call: the loss curves of drill 2, training with and without the learner's clip function.

Used in: the summary.
"""
from helpers.figures.plots import loss_curves


def clipping_curves(runs, radius=2.0, lr=0.05, seed=0):
    """Training loss per update of helpers.exercises.drill_runs.clipping_runs' runs (ClippingRun each),
    one curve per run: unclipped, or clipped at its max_norm."""
    runs = list(runs)
    if not runs:
        raise ValueError("runs must hold at least one ClippingRun, got none")
    curves = {("no clipping" if r.max_norm is None else f"clipped at {r.max_norm}"): r.losses for r in runs}
    return loss_curves(
        curves, title=f"Adding problem, two-layer tanh RNN, ρ(W_hh) = {radius:g}",
        caption=(f"Training loss per update with and without gradient clipping (SGD, learning rate {lr:g}), same "
                 f"data and initial weights, seed {seed}. An unclipped curve ends where its loss became NaN, if "
                 "it did; the clipped one runs to the last update."),
        alt=(f"Line chart, log scale: training loss against update for an unclipped and a clipped run of "
             f"{len(runs[0].losses)} updates each."))
