"""Look-ahead tagging, the task of chapter 1.5 that needs the future: at every position the label is
the symbol `offset` steps later. A forward RNN has not read that symbol yet and can only guess
(1 / num_symbols); a BiRNN (helpers/models/birnn.py) has.

Used in: 1.5.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_float, check_generator, check_int, check_seed
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded


def lookahead_task(n, seq_len, offset=2, num_symbols=4, generator=None):
    """inputs: (seq_len, n, num_symbols) one-hot; targets: (seq_len - offset, n), the symbol offset steps on."""
    n = check_int("n", n, 1)
    seq_len, offset, num_symbols = _check_task(seq_len, offset, num_symbols)
    check_generator(generator)
    tokens = torch.randint(0, num_symbols, (seq_len, n), generator=generator)
    return nn.functional.one_hot(tokens, num_symbols).float(), tokens[offset:]


def _check_task(seq_len, offset, num_symbols):
    seq_len = check_int("seq_len", seq_len, 2)
    return seq_len, check_int("offset", offset, 1, seq_len - 1), check_int("num_symbols", num_symbols, 2)


class Tagger(nn.Module):
    """A tanh RNN (one or both directions) and a linear read-out at every step."""

    def __init__(self, num_symbols, hidden_size, bidirectional):
        super().__init__()
        check_int("num_symbols", num_symbols, 1)
        check_int("hidden_size", hidden_size, 1)
        self.rnn = nn.RNN(num_symbols, hidden_size, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), num_symbols)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


@dataclass
class TaggingRun:
    bidirectional: bool
    accuracy: float
    losses: np.ndarray


def train_lookahead(bidirectional, offset=2, seq_len=20, hidden_size=32, steps=300, batch=32, lr=0.01,
                    num_symbols=4, seed=0, progress=True):
    """Train a forward RNN or a BiRNN tagger on lookahead_task; accuracy on 500 fresh sequences."""
    steps = check_int("steps", steps, 1)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    batch = check_int("batch", batch, 1)
    _check_task(seq_len, offset, num_symbols)
    g = torch.Generator().manual_seed(check_seed(seed))
    with seeded(seed):
        model = Tagger(num_symbols, hidden_size, bidirectional)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    label = "BiRNN" if bidirectional else "forward RNN"
    for step in progress_bar(range(steps), label, progress):
        x, y = lookahead_task(batch, seq_len, offset, num_symbols, g)
        loss = nn.functional.cross_entropy(model(x)[: seq_len - offset].flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses[step] = loss.item()
    with torch.no_grad():
        x, y = lookahead_task(500, seq_len, offset, num_symbols, g)
        accuracy = (model(x)[: seq_len - offset].argmax(-1) == y).float().mean().item()
    return TaggingRun(bidirectional, accuracy, losses)
