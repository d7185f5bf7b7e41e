"""The attention-heatmap explorer (helpers/explorers/attention.py): rows that are distributions, one
heatmap per model on the first example (the page's own decoder and controls are tested in
test_attention_page.py), a live face that agrees with the static one, and bad input (the cliff
explorer's too)."""
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


def test_attention_explorer_figure_and_live_face(attention_runs):
    explorer = explore_attention(attention_runs, ["1 2", "1 2 3 4"])
    fig = explorer.static_figure
    assert [t.name for t in fig.data] == ["dot", "additive"] and [t.visible for t in fig.data] == [True, False]
    assert fig.layout.sliders == () and fig.layout.updatemenus == ()     # the page's native controls replace them
    assert [len(t.z[0]) for t in fig.data] == [2, 2] and explorer.spec["examples"] == ["1 2", "1 2 3 4"]
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
    static_z = explorer.static_figure.data[0].z     # the first model
    live = explorer._make_live()
    assert [list(row) for row in live.figure.data[0].z] == [list(row) for row in static_z]
    assert live.output.value.startswith("output: ") and live.figure.layout.updatemenus == ()
