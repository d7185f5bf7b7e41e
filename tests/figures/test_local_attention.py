"""The figure of Luong's local attention (helpers/figures/local_attention.py): its legend's count of
positions scored is helpers.models.local_attention.positions_scored, and that is the number of
positions the line gives a weight."""
import numpy as np
import pytest

import helpers.figures.local_attention as figure_module
from helpers.figures.local_attention import local_attention_figure
from helpers.models.local_attention import local_example, positions_scored


@pytest.mark.parametrize("src_len, half_width, seed", [(40, 4, 0), (30, 3, 1), (12, 12, 2), (20, 1, 5)])
def test_the_legend_counts_the_positions_that_get_a_weight(src_len, half_width, seed):
    fig = local_attention_figure(src_len=src_len, half_width=half_width, seed=seed)
    _, local_w, p_t = local_example(src_len, half_width, seed=seed)
    weighted = np.count_nonzero(local_w)
    assert weighted == positions_scored(p_t, half_width, src_len)
    assert fig.data[1].name == f"local-p, D = {half_width}: {weighted} positions scored"
    assert fig.data[0].name == f"global: all {src_len} positions scored"
    assert f"{weighted} positions around" in fig.layout.meta["alt"]


def test_the_legend_takes_its_count_from_positions_scored(monkeypatch):
    monkeypatch.setattr(figure_module, "positions_scored", lambda p_t, half_width, src_len: 12345)
    fig = local_attention_figure(src_len=20, half_width=2)
    assert fig.data[1].name.endswith(": 12345 positions scored")
