"""The step-by-step TanhRNN is the same function as torch.nn.RNN (helpers/models/tanh_rnn.py).

The course writes the recurrence out by hand so a reader can see every step; these tests make
sure that hand-written loop computes exactly what PyTorch's fused nn.RNN computes, forwards and
backwards, whatever init drew W_hh. The two sum in different orders, so they agree within twice the
a-priori error bound of tests/tolerances.py, computed from these weights and inputs.
"""
import re

import pytest
import torch

from helpers.models.inits import INITS, spectral_radius
from helpers.models.tanh_rnn import TanhRNN
from tests import tolerances as tol


def _pair(init, radius=None, input_size=3, hidden_size=8, seed=0):
    """A TanhRNN and the nn.RNN built from it, both moved to float64 after the copy."""
    model = TanhRNN(input_size, hidden_size, init=init, radius=radius,
                    generator=torch.Generator().manual_seed(seed))
    reference = model.to_torch()
    return model.double(), reference.double()


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_tanh_rnn_matches_nn_rnn_forward_and_backward(init, with_h0):
    model, reference = _pair(init, radius=1.2 if init != "default" else None)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(25, 4, 3, generator=g, dtype=torch.float64)
    h0 = torch.randn(4, 8, generator=g, dtype=torch.float64) if with_h0 else None
    probe = torch.randn(25, 4, 8, generator=g, dtype=torch.float64)   # a loss that weighs every step

    x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h_last = model(x_ours, h0)
    out_ref, h_ref = reference(x_ref, None if h0 is None else h0.unsqueeze(0))
    bound = tol.tanh_rnn(x, tol.module_weights(model), torch.float64, h0=h0, grad_out=probe)
    tol.assert_agree(out.detach(), out_ref.detach(), bound["out"], "outputs")
    tol.assert_agree(h_last.detach(), h_ref.squeeze(0).detach(), bound["h"], "last state")
    assert torch.equal(h_last, out[-1])   # the same tensor: the last output is the returned state

    (out * probe).sum().backward()
    (out_ref * probe).sum().backward()
    tol.assert_agree(x_ours.grad, x_ref.grad, bound["x"], "dL/dx")
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        ours, theirs = getattr(model, name).grad, getattr(reference, name + "_l0").grad
        assert ours is not None and ours.abs().sum() > 0, f"{name} got no gradient"
        tol.assert_agree(ours, theirs, bound[name], f"gradient of {name}")


def test_tanh_rnn_float32_matches_nn_rnn():
    """The model in float32 (as training runs it) against nn.RNN in float64 on the same float32 weights and
    inputs: within the float32 bound of the one plus the float64 bound of the other."""
    model = TanhRNN(2, 16, init="orthogonal", radius=0.9, generator=torch.Generator().manual_seed(5))
    reference = model.to_torch().double()
    x = torch.randn(50, 3, 2, generator=torch.Generator().manual_seed(6))
    out = model(x)[0]
    assert out.dtype == torch.float32
    weights = tol.module_weights(model)
    tol.assert_agree(out.detach(), reference(x.double())[0].detach(), tol.tanh_rnn(x, weights, torch.float32)["out"],
                     "float32 outputs", tol.tanh_rnn(x, weights, torch.float64)["out"])


def test_to_torch_copies_rather_than_shares_weights():
    model = TanhRNN(1, 4)
    reference = model.to_torch()
    with torch.no_grad():
        model.weight_hh.zero_()
    assert reference.weight_hh_l0.abs().sum() > 0


def test_tanh_rnn_radius_sets_spectral_radius_and_generator_makes_it_repeatable():
    a = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(3))
    b = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(3))
    c = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(4))
    tol.assert_within(spectral_radius(a.weight_hh).item(), 0.75, tol.rescaled_radius_allowance(a.weight_hh, 0.75, torch.float32),
                      "Bauer-Fike: float32 storage and LAPACK's backward error, times kappa(V) (tests/tolerances.py)",
                      "spectral radius after rescaling to 0.75")
    for name, p in a.named_parameters():
        assert torch.equal(p, dict(b.named_parameters())[name])
    assert not torch.equal(a.weight_hh, c.weight_hh)


@pytest.mark.parametrize("shape", [(10, 2), (10, 2, 3), (10, 2, 1, 1), (3,)])
def test_tanh_rnn_wrong_input_shape_names_x_and_expected_shape(shape):
    model = TanhRNN(input_size=1, hidden_size=4)
    with pytest.raises(ValueError, match=r"^x must have shape \(seq_len, batch, 1\).*" + re.escape(str(shape))):
        model(torch.zeros(shape))
