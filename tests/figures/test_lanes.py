"""The lanes figure (helpers/figures/lanes.py): its traces in the order the explorer restyles them,
log axes, a caption and alt text."""
import pytest

from helpers.figures.lanes import MOVING, TRACES, lanes_figure


@pytest.fixture(scope="module")
def figure():
    lengths, work = [16, 64, 256], [10.0, 1e3]
    curves = {"LSTM": ([1.0, 2.0, 3.0], [1.5, 2.5, 3.5]), "Transformer layer": ([0.5, 2.0, 9.0], [0.6, 2.1, 9.1]),
              "crossover": ([64.0, 64.0], [0.5, 9.1]), "step": [0.1, 0.2]}
    measured = {"LSTM": ([16, 64], [1.1, 2.2], [1.0, 2.0], [1.2, 2.4]),
                "Transformer layer": ([16, 64], [0.6, 2.1], [0.5, 2.0], [0.7, 2.3])}
    steps = ([32.0, 1e3], [1e-6, 2e-5], [0.9e-6, 1.9e-5], [1.1e-6, 2.1e-5], ["t", "d 8"])
    published = {"P100": ([1e7], [3e-5], ["hidden 256"], work, [3e-5, 3e-5]),
                 "V100": ([1e7], [2e-5], ["hidden 256"], work, [2e-5, 2e-5])}
    return lanes_figure(curves, lengths, work, measured, steps, published, "title", "16", "cpu")


def test_traces_sit_where_the_explorer_restyles_them(figure):
    names = [t.name for t in figure.data]
    assert names[TRACES["LSTM"][0]] == "LSTM, model" and names[TRACES["Transformer layer"][0]] == "Transformer layer, model"
    assert figure.data[TRACES["LSTM"][1]].fill == "tonexty" and figure.data[TRACES["Transformer layer"][1]].fill == "tonexty"
    assert [t.mode for t in (figure.data[i] for i in TRACES["measured"])] == ["markers", "markers"]
    assert names[TRACES["crossover"]] == "where they change places" and names[TRACES["step"]] == "LSTM step, model at P lanes"
    assert MOVING == (*TRACES["LSTM"], *TRACES["Transformer layer"], TRACES["crossover"], TRACES["step"])
    assert len(figure.data) == 9 + 2 * 2          # + each GPU's points and its model line


def test_axes_are_logarithmic_and_the_figure_says_what_it_shows(figure):
    layout = figure.layout
    assert layout.xaxis.type == layout.yaxis.type == layout.xaxis2.type == layout.yaxis2.type == "log"
    assert "P parallel lanes" in layout.meta["caption"] and "DeepBench" in layout.meta["caption"]
    assert len(layout.meta["alt"]) > 100


def test_error_bars_span_the_middle_half(figure):
    lstm = figure.data[TRACES["measured"][0]]
    assert list(lstm.error_y.array) == pytest.approx([0.1, 0.2]) and list(lstm.error_y.arrayminus) == pytest.approx([0.1, 0.2])
