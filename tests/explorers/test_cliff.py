"""The accuracy-cliff explorer (helpers/explorers/cliff.py): a slider step per context size that moves
the curves, and a live face that trains a model and adds its curve."""
from helpers.experiments.seq2seq_training import accuracy_by_length
from helpers.explorers.cliff import explore_cliff


def test_cliff_slider_has_a_step_per_context_size_and_moves_the_curves(runs):
    results = {h: accuracy_by_length(run, (1, 3, 5), n=20) for h, run in runs.items()}
    figure = explore_cliff(runs, results, active_hidden=8).static_figure
    steps = figure.layout.sliders[0].steps
    assert [s.label for s in steps] == ["8", "16"]
    assert steps[0].args[0]["y"][0] == [round(100 * v, 1) for v in results[8].token_accuracy]
    assert list(figure.data[0].y) == steps[0].args[0]["y"][0]
    assert "context of 16" in steps[1].args[1]["title.text"]


def test_live_cliff_widget_trains_and_adds_a_curve(runs):
    results = {h: accuracy_by_length(run, (1, 3), n=10) for h, run in runs.items()}
    widget = explore_cliff(runs, results)._make_live()
    widget.controls["steps"].value = 100
    widget.controls["attention"].value = "dot"
    before = len(widget.figure.data)
    widget.train()
    assert len(widget.figure.data) == before + 1
    assert "dot attention" in widget.figure.data[-1].name
