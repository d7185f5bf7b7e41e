"""The encoder-decoder: its data, its packing of padded sources, parallel against step-by-step
decoding, attention weights, seeding, and that it learns a small copy task."""
import pytest
import torch

from helpers.seq2seq import BOS, EOS, FIRST_SYMBOL, PAD, Seq2Seq, encode_symbols, make_batch
from helpers.seq2seq_training import accuracy_by_length, train_seq2seq


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


def test_same_seed_same_losses():
    a = train_seq2seq(8, "dot", max_len=4, steps=5, batch=8, progress=False, seed=7)
    b = train_seq2seq(8, "dot", max_len=4, steps=5, batch=8, progress=False, seed=7)
    assert a.losses == b.losses


def test_attention_model_learns_to_copy_short_sequences():
    run = train_seq2seq(32, "dot", min_len=1, max_len=4, steps=250, batch=32, progress=False, seed=0)
    result = accuracy_by_length(run, (2, 4), n=100)
    assert result.token_accuracy.min() > 0.9
    assert run.losses[-1] < 0.2 * run.losses[0]


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


def test_reach_is_the_last_length_before_accuracy_first_drops_below_the_threshold():
    from helpers.seq2seq_training import LengthAccuracy, reach
    import numpy as np
    result = LengthAccuracy((2, 4, 6, 8), np.zeros(4), np.array([1.0, 0.6, 0.4, 0.7]))
    assert reach(result, 0.5) == 4 and reach(result, 0.3) == 8 and reach(result, 1.0) == 2
    assert reach(LengthAccuracy((2,), np.zeros(1), np.array([0.1]))) == 0
    with pytest.raises(ValueError, match="threshold"):
        reach(result, 2)


def test_position_accuracy_has_one_value_per_output_symbol():
    from helpers.seq2seq_training import position_accuracy
    run = train_seq2seq(32, "dot", min_len=1, max_len=4, steps=250, batch=32, progress=False, seed=0)
    per_position = position_accuracy(run, 4, n=50)
    assert per_position.shape == (4,) and per_position.min() > 0.8
    with pytest.raises(ValueError, match="length"):
        position_accuracy(run, -3)


def test_teacher_forcing_and_greedy_agree_on_the_first_symbol_only_by_construction():
    """Both feed BOS at step 1, so the first symbol's accuracy is identical; later steps may differ."""
    from helpers.seq2seq_training import position_accuracy
    run = train_seq2seq(16, None, min_len=1, max_len=8, steps=60, batch=32, progress=False, seed=0)
    greedy = position_accuracy(run, 8, n=200, seed=3)
    forced = position_accuracy(run, 8, n=200, seed=3, teacher_forcing=True)
    assert greedy.shape == forced.shape == (8,)
    assert greedy[0] == forced[0]
    with pytest.raises(ValueError, match="^teacher_forcing"):
        position_accuracy(run, 8, teacher_forcing="yes")
