"""The bottleneck timing helper: the right shapes, repeatable inputs, and clear errors."""
import numpy as np
import pytest
import torch

from helpers.timing import BottleneckTimings, attention_product, sequential_bottleneck


def test_timings_have_one_positive_entry_per_length():
    t = sequential_bottleneck(lengths=(4, 8, 16), hidden_size=8, repeats=2, device="cpu")
    assert t.lengths == (4, 8, 16) and t.device == "cpu"
    assert t.rnn_seconds.shape == t.attention_seconds.shape == (3,)
    assert (t.rnn_seconds > 0).all() and (t.attention_seconds > 0).all()
    assert t.ratio() == pytest.approx(t.rnn_seconds[-1] / t.attention_seconds[-1])
    assert t.ratio(4) == pytest.approx(t.rnn_seconds[0] / t.attention_seconds[0])
    assert t.flop_ratio() == 2.0 and t.flop_ratio(64) == 8.0


def test_attention_product_is_scaled_dot_product_attention():
    x = torch.randn(2, 7, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = torch.nn.functional.scaled_dot_product_attention(x, x, x)
    torch.testing.assert_close(attention_product(x), expected, rtol=1e-12, atol=1e-12)


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


def test_summary_phrases_fit_either_outcome():
    slow_rnn = BottleneckTimings((16, 64, 256), np.array([1e-3, 4e-3, 16e-3]), np.array([1e-4, 2e-4, 8e-3]),
                                 "cpu", 64, 1, 3)
    s = slow_rnn.summary()
    assert s["comparison_longest"] == "the RNN took 2.0 times as long as the attention product"
    assert s["comparison_shortest"] == "the RNN took 10.0 times as long as the attention product"
    assert s["trend"] == "peaked at length 64 (ratio 20.0) and then fell"
    assert s["length_growth"] == "16" and s["rnn_growth"] == "16" and s["flop_ratio"] == "4"
    assert s["rnn_ms"] == "16.00" and s["us_per_step"] == "62.5"
    fast_rnn = BottleneckTimings((16, 64), np.array([1e-3, 1e-3]), np.array([1e-4, 4e-3]), "cuda", 64, 1, 3)
    assert fast_rnn.summary()["comparison_longest"] == "the attention product took 4.0 times as long as the RNN"
    growing = BottleneckTimings((16, 64), np.array([1e-3, 4e-3]), np.array([1e-3, 1e-3]), "cuda", 64, 1, 3)
    assert growing.summary()["trend"] == "grew all the way to the longest length"


def test_table_has_a_row_per_length():
    t = BottleneckTimings((8, 16), np.array([2e-3, 4e-3]), np.array([1e-3, 1e-3]), "cpu", 8, 1, 1)
    assert t.table().rows == (("8", "2.000", "1.000", "2.0"), ("16", "4.000", "1.000", "4.0"))


@pytest.mark.parametrize("ratio", [0.0, -1.0, float("nan")])
def test_describe_ratio_rejects_non_positive(ratio):
    from helpers.timing import describe_ratio
    with pytest.raises(ValueError, match="^ratio must be"):
        describe_ratio(ratio)
