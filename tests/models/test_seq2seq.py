"""The encoder-decoder (helpers/models/seq2seq.py): its data, its packing of padded sources, parallel
against step-by-step decoding, attention weights, and settings refused by name."""
import pytest
import torch

from helpers.experiments.seq2seq_training import accuracy_by_length, train_seq2seq
from helpers.models.seq2seq import BOS, EOS, FIRST_SYMBOL, PAD, Seq2Seq, encode_symbols, make_batch


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
    model = Seq2Seq(hidden_size=8)
    data = make_batch(4, 2, 7, generator=torch.Generator().manual_seed(2))
    _, last = model.encode(data.source, data.source_lengths)
    for i, L in enumerate(data.source_lengths.tolist()):
        _, alone = model.encoder(model.embed(data.source[i:i + 1, :L]))
        assert torch.allclose(last[:, i], alone[:, 0], atol=1e-6)


@pytest.mark.parametrize("attention", [None, "dot", "additive"])
def test_greedy_decoding_agrees_with_the_teacher_forced_pass(attention):
    torch.manual_seed(0)
    model = Seq2Seq(hidden_size=16, attention=attention).eval()
    data = make_batch(5, 3, 6, generator=torch.Generator().manual_seed(3))
    tokens, weights = model.generate(data.source, data.source_lengths, 7)
    fed_back = torch.cat([torch.full((5, 1), BOS), tokens[:, :-1]], dim=1)
    with torch.no_grad():
        logits, forced_weights = model(data.source, data.source_lengths, fed_back)
    assert torch.equal(logits.argmax(-1), tokens)
    if attention:
        assert torch.allclose(weights, forced_weights, atol=1e-6)


def test_attention_weights_are_a_distribution_over_real_source_tokens():
    torch.manual_seed(0)
    model = Seq2Seq(hidden_size=8, attention="general")
    data = make_batch(6, 1, 5, generator=torch.Generator().manual_seed(4))
    _, weights = model(data.source, data.source_lengths, data.decoder_input)
    assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]))
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
