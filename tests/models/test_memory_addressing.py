"""NTM content addressing is scaled dot-product attention on unit vectors with scale beta, within the
a-priori rounding bounds of tests/tolerances.py."""
import pytest
import torch
import torch.nn.functional as F

from helpers.models.memory_addressing import content_read, content_weights
from tests import tolerances as tol


def weights_bound(key, memory, beta, dtype):
    """softmax(beta cos(key, row)) for both sides' formulas: unit vectors (norm and division), a dot product
    of the width, times beta (SDPA scales q and k by a rounded sqrt(beta): up to 4 roundings where helpers
    have 1, extra_roundings), then the softmax."""
    unit_k, unit_m = tol.normalize(dtype, key.unsqueeze(-2)), tol.normalize(dtype, memory)
    cosine = tol.dot(dtype, [(unit_k, unit_m.T)]).map(lambda t: t.squeeze(-2))
    scaled = tol.extra_roundings(tol.mul(dtype, cosine, torch.tensor(beta, dtype=torch.float64)), 3)
    return cosine, tol.softmax(dtype, scaled)


def test_content_read_equals_sdpa_on_normalised_keys():
    g = torch.Generator().manual_seed(0)
    memory, key = torch.randn(2, 10, 6, generator=g, dtype=torch.float64), torch.randn(2, 6, generator=g, dtype=torch.float64)
    read, weights = content_read(key, memory, beta=5.0)
    q, k = F.normalize(key, dim=-1).unsqueeze(1), F.normalize(memory, dim=-1)
    expected = F.scaled_dot_product_attention(q, k, memory, scale=5.0)[:, 0]
    F64 = torch.float64
    cosine, w = weights_bound(key, memory, 5.0, F64)
    # the read sums w_i M_i over the rows; SDPA may divide once at the end instead (one more rounding)
    read_bound = tol.extra_roundings(tol.dot(F64, [(w.map(lambda t: t.unsqueeze(-2)), memory)]).map(lambda t: t.squeeze(-2)), 1)
    tol.assert_agree(read, expected, read_bound, "content read against SDPA")
    tol.assert_within(weights.sum(-1), torch.ones(2, dtype=F64), tol.simplex_allowance(weights, 5.0 * cosine.v, F64),
                      "the softmax's own rounding (tests/tolerances.simplex_allowance)", "sum of weights")


def test_beta_sharpens_the_weights():
    g = torch.Generator().manual_seed(1)
    memory, key = torch.randn(8, 4, generator=g), torch.randn(4, generator=g)
    flat, sharp = content_weights(key, memory, 0.0), content_weights(key, memory, 50.0)
    assert torch.equal(flat, torch.full((8,), 1 / 8))   # beta 0: every score 0, exp(0) = 1, and 1/8 is exact
    cosine, w = weights_bound(key, memory, 50.0, torch.float32)
    cosine = tol.extra_roundings(cosine, 4)   # F.cosine_similarity may divide the dot by sqrt(|k|^2 |m|^2): 4 more roundings
    top = int(sharp.argmax())
    assert sharp[top] - 2 * w.e[top] > 0.9, f"largest weight {sharp[top]:.4f}, less twice its bound {w.e[top]:.2g}: not above 0.9"
    # the largest cosine beats the runner-up by more than both sides' rounding: the argmax is the same everywhere
    lead = cosine.v[top] - cosine.v - 2 * (cosine.e[top] + cosine.e)
    assert (lead[torch.arange(8) != top] > 0).all(), f"a runner-up within both sides' cosine bounds of the top: {lead}"
    assert top == F.cosine_similarity(key.unsqueeze(0), memory).argmax()


@pytest.mark.parametrize("call, message", [
    (lambda: content_weights(torch.zeros(3), torch.zeros(5, 3), -1.0), "beta"),
    (lambda: content_weights(torch.zeros(4), torch.zeros(5, 3), 1.0), "width"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
