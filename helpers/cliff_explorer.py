"""Accuracy against source length for trained encoder-decoders: the cliff, and where it moves.

Static face: a slider over the context sizes trained when the book was built (it restyles the
token and whole-sequence accuracy curves). Live face: controls for the context size, the
attention score, the task, the longest training length and the number of updates, and a button
that trains a new model on the reader's device and adds its curve to the figure.

Used in: 1.6, 1.7.
"""
import plotly.graph_objects as go

from .attention import SCORES
from .checks import check_choice, check_device, check_seed
from .explorers import DualExplorer
from .plots import PALETTE, describe, value_slider
from .seq2seq import TASKS
from .seq2seq_training import accuracy_by_length, train_seq2seq
from .widget_faces import widget_bundle

MAX_LIVE_CURVES = 8


def _percent(values):
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
        fig.add_scatter(x=list(result.lengths), y=_percent(result.token_accuracy), name=label,
                        mode="lines+markers", line=dict(color=color), hovertemplate="%{y:.1f}%")
    fig.update_layout(title=title)
    return accuracy_axes(fig, next(iter(results.values())).lengths)


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
    fig.add_scatter(x=list(first.lengths), y=_percent(first.token_accuracy), name="tokens right",
                    mode="lines+markers", line=dict(color=PALETTE[0]), hovertemplate="%{y:.1f}%")
    fig.add_scatter(x=list(first.lengths), y=_percent(first.sequence_accuracy), name="whole sequence right",
                    mode="lines+markers", line=dict(color=PALETTE[1], dash="dash"), hovertemplate="%{y:.1f}%")
    steps = [dict(method="update", label=str(h),
                  args=[{"y": [_percent(results[h].token_accuracy), _percent(results[h].sequence_accuracy)]},
                        {"title.text": _cliff_title(runs[h])}]) for h in sizes]
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


class CliffWidget:
    """Live face: train another encoder-decoder with the reader's settings and add its curve."""

    def __init__(self, figure, lengths, device, seed=0):
        import ipywidgets as w
        self.lengths, self.device, self.seed = lengths, check_device(device), check_seed(seed)
        self.controls = dict(
            hidden_size=w.Dropdown(options=(8, 16, 32, 64, 128, 256), value=64,
                                   description="context size (numbers)"),
            attention=w.Dropdown(options=("none",) + SCORES, value="none", description="attention score"),
            task=w.Dropdown(options=TASKS, value="copy", description="task"),
            max_len=w.IntSlider(value=max(lengths), min=2, max=40, description="train on lengths 1 to"),
            steps=w.IntSlider(value=800, min=100, max=5000, step=100, description="updates (100–5000)",
                              continuous_update=False))
        for control in self.controls.values():
            control.style.description_width = "initial"
        self.button = w.Button(description="train and add the curve", button_style="primary")
        self.button.on_click(lambda _: self.train())
        self.progress = w.Output()
        self.figure = go.FigureWidget(figure)
        self.figure.layout.sliders = ()
        self.figure.layout.margin.b = 70
        self.view = w.VBox([w.HBox([self.controls[k] for k in ("hidden_size", "attention", "task")]),
                            w.HBox([self.controls[k] for k in ("max_len", "steps")] + [self.button]),
                            self.progress, self.figure])

    def train(self):
        """Train with the current settings (seeded) and draw its token accuracy on the same axes."""
        c = {k: v.value for k, v in self.controls.items()}
        self.button.disabled = True
        try:
            with self.progress:
                self.progress.clear_output()
                run = train_seq2seq(c["hidden_size"], None if c["attention"] == "none" else c["attention"],
                                    c["task"], 1, c["max_len"], c["steps"], seed=self.seed, device=self.device)
            result = accuracy_by_length(run, self.lengths)
        finally:
            self.button.disabled = False
        with self.figure.batch_update():
            if len(self.figure.data) >= MAX_LIVE_CURVES:
                self.figure.data = self.figure.data[1:]
            self.figure.add_scatter(x=list(result.lengths), y=_percent(result.token_accuracy),
                                    name=f"{run.label}, {run.task}, ≤{run.max_len}", mode="lines+markers")
        return result

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.view)


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
