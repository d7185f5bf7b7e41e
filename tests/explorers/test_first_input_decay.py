"""Drill 1's explorer: the static face draws the drill's measure with the reference, the live face with the reader's
function; the page's computation for any radius and length is tests/explorers/test_first_input_decay_page.py's."""
import pytest

from helpers.exercises.drills import first_input_influence, two_layer_rnn
from helpers.explorers.first_input_decay import DecayWidget, decay_networks, explore_first_input_decay, static_decay_figure
from helpers.figures.plots import round_sig


def drawn(values):
    """What the figure draws for a curve: 3 significant figures, a gap (None) for an exact 0."""
    return [r if v > 0 else None for v, r in zip(values, round_sig(values))]


@pytest.fixture(scope="module")
def figure():
    return static_decay_figure(seq_len=30)


def test_the_static_figure_draws_the_reference_at_radius_one(figure):
    assert not figure.layout.sliders        # the page's own controls move it (test_first_input_decay_page.py)
    default, scaled, x = decay_networks(1.0, seq_len=30)
    for got, want in zip(figure.data[:2], first_input_influence(two_layer_rnn, scaled, x)):   # bit for bit
        assert list(got.y) == drawn(want)
    for got, want in zip(figure.data[2:], first_input_influence(two_layer_rnn, default, x)):
        assert list(got.y) == drawn(want)
    assert figure.data[2].name == "PyTorch default, layer 1" and "ρ = 1.00" in figure.layout.title.text


def test_a_larger_radius_keeps_more_of_the_first_input():
    last = []
    for radius in (0.5, 0.7, 0.9, 1.1, 1.3, 1.5):
        _, scaled, x = decay_networks(radius, seq_len=40)
        last.append(first_input_influence(two_layer_rnn, scaled, x)[0][-1])    # layer 1, last step
    assert all(a < b for a, b in zip(last, last[1:]))


def test_live_widget_recomputes_for_radius_and_length():
    widget = DecayWidget(seq_len=20)
    before = widget.figure.data[0].y
    widget.controls["radius"].value = 1.5
    assert widget.figure.data[0].y != before
    widget.controls["seq_len"].value = 50
    assert len(widget.figure.data[0].y) == 50 and tuple(widget.figure.layout.xaxis.range) == (1, 50)


def test_the_live_face_uses_the_readers_function_and_the_page_the_reference():
    calls = []

    def counting(x, params):
        calls.append(1)
        return two_layer_rnn(x, params)
    explorer = explore_first_input_decay(counting, seq_len=10)
    assert calls == []
    pytest.importorskip("ipywidgets")
    explorer._make_live()
    assert len(calls) == 4                  # two networks, each on x and on x with x_1 negated


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="radius must be a finite number > 0"):
        decay_networks(0.0)
    with pytest.raises(ValueError, match="seq_len must be an integer >= 1"):
        decay_networks(1.0, seq_len=0)


@pytest.mark.parametrize("radius", [0.7, 1.2])
def test_decay_faces_agree(radius):
    static = static_decay_figure(radius=radius)
    live = DecayWidget(radius=radius)
    assert [list(t.y) for t in live.figure.data] == [list(t.y) for t in static.data]
    assert f"ρ = {radius:.2f}, length 40, on cpu" in live.figure.layout.title.text
