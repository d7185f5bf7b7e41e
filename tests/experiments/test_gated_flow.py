"""gated_flow's batched curves are autograd's curves through torch.nn.RNN / LSTM / GRU.

One backward pass over a batch with one gate bias per sequence must give, for each bias, exactly
the ||dL/dx_t|| that chapter 03's input_gradient_profile measures on a torch module with that bias.
"""
import numpy as np
import pytest
import torch

from helpers.experiments.gated_flow import gated_flow
from helpers.experiments.gradient_flow import input_gradient_profile


def _module(cell, hidden, seed, bias):
    torch.manual_seed(seed)
    m = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](1, hidden)
    if bias is not None and cell != "rnn":
        with torch.no_grad():
            m.bias_ih_l0[hidden:2 * hidden] = bias
            m.bias_hh_l0[hidden:2 * hidden] = 0.0
    return m


@pytest.fixture(scope="module")
def flow():
    return gated_flow([None, -1.0, 1.0, 2.5], seq_len=60, hidden_size=16, seed=7, dtype=torch.float64)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_batched_curves_equal_autograd_through_the_torch_modules(flow, cell):
    for k, bias in enumerate(flow.biases):
        module = _module(cell, 16, 7, bias).double()
        expected = input_gradient_profile(module, seq_len=60, seed=7)
        np.testing.assert_allclose(flow.grad_x[cell][k], expected, rtol=1e-9)


def test_rnn_curve_does_not_depend_on_the_gate_bias(flow):
    assert (flow.grad_x["rnn"] == flow.grad_x["rnn"][0]).all()


def test_chapter_three_numbers_are_reproduced():
    """Chapter 03: a default nn.LSTM keeps ~2e-19 over 100 steps, forget bias 2 keeps ~2e-2."""
    flow = gated_flow([None, 2.0], seq_len=100, hidden_size=64, seed=1234)
    assert 1e-20 < flow.ratio("lstm", None) < 1e-18
    assert 1e-2 < flow.ratio("lstm", 2.0) < 3e-2


def test_opening_the_keep_gate_keeps_more_gradient():
    flow = gated_flow([-1.0, 0.0, 1.0, 2.0], seq_len=100, hidden_size=32, seed=0)
    for cell in ("lstm", "gru"):
        ratios = [flow.ratio(cell, b) for b in flow.biases]
        assert all(a < b for a, b in zip(ratios, ratios[1:])), f"{cell}: {ratios}"
    assert flow.ratio("lstm", 2.0) > 1e6 * flow.ratio("rnn", 2.0)


def test_float32_norms_stay_nonnegative_and_finite():
    flow = gated_flow([None, 4.0], seq_len=300, hidden_size=16, seed=0)
    for curves in flow.grad_x.values():
        assert curves.shape == (2, 300) and curves.dtype == np.float64
        assert np.isfinite(curves).all() and (curves >= 0).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(biases=[]), "biases"),
    (dict(biases=[float("nan")]), "forget_bias"),
    (dict(biases=[100.0]), "forget_bias"),
    (dict(biases=[1.0], seq_len=0), "seq_len"),
    (dict(biases=[1.0], seq_len=10**6), "seq_len"),
    (dict(biases=[1.0], hidden_size=0), "hidden_size"),
    (dict(biases=[1.0], seed=-1), "seed"),
])
def test_bad_input_raises_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gated_flow(**kwargs)
