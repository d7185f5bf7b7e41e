"""Bad input must fail early, with a ValueError that names the parameter a reader got wrong.

The course promises (helpers/core/checks.py) that a wrong value never surfaces as a traceback from
deep inside torch. Each case below calls a public helper the way a notebook would, with one bad
argument, and checks the exception type, that its message starts by naming that argument, and that
the check came before any work: while the bad calls run, drawing random numbers, seeding torch's
generator and building an optimizer all fail the test. The checkers' own tests are
tests/core/test_checks.py.
"""
from types import SimpleNamespace

import pytest
import torch

import helpers
from helpers.core.device import describe_device, pick_device
from helpers.core.seeding import seed_everything
from helpers.exercises import drill_runs, drills, gru_drill
from helpers.experiments import adding_runs, char_lm, corpus
from helpers.experiments import context_vectors, gated_flow, long_range, lookahead, receptive_field, seq2seq_training, training
from helpers.experiments.gradient_flow import gradient_flow, input_gradient_profile
from helpers.experiments.tables import multiplier_table, tanh_derivative_table
from helpers.experiments.tasks import adding_problem, delayed_echo
from helpers.experiments.training import truncated_gradient_reach
from helpers.explorers import attention as attention_explorer
from helpers.explorers import cliff as cliff_explorer
from helpers.explorers import first_input_decay as decay_explorer
from helpers.explorers import gated_flow as gated_explorer
from helpers.explorers import gradient_flow as gradient_explorer
from helpers.explorers import local_attention as local_attention_explorer
from helpers.figures import local_attention as local_attention_figures
from helpers.figures import gated_runs, plots, sequence_figures
from helpers.measure import lanes
from helpers.models import birnn, local_attention, seq2seq
from helpers.models.inits import recurrent_matrix, rescale_to_radius, spectral_radius
from helpers.models.tanh_rnn import TanhRNN

from tests.messages import names


# --- every public entry point, one bad argument at a time -------------------------------------

BAD_CALLS = {
    # seq_len
    "gradient_flow seq_len 0": (lambda: gradient_flow([1.0], seq_len=0), "seq_len"),
    "gradient_flow seq_len -5": (lambda: gradient_flow([1.0], seq_len=-5), "seq_len"),
    "gradient_flow seq_len too long": (lambda: gradient_flow([1.0], seq_len=10**9), "seq_len"),
    "adding_problem seq_len 0": (lambda: adding_problem(4, 0), "seq_len"),
    "adding_problem seq_len -5": (lambda: adding_problem(4, -5), "seq_len"),
    "delayed_echo seq_len 0": (lambda: delayed_echo(4, 0, 0), "seq_len"),
    "truncated_gradient_reach seq_len -5": (lambda: truncated_gradient_reach("rnn", -5, 2), "seq_len"),
    # hidden_size
    "gradient_flow hidden_size 0": (lambda: gradient_flow([1.0], hidden_size=0), "hidden_size"),
    "recurrent_matrix hidden_size 0": (lambda: recurrent_matrix(0, "orthogonal"), "hidden_size"),
    "TanhRNN hidden_size 0": (lambda: TanhRNN(1, 0), "hidden_size"),
    "TanhRNN input_size 0": (lambda: TanhRNN(0, 4), "input_size"),
    # init
    "gradient_flow init glorot": (lambda: gradient_flow([1.0], inits="glorot"), "init"),
    "gradient_flow init list with glorot": (lambda: gradient_flow([1.0], inits=("orthogonal", "glorot")), "init"),
    "recurrent_matrix init glorot": (lambda: recurrent_matrix(4, "glorot"), "init"),
    "TanhRNN init glorot": (lambda: TanhRNN(1, 4, init="glorot"), "init"),
    # radius
    "gradient_flow radius nan": (lambda: gradient_flow([float("nan")]), "radius"),
    "gradient_flow radius inf": (lambda: gradient_flow([1.0, float("inf")]), "radius"),
    "gradient_flow radius negative": (lambda: gradient_flow([-0.5]), "radius"),
    "gradient_flow no radius": (lambda: gradient_flow([]), "radii"),
    "rescale_to_radius nan": (lambda: rescale_to_radius(torch.eye(3), float("nan")), "radius"),
    "rescale_to_radius inf": (lambda: rescale_to_radius(torch.eye(3), float("inf")), "radius"),
    "rescale_to_radius negative": (lambda: rescale_to_radius(torch.eye(3), -1.0), "radius"),
    "TanhRNN radius nan": (lambda: TanhRNN(1, 4, radius=float("nan")), "radius"),
    "TanhRNN radius inf": (lambda: TanhRNN(1, 4, radius=float("inf")), "radius"),
    "TanhRNN radius negative": (lambda: TanhRNN(1, 4, radius=-2.0), "radius"),
    # other gradient_flow arguments
    "gradient_flow dtype float16": (lambda: gradient_flow([1.0], dtype=torch.float16), "dtype"),
    "gradient_flow seed -1": (lambda: gradient_flow([1.0], seed=-1), "seed"),
    # tables
    "tanh_derivative_table activation 1.0": (lambda: tanh_derivative_table((0.5, 1.0)), "activation"),
    "tanh_derivative_table activation -1.0": (lambda: tanh_derivative_table((-1.0,)), "activation"),
    "tanh_derivative_table activation nan": (lambda: tanh_derivative_table((float("nan"),)), "activation"),
    "multiplier_table negative": (lambda: multiplier_table((-0.9,)), "multiplier"),
    "multiplier_table steps 0": (lambda: multiplier_table(steps=(0,)), "steps"),
    # tasks and training
    "delayed_echo delay == seq_len": (lambda: delayed_echo(4, 10, 10), "delay"),
    "delayed_echo delay > seq_len": (lambda: delayed_echo(4, 10, 25), "delay"),
    "delayed_echo delay negative": (lambda: delayed_echo(4, 10, -1), "delay"),
    "adding_problem n 0": (lambda: adding_problem(0, 10), "n"),
    "truncated_gradient_reach window 0": (lambda: truncated_gradient_reach("rnn", 10, 0), "window"),
    "truncated_gradient_reach cell": (lambda: truncated_gradient_reach("transformer", 10, 2), "cell"),
    # device and seeding
    "pick_device tpu": (lambda: pick_device("tpu"), "prefer"),
    "seed_everything -1": (lambda: seed_everything(-1), "seed"),
    # the lanes model of chapter 1.2 (helpers/measure/lanes.py)
    "time_bounds lanes 0": (lambda: lanes.time_bounds(1e6, 100, 0, 1e9, 1e-6), "lanes"),
    "crossover_length latency 0": (lambda: lanes.crossover_length(64, 1e9, 0.0), "latency"),
    "lanes_to_change_places lane_rate -1": (lambda: lanes.lanes_to_change_places(-1.0, 1e-6), "lane_rate"),
    "layer_costs seq_len 0": (lambda: lanes.layer_costs([16, 0]), "seq_len"),
    "measure_lanes steps 4": (lambda: lanes.measure_lanes(steps=4), "steps"),
}


@pytest.fixture
def no_work(monkeypatch):
    """Make the first steps of any real work fail, so a check that comes too late fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("work began before the arguments were checked")
    for owner, name in ((torch, "manual_seed"), (torch, "rand"), (torch, "randn"), (torch, "randint"),
                        (torch.optim, "Adam"), (torch.optim, "SGD")):
        monkeypatch.setattr(owner, name, refuse)


@pytest.mark.parametrize("call, parameter", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_argument_raises_value_error_naming_it(call, parameter, no_work):
    with pytest.raises(ValueError, match=names(parameter)):
        call()


# --- every public helper, one bad argument at a time, checked before any work --------------------

MODEL = TanhRNN(1, 4, generator=torch.Generator().manual_seed(0))       # built here, before no_work
X = torch.zeros(5, 8, dtype=torch.float64)
RUN = SimpleNamespace(model=None, task="copy")                            # never reached: the check comes first
RESULT = SimpleNamespace(lengths=(4, 8))
IDS = torch.arange(40) % 5                                                # five characters' ids, for char_lm
VOCAB = corpus.CharVocabulary("abcde")


def _clip(parameters, max_norm):
    return 0.0


# every public function that takes a seed: seed -> the call
SEEDED = {
    "seed_everything": lambda s: seed_everything(s),
    "start_notebook": lambda s: helpers.start_notebook(s),
    "record_provenance": lambda s: plots.record_provenance("cpu", s),
    "gradient_flow": lambda s: gradient_flow([1.0], seed=s),
    "input_gradient_profile": lambda s: input_gradient_profile(MODEL, 5, seed=s),
    "explore_gradient_flow": lambda s: gradient_explorer.explore_gradient_flow(seed=s),
    "GradientFlowWidget": lambda s: gradient_explorer.GradientFlowWidget(seed=s),
    "gated_flow": lambda s: gated_flow.gated_flow([1.0], seed=s),
    "explore_gated_flow": lambda s: gated_explorer.explore_gated_flow(seed=s),
    "GatedFlowWidget": lambda s: gated_explorer.GatedFlowWidget(seed=s),
    "clipping_experiment": lambda s: training.clipping_experiment(seed=s),
    "truncated_gradient_reach": lambda s: truncated_gradient_reach("rnn", 10, 2, seed=s),
    "tbptt_echo_accuracy": lambda s: training.tbptt_echo_accuracy("rnn", 4, 2, seed=s),
    "train_lookahead": lambda s: lookahead.train_lookahead(True, seed=s),
    "train_recall": lambda s: long_range.train_recall("lstm", seed=s),
    "recall_sweep": lambda s: long_range.recall_sweep(seed=s),
    "train_seq2seq": lambda s: seq2seq_training.train_seq2seq(seed=s),
    "accuracy_by_length": lambda s: seq2seq_training.accuracy_by_length(RUN, (4,), seed=s),
    "position_accuracy": lambda s: seq2seq_training.position_accuracy(RUN, 4, seed=s),
    "clipping_runs": lambda s: drill_runs.clipping_runs(_clip, seed=s),
    "train_pick": lambda s: drill_runs.train_pick(seed=s),
    "bahdanau_case": lambda s: drills.bahdanau_case(seed=s),
    "ContextModel": lambda s: context_vectors.ContextModel(5, 4, 4, seed=s),
    "word_similarities": lambda s: context_vectors.word_similarities(seed=s),
    "decay_networks": lambda s: decay_explorer.decay_networks(1.0, seed=s),
    "static_decay_figure": lambda s: decay_explorer.static_decay_figure(seed=s),
    "decay_spec": lambda s: decay_explorer.decay_spec(seed=s),
    "orthogonal_pair": lambda s: decay_explorer.orthogonal_pair(seed=s),
    "DecayWidget": lambda s: decay_explorer.DecayWidget(seed=s),
    "explore_first_input_decay": lambda s: decay_explorer.explore_first_input_decay(seed=s),
    "local_example": lambda s: local_attention.local_example(seed=s),
    "example_scores": lambda s: local_attention.example_scores(seed=s),
    "local_attention_figure": lambda s: local_attention_figures.local_attention_figure(seed=s),
    "static_local_figure": lambda s: local_attention_explorer.static_local_figure(seed=s),
    "local_spec": lambda s: local_attention_explorer.local_spec(seed=s),
    "LocalAttentionWidget": lambda s: local_attention_explorer.LocalAttentionWidget(seed=s),
    "explore_local_attention": lambda s: local_attention_explorer.explore_local_attention(seed=s),
    "measured_receptive_field": lambda s: receptive_field.measured_receptive_field(3, 2, seed=s),
    "explore_cliff": lambda s: cliff_explorer.explore_cliff({8: RUN}, {8: RESULT}, seed=s),
    "CliffWidget": lambda s: cliff_explorer.CliffWidget(None, (4,), "cpu", seed=s),
    "train_adding": lambda s: adding_runs.train_adding("gru", seed=s),
    "train_char_lms": lambda s: char_lm.train_char_lms(IDS, IDS, 5, {"rnn": 4}, seed=s),
    "sample_line": lambda s: char_lm.sample_line(None, VOCAB, "a", seed=s),
    "gru_case": lambda s: gru_drill.gru_case(seed=s),
}


@pytest.mark.parametrize("seed", [-1, 2**32, 0.5])
@pytest.mark.parametrize("name", list(SEEDED))
def test_every_seeded_helper_takes_seeds_from_0_to_2_to_the_32_minus_1(name, seed, no_work):
    with pytest.raises(ValueError, match=names("seed") + r" must be an integer in \[0, 4294967295\]"):
        SEEDED[name](seed)


MORE_BAD_CALLS = {
    # training loops: steps, batch and the rest, before the first update
    "tbptt_echo_accuracy steps 0": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, steps=0), "steps"),
    "tbptt_echo_accuracy steps -3": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, steps=-3), "steps"),
    "tbptt_echo_accuracy batch 0": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, batch=0), "batch"),
    "tbptt_echo_accuracy lr 0": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, lr=0.0), "lr"),
    "tbptt_echo_accuracy hidden_size 0": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, hidden_size=0), "hidden_size"),
    "tbptt_echo_accuracy seq_len 0": (lambda: training.tbptt_echo_accuracy("rnn", 4, 2, seq_len=0), "seq_len"),
    "tbptt_echo_accuracy cell": (lambda: training.tbptt_echo_accuracy("transformer", 4, 2), "cell"),
    "truncated_gradient_reach hidden_size 0": (lambda: truncated_gradient_reach("rnn", 10, 2, hidden_size=0), "hidden_size"),
    "clipping_experiment second max_norm -1": (lambda: training.clipping_experiment((None, -1.0)), "max_norm"),
    "clipping_experiment max_norm nan": (lambda: training.clipping_experiment((1.0, float("nan"))), "max_norm"),
    "clipping_experiment no max_norms": (lambda: training.clipping_experiment(()), "max_norms"),
    "clipping_experiment batch 0": (lambda: training.clipping_experiment(batch=0), "batch"),
    "clipping_experiment seq_len 1": (lambda: training.clipping_experiment(seq_len=1), "seq_len"),
    "clipping_experiment hidden_size 0": (lambda: training.clipping_experiment(hidden_size=0), "hidden_size"),
    "clipping_runs max_norm -1": (lambda: drill_runs.clipping_runs(_clip, (-1.0,)), "max_norm"),
    "clipping_runs second max_norm 0": (lambda: drill_runs.clipping_runs(_clip, (None, 0.0)), "max_norm"),
    "clipping_runs clip_fn": (lambda: drill_runs.clipping_runs(None), "clip_fn"),
    "clipping_runs batch 0": (lambda: drill_runs.clipping_runs(_clip, batch=0), "batch"),
    "clipping_runs lr 0": (lambda: drill_runs.clipping_runs(_clip, lr=0.0), "lr"),
    "clipping_runs seq_len 1": (lambda: drill_runs.clipping_runs(_clip, seq_len=1), "seq_len"),
    "train_pick steps 0": (lambda: drill_runs.train_pick(steps=0), "steps"),
    "train_pick batch 0": (lambda: drill_runs.train_pick(batch=0), "batch"),
    "train_pick lr -1": (lambda: drill_runs.train_pick(lr=-1.0), "lr"),
    "train_lookahead batch 0": (lambda: lookahead.train_lookahead(True, batch=0), "batch"),
    "train_recall num_symbols 1": (lambda: long_range.train_recall("lstm", num_symbols=1), "num_symbols"),
    "train_recall distances string": (lambda: long_range.train_recall("lstm", distances="10"), "distances"),
    "recall_sweep second cell": (lambda: long_range.recall_sweep(("rnn", "transformer")), "cell"),
    "recall_sweep steps 0": (lambda: long_range.recall_sweep(steps=0), "steps"),
    "recall_sweep forget_bias on the rnn": (lambda: long_range.recall_sweep(forget_bias=1.0), "forget_bias"),
    "recall_accuracy n 0": (lambda: long_range.recall_accuracy(None, 5, n=0), "n"),
    "train_seq2seq hidden_size 0": (lambda: seq2seq_training.train_seq2seq(hidden_size=0), "hidden_size"),
    "train_seq2seq attention": (lambda: seq2seq_training.train_seq2seq(attention="cosine"), "attention"),
    "train_seq2seq device": (lambda: seq2seq_training.train_seq2seq(device="tpu"), "device"),
    "train_seq2seq vocab_size 1": (lambda: seq2seq_training.train_seq2seq(vocab_size=1), "vocab_size"),
    "accuracy_table shown_lengths": (lambda: seq2seq_training.accuracy_table({8: RUN}, {8: RESULT}, (5,)), "shown_lengths"),
    "accuracy_table results": (lambda: seq2seq_training.accuracy_table({8: RUN}, {}, (4,)), "results"),
    "accuracy_table threshold": (lambda: seq2seq_training.accuracy_table({8: RUN}, {8: RESULT}, (4,), 2.0), "threshold"),
    # devices and dtypes
    "gradient_flow device tpu": (lambda: gradient_flow([1.0], device="tpu"), "device"),
    "gradient_flow device 3": (lambda: gradient_flow([1.0], device=3), "device"),
    "gated_flow device tpu": (lambda: gated_flow.gated_flow([1.0], device="tpu"), "device"),
    "gated_flow dtype int64": (lambda: gated_flow.gated_flow([1.0], dtype=torch.int64), "dtype"),
    "gated_flow biases string": (lambda: gated_flow.gated_flow("1.0"), "biases"),
    "describe_device tpu": (lambda: describe_device("tpu"), "device"),
    "recurrent_matrix dtype int32": (lambda: recurrent_matrix(4, "orthogonal", dtype=torch.int32), "dtype"),
    "explore_gradient_flow device": (lambda: gradient_explorer.explore_gradient_flow(device="tpu"), "device"),
    "GradientFlowWidget device": (lambda: gradient_explorer.GradientFlowWidget(device="tpu"), "device"),
    "GradientFlowWidget radius 5": (lambda: gradient_explorer.GradientFlowWidget(radius=5.0), "radius"),
    "GradientFlowWidget hidden_size 48": (lambda: gradient_explorer.GradientFlowWidget(hidden_size=48), "hidden_size"),
    "GradientFlowWidget dtype float16": (lambda: gradient_explorer.GradientFlowWidget(dtype="float16"), "dtype"),
    "GradientFlowWidget init": (lambda: gradient_explorer.GradientFlowWidget(init="glorot"), "init"),
    "explore_gated_flow device": (lambda: gated_explorer.explore_gated_flow(device="tpu"), "device"),
    "GatedFlowWidget device": (lambda: gated_explorer.GatedFlowWidget(device="tpu"), "device"),
    "CliffWidget device": (lambda: cliff_explorer.CliffWidget(None, (4,), "tpu"), "device"),
    # generators, shapes, states
    "adding_problem generator": (lambda: adding_problem(4, 10, generator=3), "generator"),
    "make_batch generator": (lambda: seq2seq.make_batch(4, 1, 5, generator="g"), "generator"),
    "recurrent_matrix generator": (lambda: recurrent_matrix(4, "orthogonal", generator=1), "generator"),
    "TanhRNN generator": (lambda: TanhRNN(1, 4, generator=0), "generator"),
    "spectral_radius not square": (lambda: spectral_radius(torch.ones(2, 3)), "weight"),
    "detach_state string": (lambda: training.detach_state("h"), "state"),
    # models and tasks
    "Seq2Seq embedding_dim 0": (lambda: seq2seq.Seq2Seq(embedding_dim=0), "embedding_dim"),
    "encode_symbols vocab_size 1": (lambda: seq2seq.encode_symbols("1 2", vocab_size=1), "vocab_size"),
    "PickModel hidden_size 0": (lambda: drill_runs.PickModel(hidden_size=0), "hidden_size"),
    "pick_task picks": (lambda: drill_runs.pick_task(4, picks=(5,)), "picks"),
    "pick_task src_len 0": (lambda: drill_runs.pick_task(4, src_len=0), "src_len"),
    "TwoLayerRegressor input_size 0": (lambda: drill_runs.TwoLayerRegressor(0, 4), "input_size"),
    "Tagger num_symbols 0": (lambda: lookahead.Tagger(0, 4, False), "num_symbols"),
    "BiRNN input_size 0": (lambda: birnn.BiRNN(0, 4), "input_size"),
    # drills
    "check_two_layer_rnn fn": (lambda: drills.check_two_layer_rnn(None), "fn"),
    "check_clipping fn": (lambda: drills.check_clipping(3), "fn"),
    "check_bahdanau fn": (lambda: drills.check_bahdanau("f"), "fn"),
    "first_input_influence fn": (lambda: drills.first_input_influence(None, {}, X), "fn"),
    "first_input_influence x": (lambda: drills.first_input_influence(drills.two_layer_rnn, {}, [1.0]), "x"),
    "clip_total_norm max_norm -1": (lambda: drills.clip_total_norm([], -1.0), "max_norm"),
    "bahdanau_case src_len 0": (lambda: drills.bahdanau_case(src_len=0), "src_len"),
    "check_gru_step fn": (lambda: gru_drill.check_gru_step("f"), "fn"),
    "gru_case hidden_size 0": (lambda: gru_drill.gru_case(hidden_size=0), "hidden_size"),
    "gru_case cases 0": (lambda: gru_drill.gru_case(cases=0), "cases"),
    # the adding problem and the character-level language models of chapter 1.4
    "train_adding cell": (lambda: adding_runs.train_adding("cnn"), "cell"),
    "train_adding forget_bias on the rnn": (lambda: adding_runs.train_adding("rnn", forget_bias=2.0), "forget_bias"),
    "train_adding steps 0": (lambda: adding_runs.train_adding("gru", steps=0), "steps"),
    "train_adding seq_len 1": (lambda: adding_runs.train_adding("gru", seq_len=1), "seq_len"),
    "train_adding test_size 0": (lambda: adding_runs.train_adding("gru", test_size=0), "test_size"),
    "CharVocabulary empty": (lambda: corpus.CharVocabulary(""), "text"),
    "CharVocabulary encode unknown": (lambda: VOCAB.encode("xyz"), "text"),
    "split_ids held_out 0.9": (lambda: corpus.split_ids(IDS, held_out=0.9), "held_out"),
    "split_ids ids list": (lambda: corpus.split_ids([1, 2, 3]), "ids"),
    "CharLM cell": (lambda: char_lm.CharLM("transformer", 5, 4), "cell"),
    "CharLM vocab_size 1": (lambda: char_lm.CharLM("rnn", 1, 4), "vocab_size"),
    "char_lm_parameters cell": (lambda: char_lm.char_lm_parameters("cnn", 5, 4), "cell"),
    "equal_budget_sizes cells": (lambda: char_lm.equal_budget_sizes(65, cells=("rnn", "cnn")), "cell"),
    "equal_budget_sizes reference hidden 0": (lambda: char_lm.equal_budget_sizes(65, reference=("lstm", 0)), "hidden_size"),
    "bits_per_char streams 0": (lambda: char_lm.bits_per_char(None, IDS, streams=0), "streams"),
    "unigram_bits vocab_size 1": (lambda: char_lm.unigram_bits(IDS, IDS, 1), "vocab_size"),
    "train_char_lms hidden_sizes": (lambda: char_lm.train_char_lms(IDS, IDS, 5, {}), "hidden_sizes"),
    "train_char_lms cell": (lambda: char_lm.train_char_lms(IDS, IDS, 5, {"cnn": 4}), "cell"),
    "train_char_lms steps too many": (lambda: char_lm.train_char_lms(IDS, IDS, 5, {"rnn": 4}, steps=10), "steps"),
    "train_char_lms batch 0": (lambda: char_lm.train_char_lms(IDS, IDS, 5, {"rnn": 4}, batch=0), "batch"),
    "train_char_lms train list": (lambda: char_lm.train_char_lms([0, 1], IDS, 5, {"rnn": 4}), "train"),
    "sample_line temperature 0": (lambda: char_lm.sample_line(None, VOCAB, "a", temperature=0.0), "temperature"),
    "sample_line prompt empty": (lambda: char_lm.sample_line(None, VOCAB, ""), "prompt"),
    # figures and explorers
    "static_gradient_figure no flows": (lambda: gradient_explorer.static_gradient_figure({}), "flows"),
    "static_gated_figure no flows": (lambda: gated_explorer.static_gated_figure({}), "flows"),
    "static_gated_figure active_bias": (lambda: gated_explorer.static_gated_figure(
        {20: SimpleNamespace(biases=(None, 1.0))}, active_bias=2.0), "active_bias"),
    "static_local_figure src_len 1": (lambda: local_attention_explorer.static_local_figure(src_len=1), "src_len"),
    "local_spec half_width 0": (lambda: local_attention_explorer.local_spec(half_width=0), "half_width"),
    "LocalAttentionWidget half_width 0": (lambda: local_attention_explorer.LocalAttentionWidget(half_width=0), "half_width"),
    "explore_local_attention hidden_size 0": (lambda: local_attention_explorer.explore_local_attention(hidden_size=0), "hidden_size"),
    "explore_cliff active_hidden": (lambda: cliff_explorer.explore_cliff({8: RUN}, {8: RESULT}, 16), "active_hidden"),
    "static_cliff_figure runs": (lambda: cliff_explorer.static_cliff_figure({}, {}, 8), "runs"),
    "word_similarities word": (lambda: context_vectors.word_similarities(word=3), "word"),
    "word_similarities hidden_size 0": (lambda: context_vectors.word_similarities(hidden_size=0), "hidden_size"),
    "static_decay_figure radius 5": (lambda: decay_explorer.static_decay_figure(radius=5.0), "radius"),
    "explore_first_input_decay seq_len 35": (lambda: decay_explorer.explore_first_input_decay(seq_len=35), "seq_len"),
    "explore_first_input_decay seq_len 210": (lambda: decay_explorer.explore_first_input_decay(seq_len=210), "seq_len"),
    "DecayWidget radius 5": (lambda: decay_explorer.DecayWidget(radius=5.0), "radius"),
    "explore_first_input_decay rnn_fn": (lambda: decay_explorer.explore_first_input_decay(None), "rnn_fn"),
    "explore_attention no runs": (lambda: attention_explorer.explore_attention({}, ["1 2"]), "runs"),
    "explore_attention examples string": (lambda: attention_explorer.explore_attention({"a": RUN}, "1 2"), "examples"),
    "static_attention_figure no examples": (lambda: attention_explorer.static_attention_figure({"a": RUN}, []), "examples"),
    "encode_for_log_axis dtype": (lambda: plots.encode_for_log_axis([1.0], dtype="float16"), "dtype"),
    "encode_for_log_axis digits 0": (lambda: plots.encode_for_log_axis([1.0], digits=0), "digits"),
    "gradient_axes dtype": (lambda: plots.gradient_axes(None, "half"), "dtype"),
    "value_slider no steps": (lambda: plots.value_slider([], 0, "", 0), "steps"),
    "value_slider active": (lambda: plots.value_slider([{}], 1, "", 0), "active"),
    "record_provenance device_line": (lambda: plots.record_provenance(3, 0), "device_line"),
    "short_label sentence": (lambda: sequence_figures.short_label(3), "sentence"),
    "char_lm_figure runs_by_seed": (lambda: gated_runs.char_lm_figure({}, 4.8), "runs_by_seed"),
    "recall_figure distances": (lambda: gated_runs.recall_figure((), {"rnn": [1.0]}), "distances"),
}


@pytest.mark.parametrize("call, parameter", list(MORE_BAD_CALLS.values()), ids=list(MORE_BAD_CALLS))
def test_more_bad_arguments_are_named_before_any_work(call, parameter, no_work):
    with pytest.raises(ValueError, match=names(parameter)):
        call()


def test_a_bad_thread_count_is_named(monkeypatch, no_work):
    for bad in ("abc", "0"):
        monkeypatch.setenv("TORCH_NUM_THREADS", bad)
        with pytest.raises(ValueError, match=names("$TORCH_NUM_THREADS") + " must be an integer >= 1"):
            helpers.start_notebook()
