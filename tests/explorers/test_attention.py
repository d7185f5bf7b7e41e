"""The attention-heatmap explorer (helpers/explorers/attention.py): rows that are distributions, a
slider and buttons over examples and models, a live face that agrees with the static one, and bad
input (the cliff explorer's too)."""
import pytest

from helpers.experiments.seq2seq_training import train_seq2seq
from helpers.explorers.attention import explore_attention, read_attention
from helpers.explorers.cliff import explore_cliff
from tests import tolerances as tol


@pytest.fixture(scope="module")
def attention_runs():
    return {k: train_seq2seq(8, k, max_len=5, steps=20, batch=16, progress=False) for k in ("dot", "additive")}


def test_heatmap_rows_are_distributions_and_end_at_eos(attention_runs):
    sources, outputs, rows = read_attention(attention_runs["dot"], "1 2 3")
    assert len(sources) == 3 and len(rows) == len(outputs) <= 4
    # each shown weight is the float32 weight rounded to 3 decimals (0.5e-3, and 2 float32 roundings); the float32
    # weights sum to 1 within their softmax's rounding: per weight at most u |d| + 20-ulp exp + the sum and the division,
    # under 400 u with |d| <= 88 (exp underflows below), u = 2^-24
    u = 2.0 ** -24
    for r in rows:
        tol.assert_within(sum(r), 1.0, len(r) * (0.5e-3 + 2 * u) + 400 * u, "3-decimal rounding and the float32 softmax",
                          "sum of a heatmap row")


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
