"""The same seed gives the same numbers, and no helper reseeds the reader's generators.

Every helper that takes a seed builds its models inside helpers.core.seeding.seeded and draws its
data from a torch.Generator of its own, so a reader's `torch.randn` after a helper call continues
the stream it was on. Only start_notebook (and seed_everything, which it calls) seeds the global
generators: that is the ritual the reader runs on purpose. Each call below is a real, small run
of the helper; before and after it, torch's, NumPy's and Python's global states must be equal.
"""
import random

import numpy as np
import pytest
import torch

from helpers.core.seeding import seed_everything, seeded
from helpers.exercises import drill_runs, drills, gru_drill
from helpers.experiments import adding_runs, char_lm
from helpers.experiments import context_vectors, gated_flow, long_range, lookahead, receptive_field, seq2seq_training, training
from helpers.explorers import first_input_decay
from helpers.measure import costs
from helpers.models import local_attention

# seed -> a small real run of every helper that builds a model or draws from a seed
CALLS = {
    "clipping_experiment": lambda s: training.clipping_experiment(steps=3, seed=s).__repr__(),
    "truncated_gradient_reach": lambda s: training.truncated_gradient_reach("lstm", 10, 4, seed=s),
    "tbptt_echo_accuracy": lambda s: training.tbptt_echo_accuracy("rnn", 4, 2, steps=2, seed=s),
    "train_lookahead": lambda s: lookahead.train_lookahead(True, steps=2, seed=s).losses,
    "train_recall": lambda s: long_range.train_recall("lstm", steps=2, seed=s).losses,
    "train_seq2seq": lambda s: seq2seq_training.train_seq2seq(16, steps=2, seed=s).losses,
    "gated_flow": lambda s: gated_flow.gated_flow([1.0], seq_len=5, hidden_size=4, seed=s).grad_x["lstm"],
    "measured_receptive_field": lambda s: receptive_field.measured_receptive_field(3, 2, seed=s),
    "ContextModel": lambda s: context_vectors.ContextModel(5, 4, 4, seed=s).rnn.weight_hh_l0.detach(),
    "local_example": lambda s: local_attention.local_example(seed=s)[1],
    "decay_networks": lambda s: first_input_decay.decay_networks(1.0, seq_len=5, seed=s)[0]["weight_hh_l0"],
    "clipping_runs": lambda s: drill_runs.clipping_runs(drills.clip_total_norm, steps=3, seed=s)[1].losses,
    "train_pick": lambda s: drill_runs.train_pick(steps=2, seed=s, progress=False)[1],
    "bahdanau_case": lambda s: drills.bahdanau_case(seed=s)[0],
    "train_adding": lambda s: adding_runs.train_adding("lstm", steps=2, forget_bias=2.0, test_size=4, seed=s,
                                                       progress=False).losses,
    "train_char_lms": lambda s: char_lm.train_char_lms(torch.arange(60) % 5, torch.arange(30) % 5, 5, {"gru": 3},
                                                       steps=2, batch=2, seq_len=4, seed=s, progress=False)["gru"].losses,
    "sample_line": lambda s: _sample_line(s),
    "gru_case": lambda s: gru_drill.gru_case(seed=s)[2][0][0],
    "cost_models": lambda s: costs.cost_models(d_model=8, nhead=2, seed=s)["forward RNN"].weight_hh_l0.detach(),
}


def _sample_line(seed):
    from helpers.experiments.corpus import CharVocabulary
    vocab = CharVocabulary("ab c\n")
    with seeded(0):
        model = char_lm.CharLM("rnn", len(vocab), 4)
    return char_lm.sample_line(model, vocab, "a", seed=seed)


def _global_states():
    return torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()


def _same(a, b):
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b, equal_nan=True)
    return a == b


@pytest.mark.parametrize("name", list(CALLS))
def test_a_helper_leaves_the_global_generators_alone_and_repeats_itself(name):
    seed_everything(99)
    before = _global_states()
    first = CALLS[name](3)
    after = _global_states()
    assert torch.equal(before[0], after[0]), f"{name} moved torch's global generator"
    assert np.array_equal(before[1], after[1]) and before[2] == after[2], f"{name} moved NumPy's or Python's generator"
    torch.manual_seed(12345)                                  # whatever the reader's stream holds...
    assert _same(CALLS[name](3), first), f"{name}: the same seed gave other numbers"   # ...the same numbers


def test_seeded_gives_the_stream_back_and_seed_everything_resets_it():
    seed_everything(5)
    expected = torch.rand(3)
    seed_everything(5)
    with seeded(1):
        inside = torch.rand(3)
    assert torch.equal(torch.rand(3), expected)               # the stream continued as if nothing happened
    with seeded(1):
        assert torch.equal(torch.rand(3), inside)
