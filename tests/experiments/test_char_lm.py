"""The character-level language models: equal parameter budgets, the held-out score, seeded samples."""
import math

import pytest
import torch
from torch import nn

from helpers.experiments import char_lm
from helpers.experiments.corpus import CharVocabulary

TEXT = "to be or not to be, that is the question.\n" * 20
VOCAB = CharVocabulary(TEXT)
IDS = VOCAB.encode(TEXT)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_parameter_count_formula_matches_the_module(cell):
    for vocab_size, hidden in ((65, 64), (10, 7)):
        model = char_lm.CharLM(cell, vocab_size, hidden)
        assert char_lm.char_lm_parameters(cell, vocab_size, hidden) == sum(p.numel() for p in model.parameters())


def test_equal_budget_sizes_for_shakespeares_65_characters():
    sizes = char_lm.equal_budget_sizes(65)
    assert sizes == {"rnn": 139, "lstm": 64, "gru": 76}
    counts = {c: char_lm.char_lm_parameters(c, 65, h) for c, h in sizes.items()}
    assert counts == {"rnn": 37_734, "lstm": 37_761, "gru": 37_609}
    # nearest: one unit more or fewer moves each count further from the LSTM's
    for cell, hidden in sizes.items():
        for other in (hidden - 1, hidden + 1):
            assert abs(char_lm.char_lm_parameters(cell, 65, other) - 37_761) >= abs(counts[cell] - 37_761)


def test_bits_per_char_is_the_stateful_cross_entropy_in_base_2():
    """Against a float64 loop that feeds one character at a time to each stretch and carries the state."""
    torch.manual_seed(0)
    model = char_lm.CharLM("lstm", len(VOCAB), 8).double()
    ids = IDS[:203]
    streams, length = 4, 203 // 4
    total, count = 0.0, 0
    for s in range(streams):
        stretch, state = ids[s * length:(s + 1) * length], None
        for t in range(length - 1):
            logits, state = model(stretch[t:t + 1, None], state)
            total -= torch.log_softmax(logits[0, 0], -1)[stretch[t + 1]].item()
            count += 1
    # float64 on both sides: the two orders of summation over 200 terms of size ~3 agree to ~1e-13
    assert char_lm.bits_per_char(model, ids, streams=streams) == pytest.approx(total / count / math.log(2), abs=1e-10)


def test_unigram_bits_by_hand():
    # train "aab" with add-one: a 3/5, b 2/5; test "ab": -(log2 3/5 + log2 2/5) / 2
    train, test = torch.tensor([0, 0, 1]), torch.tensor([0, 1])
    assert char_lm.unigram_bits(train, test, 2) == pytest.approx(-(math.log2(0.6) + math.log2(0.4)) / 2, abs=1e-12)


def test_training_learns_and_repeats_itself():
    train, test = IDS[:700], IDS[700:]
    sizes = {"rnn": 16, "gru": 8}
    first = char_lm.train_char_lms(train, test, len(VOCAB), sizes, steps=60, batch=4, seq_len=10, lr=0.02,
                                   seed=3, progress=False)
    again = char_lm.train_char_lms(train, test, len(VOCAB), sizes, steps=60, batch=4, seq_len=10, lr=0.02,
                                   seed=3, progress=False)
    for cell, run in first.items():
        assert (run.losses == again[cell].losses).all() and run.test_bits == again[cell].test_bits
        assert run.parameters == char_lm.char_lm_parameters(cell, len(VOCAB), sizes[cell])
        assert run.characters == 60 * 4 * 10
        # uniform guessing over the vocabulary scores log2(V); a learned repetition scores far below
        assert run.test_bits < math.log2(len(VOCAB)) - 1


def test_every_cell_of_a_seed_reads_the_same_streams(monkeypatch):
    seen = {}
    real_forward = char_lm.CharLM.forward

    def spy(self, ids, state=None):
        if torch.is_grad_enabled():
            seen.setdefault(self.cell, []).append(ids.clone())
        return real_forward(self, ids, state)
    monkeypatch.setattr(char_lm.CharLM, "forward", spy)
    char_lm.train_char_lms(IDS[:700], IDS[700:], len(VOCAB), {"rnn": 4, "lstm": 4}, steps=5, batch=3, seq_len=6,
                           seed=1, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(seen["rnn"], seen["lstm"])) and len(seen["rnn"]) == 5
    # and each update continues where the previous one stopped: stream s reads on
    start = _start(seen, IDS[:700])
    assert torch.equal(seen["rnn"][1][:, 0], IDS[start + 6:start + 12])


def _start(seen, train):
    """Where stream 0 started: the first window's characters found in the training ids."""
    first = seen["rnn"][0][:, 0]
    for i in range(len(train) - len(first)):
        if torch.equal(train[i:i + len(first)], first):
            return i
    raise AssertionError("stream 0 is not a stretch of the training text")


def test_sample_line_is_seeded_and_stops_at_a_newline():
    torch.manual_seed(0)
    model = char_lm.CharLM("gru", len(VOCAB), 8)
    one = char_lm.sample_line(model, VOCAB, "to ", seed=5)
    assert one == char_lm.sample_line(model, VOCAB, "to ", seed=5)
    assert "\n" not in one and len(one) <= 100
    # a model that always predicts a newline writes an empty line
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.fill_(-1e3)
        model.head.bias[VOCAB.index["\n"]] = 1e3
    assert char_lm.sample_line(model, VOCAB, "to ", seed=5) == ""


def test_the_model_is_torch_nn_recurrent_layer_plus_read_out():
    torch.manual_seed(0)
    model = char_lm.CharLM("lstm", 5, 3)
    ids = torch.tensor([[0, 4], [2, 1], [3, 3]])                  # (seq, batch)
    logits, _ = model(ids)
    reference, _ = model.recurrent(nn.functional.one_hot(ids, 5).float())
    assert torch.equal(logits, model.head(reference))


@pytest.mark.parametrize("call, name", [
    (lambda: char_lm.CharLM("transformer", 5, 3), "cell"),
    (lambda: char_lm.CharLM("rnn", 1, 3), "vocab_size"),
    (lambda: char_lm.equal_budget_sizes(65, cells=("rnn", "cnn")), "cell"),
    (lambda: char_lm.train_char_lms(IDS, IDS, len(VOCAB), {}), "hidden_sizes"),
    (lambda: char_lm.train_char_lms(IDS, IDS, len(VOCAB), {"rnn": 0}), "hidden_size"),
    (lambda: char_lm.train_char_lms(IDS, IDS, len(VOCAB), {"rnn": 4}, steps=10**6), "steps"),
    (lambda: char_lm.train_char_lms([1, 2], IDS, len(VOCAB), {"rnn": 4}), "train"),
    (lambda: char_lm.sample_line(None, VOCAB, "", seed=0), "prompt"),
    (lambda: char_lm.sample_line(None, VOCAB, "a", temperature=0.0), "temperature"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        call()
