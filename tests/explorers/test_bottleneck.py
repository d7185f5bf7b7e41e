"""The bottleneck explorer: a hidden-size slider on the site, live re-measurement in a kernel."""
import pytest

from helpers.explorers.bottleneck import BottleneckWidget, explore_bottleneck
from helpers.measure.bottleneck import sequential_bottleneck

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def timings():
    return sequential_bottleneck((8, 32), hidden_size=16, repeats=1, device="cpu")


def test_slider_has_one_step_per_hidden_size_and_each_step_moves_the_curves(timings):
    figure = explore_bottleneck(timings, hidden_sizes=(8, 64)).static_figure
    steps = figure.layout.sliders[0].steps
    assert [s.label for s in steps] == ["8", "16", "64"]
    assert figure.layout.sliders[0].active == 1                       # starts at the measured size
    assert list(figure.data[0].y) == steps[1].args[0]["y"][0]        # the shown curve is that step's
    assert steps[0].args[0]["y"] != steps[2].args[0]["y"]
    assert "hidden size 64" in steps[2].args[1]["title.text"]


def test_live_widget_remeasures_when_the_hidden_size_changes(timings):
    widget = BottleneckWidget(timings)
    before = [list(t.y) for t in widget.figure.data]
    widget.controls["hidden_size"].value = 128
    assert "hidden size 128" in widget.figure.layout.title.text
    assert [list(t.y) for t in widget.figure.data] != before
    assert WIDGET_VIEW in widget._repr_mimebundle_()


def test_bad_hidden_size_is_a_clear_error(timings):
    with pytest.raises(ValueError, match="hidden_sizes"):
        explore_bottleneck(timings, hidden_sizes=(0,))


def test_static_figure_shows_time_and_fraction_of_peak_and_the_slider_moves_both(timings):
    figure = explore_bottleneck(timings, hidden_sizes=(8,)).static_figure
    assert len(figure.data) == 4 and figure.data[2].yaxis == "y2" and figure.layout.yaxis2.ticksuffix == "%"
    steps = figure.layout.sliders[0].steps
    assert list(figure.data[2].y) == steps[1].args[0]["y"][2]            # the shown fraction is the active step's
    assert len(steps[0].args[0]["error_y"]) == 4
    assert figure.data[0].error_y.visible and not figure.data[2].error_y.visible
    assert "caption" in figure.layout.meta and "alt" in figure.layout.meta


def test_measured_explorers_open_on_the_measurement_the_static_face_shows():
    """The bottleneck, score-time and throughput faces draw the chapter's own measurement first."""
    from helpers.explorers.bottleneck import BottleneckWidget, explore_bottleneck
    from helpers.measure.bottleneck import sequential_bottleneck
    timings = sequential_bottleneck((8, 32), hidden_size=16, repeats=1, device="cpu")
    static = explore_bottleneck(timings, hidden_sizes=(8,)).static_figure
    active = static.layout.sliders[0].steps[static.layout.sliders[0].active].args[0]["y"]
    live = BottleneckWidget(timings)
    assert [list(t.y) for t in live.figure.data] == [list(y) for y in active]
    assert live.figure.layout.sliders == () and live.figure.layout.margin.t <= 100
