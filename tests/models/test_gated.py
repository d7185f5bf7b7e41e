"""The gate-by-gate LSTM and GRU compute exactly what torch.nn.LSTM and torch.nn.GRU compute.

The chapter shows the gate equations and claims helpers.LSTM / helpers.GRU implement them; these
tests run both on the same weights and input, forwards and backwards, with and without an initial
state, and check the parameter-count formula against the modules.
"""
import pytest
import torch

from helpers.models.gated import GRU, LSTM, gru_step, lstm_step, parameter_count


def _data(seq_len=20, batch=3, input_size=4, hidden=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(seq_len, batch, input_size, generator=g, dtype=torch.float64)
    state = torch.randn(2, batch, hidden, generator=g, dtype=torch.float64)
    probe = torch.randn(seq_len, batch, hidden, generator=g, dtype=torch.float64)
    return x, state, probe


def _compare_grads(ours, theirs):
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        a, b = getattr(ours, name).grad, getattr(theirs, name + "_l0").grad
        assert a is not None and a.abs().sum() > 0, f"{name} got no gradient"
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=f"gradient of {name} differs")


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
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c, c_ref[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, out[-1], rtol=0, atol=0)
    ((out * probe).sum() + c.sum()).backward()
    ((out_ref * probe).sum() + c_ref.sum()).backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-10, atol=1e-12)
    _compare_grads(model, reference)


@pytest.mark.parametrize("with_state", [False, True])
def test_gru_matches_nn_gru_forward_and_backward(with_state):
    model = GRU(4, 6, generator=torch.Generator().manual_seed(0)).double()
    reference = model.to_torch()
    assert isinstance(reference, torch.nn.GRU)
    x, state, probe = _data()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h = model(xa, state[0] if with_state else None)
    out_ref, h_ref = reference(xb, state[0][None] if with_state else None)
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, h_ref[0], rtol=1e-12, atol=1e-12)
    (out * probe).sum().backward()
    (out_ref * probe).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-10, atol=1e-12)
    _compare_grads(model, reference)


def test_float32_models_match_too():
    x = torch.randn(50, 2, 3, generator=torch.Generator().manual_seed(3))
    for cls in (LSTM, GRU):
        model = cls(3, 16, generator=torch.Generator().manual_seed(4))
        torch.testing.assert_close(model(x)[0], model.to_torch()(x)[0], rtol=1e-5, atol=1e-6)


def test_forget_and_update_bias_land_in_the_right_gate():
    lstm = LSTM(2, 5).set_forget_bias(3.0)
    assert torch.all(lstm.bias_ih[5:10] == 3.0) and torch.all(lstm.bias_hh[5:10] == 0.0)
    assert not torch.all(lstm.bias_ih[:5] == 3.0)
    # and torch.nn.LSTM reads slice 1 as its forget gate: with f = sigmoid(30) ~ 1, i ~ 0 the cell is kept
    big = LSTM(1, 4).set_forget_bias(30.0)
    with torch.no_grad():
        big.bias_ih[:4] = -30.0
    c0 = torch.randn(1, 4)
    _, (_, c) = big.to_torch()(torch.randn(5, 1, 1), (torch.zeros(1, 1, 4), c0[None]))
    torch.testing.assert_close(c[0], c0, rtol=1e-5, atol=1e-5)
    gru = GRU(1, 4).set_update_bias(30.0)   # z ~ 1: the GRU keeps its state
    h0 = torch.randn(1, 4)
    _, h = gru.to_torch()(torch.randn(5, 1, 1), h0[None])
    torch.testing.assert_close(h[0], h0, rtol=1e-5, atol=1e-5)


def test_step_functions_broadcast_a_bias_per_sequence():
    torch.manual_seed(0)
    ref = torch.nn.LSTM(1, 3)
    x, h, c = torch.randn(2, 1), torch.zeros(2, 3), torch.zeros(2, 3)
    b = ref.bias_ih_l0.detach().expand(2, -1).clone()
    b[1, 3:6] = 5.0
    h2, c2 = lstm_step(x, h, c, ref.weight_ih_l0, ref.weight_hh_l0, b, ref.bias_hh_l0)
    h1, _ = lstm_step(x[:1], h[:1], c[:1], ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0)
    torch.testing.assert_close(h2[:1], h1)
    assert not torch.allclose(h2[1], h2[0])
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
