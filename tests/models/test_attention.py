"""The four attention scores against reference computations written pair by pair, and against
PyTorch's own scaled_dot_product_attention."""
import math

import pytest
import torch
import torch.nn.functional as F

from helpers.models.attention import SCORES, AttentionScore, attend, local_window_weights


def states(batch=2, tgt=3, src=5, hidden=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, tgt, hidden, generator=g), torch.randn(batch, src, hidden, generator=g)


def pairwise_reference(score, q, k):
    """The textbook formula, one (query, key) pair at a time."""
    out = torch.empty(q.shape[0], q.shape[1], k.shape[1])
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
    score = AttentionScore(kind, hidden_size=4, attention_size=6)
    q, k = states()
    with torch.no_grad():
        assert torch.allclose(score(q, k), pairwise_reference(score, q, k), atol=1e-5)


@pytest.mark.parametrize("kind", ["dot", "general"])
def test_multiplicative_attention_equals_torch_sdpa_with_unit_scale(kind):
    torch.manual_seed(1)
    score = AttentionScore(kind, hidden_size=4)
    q, k = states()
    with torch.no_grad():
        context, _ = attend(score(q, k), k)
        keys = k if kind == "dot" else score.W(k)
        expected = F.scaled_dot_product_attention(q, keys, k, scale=1.0)
    assert torch.allclose(context, expected, atol=1e-5)


def test_padding_mask_gets_zero_weight_and_matches_sdpa_mask():
    q, k = states(src=5)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    context, weights = attend(q @ k.transpose(1, 2), k, mask)
    assert torch.all(weights[1, :, 3:] == 0)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 3))
    expected = F.scaled_dot_product_attention(q, k, k, attn_mask=mask.unsqueeze(1), scale=1.0)
    assert torch.allclose(context, expected, atol=1e-5)


def test_concat_score_is_the_additive_score_with_stacked_weights():
    torch.manual_seed(2)
    additive, concat = AttentionScore("additive", 4), AttentionScore("concat", 4)
    with torch.no_grad():
        concat.W.weight.copy_(torch.cat([additive.W_query.weight, additive.W_key.weight], dim=1))
        concat.v.weight.copy_(additive.v.weight)
        q, k = states()
        assert torch.allclose(concat(q, k), additive(q, k), atol=1e-6)


def test_worked_alignment_example_softmax():
    weights = torch.softmax(torch.tensor([2.1, 0.2, 0.1]), dim=0)
    by_hand = [math.exp(s) / sum(math.exp(t) for t in (2.1, 0.2, 0.1)) for s in (2.1, 0.2, 0.1)]
    assert torch.allclose(weights, torch.tensor(by_hand))
    assert round(weights[0].item(), 2) == 0.78          # the often-quoted 0.82 is not this softmax


def test_local_window_is_zero_outside_and_gaussian_inside():
    scores = torch.zeros(1, 1, 11)
    weights = local_window_weights(scores, torch.tensor([[5.0]]), half_width=2)
    assert torch.all(weights[0, 0, :3] == 0) and torch.all(weights[0, 0, 8:] == 0)
    inside = weights[0, 0, 3:8]
    assert inside.argmax() == 2
    assert torch.allclose(inside[0] / inside[2], torch.tensor(math.exp(-4 / 2)))  # sigma = D/2 = 1


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
    assert torch.allclose(weights[0, 0, 3:8], torch.full((5,), 0.2)) and weights.sum() == 1


@pytest.mark.parametrize("kind", SCORES)
def test_the_score_functions_on_the_page_are_what_the_module_computes(kind):
    from helpers.models import attention
    torch.manual_seed(3)
    score = AttentionScore(kind, hidden_size=4, attention_size=6)
    q, k = states()
    parts = {"dot": (), "general": (score.W,) if kind == "general" else (),
             "additive": (getattr(score, "W_query", None), getattr(score, "W_key", None), getattr(score, "v", None)),
             "concat": (getattr(score, "W", None), getattr(score, "v", None))}[kind]
    with torch.no_grad():
        assert torch.equal(getattr(attention, f"{kind}_score")(q, k, *parts), score(q, k))
