"""The local-attention explorer of chapter 1.7: the window's half-width D on the site (a slider over
precomputed values), and any D, source length and seed live, recomputed with PyTorch.

Used in: 1.7.
"""
import torch

from helpers.core.checks import SEED_MAX, check_int, check_values
from helpers.explorers import DualExplorer, LiveExplorer, Range
from helpers.figures.local_attention import local_attention_figure
from helpers.figures.plots import live_figure, value_slider
from helpers.models.local_attention import check_example

STATIC_HALF_WIDTHS = tuple(range(1, 11))   # D = 0 can miss every position when p_t falls between two


def _frame(src_len, half_width, hidden_size, seed):
    """What changes with D: the traces' y and names, the window's shapes, its label, the y range."""
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    return ({"y": [list(t.y) for t in fig.data], "name": [t.name for t in fig.data]},
            {"shapes": [s.to_plotly_json() for s in fig.layout.shapes],
             "annotations": [a.to_plotly_json() for a in fig.layout.annotations],
             "yaxis.range": list(fig.layout.yaxis.range)})


def static_local_figure(src_len=40, half_width=4, hidden_size=16, seed=0, half_widths=STATIC_HALF_WIDTHS):
    """The website's figure: a slider over the half-width D (it updates the curves and the window)."""
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
    half_widths = check_values("half_widths", half_widths, lambda D: check_int("half_widths", D, 1, src_len))
    half_widths = sorted({*half_widths, half_width})
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    steps = [dict(method="update", label=str(D), args=list(_frame(src_len, D, hidden_size, seed)))
             for D in half_widths]
    fig.update_layout(height=500, margin=dict(b=150),
                      sliders=[value_slider(
                          steps, half_widths.index(half_width), "half-width D (positions) = ", -0.35)])
    return fig


LIVE_CONTROLS = (Range("half_width", "half-width D", 1, 50, 1, unit="positions", integer=True),
                 Range("src_len", "source length S", 10, 200, 5, unit="positions", integer=True),
                 Range("seed", "seed", 0, SEED_MAX, 1, unit="random states", integer=True, box=True))


class LocalAttentionWidget(LiveExplorer):
    """Live face: recompute the example with PyTorch for any D, source length and seed."""

    def __init__(self, src_len=40, half_width=4, hidden_size=16, seed=0):
        src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
        self.hidden_size = hidden_size
        super().__init__(LIVE_CONTROLS, dict(half_width=half_width, src_len=src_len, seed=seed), torch.device("cpu"))

    def what(self, values):
        return f"one query over {values['src_len']} positions"

    def recompute(self, values):
        D = min(values["half_width"], values["src_len"])      # a window no wider than the source
        return _frame(values["src_len"], D, self.hidden_size, values["seed"])

    def first_figure(self, frame, values):
        D = min(values["half_width"], values["src_len"])
        return live_figure(local_attention_figure(values["src_len"], D, self.hidden_size, values["seed"]))

    def draw(self, frame, values):
        """Redraw in place for the current controls."""
        traces, layout = frame
        with self.figure.batch_update():
            for trace, y, name in zip(self.figure.data, traces["y"], traces["name"]):
                trace.x, trace.y, trace.name = list(range(values["src_len"])), y, name
            self.figure.layout.shapes = layout["shapes"]
            self.figure.layout.annotations = layout["annotations"]
            self.figure.layout.yaxis.range = layout["yaxis.range"]


def explore_local_attention(src_len=40, half_width=4, hidden_size=16, seed=0):
    """Global against local-p attention for one query, with the window's half-width D to explore."""
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
    return DualExplorer(static_local_figure(src_len, half_width, hidden_size, seed),
                        lambda: LocalAttentionWidget(src_len, half_width, hidden_size, seed))
