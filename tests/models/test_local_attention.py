"""Luong's local attention for one query (helpers/models/local_attention.py): local-p weighs only its
window, the window's count of positions is right at every corner, and the predicted position is the
formula's."""
import math

import numpy as np
import pytest
import torch

from helpers.figures.local_attention import local_attention_figure
from helpers.models.local_attention import local_example, positions_scored, predicted_position

from tests.messages import names

U = 2.0 ** -53              # unit roundoff of float64


def test_local_p_scores_only_its_window():
    global_w, local_w, p_t = local_example(src_len=30, half_width=3, seed=1)
    # a softmax of S = 30 terms in float64: each weight is off by at most a relative 2u (exp, 1 ulp)
    # + gamma_S (the normaliser) + u (the division), and their sum adds gamma_S: |sum - 1| <= 2 gamma_S + 3u
    allowance = 2 * 30 * U / (1 - 30 * U) + 3 * U
    assert abs(global_w.sum() - 1) <= allowance, f"global weights sum to {global_w.sum()!r}, allowed 1 ± {allowance:.2e}"
    assert (global_w > 0).all()
    inside = np.abs(np.arange(30) - p_t) <= 3
    assert (local_w[~inside] == 0).all() and (local_w[inside] > 0).all()
    assert np.count_nonzero(local_w) == positions_scored(p_t, 3, 30)
    assert 0 < p_t < 30
    assert len(local_attention_figure(src_len=30, half_width=3).data) == 2


# (p_t, D, S, expected): counted by hand from [p_t - D, p_t + D] clipped to 0 .. S - 1
CORNERS = [
    (0.0, 2, 10, 3),       # p_t at the first position: 0, 1, 2
    (0.4, 2, 10, 3),       # near 0, not on an integer: [-1.6, 2.4] -> 0, 1, 2
    (1.5, 2, 10, 4),       # [-0.5, 3.5] -> 0 .. 3
    (2.0, 2, 10, 5),       # on an integer, the window just touches 0: 0 .. 4
    (5.0, 2, 10, 5),       # on an integer, far from both ends: 2D + 1
    (5.5, 2, 10, 4),       # between integers: 2D
    (5.25, 0, 10, 0),      # D = 0 off an integer: no position at all
    (5.0, 0, 10, 1),       # D = 0 on an integer: just p_t
    (9.0, 2, 10, 3),       # the last position: 7, 8, 9
    (9.7, 2, 10, 2),       # near S: [7.7, 11.7] -> 8, 9
    (10.0, 2, 10, 2),      # p_t = S (local-p's supremum): 8, 9
    (3.3, 50, 10, 10),     # D larger than S: every position
    (0.0, 10, 10, 10),     # D = S from the first position: every position
    (-3.0, 2, 10, 0),      # a window entirely left of the source
    (13.0, 2, 10, 0),      # a window entirely right of it
    (0.0, 0, 1, 1),        # a source of one position
]


@pytest.mark.parametrize("p_t, half_width, src_len, expected", CORNERS)
def test_positions_scored_at_the_corners(p_t, half_width, src_len, expected):
    assert positions_scored(p_t, half_width, src_len) == expected


@pytest.mark.parametrize("p_t, half_width, src_len, expected", CORNERS)
def test_positions_scored_is_the_closed_form(p_t, half_width, src_len, expected):
    """min(S - 1, floor(p + D)) - max(0, ceil(p - D)) + 1, at least 0 (every corner is exact in binary)."""
    closed = max(0, min(src_len - 1, math.floor(p_t + half_width)) - max(0, math.ceil(p_t - half_width)) + 1)
    assert closed == expected == positions_scored(p_t, half_width, src_len)


@pytest.mark.parametrize("half_width", [1, 4, 12])
@pytest.mark.parametrize("seed", [0, 3])
def test_positions_scored_is_the_number_of_positions_weighted(half_width, seed):
    _, local_w, p_t = local_example(src_len=40, half_width=half_width, seed=seed)
    assert np.count_nonzero(local_w) == positions_scored(p_t, half_width, 40)


def test_predicted_position_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    h, W, v = (torch.randn(*shape, generator=g, dtype=torch.float64) for shape in ((5,), (3, 5), (3,)))
    a = W @ h
    z = (v @ torch.tanh(a)).item()
    expected = 20 / (1 + math.exp(-z))
    # both sides in float64, summed in any order: a_k is off by gamma_5 sum_j |W_kj h_j|; tanh is
    # 1-Lipschitz and accurate to 1 ulp; z adds gamma_3 sum_k |v_k tanh a_k|: |dz| <= gamma_3 sum |v tanh a|
    # + sum_k |v_k| (gamma_5 (|W| |h|)_k + 2u |tanh a_k|). The sigmoid's slope is at most 1/4, exp, the
    # division and the scaling by 20 add about 5u relative. Each side is within that of the exact value.
    gamma = lambda n: n * U / (1 - n * U)     # noqa: E731
    dz = (gamma(3) * (v.abs() @ torch.tanh(a).abs()) + v.abs() @ (gamma(5) * (W.abs() @ h.abs())
                                                                  + 2 * U * torch.tanh(a).abs())).item()
    allowance = 2 * (20 * dz / 4 + 5 * U * expected)
    got = predicted_position(h, W, v, 20).item()
    assert abs(got - expected) <= allowance, f"p_t {got!r} against the formula's {expected!r}: allowed {allowance:.2e}"


@pytest.mark.parametrize("call, message", [
    (lambda: local_example(src_len=1), "src_len"),
    (lambda: predicted_position(torch.zeros(4), torch.zeros(3, 5), torch.zeros(3), 10), "W_p"),
    (lambda: positions_scored(float("nan"), 2, 10), "p_t"),
    (lambda: positions_scored(1.0, -1, 10), "half_width"),
    (lambda: positions_scored(1.0, 2, 0), "src_len"),
    (lambda: positions_scored(1.0, 2.5, 10), "half_width"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=names(message) if message != "W_p" else message):
        call()
