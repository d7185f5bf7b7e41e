"""The score-timing explorer (helpers/explorers/score_times.py): a hidden-size slider that moves every
curve, and a live face that re-measures."""
import pytest

from helpers.explorers.score_times import ScoreTimeWidget, explore_score_times
from helpers.measure.score_costs import measure_score_times

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def timings():
    return measure_score_times((8, 16), hidden_size=16, tgt_len=4, repeats=1, device="cpu")


def test_explorer_slider_moves_every_curve(timings):
    fig = explore_score_times(timings, hidden_sizes=(8, 32)).static_figure
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["8", "16", "32"] and fig.layout.sliders[0].active == 1
    assert len(fig.data) == 4 and len(steps[0].args[0]["y"]) == 4
    assert list(fig.data[0].y) == steps[1].args[0]["y"][0]
    assert "hidden size 32" in steps[2].args[1]["title.text"]
    reused = explore_score_times(timings, hidden_sizes=(), measured={8: timings}).static_figure
    assert [s.label for s in reused.layout.sliders[0].steps] == ["8", "16"]


def test_live_widget_remeasures(timings):
    widget = ScoreTimeWidget(timings)
    widget.controls["hidden_size"].value = 64
    assert "hidden size 64" in widget.figure.layout.title.text
    assert WIDGET_VIEW in widget._repr_mimebundle_()


@pytest.mark.parametrize("call, message", [
    (lambda: explore_score_times(None, hidden_sizes=(0,)), "hidden_sizes"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
