"""Drill 1's explorer: how much of the first input each layer of a two-layer RNN still holds.

The measure is first_input_influence: ||h_t - h'_t|| when the two runs differ only in x_1.
Static face: a slider over the spectral radius of both W_hh (orthogonal, rescaled), precomputed
when the book is built; it restyles the two orthogonal curves, while the network at PyTorch's
default initialisation stays drawn as a reference. Live face: any radius and length, recomputed
with the reader's own two_layer_rnn (or the reference) at every change.

Used in: the summary.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from helpers.core.checks import check_callable, check_float, check_int, check_seed, check_values
from helpers.core.seeding import seeded
from helpers.exercises.drills import first_input_influence, two_layer_rnn
from helpers.explorers import DualExplorer, LiveExplorer, Range
from helpers.figures.plots import PALETTE, describe, live_figure, round_sig, value_slider
from helpers.models.inits import recurrent_matrix, rescale_to_radius

STATIC_RADII = tuple(float(r) for r in np.round(np.arange(0.5, 1.5001, 0.1), 2))
INPUT_SIZE, HIDDEN_SIZE = 8, 32
FLOOR = -17   # log10 of the y axis floor: float64 cannot tell states apart below ~1e-17 of their size


def decay_networks(radius, seq_len=40, seed=0):
    """(PyTorch-default params, the same with both W_hh orthogonal at `radius`, x), in float64.

    Seeds as in the chapter: torch seed `seed` for nn.RNN, `seed + 2` for the orthogonal matrices,
    `seed + 1` for the input sequence of shape (seq_len, 8).
    """
    radius = check_float("radius", radius, low=0.0, low_inclusive=False)
    seq_len = check_int("seq_len", seq_len, 1)
    seed = check_seed(seed)
    with seeded(seed):
        rnn = torch.nn.RNN(INPUT_SIZE, HIDDEN_SIZE, num_layers=2).double()
    default = {name: w.detach() for name, w in rnn.named_parameters()}
    scaled = dict(default)
    generator = torch.Generator().manual_seed(seed + 2)
    for name in ("weight_hh_l0", "weight_hh_l1"):
        w = recurrent_matrix(HIDDEN_SIZE, "orthogonal", generator, dtype=torch.float64)
        scaled[name] = rescale_to_radius(w, radius)
    x = torch.randn(seq_len, INPUT_SIZE, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    return default, scaled, x


def _y(values):
    """3 significant figures; an exact 0 (no difference left in float64) becomes a gap."""
    return [r if v > 0 else None for v, r in zip(values, round_sig(values))]


def _curves(rnn_fn, radius, seq_len, seed):
    default, scaled, x = decay_networks(radius, seq_len, seed)
    return first_input_influence(rnn_fn, scaled, x), first_input_influence(rnn_fn, default, x)


def _check_explorer(rnn_fn, seq_len, seed):
    check_callable("rnn_fn", rnn_fn, "(x, params) -> (h1_states, h2_states)")
    check_int("seq_len", seq_len, 1)
    check_seed(seed)


def decay_figure(scaled, default, radius):
    """Four curves: both layers at the given radius (traces 0, 1) and at PyTorch's default (2, 3)."""
    fig = go.Figure()
    for curves, label, color in ((scaled, "orthogonal W_hh", PALETTE[1]), (default, "PyTorch default", PALETTE[0])):
        for layer, d in enumerate(curves, start=1):
            fig.add_scatter(x=np.arange(1, len(d) + 1), y=_y(d), name=f"{label}, layer {layer}", mode="lines",
                            line=dict(color=color, dash="solid" if layer == 1 else "dash"))
    fig.update_yaxes(type="log", range=[FLOOR, 1], title="‖hₜ − h′ₜ‖ (log scale)", exponentformat="power")
    fig.update_xaxes(title="step t", range=[1, len(default[0])])
    fig.update_layout(title=f"How much of x₁ each layer holds (orthogonal W_hh at ρ = {radius:.2f})", height=480,
                      legend=dict(y=-0.2))
    return describe(
        fig,
        caption=("Distance between the states of a two-layer tanh RNN on two sequences that differ only in the "
                 "first input, per layer and step, with both W_hh orthogonal at the spectral radius on the slider "
                 "and, for reference, at PyTorch's default initialisation. Straight lines on this log scale are "
                 "exponential forgetting; watch the slope flatten as ρ approaches 1."),
        alt=("Line chart, log scale: state difference against step for layers 1 and 2 of a two-layer RNN, "
             "with a slider for the spectral radius of the recurrent matrices."))


def static_decay_figure(rnn_fn=two_layer_rnn, radii=STATIC_RADII, active=1.0, seq_len=40, seed=0):
    """The website's face: a slider over `radii` that restyles traces 0 and 1 (the orthogonal curves)."""
    _check_explorer(rnn_fn, seq_len, seed)
    radii = check_values("radii", radii, lambda r: check_float("radius", r, low=0.0, low_inclusive=False))
    check_float("active", active)
    curves = {r: _curves(rnn_fn, r, seq_len, seed) for r in radii}
    index = int(np.abs(np.array(radii) - active).argmin())
    scaled, default = curves[radii[index]]
    fig = decay_figure(scaled, default, radii[index])
    steps = [dict(method="update", label=f"{r:.1f}",
                  args=[{"y": [_y(curves[r][0][0]), _y(curves[r][0][1])]},
                        {"title.text": f"How much of x₁ each layer holds (orthogonal W_hh at ρ = {r:.2f})"}, [0, 1]])
             for r in radii]
    fig.update_layout(height=560, margin=dict(b=190), legend=dict(y=-0.2),
                      sliders=[value_slider(steps, index, "ρ(W_hh) of both layers = ", -0.42)])
    return fig


LIVE_CONTROLS = (Range("radius", "ρ(W_hh)", 0.1, 2.0, 0.05),
                 Range("seq_len", "length", 10, 200, 10, unit="steps", integer=True))


class DecayWidget(LiveExplorer):
    """Live face: spectral radius and length controls, recomputed with the reader's function."""

    def __init__(self, rnn_fn=two_layer_rnn, radius=1.0, seq_len=40, seed=0):
        _check_explorer(rnn_fn, seq_len, seed)
        self.rnn_fn, self.seed = rnn_fn, seed
        # the reader's two_layer_rnn runs on the CPU, in float64: the tensors decay_networks makes
        super().__init__(LIVE_CONTROLS, dict(radius=radius, seq_len=seq_len), torch.device("cpu"))

    def what(self, values):
        return f"both networks over {values['seq_len']} steps"

    def recompute(self, values):
        return _curves(self.rnn_fn, values["radius"], values["seq_len"], self.seed)

    def first_figure(self, curves, values):
        return live_figure(decay_figure(*curves, values["radius"]))

    def draw(self, curves, values):
        """Redraw both networks' curves in place."""
        scaled, default = curves
        with self.figure.batch_update():
            for trace, d in zip(self.figure.data, list(scaled) + list(default)):
                trace.x, trace.y = np.arange(1, len(d) + 1), _y(d)
            self.figure.layout.xaxis.range = [1, values["seq_len"]]
            self.figure.layout.title.text = (f"How much of x₁ each layer holds (orthogonal W_hh at ρ = "
                                             f"{values['radius']:.2f}, length {values['seq_len']}, on {self.device})")


def explore_first_input_decay(rnn_fn=two_layer_rnn, seq_len=40, seed=0):
    """Drill 1's explorer, computed with `rnn_fn(x, params) -> (h1_states, h2_states)`."""
    _check_explorer(rnn_fn, seq_len, seed)
    figure = static_decay_figure(rnn_fn, seq_len=seq_len, seed=seed)
    return DualExplorer(figure, lambda: DecayWidget(rnn_fn, seq_len=seq_len, seed=seed))
