"""The gradient-flow explorer works on both of its faces.

Static face (the website): one figure with a |W_h| slider and length buttons over precomputed
curves; the slider must really move the curves, every length must have its button, and the curves
must be the ones gradient_flow computes. Live face (Jupyter): ipywidgets controls that recompute
on every change; each control must change what the figure shows.
"""
import numpy as np
import pytest
import torch

from helpers.experiments.gradient_flow import _input_side, _recurrent_bases, gradient_flow
from helpers.explorers.gradient_flow import (
    MAX_POINTS,
    STATIC_HIDDEN,
    STATIC_LENGTHS,
    STATIC_RADII,
    GradientFlowWidget,
    explore_gradient_flow,
    static_gradient_figure,
)
from helpers.figures.plots import LIMITS, figure_html
from helpers.models.inits import INITS

from tests import tolerances as tol
from tests.explorers.agreement import assert_draws, assert_same_values, slider_curves

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def explorer():
    return explore_gradient_flow(seed=0, device="cpu")


@pytest.fixture(scope="module")
def figure(explorer):
    return explorer.static_figure


def trace_index(length, init):
    """Traces are laid out length by length, and init by init inside each length."""
    return sorted(STATIC_LENGTHS).index(length) * len(INITS) + INITS.index(init)


def spans(trace, seq_len):
    """The trace's points, x0 + k*dx, start at step 0 and reach the last step's neighbourhood."""
    n, dx = len(trace.y), trace.dx
    return trace.x0 == 0 and dx * (n - 1) <= seq_len - 1 < dx * n


# --- the two faces -----------------------------------------------------------------------------

def test_mimebundle_has_the_static_html_and_the_widget_view(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "text/html" in bundle and WIDGET_VIEW in bundle
    html = bundle["text/html"]
    assert html.lstrip().startswith('<figure class="course-figure">') and 'id="fig-' in html
    assert "<figcaption>" in html and 'role="img" aria-label="Line chart' in html
    assert "sliders" in html and "updatemenus" in html
    assert "cdn.plot.ly" not in html and len(html) < 2_000_000, "plotly.js is loaded once by the site, not per figure"
    assert explorer._repr_mimebundle_()["text/html"] == html


def test_static_html_is_identical_when_the_book_is_rebuilt(figure):
    again = explore_gradient_flow(seed=0).static_figure
    assert figure_html(again) == figure_html(figure)
    assert figure_html(explore_gradient_flow(seed=1).static_figure) != figure_html(figure)


@pytest.fixture(scope="module")
def gradient_static():
    return explore_gradient_flow(seed=0).static_figure


def _curve_bounds(init, radius, seq_len=100, hidden=STATIC_HIDDEN, seed=0):
    """bounds(mask) for tests.explorers.agreement: ||dL/dh_t|| of gradient_flow's float32 run, first order."""
    def bounds(mask):
        bases, natural = _recurrent_bases(hidden, INITS, seed)
        as32 = lambda t: t.to(torch.float32).to(torch.float64)      # the data as gradient_flow runs them
        w_hh = as32(bases[INITS.index(init)] * (radius / natural[init]))
        w_ih, inputs, readout = (as32(t) for t in _input_side(hidden, 1, seq_len, seed))
        zero = torch.zeros(hidden, dtype=torch.float64)
        grad_out = torch.zeros(seq_len, 1, hidden, dtype=torch.float64)
        grad_out[-1, 0] = readout
        with torch.enable_grad():
            nodes = tol.Nodes(torch.float32)
            run = tol.tanh_rnn(inputs.reshape(seq_len, 1, 1), (w_ih, w_hh, zero, zero), nodes, grad_out=grad_out)
            curve = tol.vector_norm(nodes, run["h_grad"][:, 0])      # norms taken in float64
            return nodes.bound(curve[torch.as_tensor(mask)], check=False)
    return bounds


@pytest.mark.parametrize("radius", [0.5, 1.0, 1.5])
def test_gradient_flow_faces_agree(gradient_static, radius):
    steps = [float(s.label) for s in gradient_static.layout.sliders[0].steps]
    step = steps.index(radius)
    curves = slider_curves(gradient_static, step)
    widget = GradientFlowWidget(radius=radius, seq_len=100, init="all", hidden_size=64, dtype="float32",
                                seed=0, device="cpu")
    static, live = gradient_flow(STATIC_RADII, INITS, 100, STATIC_HIDDEN, seed=0), gradient_flow([radius], INITS, 100, 64, seed=0)
    for i, trace in enumerate(widget.figure.data):      # the length-100 traces of the static face, four inits
        assert trace.dx == 1
        what = f"{trace.name} at |W_h| = {radius}"
        assert_draws(curves[1 * 4 + i], static.grad_h[i, step], what + ", static face")
        assert_draws(trace.y, live.grad_h[i, 0], what + ", live face")
        assert_same_values(static.grad_h[i, step], live.grad_h[i, 0], _curve_bounds(INITS[i], radius), what)
    assert f"|W_h| = {radius:.2f}" in widget.figure.layout.title.text and "on cpu" in widget.figure.layout.title.text


# --- the static figure -------------------------------------------------------------------------

def test_static_figure_has_a_trace_per_init_and_length(figure):
    assert len(figure.data) == len(INITS) * len(STATIC_LENGTHS)
    for length in STATIC_LENGTHS:
        for init in INITS:
            trace = figure.data[trace_index(length, init)]
            assert trace.name.startswith(init)
            assert spans(trace, length), f"{init} at length {length} does not cover the sequence"
            assert len(trace.y) <= MAX_POINTS
    visible = [t.visible for t in figure.data]
    assert visible == [L == max(STATIC_LENGTHS) for L in sorted(STATIC_LENGTHS) for _ in INITS]


def test_slider_has_a_step_per_radius(figure):
    (slider,) = figure.layout.sliders
    assert len(slider.steps) >= 20
    assert [step.label for step in slider.steps] == [f"{r:.1f}" for r in STATIC_RADII]
    assert STATIC_RADII[slider.active] == 1.0   # np.round(., 2) of 0.1 k gives the double nearest k / 10
    for step in slider.steps:
        assert step.method == "restyle"
        assert len(step.args[0]["y"]) == len(step.args[0]["name"]) == len(figure.data)


def test_slider_shows_the_active_step_and_moving_it_changes_the_curves(figure):
    steps = figure.layout.sliders[0].steps
    active = figure.layout.sliders[0].active
    assert [list(y) for y in steps[active].args[0]["y"]] == [list(t.y) for t in figure.data]
    for j in range(len(steps) - 1):
        here, there = steps[j].args[0]["y"], steps[j + 1].args[0]["y"]
        assert all(list(a) != list(b) for a, b in zip(here, there)), f"radius step {j} -> {j + 1} leaves a curve as is"


def test_one_length_button_per_length_showing_only_its_traces(figure):
    (menu,) = figure.layout.updatemenus
    assert len(menu.buttons) == len(STATIC_LENGTHS)
    for button, length in zip(menu.buttons, sorted(STATIC_LENGTHS)):
        assert str(length) in button.label
        visible, layout = button.args
        shown = [i for i, v in enumerate(visible["visible"]) if v]
        assert shown == [trace_index(length, init) for init in INITS]
        assert list(layout["xaxis.range"]) == [0, length - 1]


@pytest.mark.parametrize("radius, init, length", [(0.8, "xavier", 100), (0.7, "orthogonal", 1000), (0.3, "default", 20)])
def test_slider_curves_are_gradient_flow_curves(figure, radius, init, length):
    j = int(np.argmin(np.abs(STATIC_RADII - radius)))
    k = trace_index(length, init)
    shown = figure.layout.sliders[0].steps[j].args[0]["y"][k]
    curve = gradient_flow(STATIC_RADII, INITS, length, STATIC_HIDDEN, seed=0).grad_h[INITS.index(init), j]   # the face's call
    assert_draws(shown, curve[:: figure.data[k].dx], f"{init} at |W_h| = {radius}, length {length}")


def test_static_figure_of_a_custom_grid():
    flows = {L: gradient_flow([0.5, 1.5], ("identity", "orthogonal"), L, 8) for L in (30, 500)}
    fig = static_gradient_figure(flows, active_radius=1.4)
    assert len(fig.data) == 4 and len(fig.layout.sliders[0].steps) == 2
    assert fig.layout.sliders[0].active == 1
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["length 30", "length 500"]
    assert spans(fig.data[2], 500) and spans(fig.data[0], 30)


# --- the live widget ---------------------------------------------------------------------------

@pytest.fixture
def widget():
    return GradientFlowWidget(radius=1.0, seq_len=100, init="all", hidden_size=64, seed=0, device="cpu")


def ys(widget):
    return [list(t.y) for t in widget.figure.data]


def test_widget_view_is_a_widget(widget):
    bundle = widget._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    assert set(widget.controls) == {"radius", "seq_len", "init", "hidden_size", "dtype"}


def test_radius_control_redraws_the_curves(widget):
    before = ys(widget)
    widget.controls["radius"].value = 0.5
    after = ys(widget)
    assert all(a != b for a, b in zip(after, before)), "every init's curve must move"
    flow = gradient_flow([0.5], INITS, 100, 64, seed=0)    # the widget's own call: bit for bit
    for i, trace in enumerate(widget.figure.data):
        assert trace.visible and trace.name.startswith(INITS[i])
        assert_draws(trace.y, flow.grad_h[i, 0, :: trace.dx], INITS[i])
    assert "0.50" in widget.figure.layout.title.text


def test_seq_len_control_changes_the_x_range_and_the_curves(widget):
    widget.controls["seq_len"].value = 300
    assert list(widget.figure.layout.xaxis.range) == [0, 299]
    for trace in widget.figure.data:
        assert spans(trace, 300) and len(trace.y) <= MAX_POINTS
    widget.controls["seq_len"].value = 20
    assert list(widget.figure.layout.xaxis.range) == [0, 19]
    assert all(len(t.y) == 20 and t.dx == 1 for t in widget.figure.data)


def test_hidden_size_control_recomputes_at_that_size(widget):
    before = ys(widget)
    widget.controls["hidden_size"].value = 128
    assert "hidden 128" in widget.figure.layout.title.text
    assert all(a != b for a, b in zip(ys(widget), before))
    flow = gradient_flow([1.0], INITS, 100, 128, seed=0)
    for i, trace in enumerate(widget.figure.data):
        assert_draws(trace.y, flow.grad_h[i, 0, :: trace.dx], INITS[i])


def test_init_control_shows_only_the_chosen_init(widget):
    widget.controls["init"].value = "orthogonal"
    assert [t.visible for t in widget.figure.data] == [i == "orthogonal" for i in INITS]
    widget.controls["init"].value = "all"
    assert all(t.visible for t in widget.figure.data)


def test_widget_built_for_one_init_keeps_showing_it():
    widget = GradientFlowWidget(init="orthogonal", seq_len=50, hidden_size=16, device="cpu")
    widget.controls["radius"].value = 0.5
    visible = [t for t in widget.figure.data if t.visible is not False]
    assert len(visible) == 1 and visible[0].name.startswith("orthogonal")
    flow = gradient_flow([0.5], "orthogonal", 50, 16, seed=0)
    assert_draws(visible[0].y, flow.grad_h[0, 0], "orthogonal")


def test_precision_control_float64():
    widget = GradientFlowWidget(seq_len=50, hidden_size=16, device="cpu")
    widget.controls["dtype"].value = "float64"
    assert "float64" in widget.figure.layout.title.text


def test_static_figure_draws_a_float64_underflow_below_every_real_gradient():
    flow = gradient_flow([0.05], "orthogonal", 400, 8, dtype=torch.float64)
    assert flow.underflow_step[0, 0] >= 0, "radius 0.05 over 400 steps should underflow float64"
    fig = static_gradient_figure({400: flow}, active_radius=0.05)
    y = np.asarray(fig.data[0].y, dtype=float)   # every point: the curve has 400 steps
    floor = LIMITS["float64"][0]
    real = y[y != floor]
    assert (y == floor).any() and real.min() > floor
