"""Backpropagation through time written out for helpers.TanhRNN, as chapter 1.3 derives it.

Training leaves this to autograd. Here the recursion is spelt out, one Jacobian per step, so the
page can show the code beside its equations; tests/test_bptt.py checks it against autograd and
against torch.nn.RNN.

Used in: 1.3.
"""
import torch

from helpers.models.tanh_rnn import TanhRNN


def bptt(rnn, x, grad_outputs):
    """BPTT for a TanhRNN started at h_0 = 0, one step back at a time.

    x: (seq_len, batch, input_size). grad_outputs[t]: the loss's own dL/dh_t.
    Returns dL/dh_t for every t, shaped like the states, and dL/dW_hh.
    """
    if not isinstance(rnn, TanhRNN):
        raise ValueError(f"rnn must be a helpers.TanhRNN, got {type(rnn).__name__}")
    with torch.no_grad():
        states, _ = rnn(x)                              # h_1 .. h_T
        if grad_outputs.shape != states.shape:
            raise ValueError(f"grad_outputs must have shape {tuple(states.shape)}, "
                             f"got {tuple(grad_outputs.shape)}")
        zero = torch.zeros_like(states[:1])
        previous = torch.cat([zero, states[:-1]])      # h_0 .. h_{T-1}
        grad_h = torch.empty_like(states)
        grad_w_hh = torch.zeros_like(rnn.weight_hh)
        from_later = torch.zeros_like(states[0])       # none flows into h_T
        for t in reversed(range(len(states))):
            grad_h[t] = grad_outputs[t] + from_later   # delta_t = dL/dh_t
            grad_a = grad_h[t] * (1 - states[t] ** 2)  # diag(1 - h_t^2)
            grad_w_hh += grad_a.T @ previous[t]        # step t's use of W_hh
            from_later = grad_a @ rnn.weight_hh        # W_hh^T: to h_{t-1}
    return grad_h, grad_w_hh
