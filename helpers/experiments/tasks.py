"""Toy sequence tasks, generated from a seed so every run sees the same data.

Used by: helpers.exercises.drill_runs, helpers.experiments.adding_runs,
helpers.experiments.training.
"""
import torch

from helpers.core.checks import check_generator, check_int


def adding_problem(n, seq_len, generator=None):
    """The adding problem (Hochreiter & Schmidhuber, 1997): sum the two marked numbers.

    inputs: (seq_len, n, 2) with a value in [0, 1) and a marker that is 1 at two positions,
    one in each half of the sequence; targets: (n, 1), the sum of the two marked values.
    """
    n = check_int("n", n, 1)
    seq_len = check_int("seq_len", seq_len, 2)
    check_generator(generator)
    values = torch.rand(seq_len, n, generator=generator)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, seq_len, (n,), generator=generator)
    markers = torch.zeros(seq_len, n)
    columns = torch.arange(n)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    targets = (values * markers).sum(0, keepdim=True).T
    return torch.stack([values, markers], dim=-1), targets


def delayed_echo(n, seq_len, delay, generator=None):
    """Repeat the input `delay` steps later: target_t = x_{t - delay} (0 before the first echo).

    inputs: (seq_len, n, 1) of random signs +-1; targets: (seq_len, n, 1).
    """
    n = check_int("n", n, 1)
    seq_len = check_int("seq_len", seq_len, 1)
    delay = check_int("delay", delay, 0, seq_len - 1)
    check_generator(generator)
    inputs = torch.randint(0, 2, (seq_len, n, 1), generator=generator).float() * 2 - 1
    targets = torch.zeros_like(inputs)
    targets[delay:] = inputs[: seq_len - delay]
    return inputs, targets
