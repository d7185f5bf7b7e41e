"""The encoder-decoder (helpers/models/seq2seq.py): its data, its packing of padded sources, parallel
against step-by-step decoding, attention weights, and settings refused by name. Two computations of the
same numbers are compared in float64 within the a-priori rounding bounds of tests/tolerances.py."""
import pytest
import torch

from helpers.experiments.seq2seq_training import accuracy_by_length, train_seq2seq
from helpers.models.seq2seq import BOS, EOS, FIRST_SYMBOL, PAD, Seq2Seq, encode_symbols, make_batch
from tests import tolerances as tol

F64 = torch.float64


def encoder_bound(model, source, lengths):
    """The encoder's states (batch, src, H), zero past each length as packing leaves them, and its last states (batch, H):
    each sequence through tests/tolerances.py's GRU in ATen's form, on its real tokens only."""
    emb, weights = model.embed.weight.detach().to(F64), tol.module_weights(model.encoder)
    B, S = source.shape
    states, last = [], []
    for i, L in enumerate(lengths.tolist()):
        run = tol.gru(emb[source[i, :L]].unsqueeze(1), weights, F64, "torch")
        out = run["out"].map(lambda t: t[:, 0])                                       # (L, H)
        states.append(tol.cat(F64, [out, tol.Bounded.exact(torch.zeros(S - L, out.shape[1]), F64)], 0))
        last.append(run["h"])
    return tol.stack(F64, states), tol.cat(F64, last, 0)


def forward_bound(model, source, lengths, decoder_input):
    """Seq2Seq.forward's logits and attention weights (or None), as Bounded."""
    states, last = encoder_bound(model, source, lengths)
    x = model.embed.weight.detach().to(F64)[decoder_input].transpose(0, 1)           # (tgt, batch, E)
    decoded = tol.gru(x, tol.module_weights(model.decoder), F64, "torch", h0=last)["out"].map(lambda t: t.transpose(0, 1))
    linear = lambda inputs, layer: tol.dot(F64, [(inputs, layer.weight.detach().to(F64).T)], [layer.bias.detach().to(F64)])
    if model.score is None:
        return linear(tol.tanh(F64, linear(decoded, model.combine)), model.out), None
    scores = tol.score(F64, model.attention, decoded, states, model.score)
    weights = tol.softmax(F64, scores.map(lambda t: t.masked_fill((source == PAD).unsqueeze(1), float("-inf"))))
    context = tol.dot(F64, [(weights, states)])
    return linear(tol.tanh(F64, linear(tol.cat(F64, [context, decoded]), model.combine)), model.out), weights


def test_copy_and_reverse_targets_end_with_eos():
    g = torch.Generator().manual_seed(0)
    copy = make_batch(8, 2, 6, "copy", generator=g)
    for i, L in enumerate(copy.source_lengths.tolist()):
        assert torch.equal(copy.target[i, :L], copy.source[i, :L])
        assert copy.target[i, L] == EOS and torch.all(copy.target[i, L + 1:] == PAD)
        assert torch.all(copy.source[i, L:] == PAD)
    rev = make_batch(8, 2, 6, "reverse", generator=torch.Generator().manual_seed(0))
    for i, L in enumerate(rev.source_lengths.tolist()):
        assert torch.equal(rev.target[i, :L], rev.source[i, :L].flip(0))


def test_decoder_is_fed_bos_then_the_target_and_never_eos():
    data = make_batch(16, 1, 5, generator=torch.Generator().manual_seed(1))
    assert torch.all(data.decoder_input[:, 0] == BOS)
    fed = data.decoder_input[:, 1:]
    shifted = data.target[:, :-1]
    assert torch.equal(fed[shifted != EOS], shifted[shifted != EOS])
    assert not torch.any(data.decoder_input == EOS)


def test_encoder_skips_padding():
    torch.manual_seed(0)
    model = Seq2Seq(hidden_size=8).double()
    data = make_batch(4, 2, 7, generator=torch.Generator().manual_seed(2))
    _, last = model.encode(data.source, data.source_lengths)
    _, bound = encoder_bound(model, data.source, data.source_lengths)
    for i, L in enumerate(data.source_lengths.tolist()):
        _, alone = model.encoder(model.embed(data.source[i:i + 1, :L]))
        tol.assert_agree(last[0, i].detach(), alone[0, 0].detach(), bound[i], f"last state of sequence {i}, packed against alone")


@pytest.mark.parametrize("attention", [None, "dot", "additive"])
def test_greedy_decoding_agrees_with_the_teacher_forced_pass(attention):
    torch.manual_seed(0)
    model = Seq2Seq(hidden_size=16, attention=attention).double().eval()
    data = make_batch(5, 3, 6, generator=torch.Generator().manual_seed(3))
    tokens, weights = model.generate(data.source, data.source_lengths, 7)
    fed_back = torch.cat([torch.full((5, 1), BOS), tokens[:, :-1]], dim=1)
    with torch.no_grad():
        logits, forced_weights = model(data.source, data.source_lengths, fed_back)
    bound, weights_bound = forward_bound(model, data.source, data.source_lengths, fed_back)
    # both passes are within e of the exact logits: where the top logit leads every other by more than 2 e + 2 e,
    # every implementation picks it, so the argmax comparison is exact on any CPU
    top = bound.v.argmax(-1, keepdim=True)
    lead = (bound.v.gather(-1, top) - 2 * bound.e.gather(-1, top)) - (bound.v + 2 * bound.e)
    assert (lead.scatter(-1, top, float("inf")) > 0).all(), "a near-tie between two logits: the argmax is not determined"
    assert torch.equal(logits.argmax(-1), tokens) and torch.equal(top[..., 0], tokens)
    tol.assert_agree(logits, bound.v, bound, "teacher-forced logits against their bound's own float64 values")
    if attention:
        tol.assert_agree(weights, forced_weights, weights_bound, "attention weights, step by step against teacher-forced")


def test_attention_weights_are_a_distribution_over_real_source_tokens():
    torch.manual_seed(0)
    model = Seq2Seq(hidden_size=8, attention="general")
    data = make_batch(6, 1, 5, generator=torch.Generator().manual_seed(4))
    _, weights = model(data.source, data.source_lengths, data.decoder_input)
    with torch.no_grad():   # the scores the weights came from
        encoder_states, last = model.encode(data.source, data.source_lengths)
        decoded, _ = model.decoder(model.embed(data.decoder_input), last)
        scores = model.score(decoded, encoder_states).masked_fill((data.source == PAD).unsqueeze(1), float("-inf"))
    tol.assert_within(weights.sum(-1), torch.ones(weights.shape[:2]), tol.simplex_allowance(weights, scores, torch.float32),
                      "the float32 softmax's own rounding (tests/tolerances.simplex_allowance)", "sum of weights")
    padding = (data.source == PAD).unsqueeze(1).expand_as(weights)
    assert torch.all(weights[padding] == 0)


def test_reader_examples_are_parsed_or_refused_clearly():
    source, lengths = encode_symbols("3 1 4 1 5")
    assert source.tolist() == [[FIRST_SYMBOL + s for s in (3, 1, 4, 1, 5)]] and lengths.tolist() == [5]
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        encode_symbols("3 12")
    with pytest.raises(ValueError, match="whole numbers"):
        encode_symbols("a b")
    with pytest.raises(ValueError, match=r"\[0, 9\]"):
        encode_symbols("")


def test_bad_settings_name_the_parameter():
    with pytest.raises(ValueError, match="max_len"):
        make_batch(4, 5, 3)
    with pytest.raises(ValueError, match="min_len"):
        make_batch(4, -1, 3)
    with pytest.raises(ValueError, match="task"):
        make_batch(4, 1, 3, task="sort")
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(attention="cosine")
    with pytest.raises(ValueError, match="hidden_size"):
        Seq2Seq(hidden_size=0)
    with pytest.raises(ValueError, match="lr"):
        train_seq2seq(8, lr=-1.0, steps=1, progress=False)
    run = train_seq2seq(8, steps=1, max_len=3, progress=False)
    with pytest.raises(ValueError, match="lengths"):
        accuracy_by_length(run, (0,))
