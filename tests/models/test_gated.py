"""The gate-by-gate LSTM and GRU compute exactly what torch.nn.LSTM and torch.nn.GRU compute.

The chapter shows the gate equations and claims helpers.LSTM / helpers.GRU implement them; these
tests run both on the same weights and input, forwards and backwards, with and without an initial
state, and check the parameter-count formula against the modules. Each comparison allows the a-priori
rounding bounds of tests/tolerances.py, computed from these weights and inputs (the GRU's own and ATen's
blend formulas get one bound each).
"""
import pytest
import torch

from helpers.models.gated import GRU, LSTM, gru_step, lstm_step, parameter_count
from tests import tolerances as tol

F64 = torch.float64


def _data(seq_len=20, batch=3, input_size=4, hidden=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(seq_len, batch, input_size, generator=g, dtype=torch.float64)
    state = torch.randn(2, batch, hidden, generator=g, dtype=torch.float64)
    probe = torch.randn(seq_len, batch, hidden, generator=g, dtype=torch.float64)
    return x, state, probe


def _compare_grads(ours, theirs, bound, other=None):
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        a, b = getattr(ours, name).grad, getattr(theirs, name + "_l0").grad
        assert a is not None and a.abs().sum() > 0, f"{name} got no gradient"
        tol.assert_agree(a, b, bound[name], f"gradient of {name}", None if other is None else other[name])


@pytest.mark.parametrize("with_state", [False, True])
def test_lstm_matches_nn_lstm_forward_and_backward(with_state):
    model = LSTM(4, 6, generator=torch.Generator().manual_seed(0)).double()
    reference = model.to_torch()
    assert isinstance(reference, torch.nn.LSTM) and reference.weight_hh_l0.dtype == torch.float64
    x, state, probe = _data()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    h0, c0 = state
    out, (h, c) = model(xa, (h0, c0) if with_state else None)
    out_ref, (h_ref, c_ref) = reference(xb, (h0[None], c0[None]) if with_state else None)
    bound = tol.lstm(x, tol.module_weights(model), F64, state=(h0, c0) if with_state else None, grad_out=probe,
                     grad_c=torch.ones_like(c0))
    tol.assert_agree(out.detach(), out_ref.detach(), bound["out"], "outputs")
    tol.assert_agree(c.detach(), c_ref[0].detach(), bound["c"], "last cell state")
    assert torch.equal(h, out[-1])   # the same tensor
    ((out * probe).sum() + c.sum()).backward()
    ((out_ref * probe).sum() + c_ref.sum()).backward()
    tol.assert_agree(xa.grad, xb.grad, bound["x"], "dL/dx")
    _compare_grads(model, reference, bound)


@pytest.mark.parametrize("with_state", [False, True])
def test_gru_matches_nn_gru_forward_and_backward(with_state):
    model = GRU(4, 6, generator=torch.Generator().manual_seed(0)).double()
    reference = model.to_torch()
    assert isinstance(reference, torch.nn.GRU)
    x, state, probe = _data()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h = model(xa, state[0] if with_state else None)
    out_ref, h_ref = reference(xb, state[0][None] if with_state else None)
    ours, atens = (tol.gru(x, tol.module_weights(model), F64, form, h0=state[0] if with_state else None, grad_out=probe)
                   for form in tol.GRU_FORMS)   # helpers blend (1 - z) n + z h, ATen (h - n) z + n
    tol.assert_agree(out.detach(), out_ref.detach(), ours["out"], "outputs", atens["out"])
    tol.assert_agree(h.detach(), h_ref[0].detach(), ours["h"], "last state", atens["h"])
    (out * probe).sum().backward()
    (out_ref * probe).sum().backward()
    tol.assert_agree(xa.grad, xb.grad, ours["x"], "dL/dx", atens["x"])
    _compare_grads(model, reference, ours, atens)


def test_float32_models_match_too():
    """Each model in float32 (as training runs it) against the torch module in float64 on the same float32 weights:
    within the float32 bound of the model's formula plus the float64 bound of torch's."""
    x = torch.randn(50, 2, 3, generator=torch.Generator().manual_seed(3))
    for cls in (LSTM, GRU):
        model = cls(3, 16, generator=torch.Generator().manual_seed(4))
        out = model(x)[0]
        assert out.dtype == torch.float32
        weights = tol.module_weights(model)
        if cls is LSTM:
            ours, reference = tol.lstm(x, weights, torch.float32), tol.lstm(x, weights, F64)
        else:
            ours, reference = tol.gru(x, weights, torch.float32, "helpers"), tol.gru(x, weights, F64, "torch")
        expected = model.to_torch().double()(x.double())[0]
        tol.assert_agree(out.detach(), expected.detach(), ours["out"], f"float32 {cls.__name__} outputs", reference["out"])


def _kept(module, x, state0, steps=5):
    """How far a state held by a gate at +-30 may move in `steps` float32 steps.

    Each gate's pre-activation is its +-30 bias plus at most m = max over rows of |W_ih| |x|max + |W_hh| 1 + |b_hh|
    (|h| <= 1 for both cells), so the keeping gate is at least sigmoid(30 - m) and the writing one at most
    sigmoid(m - 30). A step then moves the state by at most sigmoid(m - 30) (|s| + 1) (|candidate| <= 1), plus
    rounding: the gate within 2 ulps (4u) and the blend, in ATen's or helpers' form, within 3 roundings of
    |s| + 1: 8u (|s| + 1) covers both. |s| stays below |s0| + 1 over these few steps.
    """
    w_ih, w_hh, _, b_hh = tol.module_weights(module)
    m = float((w_ih.abs().sum(1) * x.abs().max() + w_hh.abs().sum(1) + b_hh.abs()).max())
    per_step = (torch.sigmoid(torch.tensor(m - 30.0, dtype=F64)).item() + 8 * tol.U[torch.float32]) * (state0.abs() + 2)
    return steps * per_step


def test_forget_and_update_bias_land_in_the_right_gate():
    lstm = LSTM(2, 5).set_forget_bias(3.0)
    assert torch.all(lstm.bias_ih[5:10] == 3.0) and torch.all(lstm.bias_hh[5:10] == 0.0)
    assert not torch.all(lstm.bias_ih[:5] == 3.0)
    # and torch.nn.LSTM reads slice 1 as its forget gate: with f = sigmoid(30) ~ 1, i ~ 0 the cell is kept
    big = LSTM(1, 4).set_forget_bias(30.0)
    with torch.no_grad():
        big.bias_ih[:4] = -30.0
    c0, x = torch.randn(1, 4), torch.randn(5, 1, 1)
    _, (_, c) = big.to_torch()(x, (torch.zeros(1, 1, 4), c0[None]))
    tol.assert_within(c[0].detach(), c0, _kept(big, x, c0), "five steps of a gate at +-30 (test_gated._kept)", "kept cell state")
    gru = GRU(1, 4).set_update_bias(30.0)   # z ~ 1: the GRU keeps its state
    h0 = torch.randn(1, 4)
    _, h = gru.to_torch()(x, h0[None])
    tol.assert_within(h[0].detach(), h0, _kept(gru, x, h0), "five steps of a gate at +-30 (test_gated._kept)", "kept state")


def test_step_functions_broadcast_a_bias_per_sequence():
    torch.manual_seed(0)
    ref = torch.nn.LSTM(1, 3)
    x, h, c = torch.randn(2, 1), torch.zeros(2, 3), torch.randn(2, 3)   # c != 0: the forget gate (slice 3:6) matters
    b = ref.bias_ih_l0.detach().expand(2, -1).clone()
    b[1, 3:6] = 5.0
    h2, c2 = lstm_step(x, h, c, ref.weight_ih_l0, ref.weight_hh_l0, b, ref.bias_hh_l0)
    h1, _ = lstm_step(x[:1], h[:1], c[:1], ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    # row by row the same arithmetic as a batch of one (one-term input products, h = 0, the rest elementwise): bit for bit
    assert torch.equal(h2[:1], h1)
    alone, _ = lstm_step(x[1:], h[1:], c[1:], ref.weight_ih_l0, ref.weight_hh_l0, b[1], ref.bias_hh_l0)
    assert torch.equal(h2[1:], alone) and not torch.equal(h2[1:], lstm_step(x[1:], h[1:], c[1:], ref.weight_ih_l0,
                                                                              ref.weight_hh_l0, b[0], ref.bias_hh_l0)[0])
    g = gru_step(x, h, torch.randn(9, 1), torch.randn(9, 3), torch.zeros(2, 9), torch.zeros(9))
    assert g.shape == (2, 3)


@pytest.mark.parametrize("cell, module", [("rnn", torch.nn.RNN), ("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)])
@pytest.mark.parametrize("I, H", [(1, 1), (32, 128), (300, 7)])
def test_parameter_count_matches_torch(cell, module, I, H):
    assert parameter_count(cell, I, H) == sum(p.numel() for p in module(I, H).parameters())


def test_gru_has_three_quarters_of_the_lstm_parameters():
    assert parameter_count("gru", 64, 256) * 4 == parameter_count("lstm", 64, 256) * 3


@pytest.mark.parametrize("call, message", [
    (lambda: LSTM(0, 4), "input_size"),
    (lambda: GRU(3, 0), "hidden_size"),
    (lambda: LSTM(3, 4)(torch.zeros(5, 2, 2)), r"x must have shape \(seq_len, batch, 3\)"),
    (lambda: GRU(3, 4)(torch.zeros(5, 3)), r"x must have shape"),
    (lambda: LSTM(1, 4).set_forget_bias(float("nan")), "forget_bias"),
    (lambda: LSTM(1, 4)(torch.zeros(5, 2, 1), torch.zeros(2, 4)), "state must be None or a pair"),
    (lambda: LSTM(1, 4)(torch.zeros(5, 2, 1), (torch.zeros(2, 4), torch.zeros(1, 2, 4))), r"c0 must have shape .*\(2, 4\)"),
    (lambda: GRU(1, 4)(torch.zeros(5, 2, 1), torch.zeros(3, 4)), r"h0 must have shape"),
    (lambda: GRU(1, 4).set_update_bias("2"), "update_bias"),
    (lambda: parameter_count("transformer", 3, 4), "cell"),
    (lambda: parameter_count("lstm", 3, -1), "hidden_size"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
