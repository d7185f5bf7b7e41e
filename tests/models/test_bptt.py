"""The BPTT recursion chapter 1.3 shows computes what autograd computes, through TanhRNN and nn.RNN: within twice
the a-priori rounding bound of tests/tolerances.py (the two sum in different orders)."""
import pytest
import torch

from helpers.models.bptt import bptt
from helpers.models.tanh_rnn import TanhRNN
from tests import tolerances as tol

F64 = torch.float64


def _rnn(radius, seed=0, input_size=3, hidden_size=6):
    return TanhRNN(input_size, hidden_size, init="orthogonal", radius=radius,
                   generator=torch.Generator().manual_seed(seed)).double()


@pytest.mark.parametrize("radius", [0.5, 1.0, 2.5])
def test_bptt_matches_autograd_for_every_state_and_for_w_hh(radius):
    rnn = _rnn(radius)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(12, 4, 3, generator=g, dtype=F64)
    grad_outputs = torch.randn(12, 4, 6, generator=g, dtype=F64)   # a loss that weighs every step

    grad_h, grad_w_hh = bptt(rnn, x, grad_outputs)

    states = []
    def keep(h):
        h.retain_grad()
        states.append(h)
    h = torch.zeros(4, 6, dtype=F64)
    for x_t in x:   # the same recurrence as TanhRNN.forward, keeping every state for its .grad
        h = torch.tanh(x_t @ rnn.weight_ih.T + rnn.bias_ih + h @ rnn.weight_hh.T + rnn.bias_hh)
        keep(h)
    (torch.stack(states) * grad_outputs).sum().backward()
    bound = tol.tanh_rnn(x, tol.module_weights(rnn), F64, grad_out=grad_outputs)
    tol.assert_agree(grad_h, torch.stack([s.grad for s in states]), bound["h_grad"], "dL/dh_t")
    tol.assert_agree(grad_w_hh, rnn.weight_hh.grad, bound["weight_hh"], "dL/dW_hh")


def test_bptt_matches_torch_nn_rnn_weight_gradient():
    rnn = _rnn(1.3, seed=2)
    reference = rnn.to_torch().double()
    g = torch.Generator().manual_seed(3)
    x = torch.randn(20, 2, 3, generator=g, dtype=F64)
    grad_outputs = torch.zeros(20, 2, 6, dtype=F64)
    grad_outputs[-1] = torch.randn(2, 6, generator=g, dtype=F64)   # a loss on the last step only
    _, grad_w_hh = bptt(rnn, x, grad_outputs)
    out, _ = reference(x)
    (out * grad_outputs).sum().backward()
    bound = tol.tanh_rnn(x, tol.module_weights(rnn), F64, grad_out=grad_outputs)
    tol.assert_agree(grad_w_hh, reference.weight_hh_l0.grad, bound["weight_hh"], "dL/dW_hh")


def test_a_loss_on_the_last_step_reaches_earlier_states_only_through_the_chain():
    rnn = _rnn(0.5)
    x = torch.randn(30, 1, 3, generator=torch.Generator().manual_seed(4), dtype=F64)
    grad_outputs = torch.zeros(30, 1, 6, dtype=F64)
    grad_outputs[-1] = 1.0
    grad_h, _ = bptt(rnn, x, grad_outputs)
    norms = grad_h.norm(dim=(1, 2))
    assert torch.equal(grad_h[-1], grad_outputs[-1])
    assert (norms[1:] > norms[:-1]).all(), "at radius 0.5 every step back shrinks the gradient"


def test_bad_arguments_raise_clear_errors():
    rnn = _rnn(1.0)
    x = torch.randn(5, 2, 3, dtype=F64)
    with pytest.raises(ValueError, match="grad_outputs must have shape"):
        bptt(rnn, x, torch.zeros(5, 2, 7, dtype=F64))
    with pytest.raises(ValueError, match="helpers.TanhRNN"):
        bptt(torch.nn.RNN(3, 6), x, torch.zeros(5, 2, 6, dtype=F64))
