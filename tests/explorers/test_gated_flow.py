"""The RNN/LSTM/GRU gradient explorer works on both faces.

Static face: three traces per length; a slider with a step per precomputed gate bias that really
moves the LSTM and GRU curves (and shows gated_flow's numbers); length buttons that toggle which
traces are visible. Live face: each widget control changes what the figure shows.
"""
import numpy as np
import pytest

from helpers.experiments.gated_flow import CELL_NAMES, gated_flow
from helpers.explorers.gated_flow import (
    MAX_POINTS,
    STATIC_BIASES,
    STATIC_HIDDEN,
    STATIC_LENGTHS,
    GatedFlowWidget,
    explore_gated_flow,
    static_gated_figure,
)
from helpers.figures.plots import encode_for_log_axis, figure_html

from tests.explorers.agreement import assert_same_curves, slider_curves

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
    j = STATIC_BIASES.index(bias)
    shown = figure.layout.sliders[0].steps[j].args[0]["y"][index(length, cell)]
    flow = gated_flow([bias], length, STATIC_HIDDEN, seed=1234)
    expected = np.array(encode_for_log_axis(flow.grad_x[cell][0, :: figure.data[index(length, cell)].dx]))
    normal = expected > 1e-30   # float32 subnormals depend on the batch's rounding; compare the rest
    assert normal.sum() > 10
    np.testing.assert_allclose(np.array(shown)[normal], expected[normal], rtol=2e-3)


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
    flow = gated_flow([3.0], 100, 32, seed=1234)
    np.testing.assert_allclose(after[1], encode_for_log_axis(flow.grad_x["lstm"][0]), rtol=2e-3)
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


@pytest.mark.parametrize("bias", [-1.0, 2.0])
def test_gated_flow_faces_agree(gated_static, bias):
    step = [s.label for s in gated_static.layout.sliders[0].steps].index(f"{bias:g}")
    curves = slider_curves(gated_static, step)
    widget = GatedFlowWidget(forget_bias=bias, seq_len=100, hidden_size=64, seed=1234, device="cpu")
    for c, trace in enumerate(widget.figure.data):      # lengths 20, 100, 1000 in turn, three cells each
        assert_same_curves(trace.y, curves[1 * len(CELL_NAMES) + c], f"{trace.name} at gate bias {bias}")
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
