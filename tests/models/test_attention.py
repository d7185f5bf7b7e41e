"""The four attention scores against reference computations written pair by pair, and against
PyTorch's own scaled_dot_product_attention. Correctness is checked in float64, where each comparison
allows the a-priori rounding bounds of tests/tolerances.py for the two sides' formulas."""
import math

import pytest
import torch
import torch.nn.functional as F

from helpers.models.attention import SCORES, AttentionScore, attend, local_window_weights
from tests import tolerances as tol

F64, F32 = torch.float64, torch.float32


def states(batch=2, tgt=3, src=5, hidden=4, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, tgt, hidden, generator=g, dtype=dtype), torch.randn(batch, src, hidden, generator=g, dtype=dtype)


def context_bound(scores, values, mask=None):
    """softmax(scores) @ values: ours rounds the weights, then sums (src terms); SDPA's CPU kernels may sum
    exp(s - max) v first and divide once at the end, one more rounding (extra_roundings)."""
    if mask is not None:
        scores = scores.map(lambda t: t.masked_fill(~mask.unsqueeze(1), float("-inf")))
    weights = tol.softmax(F64, scores)
    return weights, tol.extra_roundings(tol.dot(F64, [(weights, values)]), 1)


def pairwise_reference(score, q, k):
    """The textbook formula, one (query, key) pair at a time."""
    out = torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=q.dtype)
    for b in range(q.shape[0]):
        for i in range(q.shape[1]):
            for j in range(k.shape[1]):
                s, h = q[b, i], k[b, j]
                if score.kind == "dot":
                    out[b, i, j] = s @ h
                elif score.kind == "general":
                    out[b, i, j] = s @ score.W.weight @ h
                elif score.kind == "additive":
                    out[b, i, j] = score.v.weight[0] @ torch.tanh(score.W_query.weight @ s + score.W_key.weight @ h)
                else:
                    out[b, i, j] = score.v.weight[0] @ torch.tanh(score.W.weight @ torch.cat([s, h]))
    return out


@pytest.mark.parametrize("kind", SCORES)
def test_each_score_matches_its_formula_pair_by_pair(kind):
    torch.manual_seed(0)
    score = AttentionScore(kind, hidden_size=4, attention_size=6).double()
    q, k = states()
    bound = tol.score(F64, kind, q, k, score)
    other = bound
    if kind == "general":   # pair by pair: (s W) h, the other nesting of the double sum
        other = tol.dot(F64, [(tol.dot(F64, [(q, score.W.weight.detach())]), k.transpose(1, 2))])
    with torch.no_grad():
        tol.assert_agree(score(q, k), pairwise_reference(score, q, k), bound, f"{kind} scores", other)


@pytest.mark.parametrize("kind", ["dot", "general"])
def test_multiplicative_attention_equals_torch_sdpa_with_unit_scale(kind):
    torch.manual_seed(1)
    score = AttentionScore(kind, hidden_size=4).double()
    q, k = states()
    with torch.no_grad():
        context, _ = attend(score(q, k), k)
        keys = k if kind == "dot" else score.W(k)
        expected = F.scaled_dot_product_attention(q, keys, k, scale=1.0)   # scale 1: scaling is exact
    _, bound = context_bound(tol.score(F64, kind, q, k, score), k)
    tol.assert_agree(context, expected, bound, f"{kind} attention against SDPA")


def test_padding_mask_gets_zero_weight_and_matches_sdpa_mask():
    q, k = states(src=5)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    scores = q @ k.transpose(1, 2)
    context, weights = attend(scores, k, mask)
    assert torch.all(weights[1, :, 3:] == 0)
    tol.assert_within(weights.sum(-1), torch.ones(2, 3), tol.simplex_allowance(weights, scores.masked_fill(~mask.unsqueeze(1),
                      float("-inf")), F64), "the softmax's own rounding (tests/tolerances.simplex_allowance)", "sum of weights")
    expected = F.scaled_dot_product_attention(q, k, k, attn_mask=mask.unsqueeze(1), scale=1.0)
    _, bound = context_bound(tol.score(F64, "dot", q, k, None), k, mask)
    tol.assert_agree(context, expected, bound, "masked attention against SDPA")


def test_concat_score_is_the_additive_score_with_stacked_weights():
    torch.manual_seed(2)
    additive, concat = AttentionScore("additive", 4).double(), AttentionScore("concat", 4).double()
    with torch.no_grad():
        concat.W.weight.copy_(torch.cat([additive.W_query.weight, additive.W_key.weight], dim=1))
        concat.v.weight.copy_(additive.v.weight)
        q, k = states()
        # the same formula, W's halves as other tensors (another memory layout may take another kernel)
        tol.assert_agree(concat(q, k), additive(q, k), tol.score(F64, "additive", q, k, additive), "concat against additive")


def test_worked_alignment_example_softmax():
    scores = (2.1, 0.2, 0.1)
    weights = torch.softmax(torch.tensor(scores), dim=0)     # float32, as a reader types it
    by_hand = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
    # float32: the scores round to float32 (u |s| each), then the float32 softmax; by hand: a float64 softmax
    as32 = tol.Bounded(torch.tensor(scores, dtype=F64), tol.U[F32] * torch.tensor(scores, dtype=F64).abs(), F32)
    ours, hand = tol.softmax(F32, as32), tol.softmax(F64, torch.tensor(scores, dtype=F64))
    tol.assert_agree(weights, by_hand, ours, "softmax of the worked example", hand)
    # chapter 1.7 prints 0.78: the rounding boundary 0.785 lies outside the computed weight's range on any CPU
    low, high = weights[0].item() - 2 * ours.e[0].item(), weights[0].item() + 2 * ours.e[0].item()
    assert 0.775 <= low and high < 0.785, f"[{low}, {high}], the weight within its float32 bound, crosses a 2-decimal boundary"
    assert round(weights[0].item(), 2) == 0.78


def test_local_window_is_zero_outside_and_gaussian_inside():
    scores = torch.zeros(1, 1, 11)
    weights = local_window_weights(scores, torch.tensor([[5.0]]), half_width=2)
    assert torch.all(weights[0, 0, :3] == 0) and torch.all(weights[0, 0, 8:] == 0)
    inside = weights[0, 0, 3:8]
    assert inside.argmax() == 2
    # sigma = D/2 = 1. The window's softmax is uniform (equal values, the same rounding), exp(-distance^2 / 2) gets
    # exact arguments (-4 / 2) within 2 ulps (4u), two products and a division add 3u, and the float32 reference u
    ratio, expected = (inside[0] / inside[2]).item(), math.exp(-4 / 2)
    tol.assert_within(ratio, expected, 8 * tol.U[F32] * expected, "exp's 2 ulps and 4 roundings, float32", "Gaussian ratio")


def test_location_score_is_w_times_the_query_entry_by_entry_and_ignores_what_the_keys_hold():
    """Luong et al. 2015, eq. 8: a_t = softmax(W_a h_t); score j of query i is row j of W_a dotted with s_i."""
    torch.manual_seed(4)
    score = AttentionScore("location", hidden_size=4, max_src_len=7).double()
    q, k = states(src=5)
    W = score.W.weight.detach()
    by_hand = torch.empty(q.shape[0], q.shape[1], k.shape[1], dtype=F64)
    for b in range(q.shape[0]):
        for i in range(q.shape[1]):
            for j in range(k.shape[1]):
                by_hand[b, i, j] = sum(W[j, n] * q[b, i, n] for n in range(4))
    with torch.no_grad():
        # both sides evaluate the same 4-product dot products, in any order (tests/tolerances.dot)
        tol.assert_agree(score(q, k), by_hand, tol.dot(F64, [(q, W[:k.shape[1]].T)]), "location scores")
        assert torch.equal(score(q, k), score(q, torch.randn_like(k)))     # the keys' content plays no part


def test_the_location_score_needs_its_longest_source():
    with pytest.raises(ValueError, match="^max_src_len must be given for the location score"):
        AttentionScore("location", 4)
    with pytest.raises(ValueError, match="^max_src_len must be given for the location score"):
        AttentionScore("dot", 4, max_src_len=6)
    with pytest.raises(ValueError, match="^max_src_len must be an integer"):
        AttentionScore("location", 4, max_src_len=0)
    q, k = states(src=5)
    with pytest.raises(ValueError, match="^keys must hold at most max_src_len = 3"):
        AttentionScore("location", 4, max_src_len=3)(q, k)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="kind must be one of"):
        AttentionScore("cosine", 4)
    with pytest.raises(ValueError, match="hidden_size"):
        AttentionScore("dot", 0)
    with pytest.raises(ValueError, match="hidden size 4"):
        AttentionScore("dot", 4)(torch.zeros(1, 2, 3), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="no source position"):
        attend(torch.zeros(1, 1, 2), torch.zeros(1, 2, 4), torch.tensor([[False, False]]))
    with pytest.raises(ValueError, match="outside the source"):
        local_window_weights(torch.zeros(1, 1, 4), torch.tensor([[20.0]]), 1)


def test_local_m_is_a_plain_softmax_inside_the_window():
    scores = torch.zeros(1, 1, 11)
    weights = local_window_weights(scores, torch.tensor([[5.0]]), half_width=2, gaussian=False)
    # exp(0) = 1 five times, their sum 5 exactly, and 1/5 rounds once: each weight is the float32 nearest 0.2
    assert torch.equal(weights[0, 0, 3:8], torch.full((5,), 0.2)) and (weights[0, 0, :3] == 0).all()
    # the five float32 weights sum to 1 + 1.5e-8 exactly; a float32 sum of 11 terms adds at most gamma_10 of it
    exact = weights.double().sum().item()
    tol.assert_within(weights.sum().item(), 1.0, abs(exact - 1) + tol.gamma(10, F32) * exact,
                      "the weights' exact sum and the float32 summation (gamma_10)", "sum of the window's weights")


@pytest.mark.parametrize("kind", SCORES)
def test_the_score_functions_on_the_page_are_what_the_module_computes(kind):
    from helpers.models import attention
    torch.manual_seed(3)
    score = AttentionScore(kind, hidden_size=4, attention_size=6)
    q, k = states(dtype=F32)
    parts = {"dot": (), "general": (score.W,) if kind == "general" else (),
             "additive": (getattr(score, "W_query", None), getattr(score, "W_key", None), getattr(score, "v", None)),
             "concat": (getattr(score, "W", None), getattr(score, "v", None))}[kind]
    with torch.no_grad():
        assert torch.equal(getattr(attention, f"{kind}_score")(q, k, *parts), score(q, k))
