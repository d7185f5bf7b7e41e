"""The live faces of the explorers: the curves of the website's face at the same setting, no room
kept for the website's slider and buttons, and a line that says what was recomputed, where.

The static face is computed once for a grid of values (its slider restyles the curves); the live
face recomputes one value with PyTorch when a control moves. Both draw values rounded to three
significant figures (helpers.plots.encode_for_log_axis), so they agree to within one unit in the
third figure; the floor (an exact 0) and the ceiling (inf) must coincide exactly.
"""
import numpy as np
import pytest

import helpers
from helpers.gradient_explorer import GradientFlowWidget
from helpers.gated_explorer import CELL_NAMES, GatedFlowWidget

pytest.importorskip("ipywidgets")
DRAWN_DIGITS = 1.01e-2      # one unit in the third significant figure, relative


def slider_curves(figure, step):
    """The y of every trace once the static face's slider is moved to `step`."""
    return figure.layout.sliders[0].steps[step].args[0]["y"]


def assert_same_curves(live, static, what):
    live, static = np.asarray(live, dtype=float), np.asarray(static, dtype=float)
    assert live.shape == static.shape, what
    floor, ceiling = static.min(), static.max()
    assert np.array_equal(live == floor, static == floor) and np.array_equal(live == ceiling, static == ceiling), what
    assert np.allclose(live, static, rtol=DRAWN_DIGITS, atol=0), what


@pytest.fixture(scope="module")
def gradient_static():
    return helpers.explore_gradient_flow(seed=0).static_figure


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.5])
def test_gradient_flow_faces_agree(gradient_static, radius):
    steps = [float(s.label) for s in gradient_static.layout.sliders[0].steps]
    step = steps.index(radius)
    curves = slider_curves(gradient_static, step)
    widget = GradientFlowWidget(radius=radius, seq_len=100, init="all", hidden_size=64, dtype="float32",
                                seed=0, device="cpu")
    for i, trace in enumerate(widget.figure.data):      # lengths 20, 100, 1000 in turn, four inits each
        assert_same_curves(trace.y, curves[1 * 4 + i], f"{trace.name} at |W_h| = {radius}")
    assert f"|W_h| = {radius:.2f}" in widget.figure.layout.title.text and "on cpu" in widget.figure.layout.title.text


@pytest.fixture(scope="module")
def gated_static():
    return helpers.explore_gated_flow(seed=1234).static_figure


@pytest.mark.parametrize("bias", [-1.0, 2.0])
def test_gated_flow_faces_agree(gated_static, bias):
    step = [s.label for s in gated_static.layout.sliders[0].steps].index(f"{bias:g}")
    curves = slider_curves(gated_static, step)
    widget = GatedFlowWidget(forget_bias=bias, seq_len=100, hidden_size=64, seed=1234, device="cpu")
    for c, trace in enumerate(widget.figure.data):      # lengths 20, 100, 1000 in turn, three cells each
        assert_same_curves(trace.y, curves[1 * len(CELL_NAMES) + c], f"{trace.name} at gate bias {bias}")
    assert f"gate bias {bias:.2f}" in widget.figure.layout.title.text


@pytest.mark.parametrize("make", [lambda: GradientFlowWidget(device="cpu"), lambda: GatedFlowWidget(device="cpu")])
def test_live_faces_keep_no_room_for_the_static_controls(make):
    layout = make().figure.layout
    assert layout.sliders == () and layout.updatemenus == ()
    assert layout.margin.t <= 100 and layout.margin.b <= 70     # the static face's 150 px bands are gone


def test_the_recompute_line_names_the_work_the_device_and_the_time():
    from helpers.explorers import RecomputeLine
    line = RecomputeLine("cpu")
    with line.running("4 curves of length 100"):
        assert line.widget.value == "<i>Recomputing 4 curves of length 100 on cpu…</i>"   # shown while it runs
    assert line.widget.value.startswith("Recomputed 4 curves of length 100 with PyTorch on cpu in ")
    assert line.last_s is not None and line.last_s >= 0
    with pytest.raises(ValueError, match="hidden_size"):
        with line.running("one curve"):
            raise ValueError("hidden_size must be one of (16, 32), got 7")
    assert line.widget.value == "<b>Could not recompute one curve</b>: hidden_size must be one of (16, 32), got 7"


def test_the_gradient_and_gated_explorers_say_what_they_recomputed():
    widget = GradientFlowWidget(device="cpu")
    assert "with PyTorch on cpu in" in widget.status.widget.value and widget.status.widget in widget.view.children
    widget.controls["seq_len"].value = 50
    assert "of length 50 with PyTorch on cpu" in widget.status.widget.value
    gated = GatedFlowWidget(device="cpu")
    assert "three cells over 100 steps with PyTorch on cpu" in gated.status.widget.value


@pytest.mark.parametrize("radius", [0.7, 1.2])
def test_decay_faces_agree(radius):
    from helpers.decay_explorer import DecayWidget
    static = helpers.explore_first_input_decay().static_figure
    step = [float(s.label) for s in static.layout.sliders[0].steps].index(radius)
    orthogonal = static.layout.sliders[0].steps[step].args[0]["y"]     # traces 0 and 1
    live = DecayWidget(radius=radius)
    assert [list(t.y) for t in live.figure.data[:2]] == [list(y) for y in orthogonal]
    assert [list(t.y) for t in live.figure.data[2:]] == [list(t.y) for t in static.data[2:]]   # the reference
    assert f"ρ = {radius:.2f}, length 40, on cpu" in live.figure.layout.title.text


@pytest.mark.parametrize("half_width", [2, 8])
def test_local_attention_faces_agree(half_width):
    from helpers.local_attention import LocalAttentionWidget, static_local_figure
    static = static_local_figure(src_len=40, half_width=4, seed=0, half_widths=(2, 4, 8))
    step = [int(s.label) for s in static.layout.sliders[0].steps].index(half_width)
    traces, layout = static.layout.sliders[0].steps[step].args
    live = LocalAttentionWidget(src_len=40, half_width=half_width, seed=0)
    assert [list(t.y) for t in live.figure.data] == [list(y) for y in traces["y"]]
    assert [s.to_plotly_json() for s in live.figure.layout.shapes] == layout["shapes"]


def test_measured_explorers_open_on_the_measurement_the_static_face_shows():
    """The bottleneck, score-time and throughput faces draw the chapter's own measurement first."""
    from helpers.bottleneck_explorer import BottleneckWidget, explore_bottleneck
    from helpers.timing import sequential_bottleneck
    timings = sequential_bottleneck((8, 32), hidden_size=16, repeats=1, device="cpu")
    static = explore_bottleneck(timings, hidden_sizes=(8,)).static_figure
    active = static.layout.sliders[0].steps[static.layout.sliders[0].active].args[0]["y"]
    live = BottleneckWidget(timings)
    assert [list(t.y) for t in live.figure.data] == [list(y) for y in active]
    assert live.figure.layout.sliders == () and live.figure.layout.margin.t <= 100
