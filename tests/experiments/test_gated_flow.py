"""gated_flow's batched curves are autograd's curves through torch.nn.RNN / LSTM / GRU.

One backward pass over a batch with one gate bias per sequence must give, for each bias, the
||dL/dx_t|| that chapter 03's input_gradient_profile measures on a torch module with that bias: within
the a-priori rounding bounds of tests/tolerances.py (the batch and torch's modules sum in other orders).
"""
import numpy as np
import pytest
import torch

from helpers.experiments.gated_flow import _biases, _modules, gated_flow
from helpers.experiments.gradient_flow import input_gradient_profile
from tests import tolerances as tol

F64 = torch.float64


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


def _bounds(cell, biases, hidden=16, seq_len=60, seed=7):
    """|dL/dx_t| bounds (bias, t) for the batched step functions and for torch's modules (one per bias)."""
    modules = [_module(cell, hidden, seed, b).double() for b in biases]
    w_ih, w_hh, _, _ = tol.module_weights(modules[0])
    b_ih, b_hh = (torch.stack([tol.module_weights(m)[i] for m in modules]) for i in (2, 3))   # one bias row per sequence
    B = len(biases)
    x = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(seed)).to(F64).expand(seq_len, B, 1)
    grad_out = torch.zeros(seq_len, B, hidden, dtype=F64)
    grad_out[-1] = 1.0                                    # L = the sum of the last output
    weights = (w_ih, w_hh, b_ih, b_hh)
    if cell == "rnn":
        ours = theirs = tol.tanh_rnn(x, weights, F64, grad_out=grad_out)
    elif cell == "lstm":
        ours = theirs = tol.lstm(x, weights, F64, grad_out=grad_out)
    else:
        ours, theirs = (tol.gru(x, weights, F64, form, grad_out=grad_out) for form in tol.GRU_FORMS)
    # gated_flow takes |.| of the one input's gradient, input_gradient_profile a float64 norm of one element
    return ours["x"][..., 0].abs().map(lambda t: t.T), tol.norm(theirs["x"]).map(lambda t: t.T)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_batched_curves_equal_autograd_through_the_torch_modules(flow, cell):
    ours, theirs = _bounds(cell, flow.biases)
    for k, bias in enumerate(flow.biases):
        module = _module(cell, 16, 7, bias).double()
        expected = input_gradient_profile(module, seq_len=60, seed=7)
        tol.assert_agree(flow.grad_x[cell][k], expected, ours[k], f"|dL/dx_t|, {cell} at bias {bias}", theirs[k])


def test_rnn_curve_does_not_depend_on_the_gate_bias(flow):
    assert (flow.grad_x["rnn"] == flow.grad_x["rnn"][0]).all()


def ratio_ranges(cell, biases, seq_len, hidden_size, seed):
    """For each bias, the range of first/last ratios a float32 gated_flow can give on any CPU.

    tests/tolerances.py's first-order bounds (Nodes) give each of |dL/dx_0| and |dL/dx_T-1| within a relative d0, d1
    of the exact value, on any CPU and here alike; so the ratio is within [(1 - d0) / (1 + d1), (1 + d0) / (1 - d1)]
    of the exact one, and any CPU's ratio within that range applied twice to the one computed here.
    """
    flow = gated_flow(list(biases), seq_len=seq_len, hidden_size=hidden_size, seed=seed)
    module = _modules(hidden_size, seed, "cpu", F64)[cell]
    w_ih, w_hh, b_ih, b_hh = tol.module_weights(module)
    if cell != "rnn":
        b_ih, b_hh = _biases(module, list(biases), hidden_size)
    B = len(biases)
    x = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(seed)).to(F64).expand(seq_len, B, 1)
    grad_out = torch.zeros(seq_len, B, hidden_size, dtype=F64)
    grad_out[-1] = 1.0
    with torch.enable_grad():
        nodes = tol.Nodes(torch.float32)
        weights = (w_ih, w_hh, b_ih, b_hh)
        run = {"rnn": lambda: tol.tanh_rnn(x, weights, nodes, grad_out=grad_out),
               "lstm": lambda: tol.lstm(x, weights, nodes, grad_out=grad_out),
               "gru": lambda: tol.gru(x, weights, nodes, "helpers", grad_out=grad_out)}[cell]()
        first_last = run["x"][[0, -1]]                    # (first and last step, bias, 1)
        # gated_flow takes |.| of the gated cells' one input gradient, a float64 norm of nn.RNN's
        ends = tol.vector_norm(nodes, first_last) if cell == "rnn" else first_last[..., 0].abs()
        bound = nodes.bound(ends)
    d0, d1 = (bound.e / bound.v)
    spread = ((1 + d0) / (1 - d1)) / ((1 - d0) / (1 + d1))
    return {b: (flow.ratio(cell, b) / spread[k].item(), flow.ratio(cell, b) * spread[k].item()) for k, b in enumerate(biases)}


def test_chapter_three_numbers_are_reproduced():
    """Chapter 03: a default nn.LSTM keeps ~2e-19 over 100 steps, forget bias 2 keeps ~2e-2, whatever the CPU."""
    ranges = ratio_ranges("lstm", (None, 2.0), seq_len=100, hidden_size=64, seed=1234)
    assert 1e-20 < ranges[None][0] and ranges[None][1] < 1e-18, ranges[None]
    assert 1e-2 < ranges[2.0][0] and ranges[2.0][1] < 3e-2, ranges[2.0]


def test_opening_the_keep_gate_keeps_more_gradient():
    """Each larger bias keeps more, and the LSTM at bias 2 keeps a million times the RNN's: with every ratio's range
    on any CPU (ratio_ranges), the orderings cannot flip."""
    biases = (-1.0, 0.0, 1.0, 2.0)
    for cell in ("lstm", "gru"):
        ranges = ratio_ranges(cell, biases, seq_len=100, hidden_size=32, seed=0)
        assert all(ranges[a][1] < ranges[b][0] for a, b in zip(biases, biases[1:])), f"{cell}: {ranges}"
        if cell == "lstm":
            rnn = ratio_ranges("rnn", (2.0,), seq_len=100, hidden_size=32, seed=0)[2.0]
            assert ranges[2.0][0] > 1e6 * rnn[1], (ranges[2.0], rnn)


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
