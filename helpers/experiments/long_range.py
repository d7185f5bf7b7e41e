"""A task with one long-range dependency, and how well each recurrent cell learns it.

Recall after distractors: the first token of a sequence is one of `num_symbols` symbols; it is
followed by `distance` distractor tokens and a query token, and the answer, read at the query,
is the first token. Nothing between them carries information about the answer, so a model can
only beat chance (1 / num_symbols) if something it learned connects the answer to a token
`distance + 1` steps back: exactly what vanishing gradients forbid.

Used in: 1.4, 1.5.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_generator, check_int, check_seed, check_values
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.experiments.training import CELLS, SequenceModel

NUM_DISTRACTORS = 4   # distinct distractor symbols


def recall_task(n, distance, num_symbols=4, generator=None):
    """n sequences of length distance + 2, one-hot encoded.

    inputs: (distance + 2, n, num_symbols + NUM_DISTRACTORS + 1): [symbol, distractors..., query];
    targets: (n,) the index of the first symbol, in [0, num_symbols).
    """
    n = check_int("n", n, 1)
    distance = check_int("distance", distance, 0)
    num_symbols = check_int("num_symbols", num_symbols, 2)
    check_generator(generator)
    size = num_symbols + NUM_DISTRACTORS + 1
    targets = torch.randint(0, num_symbols, (n,), generator=generator)
    noise = num_symbols + torch.randint(0, NUM_DISTRACTORS, (distance, n), generator=generator)
    query = torch.full((1, n), size - 1)
    tokens = torch.cat([targets.unsqueeze(0), noise, query])          # (distance + 2, n)
    return nn.functional.one_hot(tokens, size).float(), targets


def input_size_for(num_symbols):
    return num_symbols + NUM_DISTRACTORS + 1


@dataclass
class RecallRun:
    cell: str
    max_distance: int          # training distances were drawn from 1..max_distance
    distances: tuple           # where the trained model was scored
    accuracy: np.ndarray       # share of fresh sequences answered right, per distance
    losses: np.ndarray         # training loss per update
    seconds_per_update: float  # measured, machine-dependent
    model: nn.Module = None

    def accuracy_at(self, distance):
        return float(self.accuracy[self.distances.index(distance)])


EVAL_DISTANCES = (10, 25, 50, 100, 200, 400, 800)


def train_recall(cell, max_distance=100, hidden_size=32, steps=600, batch=32, lr=0.01, num_symbols=4,
                 forget_bias=None, distances=EVAL_DISTANCES, seed=0, progress=True):
    """Train one `cell` ("rnn", "gru", "lstm") on the recall task, then score it at each distance.

    Each update draws one distance uniformly from 1..max_distance for its whole batch: the short
    ones give an easy signal to learn *that* the first token matters, the long ones demand that it
    be kept. Adam, cross-entropy at the query step, gradient norm clipped at 1 so that no run fails
    by explosion. forget_bias sets the starting bias of an LSTM's forget gate (a GRU's update gate);
    None keeps PyTorch's default. Scoring at distances beyond max_distance measures how far what was
    learned carries.
    """
    import time
    max_distance, hidden_size, steps, batch, lr, num_symbols, forget_bias, distances, seed = _check_recall_arguments(
        cell, max_distance, hidden_size, steps, batch, lr, num_symbols, forget_bias, distances, seed)
    g = torch.Generator().manual_seed(seed)
    with seeded(seed):
        model = SequenceModel(cell, input_size_for(num_symbols), hidden_size, num_symbols)
    if forget_bias is not None:
        model.set_gate_bias(forget_bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = np.empty(steps)
    start = time.perf_counter()
    for step in progress_bar(range(steps), f"{cell}, distances 1..{max_distance}", progress):
        distance = int(torch.randint(1, max_distance + 1, (1,), generator=g))
        x, y = recall_task(batch, distance, num_symbols, g)
        loss = nn.functional.cross_entropy(model(x)[0][-1], y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses[step] = loss.item()
    elapsed = (time.perf_counter() - start) / steps
    accuracy = np.array([recall_accuracy(model, d, num_symbols, g) for d in distances])
    return RecallRun(cell, max_distance, distances, accuracy, losses, elapsed, model)


def _check_recall_arguments(cell, max_distance, hidden_size, steps, batch, lr, num_symbols, forget_bias, distances,
                            seed, progress=True):
    """train_recall's arguments, checked, in its order after `cell`."""
    check_choice("cell", cell, tuple(CELLS))
    max_distance = check_int("max_distance", max_distance, 1)
    steps = check_int("steps", steps, 1)
    batch = check_int("batch", batch, 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    num_symbols = check_int("num_symbols", num_symbols, 2)
    distances = check_values("distances", distances, lambda d: check_int("distance", d, 0), allow_empty=True)
    if forget_bias is not None:
        if cell == "rnn":
            raise ValueError("forget_bias applies to a gated cell (lstm: forget gate, gru: update gate), got cell='rnn'")
        forget_bias = check_float("forget_bias", forget_bias)
    return max_distance, hidden_size, steps, batch, lr, num_symbols, forget_bias, distances, check_seed(seed)


@torch.no_grad()
def recall_accuracy(model, distance, num_symbols=4, generator=None, n=500):
    """Share of n fresh sequences whose first symbol the model names at the query step."""
    x, y = recall_task(n, distance, num_symbols, generator)
    return (model(x)[0][-1].argmax(-1) == y).float().mean().item()


def recall_sweep(cells=("rnn", "lstm", "gru"), progress=True, **kwargs):
    """train_recall for every cell, same data and seed: {cell: RecallRun}."""
    import inspect
    cells = check_values("cells", cells, lambda c: check_choice("cell", c, tuple(CELLS)))
    for cell in cells:   # every run's arguments, before the first run trains
        arguments = inspect.signature(train_recall).bind(cell, progress=progress, **kwargs)
        arguments.apply_defaults()
        _check_recall_arguments(**arguments.arguments)
    return {cell: train_recall(cell, progress=progress, **kwargs) for cell in cells}


def effective_context(run, threshold=0.9):
    """The longest scored distance up to which `run` kept accuracy >= threshold at every distance, or 0."""
    threshold = check_float("threshold", threshold, low=0.0, high=1.0)
    reach = 0
    for d, a in zip(run.distances, run.accuracy):
        if a < threshold:
            break
        reach = d
    return reach


@torch.no_grad()
def recall_confusion(model, distance, num_symbols=4, seed=0, n=2000):
    """counts[true, answered] over n fresh sequences at one distance.

    A run can score below chance and still hold information: if its answers are a consistent
    relabelling of the truth (every 0 answered as 3, say), the symbol survived in the state and
    only the read-out, fitted at other distances, maps it to the wrong name.
    """
    distance = check_int("distance", distance, 0)
    n = check_int("n", n, 1)
    x, y = recall_task(n, distance, num_symbols, torch.Generator().manual_seed(check_seed(seed)))
    answers = model(x)[0][-1].argmax(-1)
    counts = np.zeros((num_symbols, num_symbols), dtype=int)
    np.add.at(counts, (y.numpy(), answers.numpy()), 1)
    return counts


def best_relabelled_accuracy(counts):
    """Accuracy of the best one-to-one renaming of the answers: what the state still tells apart."""
    from itertools import permutations
    k = len(counts)
    best = max(sum(counts[i, p[i]] for i in range(k)) for p in permutations(range(k)))
    return best / counts.sum()
