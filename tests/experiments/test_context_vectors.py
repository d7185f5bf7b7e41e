"""The "bank" problem: a lookup table cannot tell contexts apart, a recurrent state cannot help it."""
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


def test_tokenize_and_vocab():
    assert tokenize("Bank left, in the turn!") == ["bank", "left", "in", "the", "turn"]
    vocab = build_vocab(BANK_SENTENCES)
    assert list(vocab) == sorted(vocab) and "bank" in vocab and "Bank" not in vocab
    assert encode("the bank", vocab).tolist() == [vocab["the"], vocab["bank"]]
    assert [word_position(s, "bank") for s in BANK_SENTENCES] == [4, 2, 0]


def test_cosine_matrix_matches_torch():
    v = np.random.default_rng(0).normal(size=(4, 5))
    expected = torch.nn.functional.cosine_similarity(torch.tensor(v)[:, None], torch.tensor(v)[None], dim=-1)
    np.testing.assert_allclose(cosine_matrix(v), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(cosine_matrix([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])[0], [1.0, 0.0, -1.0])


@pytest.mark.parametrize("seed", range(5))
def test_static_vectors_are_identical_contextual_ones_are_not(seed):
    sims = word_similarities(seed=seed)
    np.testing.assert_allclose(sims.static, 1.0, rtol=0, atol=1e-12)   # one row of the table, three times
    assert (sims.off_diagonal("forward") < 0.999).all()
    assert (sims.off_diagonal("bidirectional") < 0.999).all()
    np.testing.assert_allclose(np.diag(sims.forward), 1.0)


def test_forward_rnn_cannot_see_the_words_after_bank():
    """Same left context, different right context: only the backward direction tells them apart."""
    sims = word_similarities(("The bank was steep", "The bank was closed"), seed=0)
    assert sims.forward[0, 1] == pytest.approx(1.0, abs=1e-12)
    assert sims.bidirectional[0, 1] < 0.999


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
        for t, x in enumerate(fwd.static(ids)):
            manual = torch.tanh(r.weight_ih_l0 @ x + r.bias_ih_l0 + r.weight_hh_l0 @ manual + r.bias_hh_l0)
            torch.testing.assert_close(h[t], manual, rtol=1e-12, atol=1e-12)
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
