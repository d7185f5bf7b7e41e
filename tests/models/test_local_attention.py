"""Luong's local attention for one query (helpers/models/local_attention.py): local-p weighs only its
window, and the predicted position is the formula's."""
import numpy as np
import pytest
import torch

from helpers.figures.local_attention import local_attention_figure
from helpers.models.local_attention import local_example, predicted_position


def test_local_p_scores_only_its_window():
    global_w, local_w, p_t = local_example(src_len=30, half_width=3, seed=1)
    assert global_w.sum() == pytest.approx(1) and (global_w > 0).all()
    inside = np.abs(np.arange(30) - p_t) <= 3
    assert (local_w[~inside] == 0).all() and (local_w[inside] > 0).all()
    assert 0 < p_t < 30
    assert len(local_attention_figure(src_len=30, half_width=3).data) == 2


def test_predicted_position_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    h, W, v = torch.randn(5, generator=g), torch.randn(3, 5, generator=g), torch.randn(3, generator=g)
    assert predicted_position(h, W, v, 20).item() == pytest.approx(20 / (1 + np.exp(-(v @ torch.tanh(W @ h)).item())))


@pytest.mark.parametrize("call, message", [
    (lambda: local_example(src_len=1), "src_len"),
    (lambda: predicted_position(torch.zeros(4), torch.zeros(3, 5), torch.zeros(3), 10), "W_p"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
