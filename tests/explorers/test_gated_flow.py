"""The RNN/LSTM/GRU gradient explorer works on both faces.

Static face: three traces per length; a slider with a step per precomputed gate bias that really
moves the LSTM and GRU curves (and shows gated_flow's numbers); length buttons that toggle which
traces are visible. Live face: each widget control changes what the figure shows.
"""
import pytest
import torch

from helpers.experiments.gated_flow import CELL_NAMES, _biases, _modules, gated_flow
from helpers.explorers.gated_flow import (
    MAX_POINTS,
    STATIC_BIASES,
    STATIC_HIDDEN,
    STATIC_LENGTHS,
    GatedFlowWidget,
    explore_gated_flow,
    static_gated_figure,
)
from helpers.figures.plots import figure_html

from tests import tolerances as tol
from tests.explorers.agreement import assert_draws, assert_same_values, slider_curves

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def explorer():
    return explore_gated_flow(seed=1234, device="cpu")


@pytest.fixture(scope="module")
def figure(explorer):
    return explorer.static_figure


def index(length, cell):
    return sorted(STATIC_LENGTHS).index(length) * len(CELL_NAMES) + CELL_NAMES.index(cell)


def test_both_faces_and_a_light_page(explorer):
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle["text/html"].lstrip().startswith("<figure class=\"course-figure\">")
    assert len(bundle["text/html"]) < 500_000
    assert figure_html(explore_gated_flow(seed=1234).static_figure) == bundle["text/html"]


def test_three_traces_per_length_one_length_visible(figure):
    assert len(figure.data) == 3 * len(STATIC_LENGTHS)
    shown = [t.visible for t in figure.data]
    assert sum(shown) == 3 and len({figure.data[i].name for i, v in enumerate(shown) if v}) == 3
    for L in STATIC_LENGTHS:
        for cell in CELL_NAMES:
            trace = figure.data[index(L, cell)]
            assert len(trace.y) <= MAX_POINTS and trace.dx * (len(trace.y) - 1) <= L - 1 < trace.dx * len(trace.y)


def test_slider_has_a_step_per_bias_and_moves_the_gated_curves(figure):
    (slider,) = figure.layout.sliders
    assert len(slider.steps) == len(STATIC_BIASES) >= 7
    assert slider.steps[0].label == "PyTorch default" and slider.steps[-1].label == "4"
    for j in range(len(slider.steps) - 1):
        here, there = slider.steps[j].args[0]["y"], slider.steps[j + 1].args[0]["y"]
        for L in (20, 100):
            for cell in ("lstm", "gru"):
                assert list(here[index(L, cell)]) != list(there[index(L, cell)]), (L, cell, j)
            assert list(here[index(L, "rnn")]) == list(there[index(L, "rnn")])   # no gate, no change
        assert all(set(step.args[0]) == {"y"} for step in slider.steps), "the slider restyles y only"


@pytest.mark.parametrize("bias, cell, length", [(2.0, "lstm", 100), (None, "gru", 1000), (-1.0, "rnn", 20)])
def test_slider_curves_are_gated_flow_curves(figure, bias, cell, length):
    """The slider step of a bias draws gated_flow's curve for it: the static face's own call, so bit for bit."""
    j = STATIC_BIASES.index(bias)
    shown = figure.layout.sliders[0].steps[j].args[0]["y"][index(length, cell)]
    flow = gated_flow(STATIC_BIASES, length, STATIC_HIDDEN, seed=1234)
    assert_draws(shown, flow.grad_x[cell][j, :: figure.data[index(length, cell)].dx], f"{cell} at bias {bias}")


def test_length_buttons_toggle_visibility_only(figure):
    (menu,) = figure.layout.updatemenus
    assert [b.label for b in menu.buttons] == [f"length {L}" for L in sorted(STATIC_LENGTHS)]
    for button, L in zip(menu.buttons, sorted(STATIC_LENGTHS)):
        style, layout = button.args
        visible = [i for i, v in enumerate(style["visible"]) if v]
        assert visible == [index(L, c) for c in CELL_NAMES]
        assert list(layout["xaxis.range"]) == [0, L - 1]


def test_custom_grid_opens_on_the_asked_bias():
    flows = {L: gated_flow([0.0, 3.0], L, 8) for L in (10, 50)}
    fig = static_gated_figure(flows, active_bias=3.0)
    assert fig.layout.sliders[0].active == 1 and len(fig.data) == 6


@pytest.fixture
def widget():
    return GatedFlowWidget(forget_bias=1.0, seq_len=100, hidden_size=32, device="cpu")


def ys(widget):
    return [list(t.y) for t in widget.figure.data]


def test_widget_controls(widget):
    assert set(widget.controls) == {"forget_bias", "seq_len", "hidden_size"}
    assert WIDGET_VIEW in widget._repr_mimebundle_()


def test_bias_control_moves_the_gated_curves(widget):
    before = ys(widget)
    widget.controls["forget_bias"].value = 3.0
    after = ys(widget)
    assert after[0] == before[0] and after[1] != before[1] and after[2] != before[2]
    flow = gated_flow([3.0], 100, 32, seed=1234)    # the widget's own call: bit for bit
    assert_draws(after[1], flow.grad_x["lstm"][0], "LSTM at bias 3")
    assert "gate bias 3" in widget.figure.layout.title.text


def test_length_and_hidden_controls_recompute(widget):
    widget.controls["seq_len"].value = 400
    assert list(widget.figure.layout.xaxis.range) == [0, 399]
    assert all(t.dx * (len(t.y) - 1) <= 399 < t.dx * len(t.y) for t in widget.figure.data)
    before = ys(widget)
    widget.controls["hidden_size"].value = 64
    assert all(a != b for a, b in zip(ys(widget), before))
    assert "hidden 64" in widget.figure.layout.title.text


@pytest.fixture(scope="module")
def gated_static():
    return explore_gated_flow(seed=1234).static_figure


def _curve_bounds(cell, bias, seq_len=100, hidden=STATIC_HIDDEN, seed=1234):
    """bounds(mask) for tests.explorers.agreement: |dL/dx_t| of gated_flow's float32 run, first order (tests/tolerances.py)."""
    def bounds(mask):
        module = _modules(hidden, seed, "cpu", torch.float64)[cell]
        w_ih, w_hh, b_ih, b_hh = tol.module_weights(module)
        if cell != "rnn":
            b_ih, b_hh = _biases(module, [bias], hidden)
        x = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(seed)).to(torch.float64)
        grad_out = torch.zeros(seq_len, 1, hidden, dtype=torch.float64)
        grad_out[-1] = 1.0
        with torch.enable_grad():
            nodes = tol.Nodes(torch.float32)
            weights = (w_ih, w_hh, b_ih, b_hh)
            if cell == "rnn":    # torch's module, its input gradient's norm taken in float64
                curve = tol.vector_norm(nodes, tol.tanh_rnn(x, weights, nodes, grad_out=grad_out)["x"][:, 0])
            else:                # the step functions, |.| of the one input's gradient
                run = tol.lstm(x, weights, nodes, grad_out=grad_out) if cell == "lstm" else \
                    tol.gru(x, weights, nodes, "helpers", grad_out=grad_out)
                curve = run["x"][:, 0, 0].abs()
            return nodes.bound(curve[torch.as_tensor(mask)], check=False)
    return bounds


@pytest.mark.parametrize("bias", [-1.0, 2.0])
def test_gated_flow_faces_agree(gated_static, bias):
    step = [s.label for s in gated_static.layout.sliders[0].steps].index(f"{bias:g}")
    curves = slider_curves(gated_static, step)
    widget = GatedFlowWidget(forget_bias=bias, seq_len=100, hidden_size=64, seed=1234, device="cpu")
    static, live = gated_flow(STATIC_BIASES, 100, STATIC_HIDDEN, seed=1234), gated_flow([bias], 100, STATIC_HIDDEN, seed=1234)
    for c, (cell, trace) in enumerate(zip(CELL_NAMES, widget.figure.data)):   # the length-100 traces of the static face
        assert trace.dx == 1
        what = f"{trace.name} at gate bias {bias}"
        assert_draws(curves[1 * len(CELL_NAMES) + c], static.grad_x[cell][STATIC_BIASES.index(bias)], what + ", static face")
        assert_draws(trace.y, live.grad_x[cell][0], what + ", live face")
        assert_same_values(static.grad_x[cell][STATIC_BIASES.index(bias)], live.grad_x[cell][0], _curve_bounds(cell, bias), what)
    assert f"gate bias {bias:.2f}" in widget.figure.layout.title.text


@pytest.mark.parametrize("call, message", [
    (lambda: explore_gated_flow(seed=-3), "seed"),
    (lambda: GatedFlowWidget(forget_bias=12.0, device="cpu"), "forget_bias"),
    (lambda: GatedFlowWidget(seq_len=5000, device="cpu"), "seq_len"),
    (lambda: GatedFlowWidget(hidden_size=100, device="cpu"), "hidden_size"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
