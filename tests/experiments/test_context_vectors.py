"""The "bank" problem: a lookup table cannot tell contexts apart, a recurrent state cannot help it.

A cosine of float64 vectors of n entries, by normalising then dotting or by dividing the dot product by
the norms (n squares and n products summed, square roots, a division), meets at most 2n + 8 roundings on
any path, relative to |a||b| >= sum |a_i b_i|: its absolute error is at most gamma_{2n+8} (tests/tolerances.py).
"""
import numpy as np
import pytest
import torch

from helpers.experiments.context_vectors import (
    BANK_SENTENCES,
    ContextModel,
    build_vocab,
    cosine_matrix,
    encode,
    tokenize,
    word_position,
    word_similarities,
)
from tests import tolerances as tol


def cosine_rounding(n):
    return tol.gamma(2 * n + 8)


def test_tokenize_and_vocab():
    assert tokenize("Bank left, in the turn!") == ["bank", "left", "in", "the", "turn"]
    vocab = build_vocab(BANK_SENTENCES)
    assert list(vocab) == sorted(vocab) and "bank" in vocab and "Bank" not in vocab
    assert encode("the bank", vocab).tolist() == [vocab["the"], vocab["bank"]]
    assert [word_position(s, "bank") for s in BANK_SENTENCES] == [4, 2, 0]


def test_cosine_matrix_matches_torch():
    v = np.random.default_rng(0).normal(size=(4, 5))
    expected = torch.nn.functional.cosine_similarity(torch.tensor(v)[:, None], torch.tensor(v)[None], dim=-1)
    tol.assert_within(cosine_matrix(v), expected.numpy(), 2 * cosine_rounding(5), "2 gamma_{2n+8}: both sides' cosine rounding",
                      "cosines against torch.nn.functional.cosine_similarity")
    # unit vectors along the axes: every operation is exact
    np.testing.assert_array_equal(cosine_matrix([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])[0], [1.0, 0.0, -1.0])


@pytest.mark.parametrize("seed", range(5))
def test_static_vectors_are_identical_contextual_ones_are_not(seed):
    sims = word_similarities(seed=seed)
    near_one = cosine_rounding(16)      # the cosine of a vector with itself, 16 entries (the default sizes)
    tol.assert_within(sims.static, 1.0, near_one, "gamma_{2n+8}, a vector's cosine with itself",
                      "static similarities")   # one row of the table, three times
    # different contexts, different vectors: below 0.999 even after the largest rounding
    assert (sims.off_diagonal("forward") < 0.999 - near_one).all()
    assert (sims.off_diagonal("bidirectional") < 0.999 - near_one).all()
    tol.assert_within(np.diag(sims.forward), 1.0, near_one, "gamma_{2n+8}, a vector's cosine with itself", "self-similarity")


def test_forward_rnn_cannot_see_the_words_after_bank():
    """Same left context, different right context: only the backward direction tells them apart."""
    sims = word_similarities(("The bank was steep", "The bank was closed"), seed=0)
    # the same inputs up to "bank", in runs of the same shape: the same state, so its cosine with itself
    tol.assert_within(sims.forward[0, 1], 1.0, cosine_rounding(16), "gamma_{2n+8}, a vector's cosine with itself",
                      "forward similarity at bank")
    assert sims.bidirectional[0, 1] < 0.999 - cosine_rounding(32)


def test_contextual_state_is_nn_rnn_over_the_embeddings():
    """The forward half of the bidirectional model is the forward model: the same seeded weights."""
    vocab = build_vocab(BANK_SENTENCES)
    fwd = ContextModel(len(vocab), 6, 5, seed=3)
    both = ContextModel(len(vocab), 6, 5, bidirectional=True, seed=3)
    ids = encode(BANK_SENTENCES[1], vocab)
    with torch.no_grad():
        h = fwd.contextual(ids)
        manual = torch.zeros(5, dtype=torch.float64)
        r = fwd.rnn
        bound = tol.tanh_rnn(fwd.static(ids).unsqueeze(1), tol.module_weights(r), torch.float64)["out"]
        for t, x in enumerate(fwd.static(ids)):
            manual = torch.tanh(r.weight_ih_l0 @ x + r.bias_ih_l0 + r.weight_hh_l0 @ manual + r.bias_hh_l0)
            tol.assert_agree(h[t], manual, bound[t, 0], f"state {t}, nn.RNN against the loop")
        # ATen runs a bidirectional layer's forward direction as the one-directional layer it is (RNN.cpp,
        # FullBidirectionalLayer: the same linear_ih and cells on the same inputs): bit for bit
        torch.testing.assert_close(both.contextual(ids)[:, :5], h, rtol=0, atol=0)
        assert both.contextual(ids).shape == (len(ids), 10)


def test_seeding_does_not_touch_the_global_generator():
    state = torch.get_rng_state()
    word_similarities(seed=7)
    assert torch.equal(state, torch.get_rng_state())
    a, b = word_similarities(seed=7), word_similarities(seed=7)
    np.testing.assert_array_equal(a.forward, b.forward)


BAD = [
    (lambda: tokenize(""), "sentence must contain"),
    (lambda: tokenize(3), "sentence must be a string"),
    (lambda: build_vocab([]), "sentences must hold"),
    (lambda: build_vocab("the bank"), "sentences must be a list"),
    (lambda: word_position("the river", "bank"), "word 'bank' does not occur"),
    (lambda: encode("the moon", build_vocab(["the bank"])), r"sentence has words missing from vocab: \['moon'\]"),
    (lambda: cosine_matrix([1.0, 2.0]), "vectors must be a 2-D array"),
    (lambda: cosine_matrix([[1.0, 0.0], [0.0, 0.0]]), "vectors must all be nonzero"),
    (lambda: word_similarities(word="moon"), "word 'moon' does not occur"),
    (lambda: word_similarities(hidden_size=0), "hidden_size must be"),
    (lambda: word_similarities(embedding_dim=-1), "embedding_dim must be"),
    (lambda: word_similarities(seed=-1), "seed must be"),
    (lambda: ContextModel(0, 4, 4), "vocab_size must be"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match="^" + message):
        call()
