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
