"""Chapter 1.2's sequential bottleneck (helpers/measure/bottleneck.py): the RNN against the attention
product, and three implementations of the same RNN, counted and timed.

No test asserts how long anything took: timings depend on the machine and its load. The tests check
the bookkeeping: what was kept, and what the phrases say for given samples.
"""
import numpy as np
import pytest
import torch

import helpers.measure.timing as timing
from helpers.measure.bottleneck import (
    BottleneckTimings,
    ImplementationTimings,
    attention_product,
    numpy_rnn,
    rnn_implementations,
    sequential_bottleneck,
    work_table,
)
from helpers.measure.timing import Timing


def test_bottleneck_timings_keep_every_sample_and_the_peak():
    t = sequential_bottleneck(lengths=(4, 8, 16), hidden_size=8, repeats=2, device="cpu")
    assert t.lengths == (4, 8, 16) and t.device == "cpu"
    assert t.rnn_seconds.shape == t.attention_seconds.shape == (3,)
    assert len(t.rnn_timings) == 3 and all(len(x.samples) == 2 for x in t.rnn_timings + t.attention_timings)
    assert list(t.rnn_seconds) == [x.median for x in t.rnn_timings]
    assert t.peak is not None and t.peak.flops_per_second > 0
    assert t.ratio() == pytest.approx(t.rnn_seconds[-1] / t.attention_seconds[-1])
    assert t.flop_ratio() == 2.0 and t.flop_ratio(64) == 8.0
    rnn, attention = t.fractions()
    assert rnn.shape == attention.shape == (3,) and (rnn > 0).all()
    assert "RNN, % of peak" in t.table().columns and len(t.table().rows) == 3


def test_attention_product_is_scaled_dot_product_attention():
    x = torch.randn(2, 7, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = torch.nn.functional.scaled_dot_product_attention(x, x, x)
    torch.testing.assert_close(attention_product(x), expected, rtol=1e-12, atol=1e-12)


def test_the_old_import_path_still_works():
    from helpers.measure.bottleneck import BottleneckTimings as Old
    from helpers.measure.bottleneck import sequential_bottleneck as old
    assert Old is BottleneckTimings and old is sequential_bottleneck
    with pytest.raises(AttributeError):
        timing.not_a_name  # noqa: B018 (the attribute access itself must raise)


def test_ratio_needs_a_measured_length():
    t = BottleneckTimings((8, 16), np.array([2.0, 4.0]), np.array([1.0, 1.0]), "cpu", 8, 1, 1)
    assert t.ratio() == 4.0 and t.ratio(8) == 2.0
    with pytest.raises(ValueError, match=r"^seq_len must be one of the measured lengths \(8, 16\), got 12"):
        t.ratio(12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lengths=()), "lengths must hold"),
    (dict(lengths=(16, 8)), "lengths must be strictly increasing"),
    (dict(lengths=(8, 8)), "lengths must be strictly increasing"),
    (dict(lengths=(0, 8)), "seq_len must be an integer in"),
    (dict(lengths=(8.5,)), "seq_len must be an integer in"),
    (dict(hidden_size=0), "hidden_size must be"),
    (dict(batch=0), "batch must be"),
    (dict(repeats=0), "repeats must be"),
    (dict(seed=-1), "seed must be"),
])
def test_bad_input_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match="^" + message):
        sequential_bottleneck(**{"lengths": (4, 8), "repeats": 1, "device": "cpu", **kwargs})


def _timings(seconds):
    return tuple(Timing(tuple(s)) for s in seconds)


def test_summary_phrases_fit_either_outcome_and_rank_nothing_inside_the_spread():
    rnn = _timings([(1e-3, 1.1e-3, 0.9e-3), (4e-3, 4e-3, 4e-3), (16e-3, 15e-3, 17e-3)])
    attention = _timings([(1e-4, 1e-4, 1e-4), (4e-3, 4.4e-3, 3.6e-3), (8e-3, 8e-3, 8e-3)])
    t = BottleneckTimings((16, 64, 256), np.array([x.median for x in rnn]), np.array([x.median for x in attention]),
                          "cpu", 64, 1, 3, rnn, attention)
    s = t.summary()
    assert s["comparison_longest"].startswith("the RNN took 2.0 times as long as the attention product")
    assert s["comparison_shortest"].startswith("the RNN took 10 times as long")
    assert s["lead"] == ("the RNN took longer than the attention product at length 16; the two were too close "
                         "to rank at length 64; the RNN took longer than the attention product at length 256")
    assert s["length_growth"] == "16" and s["rnn_growth"] == "16" and s["flop_ratio"] == "4"
    assert s["dependent_rnn"] == "256" and s["dependent_attention"] == "2" and "peak" not in s
    fast_rnn = BottleneckTimings((16, 64), np.array([1e-3, 1e-3]), np.array([1e-4, 4e-3]), "cuda", 64, 1, 3)
    assert fast_rnn.summary()["comparison_longest"].startswith("the attention product took 4.0 times as long as the RNN")


def test_table_has_a_row_per_length():
    t = BottleneckTimings((8, 16), np.array([2e-3, 4e-3]), np.array([1e-3, 1e-3]), "cpu", 8, 1, 1)
    assert t.table().rows == (("8", "2.000", "1.000", "2.0", "", ""), ("16", "4.000", "1.000", "4.0", "", ""))


@pytest.mark.parametrize("ratio", [0.0, -1.0, float("nan")])
def test_describe_ratio_rejects_non_positive(ratio):
    from helpers.measure.bottleneck import describe_ratio
    with pytest.raises(ValueError, match="^ratio must be"):
        describe_ratio(ratio)


def test_work_table_counts_t_dependent_steps_for_both_rnns_and_two_for_attention():
    table = work_table(lengths=(4, 32), hidden_size=8, batch=2)
    rows = {(r[0], r[1]): r for r in table.rows}
    assert rows[("torch.nn.RNN", "32")][2] == f"{2 * 2 * 32 * (8 * 8 + 8 * 8):,}"
    assert rows[("torch.nn.RNN", "32")][4] == rows[("helpers.TanhRNN", "32")][4] == "32"
    assert rows[("torch.nn.RNN", "32")][3] == "33"                # one product for all inputs, then one per step
    assert rows[("helpers.TanhRNN", "32")][3] == "64"             # two products per step
    assert rows[("attention product", "4")][4] == rows[("attention product", "32")][4] == "2"


def test_numpy_rnn_is_the_same_recurrence_as_nn_rnn():
    g = torch.Generator().manual_seed(0)
    rnn = torch.nn.RNN(5, 6)
    x = torch.randn(9, 3, 5, generator=g)
    weights = [getattr(rnn, n + "_l0").detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    np.testing.assert_allclose(numpy_rnn(x.numpy(), *weights), rnn(x)[0].detach().numpy(), atol=1e-5)


def test_rnn_implementations_time_all_three_on_the_cpu_and_phrase_the_result():
    result = rnn_implementations(seq_len=5, hidden_size=8, repeats=3, device="cpu")
    assert list(result.timings) == ["torch.nn.RNN", "Python loop (helpers.TanhRNN)", "NumPy loop"]
    assert len(result.table().rows) == 3 and result.table().rows[0][2].startswith("1.00")
    fake = ImplementationTimings(100, 64, 1, "cpu", 3, {
        "torch.nn.RNN": Timing((1.0, 1.0, 1.0)), "Python loop (helpers.TanhRNN)": Timing((0.5, 0.5, 0.5)),
        "NumPy loop": Timing((1.0, 1.02, 0.98))})
    s = fake.summary()
    assert s["loop_vs_rnn"].startswith("torch.nn.RNN took 2.0 times as long as the Python loop")
    assert s["numpy_vs_rnn"].startswith("the NumPy loop and torch.nn.RNN were too close to rank")
    assert s["fastest"] == "the Python loop was the fastest of the three" and s["nn_rnn_fastest"] == "was not"
