"""The gradient-flow curves the chapter plots are the true BPTT gradients.

gradient_flow() runs the backward recursion by hand, for many W_hh at once. Here it is checked
against PyTorch's autograd through torch.nn.RNN (vector by vector and norm by norm, over a batch
of radii and inits), against a 1-unit example worked with math.tanh, and against the exact
answer in the linear regime. Then: float32 overflow and underflow are reported at the right
step without raising, and the same seed gives the same curves. Two computations of the same gradient
sum in different orders: they agree within the a-priori rounding bounds of tests/tolerances.py,
computed from the same weights and inputs.
"""
import math

import numpy as np
import pytest
import torch
from torch import nn

from helpers.experiments.gradient_flow import _input_side, _recurrent_bases, bptt_gradients, gradient_flow
from helpers.models.inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius
from tests import tolerances as tol

F64 = torch.float64


def rnn_bound(w_hh, w_ih, inputs, readout, bias=None, dtype=F64):
    """tests/tolerances.py's bound for L = readout . h_T through a tanh RNN without b_hh (h_grad, x, out: (T, 1, .))."""
    hidden = w_ih.shape[0]
    weights = (w_ih, w_hh, torch.zeros(hidden, dtype=F64) if bias is None else bias, torch.zeros(hidden, dtype=F64))
    grad_out = torch.zeros(len(inputs), 1, hidden, dtype=F64)
    grad_out[-1, 0] = readout
    return tol.tanh_rnn(inputs.reshape(len(inputs), 1, -1), weights, dtype, grad_out=grad_out)


def unit_norm_allowance(n, dtype=F64):
    """|norm - 1| for a vector v / ||v|| computed in float64 (norm: gamma_n / 2 + 2u, division: u, relative),
    stored in `dtype` (u of that dtype per entry) and measured again in float64 (gamma_n / 2 + 2u)."""
    return tol.gamma(n) + 5 * tol.U[F64] + tol.U[dtype]


def autograd_gradients(w_hh, w_ih, inputs, readout, bias=None):
    """dL/dh_t (T, H) and dL/dx_t (T, I) for L = readout . h_T, by autograd through nn.RNN, and the rounding bound.

    The RNN is stepped one position at a time so that every h_t is a tensor of the graph whose
    gradient can be retained; a second, fused pass over the whole sequence must give the same
    input gradients, within twice the bound.
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
    bound = rnn_bound(w_hh, w_ih, inputs, readout, bias)
    tol.assert_agree(x_fused.grad, x.grad, bound["x"], "fused against stepped nn.RNN, dL/dx")
    return grad_h, x.grad.reshape(len(inputs), input_size), bound


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
        ref_h, ref_x, bound = autograd_gradients(w_hh[b], w_ih, inputs, readout, bias)
        tol.assert_agree(grad_h[:, b], ref_h, bound["h_grad"][:, 0], f"dL/dh_t, matrix {b}")
        tol.assert_agree(grad_x[:, b], ref_x, bound["x"][:, 0], f"dL/dx_t, matrix {b}")


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
    tol.assert_within(readout.norm().item(), 1.0, unit_norm_allowance(hidden), "rounding of v / ||v||", "||readout||")
    for i, init in enumerate(inits):
        assert natural[init] == spectral_radius(bases[i]).item()   # the same computation on the same matrix
        for j, radius in enumerate(radii):
            w_hh = rescale_to_radius(bases[i], radius)
            ref_h, ref_x, bound = autograd_gradients(w_hh, w_ih, inputs, readout)
            tol.assert_agree(flow.grad_h[i, j], ref_h.norm(dim=1), tol.norm(bound["h_grad"][:, 0]),
                             f"||dL/dh_t|| for {init} at radius {radius}")
            tol.assert_agree(flow.grad_x[i, j], ref_x.norm(dim=1), tol.norm(bound["x"][:, 0]),
                             f"||dL/dx_t|| for {init} at radius {radius}")
            np.testing.assert_array_equal(flow.curve(init, radius), flow.grad_h[i, j])


def test_gradient_flow_float32_is_close_to_autograd_float64():
    """float32 against float64 on the same float32 data: within the float32 bound plus the float64 one."""
    flow = gradient_flow([0.9], "orthogonal", seq_len=50, hidden_size=32, seed=1)
    assert flow.dtype == "float32"
    bases, natural = _recurrent_bases(32, ("orthogonal",), 1)
    w_ih, inputs, readout = _input_side(32, 1, 50, 1)
    # the data as gradient_flow holds them in float32 (W_hh scaled in float64 first, as it does)
    as32 = lambda t: t.to(torch.float32).to(F64)
    w_hh, w_ih, inputs, readout = as32(bases[0] * (0.9 / natural["orthogonal"])), as32(w_ih), as32(inputs), as32(readout)
    ref_h, _, bound64 = autograd_gradients(w_hh, w_ih, inputs, readout)
    bound32 = rnn_bound(w_hh, w_ih, inputs, readout, dtype=torch.float32)
    tol.assert_agree(flow.grad_h[0, 0], ref_h.norm(dim=1), tol.norm(bound32["h_grad"][:, 0]), "||dL/dh_t||, float32 against float64",
                     tol.norm(bound64["h_grad"][:, 0]))


def test_a_configuration_gives_the_same_curve_whatever_else_is_in_the_batch():
    radii = [0.5, 1.0, 1.5]
    everything = gradient_flow(radii, INITS, seq_len=60, hidden_size=16, seed=3, dtype=F64)
    for i, init in enumerate(INITS):
        for j, radius in enumerate(radii):
            alone = gradient_flow([radius], init, seq_len=60, hidden_size=16, seed=3, dtype=F64)
            bases, natural = _recurrent_bases(16, INITS, 3)
            bound = rnn_bound(bases[i] * (radius / natural[init]), *_input_side(16, 1, 60, 3))
            tol.assert_agree(alone.grad_h[0, 0], everything.grad_h[i, j], tol.norm(bound["h_grad"][:, 0]), f"||dL/dh_t||, {init}")
            tol.assert_agree(alone.grad_x[0, 0], everything.grad_x[i, j], tol.norm(bound["x"][:, 0]), f"||dL/dx_t||, {init}")


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
    assert abs(v) == 1.0   # v / |v| for one number: exact

    h1 = math.tanh(w * x1)
    h2 = math.tanh(w * x2 + radius * h1)
    h3 = math.tanh(w * x3 + radius * h2)
    dh3 = v                                  # L = v * h_3
    dh2 = dh3 * (1 - h3 * h3) * radius       # through tanh at step 3, then W_hh
    dh1 = dh2 * (1 - h2 * h2) * radius
    dx = [dh * (1 - h * h) * w for dh, h in ((dh1, h1), (dh2, h2), (dh3, h3))]

    # math.tanh is the C library's: the same formula within the same rules, so within twice the bound
    bound = rnn_bound(torch.tensor([[radius]], dtype=F64), w_ih, inputs, readout)
    tol.assert_agree(flow.grad_h[0, 0], [abs(dh1), abs(dh2), abs(dh3)], tol.norm(bound["h_grad"][:, 0]), "|dL/dh_t| by hand")
    tol.assert_agree(flow.grad_x[0, 0], [abs(d) for d in dx], tol.norm(bound["x"][:, 0]), "|dL/dx_t| by hand")


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
    k = seq_len - 1 - np.arange(seq_len)
    expected = radius ** k.astype(float)
    for b in range(2):
        # ||(W^T)^k v|| lies between sigma_min^k and sigma_max^k times ||v|| (W = r Q only up to rounding:
        # LAPACK's singular values within their backward error, Weyl), ||v|| = 1 within unit_norm_allowance;
        # then the rounding of the recursion and of the norms (tests/tolerances.py) and of radius ** k (pow, 1 ulp)
        sv, err = torch.linalg.svdvals(w_hh[b]), tol.eig_backward_error(w_hh[b])
        hi, lo = (float(sv.max()) + err) / radius, (float(sv.min()) - err) / radius
        dv = unit_norm_allowance(hidden)
        spread = np.maximum(hi ** k * (1 + dv) - 1, 1 - lo ** k * (1 - dv))
        bound = rnn_bound(w_hh[b], w_ih, torch.zeros(seq_len, 1, dtype=F64), readout)
        allowance = expected * (spread + 2 * tol.U[F64]) + tol.norm(bound["h_grad"][:, 0]).e.numpy()
        tol.assert_within(grad_h[:, b].norm(dim=1), expected, allowance,
                          "singular values of W_hh, ||v|| and rounding (test_zero_inputs_give_exactly_r_to_the_distance)",
                          f"||dL/dh_t|| against r^(T-1-t), matrix {b}")
    # and the input gradient is W_ih^T dL/dh_t, untouched by tanh: local = 1 - 0 * 0 = 1 exactly, the same product
    assert torch.equal(grad_x, grad_h @ w_ih)


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
    # it overflowed because it grew: g_over = W^T (g (1 - h^2)) has every partial sum of a component below
    # ||row of W||_2 ||g|| <= sigma_max(W) ||g|| (1 + gamma_{H+2}) in float32, so an inf there needs
    # ||g_{over+1}|| >= float32 max / (sigma_max(W) (1 + gamma_{H+2}))
    w_hh = _float32_w_hh(2.0)
    needed = float(np.finfo(np.float32).max) / (float(torch.linalg.svdvals(w_hh).max()) * (1 + tol.gamma(66, torch.float32)))
    assert curve[over + 1] >= needed, f"||g|| = {curve[over + 1]:.3g} before the overflow, below the {needed:.3g} it takes"
    assert flow.underflow_step[0, 0] == -1


def _float32_w_hh(radius, hidden=64, seed=0):
    """gradient_flow's orthogonal W_hh at `radius`, as it runs it in float32 (in float64 for the algebra)."""
    bases, natural = _recurrent_bases(hidden, ("orthogonal",), seed)
    return (bases[0] * (radius / natural["orthogonal"])).to(torch.float32).to(F64)


def test_float32_underflow_is_reported_not_raised():
    flow = gradient_flow([0.3], "orthogonal", seq_len=1000, hidden_size=64, dtype=torch.float32)
    under = flow.underflow_step[0, 0]
    assert 0 <= under < 999
    curve = flow.grad_h[0, 0]
    assert (curve[: under + 1] == 0).all()
    assert (curve[under + 1:] > 0).all()
    # norms are taken in float64: the last nonzero step sits below float32's smallest normal number. Every
    # component of g_under = W^T fl(g (1 - h^2)) came out 0, so each exact sum was below H lam / 2 (its products'
    # rounding in the subnormal range): ||fl(g (1 - h^2))|| <= sqrt(H) H lam / (2 sigma_min(W)), the product's own
    # rounding adds sqrt(H) lam / 2, and 1 - h^2 >= 1 - tanh(a_max)^2 with |a_t| <= |w_ih| |x|max + the largest row
    # sum of |W| (|h| <= 1)
    w_hh, hidden, lam = _float32_w_hh(0.3), 64, tol.LAM[torch.float32]
    w_ih, inputs, _ = _input_side(hidden, 1, 1000, 0)
    a_max = float(w_ih.abs().max() * inputs.abs().max() + w_hh.abs().sum(1).max())
    local = 1 - math.tanh(a_max) ** 2
    limit = (hidden ** 0.5 * hidden * lam / (2 * float(torch.linalg.svdvals(w_hh).min())) + hidden ** 0.5 * lam / 2) / local
    assert curve[under + 1] <= limit < np.finfo(np.float32).tiny, \
        f"||g|| = {curve[under + 1]:.3g} before the underflow; the derived ceiling {limit:.3g} must lie below float32's tiny"
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
    # radius 0: nothing flows back past the last step, where the gradient is the unit read-out held in float32
    assert (flow.grad_h[:, 0, :-1] == 0).all()
    tol.assert_within(flow.grad_h[:, 0, -1], np.ones(len(INITS)), unit_norm_allowance(8, torch.float32),
                      "v / ||v|| in float64, stored in float32, measured in float64", "||dL/dh_T||")


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
    bases, _ = _recurrent_bases(64, INITS, 0)
    for init in ("identity", "orthogonal"):   # eigenvalues of modulus 1, up to rounding
        W = bases[INITS.index(init)]
        tol.assert_within(flow.natural_radius[init], 1.0, tol.radius_within_singular_values(W, 1.0),
                          "singular values of W and LAPACK's backward error (tests/tolerances.py)", f"{init} radius")
    # uniform inits: circular law, radius ~ sqrt(H) * std = sqrt(H * bound^2 / 3). For H = 64 the ratio of the
    # spectral radius to that is a random variable: over 4000 simulated draws per init its mean was 1.056, its
    # standard deviation 0.050, its range 0.93 to 1.36 (the edge of the circular law fluctuates like a Gumbel
    # variable, scale 0.050 sqrt(6) / pi = 0.039). Its Gumbel tails put P(ratio > 1.6) near exp(-14) ~ 1e-6 and
    # P(ratio < 0.8) below exp(-e^6); the seeded value is fixed up to LAPACK's rounding (1e-13).
    for init, theory in (("default", (1 / 3) ** 0.5), ("xavier", 1.0)):
        ratio = flow.natural_radius[init] / theory
        assert 0.8 <= ratio <= 1.6, f"{init}: spectral radius / sqrt(H) std = {ratio:.3f}, outside [0.8, 1.6] (Gumbel tails, above)"
