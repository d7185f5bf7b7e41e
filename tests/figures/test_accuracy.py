"""Accuracy against source length (helpers/figures/accuracy.py): the shared axes, with the legend
clear of the title."""
import pytest

from helpers.experiments.seq2seq_training import accuracy_by_length, train_seq2seq
from helpers.figures.accuracy import accuracy_figure


@pytest.fixture(scope="module")
def runs():
    return {h: train_seq2seq(h, None, max_len=5, steps=20, batch=16, progress=False) for h in (8, 16)}


def test_accuracy_figure_shares_the_axes(runs):
    results = {f"{h}": accuracy_by_length(run, (1, 2), n=10) for h, run in runs.items()}
    fig = accuracy_figure(results, "t")
    assert len(fig.data) == 2 and tuple(fig.layout.yaxis.range) == (0, 102)
    # the legend sits under the plot, clear of the title (above the plot it overlapped a long title)
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"
