"""The throughput explorer (helpers/explorers/throughput.py): a width slider over measured runs, its
token axis and fraction-of-peak panel, and a live face that re-measures.

No test asserts a time or a speed: those depend on the machine and its load.
"""
import pytest

from helpers.explorers.throughput import ThroughputWidget, explore_throughput
from helpers.measure.throughput import measure_throughput, measure_widths

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def runs():
    return measure_widths(widths=(8, 16), lengths=(4, 16), nhead=2, batch=1, repeats=1, device="cpu")


def test_static_slider_has_one_step_per_width_and_each_step_moves_the_curves(runs):
    figure = explore_throughput(runs, active=16).static_figure
    slider = figure.layout.sliders[0]
    assert [s.label for s in slider.steps] == ["8", "16"]
    assert slider.active == 1
    assert [list(t.y) for t in figure.data] == slider.steps[1].args[0]["y"]      # the shown curves are that step's
    assert slider.steps[0].args[0]["y"] != slider.steps[1].args[0]["y"]
    assert "d_model 8" in slider.steps[0].args[1]["title.text"]
    assert figure.layout.xaxis.type == figure.layout.yaxis.type == "log"
    assert "caption" in figure.layout.meta and "alt" in figure.layout.meta


def test_explorer_rejects_mismatched_runs(runs):
    with pytest.raises(ValueError, match="active"):
        explore_throughput(runs, active=32)
    with pytest.raises(ValueError, match="runs"):
        explore_throughput({})
    with pytest.raises(ValueError, match="same lengths"):
        explore_throughput({8: runs[8], 16: measure_throughput((4,), 16, 2, 1, "forward", 1, "cpu")})


def test_live_widget_remeasures_when_the_mode_or_width_changes(runs):
    widget = ThroughputWidget(runs[8])
    widget.controls["mode"].value = "training step"
    assert widget.figure.layout.title.text.startswith("Training step")
    widget.controls["d_model"].value = 32
    assert "d_model 32" in widget.figure.layout.title.text
    assert WIDGET_VIEW in widget._repr_mimebundle_()


def test_log_axis_ticks_read_as_tokens_per_second(runs):
    from helpers.explorers.throughput import _short
    assert [_short(v) for v in (500, 20_000, 5_000_000, 1e9)] == ["500", "20k", "5M", "1G"]
    axis = explore_throughput(runs, active=8).static_figure.layout.yaxis
    assert list(axis.ticktext[:3]) == ["100", "200", "500"] and len(axis.tickvals) == len(axis.ticktext)


def test_static_figure_has_a_fraction_of_peak_panel_and_error_bars(runs):
    figure = explore_throughput(runs, active=8).static_figure
    assert len(figure.data) == 4 and figure.layout.yaxis2.ticksuffix == "%"
    assert figure.data[0].error_y.array is not None and figure.data[2].yaxis == "y2"
    step = figure.layout.sliders[0].steps[1]
    assert len(step.args[0]["error_y"]) == 4 and len(step.args[0]["y"]) == 4
    assert list(figure.data[2].y) == figure.layout.sliders[0].steps[0].args[0]["y"][2]   # the shown width is step 0
