"""How much gradient reaches each step in an RNN, an LSTM and a GRU, for many gate biases at once.

The set-up is chapter 03's: a one-layer torch.nn module of each kind built from `seed`, inputs
x_t ~ N(0, 1), a loss equal to the sum of the last step's output, and ||dL/dx_t|| at every step.
The gated cells run through the step functions of helpers/gated.py with one bias per sequence of
the batch, so a single backward pass gives the curves for every bias value. For the LSTM the value
is the forget gate's bias, for the GRU the update gate's (both: "how much of the old state to keep
at the start of training"); the RNN has no gate and gives one curve. Norms are taken in float64.

Used in: 1.4.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_device, check_dtype, check_float, check_int, check_seed, check_values
from helpers.core.seeding import seeded
from helpers.models.gated import gru_step, lstm_step

MAX_SEQ_LEN = 5000
MAX_HIDDEN = 1024
CELL_NAMES = ("rnn", "lstm", "gru")


@dataclass
class GatedFlow:
    biases: tuple          # None stands for PyTorch's default bias
    seq_len: int
    hidden_size: int
    grad_x: dict           # cell -> array [bias, t] of ||dL/dx_t|| (float64); the rnn's rows are all equal

    def ratio(self, cell, bias):
        """first/last step gradient ratio for one cell and bias value."""
        curve = self.grad_x[cell][self.biases.index(bias)]
        return curve[0] / curve[-1]


def _modules(hidden_size, seed, device, dtype):
    out = {}
    for cell, cls in (("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)):
        with seeded(seed):
            out[cell] = cls(1, hidden_size).to(device=device, dtype=dtype)
    return out


def _biases(module, biases, hidden_size):
    """(B, gates*H) input-side and hidden-side biases, the keep-gate slice replaced where asked."""
    H = hidden_size
    b_ih = module.bias_ih_l0.detach().expand(len(biases), -1).clone()
    b_hh = module.bias_hh_l0.detach().expand(len(biases), -1).clone()
    for k, value in enumerate(biases):
        if value is not None:          # [i, f, g, o] for the LSTM, [r, z, n] for the GRU: slice 1 either way
            b_ih[k, H:2 * H] = value
            b_hh[k, H:2 * H] = 0.0
    return b_ih, b_hh


def gated_flow(biases, seq_len=100, hidden_size=64, seed=1234, device="cpu", dtype=torch.float32):
    """||dL/dx_t|| for t = 0..seq_len-1, for the RNN and for the LSTM and GRU at every bias value."""
    biases = check_values("biases", biases, lambda b: None if b is None else
                          check_float("forget_bias", b, low=-20.0, high=20.0), allow_empty=True)
    if not biases:
        raise ValueError("biases must hold at least one forget-gate bias (None for PyTorch's default)")
    seq_len = check_int("seq_len", seq_len, 1, MAX_SEQ_LEN)
    hidden_size = check_int("hidden_size", hidden_size, 1, MAX_HIDDEN)
    seed = check_seed(seed)
    device = check_device(device)
    check_dtype(dtype)
    B = len(biases)
    modules = _modules(hidden_size, seed, device, dtype)
    x0 = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(seed)).to(device=device, dtype=dtype)
    grads = {}

    x = x0.clone().requires_grad_()
    outputs, _ = modules["rnn"](x)                  # no gate: one curve, shared by every bias
    outputs[-1].sum().backward()
    rnn_curve = x.grad.to(torch.float64).flatten(1).norm(dim=1).cpu().numpy()
    grads["rnn"] = np.tile(rnn_curve, (B, 1))

    for cell in ("lstm", "gru"):
        m = modules[cell]
        b_ih, b_hh = _biases(m, biases, hidden_size)
        x = x0.expand(seq_len, B, 1).clone().requires_grad_()   # the same inputs for every bias
        h = x.new_zeros(B, hidden_size)
        c = x.new_zeros(B, hidden_size)
        with torch.enable_grad():
            for x_t in x:
                if cell == "lstm":
                    h, c = lstm_step(x_t, h, c, m.weight_ih_l0, m.weight_hh_l0, b_ih, b_hh)
                else:
                    h = gru_step(x_t, h, m.weight_ih_l0, m.weight_hh_l0, b_ih, b_hh)
            h.sum().backward()                      # the sequences are independent: one pass for all
        grads[cell] = x.grad.to(torch.float64).squeeze(-1).abs().T.cpu().numpy()   # input_size 1: norm = |.|
    return GatedFlow(biases, seq_len, hidden_size, grads)
