"""Recurrent models written out step by step, with the same parameter layout as torch.nn.

Each model can copy its weights into the matching torch.nn module, so tests can run both on the
same input and compare (see tests/test_models.py).

Used in: 1.2, 1.3.
"""
import math

import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_generator, check_int
from helpers.models.inits import INITS, recurrent_matrix, rescale_to_radius


class TanhRNN(nn.Module):
    """Vanilla RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    `init` chooses how W_hh is drawn (one of INITS); `radius`, if given, rescales W_hh to that
    spectral radius. The other weights follow torch.nn.RNN's default U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, input_size, hidden_size, init="default", radius=None, generator=None):
        super().__init__()
        self.input_size = check_int("input_size", input_size, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        check_choice("init", init, INITS)
        if radius is not None:
            check_float("radius", radius, low=0.0)
        check_generator(generator)
        bound = 1 / math.sqrt(hidden_size)

        def uniform(*shape):
            return (torch.rand(shape, generator=generator) * 2 - 1) * bound

        w_hh = recurrent_matrix(hidden_size, init, generator)
        if radius is not None:
            w_hh = rescale_to_radius(w_hh, radius)
        self.weight_ih = nn.Parameter(uniform(hidden_size, input_size))
        self.weight_hh = nn.Parameter(w_hh)
        self.bias_ih = nn.Parameter(uniform(hidden_size))
        self.bias_hh = nn.Parameter(uniform(hidden_size))

    def forward(self, x, h0=None):
        """x: (seq_len, batch, input_size) -> outputs (seq_len, batch, hidden)
        and the last h (batch, hidden)."""
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (seq_len, batch, {self.input_size}), "
                             f"got {tuple(x.shape)}")
        h = x.new_zeros(x.shape[1], self.hidden_size) if h0 is None else h0
        outputs = []
        for x_t in x:  # one step at a time: the sequential bottleneck
            h = torch.tanh(x_t @ self.weight_ih.T + self.bias_ih
                           + h @ self.weight_hh.T + self.bias_hh)
            outputs.append(h)
        return torch.stack(outputs), h

    def to_torch(self):
        """A torch.nn.RNN holding a copy of these weights, in their dtype and on their device."""
        rnn = nn.RNN(self.input_size, self.hidden_size, nonlinearity="tanh").to(self.weight_ih)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(rnn, name + "_l0").copy_(getattr(self, name))
        return rnn


__all__ = ["TanhRNN", "INITS"]
