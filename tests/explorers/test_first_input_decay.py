"""Drill 1's explorer: the slider moves the orthogonal curves only, and they are the drill's measure."""
import pytest

from helpers.exercises.drills import first_input_influence, two_layer_rnn
from helpers.explorers.first_input_decay import STATIC_RADII, DecayWidget, decay_networks, explore_first_input_decay, static_decay_figure
from helpers.figures.plots import round_sig


def drawn(values):
    """What the figure draws for a curve: 3 significant figures, a gap (None) for an exact 0."""
    return [r if v > 0 else None for v, r in zip(values, round_sig(values))]


@pytest.fixture(scope="module")
def figure():
    return static_decay_figure(seq_len=30)


def test_slider_has_one_step_per_radius_and_starts_at_one(figure):
    slider, = figure.layout.sliders
    assert [s.label for s in slider.steps] == [f"{r:.1f}" for r in STATIC_RADII]
    assert STATIC_RADII[slider.active] == 1.0


def test_each_step_restyles_the_two_orthogonal_curves_with_the_drill_measure(figure):
    steps = figure.layout.sliders[0].steps
    for radius, step in zip(STATIC_RADII, steps):
        traces, _, indices = step.args
        assert list(indices) == [0, 1]
        _, scaled, x = decay_networks(radius, seq_len=30)
        expected = first_input_influence(two_layer_rnn, scaled, x)
        for got, want in zip(traces["y"], expected):     # the figure's own computation: bit for bit
            assert list(got) == drawn(want)
    assert len({str(s.args[0]["y"]) for s in steps}) == len(STATIC_RADII), "every radius draws other curves"


def test_a_larger_radius_keeps_more_of_the_first_input(figure):
    last = [step.args[0]["y"][0][-1] for step in figure.layout.sliders[0].steps]   # layer 1, last step
    assert all(a < b for a, b in zip(last, last[1:]))


def test_the_default_reference_curves_are_not_touched_by_the_slider(figure):
    default_layer1 = figure.data[2].y
    default, _, x = decay_networks(1.0, seq_len=30)
    assert list(default_layer1) == drawn(first_input_influence(two_layer_rnn, default, x)[0])
    assert figure.data[2].name == "PyTorch default, layer 1"


def test_live_widget_recomputes_for_radius_and_length():
    widget = DecayWidget(seq_len=20)
    before = widget.figure.data[0].y
    widget.controls["radius"].value = 1.5
    assert widget.figure.data[0].y != before
    widget.controls["seq_len"].value = 50
    assert len(widget.figure.data[0].y) == 50 and tuple(widget.figure.layout.xaxis.range) == (1, 50)


def test_the_explorer_uses_the_readers_function():
    calls = []

    def counting(x, params):
        calls.append(1)
        return two_layer_rnn(x, params)
    explore_first_input_decay(counting, seq_len=10)
    assert len(calls) == 4 * len(STATIC_RADII)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        decay_networks(0.0)
    with pytest.raises(ValueError, match="seq_len must be an integer >= 1"):
        decay_networks(1.0, seq_len=0)


@pytest.mark.parametrize("radius", [0.7, 1.2])
def test_decay_faces_agree(radius):
    from helpers.explorers.first_input_decay import DecayWidget
    static = explore_first_input_decay().static_figure
    step = [float(s.label) for s in static.layout.sliders[0].steps].index(radius)
    orthogonal = static.layout.sliders[0].steps[step].args[0]["y"]     # traces 0 and 1
    live = DecayWidget(radius=radius)
    assert [list(t.y) for t in live.figure.data[:2]] == [list(y) for y in orthogonal]
    assert [list(t.y) for t in live.figure.data[2:]] == [list(t.y) for t in static.data[2:]]   # the reference
    assert f"ρ = {radius:.2f}, length 40, on cpu" in live.figure.layout.title.text
