"""The step-by-step BiRNN is torch.nn.RNN(bidirectional=True) (helpers/models/birnn.py), within twice the
a-priori rounding bound of tests/tolerances.py for each direction."""
import pytest
import torch

from helpers.models.birnn import BiRNN
from tests import tolerances as tol


@pytest.mark.parametrize("seq_len", [1, 9])
def test_birnn_matches_torch_bidirectional_rnn(seq_len):
    model = BiRNN(3, 5, generator=torch.Generator().manual_seed(0)).double()
    reference = model.to_torch()
    assert reference.bidirectional and reference.weight_hh_l0_reverse.dtype == torch.float64
    g = torch.Generator().manual_seed(1)
    x = torch.randn(seq_len, 4, 3, generator=g, dtype=torch.float64)
    probe = torch.randn(seq_len, 4, 10, generator=g, dtype=torch.float64)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h = model(xa)
    out_ref, h_ref = reference(xb)
    assert out.shape == (seq_len, 4, 10)
    F64 = torch.float64
    fwd = tol.tanh_rnn(x, tol.module_weights(model.forward_rnn), F64, grad_out=probe[..., :5])
    bwd = tol.tanh_rnn(x.flip(0), tol.module_weights(model.backward_rnn), F64, grad_out=probe[..., 5:].flip(0))
    tol.assert_agree(out.detach(), out_ref.detach(), tol.cat(F64, [fwd["out"], bwd["out"].map(lambda t: t.flip(0))]), "outputs")
    tol.assert_agree(h.detach(), h_ref.detach(), tol.stack(F64, [fwd["h"], bwd["h"]]), "last states")
    (out * probe).sum().backward()
    (out_ref * probe).sum().backward()
    # x feeds both directions: autograd adds the two contributions (one rounding)
    tol.assert_agree(xa.grad, xb.grad, tol.add(F64, fwd["x"], bwd["x"].map(lambda t: t.flip(0))), "dL/dx")
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        tol.assert_agree(getattr(model.backward_rnn, name).grad, getattr(reference, name + "_l0_reverse").grad, bwd[name],
                         f"gradient of the backward direction's {name}")
        tol.assert_agree(getattr(model.forward_rnn, name).grad, getattr(reference, name + "_l0").grad, fwd[name],
                         f"gradient of the forward direction's {name}")


def test_backward_half_at_step_t_depends_only_on_steps_from_t_on():
    model = BiRNN(2, 4, generator=torch.Generator().manual_seed(2))
    x = torch.randn(8, 1, 2, requires_grad=True)
    out, _ = model(x)
    out[3, 0, 4:].sum().backward()        # the backward direction's state at step 3
    assert (x.grad[:3] == 0).all() and (x.grad[3:] != 0).any()


@pytest.mark.parametrize("call, message", [
    (lambda: BiRNN(0, 3), "input_size"),
    (lambda: BiRNN(2, 3)(torch.zeros(4, 2)), "x must have shape"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
