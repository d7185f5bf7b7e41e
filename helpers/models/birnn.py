"""A bidirectional tanh RNN written out step by step.

BiRNN: one RNN reads left to right, a second reads right to left, and the output at step t is
[h_fwd_t ; h_bwd_t]; every position then sees the whole sequence, at twice the work and with the
same number of sequential steps. `to_torch()` gives the matching nn.RNN(bidirectional=True).
The task that needs it is in helpers/experiments/lookahead.py.

Used in: 1.5.
"""
import torch
from torch import nn

from helpers.core.checks import check_generator, check_int
from helpers.models.tanh_rnn import TanhRNN


class BiRNN(nn.Module):
    """Two TanhRNNs, one per direction.

    forward(x): (seq_len, batch, input) -> (seq_len, batch, 2 * hidden), and the
    last state of each direction.
    """

    def __init__(self, input_size, hidden_size, generator=None):
        super().__init__()
        check_int("input_size", input_size, 1)
        check_int("hidden_size", hidden_size, 1)
        check_generator(generator)
        self.forward_rnn = TanhRNN(input_size, hidden_size, generator=generator)
        self.backward_rnn = TanhRNN(input_size, hidden_size, generator=generator)
        self.input_size, self.hidden_size = self.forward_rnn.input_size, hidden_size

    def forward(self, x):
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (seq_len, batch, {self.input_size}), "
                             f"got {tuple(x.shape)}")
        out_f, h_f = self.forward_rnn(x)
        out_b, h_b = self.backward_rnn(x.flip(0))     # read right to left ...
        outputs = torch.cat([out_f, out_b.flip(0)], dim=-1)   # ... and realign
        return outputs, torch.stack([h_f, h_b])

    def to_torch(self):
        """nn.RNN(bidirectional=True) with a copy of both directions' weights."""
        rnn = nn.RNN(self.input_size, self.hidden_size, bidirectional=True)
        with torch.no_grad():
            for suffix, part in (("_l0", self.forward_rnn),
                                 ("_l0_reverse", self.backward_rnn)):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(rnn, name + suffix).copy_(getattr(part, name))
        return rnn.to(self.forward_rnn.weight_ih)


