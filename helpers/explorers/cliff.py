"""Accuracy against source length for trained encoder-decoders: the cliff, and where it moves.

Static face: a slider over the context sizes trained when the book was built (it restyles the
token and whole-sequence accuracy curves); on the website, helpers.explorers.cliff_page adds
controls that train new models in the reader's browser and add their curves. Live face: controls
for the context size, the attention score, the task, the longest training length and the number of
updates, and a button that trains a new model on the reader's device and adds its curve to the figure.

Used in: 1.6.
"""
import plotly.graph_objects as go

from helpers.core.checks import check_choice, check_device, check_seed
from helpers.experiments.seq2seq_training import accuracy_by_length, train_seq2seq
from helpers.explorers import Choice, DualExplorer, LiveExplorer, Range
from helpers.figures.accuracy import accuracy_axes, percent
from helpers.figures.plots import PALETTE, describe, live_figure, value_slider
from helpers.models.attention import SCORES
from helpers.models.seq2seq import TASKS

MAX_LIVE_CURVES = 8


def _cliff_title(run):
    return (f"{run.task.capitalize()} task, context of {run.model.hidden_size} numbers, no attention"
            f"<br><sup>trained on lengths {run.min_len}–{run.max_len}, {run.steps} updates</sup>")


def static_cliff_figure(runs, results, active_hidden):
    """runs, results: {hidden_size: Seq2SeqRun / LengthAccuracy}; the slider picks the context size."""
    _check_runs(runs, results)
    sizes = sorted(results)
    check_choice("active_hidden", active_hidden, sizes)
    first = results[active_hidden]
    fig = go.Figure()
    fig.add_scatter(x=list(first.lengths), y=percent(first.token_accuracy), name="tokens right",
                    mode="lines+markers", line=dict(color=PALETTE[0]), hovertemplate="%{y:.1f}%")
    fig.add_scatter(x=list(first.lengths), y=percent(first.sequence_accuracy), name="whole sequence right",
                    mode="lines+markers", line=dict(color=PALETTE[1], dash="dash"), hovertemplate="%{y:.1f}%")
    steps = [dict(method="update", label=str(h),
                  args=[{"y": [percent(results[h].token_accuracy), percent(results[h].sequence_accuracy)]},
                        {"title.text": _cliff_title(runs[h])}, [0, 1]]) for h in sizes]   # not the curves added later
    fig.update_layout(title=_cliff_title(runs[active_hidden]), margin=dict(b=150),
                      sliders=[value_slider(
                          steps, sizes.index(active_hidden), "context size (numbers) = ", -0.25)])
    accuracy_axes(fig, first.lengths).update_layout(   # the top-right corner is empty: the curves fall
        height=520, legend=dict(orientation="v", x=0.99, y=0.98, xanchor="right", yanchor="top"))
    return describe(fig, caption=(
        "Greedy-decoding accuracy of a GRU encoder-decoder with no attention, on fresh sources of each "
        "length, for the context sizes on the slider. The decoder sees the source only through the "
        "encoder's last state; accuracy falls off a cliff as the source grows, and a bigger context "
        "moves the cliff to the right."),
        alt=("Line chart: accuracy in percent against source length, two curves (tokens right, whole "
             f"sequence right), with a slider over context sizes {', '.join(map(str, sizes))}."))


LIVE_CONTROLS = (Choice("hidden_size", "context size", (8, 16, 32, 64, 128, 256), unit="numbers"),
                 Choice("attention", "attention score", ("none",) + SCORES),
                 Choice("task", "task", TASKS),
                 Range("max_len", "train on lengths 1 to", 2, 40, 1, integer=True),
                 Range("steps", "updates", 100, 5000, 100, integer=True))


class CliffWidget(LiveExplorer):
    """Live face: train another encoder-decoder with the reader's settings and add its curve."""

    def __init__(self, figure, lengths, device, seed=0):
        import ipywidgets as w
        self.lengths, self.seed, self.static_figure = lengths, check_seed(seed), figure
        self.progress = w.Output()     # the training's progress bar
        super().__init__(LIVE_CONTROLS, dict(hidden_size=64, attention="none", task="copy", max_len=max(lengths),
                                             steps=800),
                         check_device(device), rows=[["hidden_size", "attention", "task"], ["max_len", "steps"]],
                         button="train and add the curve", extra=[self.progress])

    def what(self, values):
        return f"a model with a context of {values['hidden_size']}, {values['steps']} updates"

    def recompute(self, values):
        """Train with the current settings (seeded) and measure its token accuracy at every length."""
        with self.progress:
            self.progress.clear_output()
            run = train_seq2seq(values["hidden_size"], None if values["attention"] == "none" else values["attention"],
                                values["task"], 1, values["max_len"], values["steps"], seed=self.seed,
                                device=self.device)
        return run, accuracy_by_length(run, self.lengths)

    def first_figure(self, result, values):
        return live_figure(self.static_figure)

    def draw(self, trained, values):
        """Add the new model's curve on the same axes (the oldest goes past MAX_LIVE_CURVES)."""
        run, result = trained
        with self.figure.batch_update():
            if len(self.figure.data) >= MAX_LIVE_CURVES:
                self.figure.data = self.figure.data[1:]
            self.figure.add_scatter(x=list(result.lengths), y=percent(result.token_accuracy),
                                    name=f"{run.label}, {run.task}, ≤{run.max_len}", mode="lines+markers")

    def train(self):
        """Press the button: train, add the curve, and return the new model's LengthAccuracy."""
        trained = self.update()
        return None if trained is None else trained[1]


def explore_cliff(runs, results, active_hidden=None, seed=0):
    """Explorer over the context sizes already trained; live, the reader trains more."""
    _check_runs(runs, results)
    check_seed(seed)
    active_hidden = active_hidden or sorted(results)[len(results) // 2]
    check_choice("active_hidden", active_hidden, sorted(results))
    figure = static_cliff_figure(runs, results, active_hidden)
    lengths = results[active_hidden].lengths
    device = next(runs[active_hidden].model.parameters()).device
    return DualExplorer(figure, lambda: CliffWidget(figure, lengths, device, seed))


def _check_runs(runs, results):
    if not results or set(runs) != set(results):
        raise ValueError("runs and results must be non-empty dicts over the same context sizes")
