"""The summary's drill figures: one curve per run, named by its clipping, with caption and alt text."""
import numpy as np
import pytest

from helpers.experiments.training import ClippingRun
from helpers.figures.drill_figures import clipping_curves


def test_one_curve_per_run_named_by_its_threshold():
    runs = [ClippingRun(None, np.array([1.0, 10.0, np.nan]), np.ones(3)), ClippingRun(1.0, np.ones(3), np.ones(3))]
    fig = clipping_curves(runs, radius=2.0, lr=0.05, seed=0)
    assert [t.name for t in fig.data] == ["no clipping", "clipped at 1.0"]
    assert list(fig.data[0].x) == [0, 1]                      # the unclipped curve ends where its loss went NaN
    assert "ρ(W_hh) = 2" in fig.layout.title.text and "learning rate 0.05" in fig.layout.meta["caption"]
    assert "3 updates" in fig.layout.meta["alt"]


def test_no_runs_is_named():
    with pytest.raises(ValueError, match="^runs "):
        clipping_curves([])
