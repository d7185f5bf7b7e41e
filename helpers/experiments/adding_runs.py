"""Chapter 1.3's adding problem again, trained with the recipe of chapter 1.4's recall task.

Chapter 1.3 trained a tanh RNN on it with plain SGD and showed that clipping keeps the run alive
without making it learn: the loss stops at that of always answering the mean sum. Here each cell
gets the same recipe (Adam, gradient norm clipped at 1) and the same data, and is scored by its
mean-squared error on fresh sequences.

Used in: 1.4.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_int, check_seed
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.experiments.tasks import adding_problem
from helpers.experiments.training import CELLS, SequenceModel

# The two marked values are independent and uniform on [0, 1), each of variance 1/12, so their sum
# has mean 1 and variance 1/6: the mean-squared error of always answering 1.0, the best a model can
# do without reading the marked values.
MEAN_SUM_LOSS = 1 / 6


@dataclass
class AddingRun:
    cell: str
    forget_bias: float | None
    losses: np.ndarray     # training loss (mean-squared error) per update
    test_mse: float        # on `test_size` fresh sequences


def train_adding(cell, seq_len=20, hidden_size=32, steps=300, batch=64, lr=0.01, forget_bias=None, seed=0,
                 test_size=1000, progress=True):
    """Train one `cell` on the adding problem at length `seq_len`; return its AddingRun.

    forget_bias: the starting bias of an LSTM's forget gate (a GRU's update gate) in b_ih, with b_hh's
    share zeroed, as in helpers.experiments.long_range.train_recall; None keeps PyTorch's default.
    """
    check_choice("cell", cell, tuple(CELLS))
    seq_len, hidden_size = check_int("seq_len", seq_len, 2), check_int("hidden_size", hidden_size, 1)
    steps, batch = check_int("steps", steps, 1), check_int("batch", batch, 1)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    test_size = check_int("test_size", test_size, 1)
    if forget_bias is not None:
        if cell == "rnn":
            raise ValueError("forget_bias applies to a gated cell (lstm: forget gate, gru: update gate), got cell='rnn'")
        forget_bias = check_float("forget_bias", forget_bias)
    seed = check_seed(seed)
    g = torch.Generator().manual_seed(seed)
    with seeded(seed):
        model = SequenceModel(cell, 2, hidden_size, 1)
    if forget_bias is not None:
        model.set_gate_bias(forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    for step in progress_bar(range(steps), f"{cell}, adding problem", progress):
        x, y = adding_problem(batch, seq_len, g)
        loss = nn.functional.mse_loss(model(x)[0][-1], y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses[step] = loss.item()
    with torch.no_grad():
        x, y = adding_problem(test_size, seq_len, g)
        test_mse = nn.functional.mse_loss(model(x)[0][-1], y).item()
    return AddingRun(cell, forget_bias, losses, test_mse)
