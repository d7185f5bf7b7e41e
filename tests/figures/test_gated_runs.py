"""Chapter 1.4's training-run figures: captioned, one trace per cell, the curves what the runs hold."""
import numpy as np
import pytest

from helpers.experiments.char_lm import CharLMRun
from helpers.figures import gated_runs


def test_smooth_is_the_trailing_moving_average():
    values = np.array([1.0, 3.0, 5.0, 7.0])
    assert gated_runs._smooth(values, 2).tolist() == [1.0, 2.0, 4.0, 6.0]
    assert gated_runs._smooth(values, 10).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_recall_figure_draws_one_line_per_cell_in_percent():
    fig = gated_runs.recall_figure((10, 100), {"rnn": np.array([0.5, 0.25]), "gru": np.array([1.0, 1.0])})
    assert [t.name for t in fig.data] == ["RNN", "GRU"]
    assert list(fig.data[0].y) == [50.0, 25.0]
    assert len(fig.layout.meta["caption"]) > 80 and len(fig.layout.meta["alt"]) > 80


def test_char_lm_figure_band_and_mean_over_seeds():
    runs = {s: {c: CharLMRun(c, 4, 100, np.full(30, 3.0 + s + (c == "gru")), 2.9, 1.0) for c in ("rnn", "gru")}
            for s in (0, 1, 2)}
    fig = gated_runs.char_lm_figure(runs, unigram=4.8, window=5)
    means = [t for t in fig.data if t.showlegend is not False]
    assert [t.name.split()[0] for t in means] == ["RNN", "GRU"]
    assert np.allclose(means[0].y, 4.0) and np.allclose(means[1].y, 5.0)     # seeds 3, 4, 5 (+1 for the GRU)
    band = [t for t in fig.data if t.showlegend is False]
    assert np.allclose(band[0].y, 5.0) and np.allclose(band[1].y, 3.0)      # highest, then lowest seed
    assert "4.80" in fig.layout.annotations[0].text
    assert len(fig.layout.meta["caption"]) > 80 and len(fig.layout.meta["alt"]) > 80


@pytest.mark.parametrize("call, name", [
    (lambda: gated_runs.char_lm_figure({}, 4.8), "runs_by_seed"),
    (lambda: gated_runs.char_lm_figure(None, 4.8), "runs_by_seed"),
    (lambda: gated_runs.char_lm_figure({0: {"rnn": None}}, float("nan")), "unigram"),
    (lambda: gated_runs.recall_figure((), {"rnn": [1.0]}), "distances"),
    (lambda: gated_runs.recall_figure((10,), {"rnn": [1.0]}, seeds=0), "seeds"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        call()
