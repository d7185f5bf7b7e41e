"""LSTM and GRU cells written out gate by gate, with the same parameter layout as torch.nn.

PyTorch stores the gates of one layer stacked in a single matrix: [input, forget, cell, output]
for nn.LSTM and [reset, update, new] for nn.GRU. The step functions below slice them the same way,
so `to_torch()` can copy the weights unchanged and tests/test_gated.py can compare both models on
the same input. The step functions accept biases with a leading batch dimension too, which lets
helpers/gated_flow.py run one forget-gate bias per sequence of a batch.

Used in: 1.4.
"""
import math

import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_generator, check_int

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def lstm_step(x_t, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step. x_t: (batch, input); h, c: (batch, hidden).
    Returns the new (h, c)."""
    gates = x_t @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
    g = torch.tanh(g)
    c = f * c + i * g   # cell state: scaled by the forget gate, added to
    h = o * torch.tanh(c)
    return h, c


def gru_step(x_t, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One GRU step, PyTorch's convention: the reset gate multiplies
    W_hn h + b_hn, after the recurrent product."""
    xr, xz, xn = (x_t @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    hr, hz, hn = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h   # z near 1 keeps the old state: the highway


class _GatedBase(nn.Module):
    kind = None

    def __init__(self, input_size, hidden_size, generator=None):
        super().__init__()
        self.input_size = check_int("input_size", input_size, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        check_generator(generator)
        rows = GATES[self.kind] * hidden_size
        bound = 1 / math.sqrt(hidden_size)   # torch.nn's default: U(-1/sqrt(H), 1/sqrt(H)) for every tensor

        def uniform(*shape):
            return nn.Parameter((torch.rand(shape, generator=generator) * 2 - 1) * bound)

        self.weight_ih = uniform(rows, input_size)
        self.weight_hh = uniform(rows, hidden_size)
        self.bias_ih = uniform(rows)
        self.bias_hh = uniform(rows)

    def _set_second_gate_bias(self, name, value):
        """Both cells keep the gate whose bias decides "keep the old state" second in their bias vectors."""
        value = check_float(name, value)
        H = self.hidden_size
        with torch.no_grad():
            self.bias_ih[H:2 * H] = value
            self.bias_hh[H:2 * H] = 0.0
        return self

    def _check_input(self, x):
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (seq_len, batch, {self.input_size}), got {tuple(x.shape)}")

    def _check_state(self, name, s, x):
        expected = (x.shape[1], self.hidden_size)
        if not isinstance(s, torch.Tensor) or tuple(s.shape) != expected:
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise ValueError(f"{name} must have shape (batch, hidden_size) = {expected}, got {got}")
        return s

    def to_torch(self):
        """The matching torch.nn module holding a copy of these weights."""
        module = {"lstm": nn.LSTM, "gru": nn.GRU}[self.kind](self.input_size, self.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(module, name + "_l0").copy_(getattr(self, name))
        return module.to(self.weight_ih)


class LSTM(_GatedBase):
    """LSTM layer, one step at a time (Hochreiter & Schmidhuber, 1997; with the forget gate of Gers et al.).

    forward(x, state) with x: (seq_len, batch, input_size) and state None or (h0, c0), each
    (batch, hidden) -> outputs (seq_len, batch, hidden) and the last (h, c).
    """
    kind = "lstm"

    def set_forget_bias(self, value):
        """Put `value` into the forget gate's bias (b_ih) and zero b_hh's share, as chapter 03 does."""
        return self._set_second_gate_bias("forget_bias", value)   # gates: [input, forget, cell, output]

    def forward(self, x, state=None):
        self._check_input(x)
        if state is None:
            h = c = x.new_zeros(x.shape[1], self.hidden_size)
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise ValueError("state must be None or a pair (h0, c0)")
            h, c = (self._check_state(n, s, x) for n, s in zip(("h0", "c0"), state))
        outputs = []
        for x_t in x:
            h, c = lstm_step(x_t, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outputs.append(h)
        return torch.stack(outputs), (h, c)


class GRU(_GatedBase):
    """GRU layer, one step at a time (Cho et al., 2014), in PyTorch's formulation.

    forward(x, h0) with x: (seq_len, batch, input_size), h0 None or (batch, hidden)
    -> outputs (seq_len, batch, hidden) and the last h.
    """
    kind = "gru"

    def set_update_bias(self, value):
        """Put `value` into the update gate's bias (b_ih) and zero b_hh's share: positive keeps the state."""
        return self._set_second_gate_bias("update_bias", value)   # gates: [reset, update, new]

    def forward(self, x, h0=None):
        self._check_input(x)
        h = x.new_zeros(x.shape[1], self.hidden_size) if h0 is None else self._check_state("h0", h0, x)
        outputs = []
        for x_t in x:
            h = gru_step(x_t, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outputs.append(h)
        return torch.stack(outputs), h


def parameter_count(cell, input_size, hidden_size):
    """Parameters of one recurrent layer: gates x (H*I + H*H + 2H), PyTorch's two biases included."""
    check_choice("cell", cell, tuple(GATES))
    input_size = check_int("input_size", input_size, 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    return GATES[cell] * (hidden_size * input_size + hidden_size * hidden_size + 2 * hidden_size)
