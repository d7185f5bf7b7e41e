"""The gradient-flow curves the chapter plots are the true BPTT gradients.

gradient_flow() runs the backward recursion by hand, for many W_hh at once. Here it is checked
against PyTorch's autograd through torch.nn.RNN (vector by vector and norm by norm, over a batch
of radii and inits), against a 1-unit example worked with math.tanh, and against the exact
answer in the linear regime. Then: float32 overflow and underflow are reported at the right
step without raising, and the same seed gives the same curves.
"""
import math

import numpy as np
import pytest
import torch
from torch import nn

from helpers.experiments.gradient_flow import _input_side, _recurrent_bases, bptt_gradients, gradient_flow
from helpers.models.inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius

F64 = torch.float64


def autograd_gradients(w_hh, w_ih, inputs, readout, bias=None):
    """dL/dh_t (T, H) and dL/dx_t (T, I) for L = readout . h_T, by autograd through nn.RNN.

    The RNN is stepped one position at a time so that every h_t is a tensor of the graph whose
    gradient can be retained; a second, fused pass over the whole sequence must give the same
    input gradients.
    """
    hidden, input_size = w_ih.shape
    rnn = nn.RNN(input_size, hidden, nonlinearity="tanh", bias=True).to(F64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(w_hh)
        rnn.weight_ih_l0.copy_(w_ih)
        rnn.bias_ih_l0.copy_(torch.zeros(hidden, dtype=F64) if bias is None else bias)
        rnn.bias_hh_l0.zero_()
    x = inputs.reshape(len(inputs), 1, input_size).clone().requires_grad_()
    h, states = torch.zeros(1, 1, hidden, dtype=F64), []
    for t in range(len(inputs)):
        _, h = rnn(x[t:t + 1], h)
        h.retain_grad()
        states.append(h)
    (readout @ states[-1].reshape(hidden)).backward()
    grad_h = torch.stack([s.grad.reshape(hidden) for s in states])

    x_fused = inputs.reshape(len(inputs), 1, input_size).clone().requires_grad_()
    outputs, _ = rnn(x_fused)
    (readout @ outputs[-1, 0]).backward()
    torch.testing.assert_close(x_fused.grad, x.grad, rtol=1e-10, atol=1e-300)
    return grad_h, x.grad.reshape(len(inputs), input_size)


# --- against autograd ------------------------------------------------------------------------

def test_bptt_gradients_vectors_match_autograd_with_bias_and_several_inputs():
    g = torch.Generator().manual_seed(0)
    hidden, input_size, seq_len = 12, 3, 40
    w_hh = torch.stack([rescale_to_radius(recurrent_matrix(hidden, init, g, F64), r)
                        for init, r in [("default", 0.8), ("orthogonal", 1.1), ("xavier", 1.6)]])
    w_ih = torch.randn(hidden, input_size, generator=g, dtype=F64) * 0.5
    bias = torch.randn(hidden, generator=g, dtype=F64) * 0.1
    inputs = torch.randn(seq_len, input_size, generator=g, dtype=F64)
    readout = torch.randn(hidden, generator=g, dtype=F64)

    grad_h, grad_x = bptt_gradients(w_hh, w_ih, inputs, readout, bias)
    assert grad_h.shape == (seq_len, 3, hidden) and grad_x.shape == (seq_len, 3, input_size)
    for b in range(3):
        ref_h, ref_x = autograd_gradients(w_hh[b], w_ih, inputs, readout, bias)
        torch.testing.assert_close(grad_h[:, b], ref_h, rtol=1e-9, atol=1e-14)
        torch.testing.assert_close(grad_x[:, b], ref_x, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 7])
def test_gradient_flow_norms_match_autograd_for_a_batch_of_radii_and_inits(seed):
    radii = [0.4, 0.9, 1.0, 1.3, 1.9]
    inits = ("xavier", "orthogonal")
    hidden, seq_len = 16, 30
    flow = gradient_flow(radii, inits, seq_len=seq_len, hidden_size=hidden, seed=seed, dtype=F64)
    assert flow.grad_h.shape == flow.grad_x.shape == (len(inits), len(radii), seq_len)
    assert flow.inits == inits and list(flow.radii) == radii

    bases, natural = _recurrent_bases(hidden, inits, seed)
    w_ih, inputs, readout = _input_side(hidden, 1, seq_len, seed)
    assert readout.norm().item() == pytest.approx(1.0)
    for i, init in enumerate(inits):
        assert natural[init] == pytest.approx(spectral_radius(bases[i]).item())
        for j, radius in enumerate(radii):
            w_hh = rescale_to_radius(bases[i], radius)
            ref_h, ref_x = autograd_gradients(w_hh, w_ih, inputs, readout)
            np.testing.assert_allclose(flow.grad_h[i, j], ref_h.norm(dim=1).numpy(), rtol=1e-6,
                                       err_msg=f"||dL/dh_t|| for {init} at radius {radius}")
            np.testing.assert_allclose(flow.grad_x[i, j], ref_x.norm(dim=1).numpy(), rtol=1e-6,
                                       err_msg=f"||dL/dx_t|| for {init} at radius {radius}")
            np.testing.assert_array_equal(flow.curve(init, radius), flow.grad_h[i, j])


def test_gradient_flow_float32_is_close_to_autograd_float64():
    flow = gradient_flow([0.9], "orthogonal", seq_len=50, hidden_size=32, seed=1)
    assert flow.dtype == "float32"
    bases, _ = _recurrent_bases(32, ("orthogonal",), 1)
    w_ih, inputs, readout = _input_side(32, 1, 50, 1)
    ref_h, _ = autograd_gradients(rescale_to_radius(bases[0], 0.9), w_ih, inputs, readout)
    np.testing.assert_allclose(flow.grad_h[0, 0], ref_h.norm(dim=1).numpy(), rtol=1e-3)


def test_a_configuration_gives_the_same_curve_whatever_else_is_in_the_batch():
    radii = [0.5, 1.0, 1.5]
    everything = gradient_flow(radii, INITS, seq_len=60, hidden_size=16, seed=3, dtype=F64)
    for i, init in enumerate(INITS):
        for j, radius in enumerate(radii):
            alone = gradient_flow([radius], init, seq_len=60, hidden_size=16, seed=3, dtype=F64)
            np.testing.assert_allclose(alone.grad_h[0, 0], everything.grad_h[i, j], rtol=1e-10)
            np.testing.assert_allclose(alone.grad_x[0, 0], everything.grad_x[i, j], rtol=1e-10)


def test_inits_come_back_in_canonical_order_without_duplicates():
    flow = gradient_flow([1.0], ("identity", "default", "identity"), seq_len=5, hidden_size=4)
    assert flow.inits == ("default", "identity")
    assert flow.grad_h.shape == (2, 1, 5)
    assert gradient_flow(1.0, "xavier", seq_len=5, hidden_size=4).inits == ("xavier",)


# --- worked by hand ----------------------------------------------------------------------------

@pytest.mark.parametrize("radius", [0.5, 1.0, 1.7])
@pytest.mark.parametrize("seed", [0, 4])
def test_one_unit_three_steps_by_hand(radius, seed):
    """H = 1, identity init: W_hh = [[r]], and every gradient is a product of scalars."""
    flow = gradient_flow([radius], "identity", seq_len=3, hidden_size=1, seed=seed, dtype=F64)
    w_ih, inputs, readout = _input_side(1, 1, 3, seed)
    w, v = w_ih.item(), readout.item()
    x1, x2, x3 = inputs[:, 0].tolist()
    assert abs(v) == pytest.approx(1.0)

    h1 = math.tanh(w * x1)
    h2 = math.tanh(w * x2 + radius * h1)
    h3 = math.tanh(w * x3 + radius * h2)
    dh3 = v                                  # L = v * h_3
    dh2 = dh3 * (1 - h3 ** 2) * radius       # through tanh at step 3, then W_hh
    dh1 = dh2 * (1 - h2 ** 2) * radius
    dx = [dh * (1 - h ** 2) * w for dh, h in ((dh1, h1), (dh2, h2), (dh3, h3))]

    np.testing.assert_allclose(flow.grad_h[0, 0], [abs(dh1), abs(dh2), abs(dh3)], rtol=1e-12)
    np.testing.assert_allclose(flow.grad_x[0, 0], [abs(d) for d in dx], rtol=1e-12)


# --- the linear regime -------------------------------------------------------------------------

@pytest.mark.parametrize("radius", [0.8, 1.0, 1.25])
def test_zero_inputs_give_exactly_r_to_the_distance(radius):
    """With x_t = 0 the state stays 0, tanh' = 1, and only W_hh^T acts: ||dL/dh_t|| = r^(T-1-t)."""
    hidden, seq_len = 24, 60
    g = torch.Generator().manual_seed(8)
    w_hh = torch.stack([rescale_to_radius(recurrent_matrix(hidden, init, g, F64), radius)
                        for init in ("orthogonal", "identity")])
    w_ih = torch.randn(hidden, 1, generator=g, dtype=F64)
    readout = torch.randn(hidden, generator=g, dtype=F64)
    readout /= readout.norm()
    grad_h, grad_x = bptt_gradients(w_hh, w_ih, torch.zeros(seq_len, 1, dtype=F64), readout)
    expected = radius ** (seq_len - 1 - np.arange(seq_len))
    for b in range(2):
        np.testing.assert_allclose(grad_h[:, b].norm(dim=1).numpy(), expected, rtol=1e-10)
    # and the input gradient is W_ih^T dL/dh_t, untouched by tanh
    torch.testing.assert_close(grad_x, grad_h @ w_ih)


# --- float32 overflow and underflow ------------------------------------------------------------

def _assert_reports_consistent(flow):
    """overflow_step / underflow_step mark exactly the steps where the norm is inf/NaN / 0."""
    for i in range(len(flow.inits)):
        for j in range(len(flow.radii)):
            curve, over, under = flow.grad_h[i, j], flow.overflow_step[i, j], flow.underflow_step[i, j]
            steps = np.arange(flow.seq_len)
            np.testing.assert_array_equal(~np.isfinite(curve), steps <= over)
            np.testing.assert_array_equal(curve == 0.0, steps <= under)


def test_float32_overflow_is_reported_not_raised():
    flow = gradient_flow([2.0], "orthogonal", seq_len=1000, hidden_size=64, dtype=torch.float32)
    over = flow.overflow_step[0, 0]
    assert 0 <= over < 999
    curve = flow.grad_h[0, 0]
    assert not np.isfinite(curve[: over + 1]).any(), "every step at or before the overflow is inf/NaN"
    assert np.isfinite(curve[over + 1:]).all(), "every step after it is finite"
    assert curve[over + 1] > np.finfo(np.float32).max / 1e3, "it overflowed because it grew"
    assert flow.underflow_step[0, 0] == -1


def test_float32_underflow_is_reported_not_raised():
    flow = gradient_flow([0.3], "orthogonal", seq_len=1000, hidden_size=64, dtype=torch.float32)
    under = flow.underflow_step[0, 0]
    assert 0 <= under < 999
    curve = flow.grad_h[0, 0]
    assert (curve[: under + 1] == 0).all()
    assert (curve[under + 1:] > 0).all()
    # norms are taken in float64: the last nonzero step sits below float32's smallest normal number
    assert curve[under + 1] < np.finfo(np.float32).tiny
    assert flow.overflow_step[0, 0] == -1


def test_reports_are_consistent_over_a_whole_grid():
    flow = gradient_flow([0.1, 0.3, 1.0, 2.0, 3.0], INITS, seq_len=1000, hidden_size=32, dtype=torch.float32)
    _assert_reports_consistent(flow)
    assert (flow.overflow_step >= 0).any() and (flow.underflow_step >= 0).any()
    assert (flow.overflow_step[:, :3] == -1).all(), "no radius <= 1 overflows"
    assert (flow.underflow_step[:, :2] >= 0).all(), "radius 0.1 and 0.3 underflow for every init"


def test_extreme_radii_do_not_raise():
    flow = gradient_flow([0.0, 1e-30, 50.0], INITS, seq_len=300, hidden_size=8, dtype=torch.float32)
    _assert_reports_consistent(flow)
    # radius 0: nothing flows back past the last step
    assert (flow.grad_h[:, 0, :-1] == 0).all() and (flow.grad_h[:, 0, -1] == pytest.approx(1.0))


# --- determinism and natural radii -------------------------------------------------------------

def test_same_seed_same_curves_different_seed_different_curves():
    kwargs = dict(radii=[0.7, 1.2], inits=INITS, seq_len=80, hidden_size=16)
    a = gradient_flow(seed=5, **kwargs)
    _recurrent_bases.cache_clear()   # the second run must redraw everything, not reuse the cache
    b = gradient_flow(seed=5, **kwargs)
    c = gradient_flow(seed=6, **kwargs)
    for name in ("grad_h", "grad_x", "overflow_step", "underflow_step"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.natural_radius == b.natural_radius
    assert not np.array_equal(a.grad_h, c.grad_h)
    assert not np.array_equal(a.grad_x, c.grad_x)
    # the seed draws the inputs and read-out too, not only W_hh
    for x5, x6 in zip(_input_side(16, 1, 80, 5), _input_side(16, 1, 80, 6)):
        assert not torch.equal(x5, x6)


def test_natural_radius_is_reported_per_init():
    flow = gradient_flow([1.0], INITS, seq_len=5, hidden_size=64)
    assert set(flow.natural_radius) == set(INITS)
    assert flow.natural_radius["identity"] == pytest.approx(1.0, abs=1e-12)
    assert flow.natural_radius["orthogonal"] == pytest.approx(1.0, abs=1e-12)
    # uniform inits: circular law, radius ~ sqrt(H) * std = sqrt(H * bound^2 / 3)
    assert flow.natural_radius["default"] == pytest.approx((1 / 3) ** 0.5, rel=0.25)
    assert flow.natural_radius["xavier"] == pytest.approx(1.0, rel=0.25)
