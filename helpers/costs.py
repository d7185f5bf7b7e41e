"""What a forward RNN, a BiRNN and a Transformer layer cost: complexity, and measured time.

Work and sequential steps for a sequence of n tokens of width d:
  forward RNN:  O(n d^2) work, n sequential steps (h_t needs h_{t-1});
  BiRNN:        twice the RNN's work, still n sequential steps (the two directions can run side by
                side, so the chain is n long, not 2n: "O(2n)" is O(n));
  self-attention: O(n^2 d) work for the scores (plus O(n d^2) for the projections), and O(1)
                sequential steps: every position is computed at once.
Times are medians over repeats of one forward pass; they depend on the machine and its load.
"""
import statistics
import time

import torch
from torch import nn

from .checks import check_int
from .tables import Table

COMPLEXITY = {
    "forward RNN": ("O(n·d²)", "n"),
    "BiRNN": ("2 × O(n·d²) = O(n·d²)", "n"),
    "Transformer layer": ("O(n²·d + n·d²)", "O(1)"),
}


def cost_models(d_model=64, nhead=4, seed=0):
    """The three models compared, at width d_model: their forward passes take (seq_len, batch, d)."""
    d_model = check_int("d_model", d_model, 1)
    nhead = check_int("nhead", nhead, 1)
    if d_model % nhead:
        raise ValueError(f"d_model must be divisible by nhead, got d_model={d_model}, nhead={nhead}")
    torch.manual_seed(seed)
    return {
        "forward RNN": nn.RNN(d_model, d_model),
        "BiRNN": nn.RNN(d_model, d_model // 2, bidirectional=True),   # same output width d
        "Transformer layer": nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model,
                                                         dropout=0.0),
    }


@torch.no_grad()
def time_forward(model, seq_len, batch=8, d_model=64, repeats=5):
    """Median seconds of one forward pass over (seq_len, batch, d_model) random inputs."""
    seq_len = check_int("seq_len", seq_len, 1)
    repeats = check_int("repeats", repeats, 1)
    x = torch.randn(seq_len, batch, d_model)
    model.eval()
    model(x)                                   # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cost_table(lengths=(64, 256, 1024), d_model=64, batch=8, repeats=5):
    """Measured forward times (ms) at each length, with each model's work and sequential steps."""
    lengths = tuple(check_int("seq_len", L, 1) for L in lengths)
    if not lengths:
        raise ValueError("lengths must hold at least one sequence length")
    models = cost_models(d_model)
    times = {name: [time_forward(m, L, batch, d_model, repeats) for L in lengths] for name, m in models.items()}
    rows = tuple((name, work, steps) + tuple(f"{1e3 * t:.2f}" for t in times[name])
                 for name, (work, steps) in COMPLEXITY.items())
    table = Table(("model", "work", "sequential steps") + tuple(f"ms at n={L}" for L in lengths), rows)
    return table, times


def training_step_time(cell, seq_len=100, hidden_size=128, input_size=32, batch=32, repeats=10, seed=0):
    """Median seconds of one training update (forward, backward, Adam step) of a one-layer cell."""
    from .training import CELLS, SequenceModel
    from .checks import check_choice
    check_choice("cell", cell, tuple(CELLS))
    seq_len = check_int("seq_len", seq_len, 1)
    repeats = check_int("repeats", repeats, 1)
    torch.manual_seed(seed)
    model = SequenceModel(cell, input_size, hidden_size, 1)
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.randn(seq_len, batch, input_size), torch.randn(batch, 1)
    times = []
    for k in range(repeats + 1):
        start = time.perf_counter()
        loss = nn.functional.mse_loss(model(x)[0][-1], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if k:                                   # the first update is a warm-up
            times.append(time.perf_counter() - start)
    return statistics.median(times)
