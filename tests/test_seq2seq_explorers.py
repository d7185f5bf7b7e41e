"""The accuracy-cliff and attention-heatmap explorers: static faces, live faces, bad input."""
import pytest

from helpers.attention_explorer import explore_attention, read_attention
from helpers.cliff_explorer import accuracy_figure, explore_cliff
from helpers.seq2seq_training import accuracy_by_length, train_seq2seq


@pytest.fixture(scope="module")
def runs():
    return {h: train_seq2seq(h, None, max_len=5, steps=20, batch=16, progress=False) for h in (8, 16)}


@pytest.fixture(scope="module")
def attention_runs():
    return {k: train_seq2seq(8, k, max_len=5, steps=20, batch=16, progress=False) for k in ("dot", "additive")}


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


def test_accuracy_figure_shares_the_axes(runs):
    results = {f"{h}": accuracy_by_length(run, (1, 2), n=10) for h, run in runs.items()}
    fig = accuracy_figure(results, "t")
    assert len(fig.data) == 2 and tuple(fig.layout.yaxis.range) == (0, 102)
    # the legend sits under the plot, clear of the title (above the plot it overlapped a long title)
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"


def test_heatmap_rows_are_distributions_and_end_at_eos(attention_runs):
    sources, outputs, rows = read_attention(attention_runs["dot"], "1 2 3")
    assert len(sources) == 3 and len(rows) == len(outputs) <= 4
    assert all(abs(sum(r) - 1) < 0.01 for r in rows)


def test_attention_explorer_slider_and_buttons(attention_runs):
    explorer = explore_attention(attention_runs, ["1 2", "1 2 3 4"])
    fig = explorer.static_figure
    assert [s.label for s in fig.layout.sliders[0].steps] == ["2", "4"]
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["dot", "additive"]
    assert len(fig.layout.sliders[0].steps[1].args[0]["z"][0][0]) == 4
    widget = explorer._make_live()
    widget.controls["source"].value = "5 5 5 5 5 5"
    assert len(widget.figure.data[0].z[0]) == 6
    widget.controls["source"].value = "5 x"            # the reader's typo: said on the line, the figure kept
    assert widget.status.widget.value.startswith("<b>Could not recompute the weights of dot for that source</b>: ")
    assert len(widget.figure.data[0].z[0]) == 6


def test_bad_input(runs, attention_runs):
    with pytest.raises(ValueError, match="no attention"):
        read_attention(runs[8], "1 2")
    with pytest.raises(ValueError, match="no attention"):
        explore_attention({"plain": runs[8]}, ["1"])
    with pytest.raises(ValueError, match="same context sizes"):
        explore_cliff(runs, {})


def test_attention_faces_agree_on_the_first_example(attention_runs):
    explorer = explore_attention(attention_runs, ["3 1 4", "1 5 9 2"])
    static_z = explorer.static_figure.layout.sliders[0].steps[0].args[0]["z"][0]     # the first model
    live = explorer._make_live()
    assert [list(row) for row in live.figure.data[0].z] == [list(row) for row in static_z]
    assert live.output.value.startswith("output: ") and live.figure.layout.updatemenus == ()
