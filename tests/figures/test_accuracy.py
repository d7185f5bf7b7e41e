"""Accuracy against source length (helpers/figures/accuracy.py): the shared axes, with the legend
clear of the title; the mean over seeds; the two chapter figures and their captions."""
import numpy as np
import pytest

from helpers.experiments.seq2seq_training import LengthAccuracy, accuracy_by_length, train_seq2seq
from helpers.figures.accuracy import (accuracy_figure, attention_comparison_figure, context_size_figure, mean_accuracy,
                                      percent)


@pytest.fixture(scope="module")
def runs():
    return {h: train_seq2seq(h, None, max_len=5, steps=20, batch=16, progress=False) for h in (8, 16)}


def test_accuracy_figure_shares_the_axes(runs):
    results = {f"{h}": accuracy_by_length(run, (1, 2), n=10) for h, run in runs.items()}
    fig = accuracy_figure(results, "t")
    assert len(fig.data) == 2 and tuple(fig.layout.yaxis.range) == (0, 102)
    # the legend sits under the plot, clear of the title (above the plot it overlapped a long title)
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"


def test_mean_accuracy_is_the_mean_length_by_length():
    a = LengthAccuracy((1, 2), np.array([1.0, 0.5]), np.array([1.0, 0.0]))
    b = LengthAccuracy((1, 2), np.array([0.5, 0.25]), np.array([0.5, 0.5]))
    mean = mean_accuracy([a, b])
    # (1 + 0.5) / 2 and (0.5 + 0.25) / 2 are exact in binary floating point
    assert mean.lengths == (1, 2) and list(mean.token_accuracy) == [0.75, 0.375]
    assert list(mean.sequence_accuracy) == [0.75, 0.25]
    with pytest.raises(ValueError, match="^per_seed must hold"):
        mean_accuracy([a, LengthAccuracy((1, 3), a.token_accuracy, a.sequence_accuracy)])
    with pytest.raises(ValueError, match="^per_seed must hold"):
        mean_accuracy([])


def test_the_chapter_figures_carry_their_captions(runs):
    per_size = {h: [accuracy_by_length(run, (1, 2), n=10, seed=s) for s in (1, 2)] for h, run in runs.items()}
    fig = context_size_figure(per_size)
    assert [t.name for t in fig.data] == ["context 8", "context 16"]
    assert "mean of 2" in fig.layout.title.text and "8 and 16 numbers" in fig.layout.meta["alt"]
    np.testing.assert_array_equal(fig.data[0].y, percent(mean_accuracy(per_size[8]).token_accuracy))
    results = {f"model {h}": per_size[h][0] for h in runs}
    fig = attention_comparison_figure(results, context=8)
    assert "context 8" in fig.layout.title.text and fig.layout.meta["caption"]
    assert f"model 8 {results['model 8'].token_accuracy[1]:.0%}" in fig.layout.meta["alt"]
    with pytest.raises(ValueError, match="^per_size must hold"):
        context_size_figure({})
    with pytest.raises(ValueError, match="^results must hold"):
        attention_comparison_figure({}, 8)
