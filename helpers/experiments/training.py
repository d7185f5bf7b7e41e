"""Training experiments for the gradient chapter: clipping, and truncated BPTT.

Both use PyTorch's fused nn.RNN / nn.GRU / nn.LSTM: the point here is training behaviour, and
the step-by-step models in models.py are checked against these same modules in the tests.

Used in: 1.3.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_int, check_seed, check_values
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.experiments.tasks import adding_problem, delayed_echo
from helpers.models.inits import recurrent_matrix, rescale_to_radius

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class SequenceModel(nn.Module):
    """A recurrent layer (rnn, gru or lstm) followed by a linear read-out at every step."""

    def __init__(self, cell, input_size, hidden_size, output_size):
        super().__init__()
        check_choice("cell", cell, tuple(CELLS))
        self.recurrent = CELLS[cell](check_int("input_size", input_size, 1), check_int("hidden_size", hidden_size, 1))
        self.head = nn.Linear(hidden_size, check_int("output_size", output_size, 1))

    def forward(self, x, state=None):
        outputs, state = self.recurrent(x, state)   # outputs: (seq_len, batch, hidden)
        return self.head(outputs), state

    def set_gate_bias(self, value):
        """Open the gate that keeps the state: torch stacks the LSTM's gates (i, f, g, o) and the GRU's
        (r, z, n), so the second block is the forget gate or the update gate. The input-side bias gets
        `value`, the recurrent-side bias 0, so their sum is `value`."""
        n = self.recurrent.hidden_size
        with torch.no_grad():
            self.recurrent.bias_ih_l0[n:2 * n] = value
            self.recurrent.bias_hh_l0[n:2 * n] = 0.0


def detach_state(state):
    """Cut the graph behind a recurrent state: a tensor (RNN, GRU)
    or a tuple (h, c) (LSTM)."""
    if state is None:
        return None
    if isinstance(state, tuple) and all(isinstance(s, torch.Tensor)
                                        for s in state):
        return tuple(s.detach() for s in state)
    if not isinstance(state, torch.Tensor):
        raise ValueError("state must be None, a tensor or a tuple of tensors, "
                         f"got {type(state).__name__}")
    return state.detach()


def truncated_bptt(model, optimizer, x, y, window,
                   loss_fn=nn.functional.mse_loss):
    """Truncated BPTT over one batch: an update after every `window` steps.

    The state is carried from window to window but detached, so each
    update's gradient reaches back at most `window` steps.
    x, y: (seq_len, batch, features). Returns each window's loss.
    """
    window = check_int("window", window, 1)
    state, losses = None, []
    for start in range(0, len(x), window):
        chunk = slice(start, start + window)
        state = detach_state(state)          # keep the values, cut the graph
        prediction, state = model(x[chunk], state)
        loss = loss_fn(prediction, y[chunk])
        optimizer.zero_grad()
        loss.backward()                      # stops at the window's start
        optimizer.step()
        losses.append(loss.item())
    return losses


def clip_or_skip(parameters, optimizer, max_norm):
    """Clip the gradient to norm `max_norm` and step, or skip the step
    if the gradient is not finite.

    A threshold test alone lets NaN through: `nan > max_norm` is False,
    and clip_grad_norm_ then scales every gradient by NaN.
    Returns the norm before clipping and whether the step was taken.
    """
    max_norm = check_float("max_norm", max_norm, low=0.0, low_inclusive=False)
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
    norm = torch.linalg.vector_norm(norms)
    if not torch.isfinite(norm):    # NaN or inf: it would poison every weight
        optimizer.zero_grad()
        return norm.item(), False
    scale = max_norm / (norm + 1e-6)   # as torch.nn.utils.clip_grad_norm_
    if scale < 1:
        for g in grads:
            g.mul_(scale)
    optimizer.step()
    return norm.item(), True


def check_max_norms(max_norms):
    """The clipping thresholds as a tuple, each None (no clipping) or a finite number > 0, kept as given."""
    def one(max_norm):
        if max_norm is not None:
            check_float("max_norm", max_norm, low=0.0, low_inclusive=False)
        return max_norm
    return check_values("max_norms", max_norms, one)


@dataclass
class ClippingRun:
    max_norm: float | None
    losses: np.ndarray        # training loss per update (NaN once training has diverged)
    grad_norms: np.ndarray    # gradient norm before clipping, per update

    @property
    def diverged_at(self):
        """First update whose loss was not finite, or None."""
        bad = np.flatnonzero(~np.isfinite(self.losses))
        return int(bad[0]) if bad.size else None


def clipping_experiment(max_norms=(None, 1.0), radius=1.5, lr=0.2, steps=300, seq_len=20,
                        hidden_size=32, batch=64, seed=0, progress=True):
    """Train the same tanh RNN on the adding problem with and without gradient-norm clipping.

    W_hh starts orthogonal and rescaled to `radius` > 1, and the learning rate is large: the
    setting in which unclipped gradients explode. Every run sees the same data and weights.
    """
    max_norms = check_max_norms(max_norms)   # every run's threshold, before the first run trains
    steps = check_int("steps", steps, 1)
    radius = check_float("radius", radius, low=0.0)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    seq_len = check_int("seq_len", seq_len, 2)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    batch = check_int("batch", batch, 1)
    seed = check_seed(seed)
    runs = []
    for max_norm in max_norms:
        g = torch.Generator().manual_seed(seed)
        with seeded(seed):
            model = SequenceModel("rnn", 2, hidden_size, 1)
        with torch.no_grad():
            model.recurrent.weight_hh_l0.copy_(rescale_to_radius(recurrent_matrix(hidden_size, "orthogonal", g), radius))
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
        label = f"clip at {max_norm}" if max_norm else "no clipping"
        for step in progress_bar(range(steps), label, progress):
            x, y = adding_problem(batch, seq_len, g)
            prediction, _ = model(x)
            loss = nn.functional.mse_loss(prediction[-1], y)
            if not torch.isfinite(loss):
                break  # the weights are already inf/NaN: nothing further to learn
            optimizer.zero_grad()
            loss.backward()
            norms[step] = nn.utils.clip_grad_norm_(model.parameters(), max_norm or float("inf")).item()
            losses[step] = loss.item()
            optimizer.step()
        runs.append(ClippingRun(max_norm, losses, norms))
    return runs


def truncated_gradient_reach(cell, seq_len, window, hidden_size=16, seed=0):
    """||dL/dx_t|| for a loss at the last step, when the sequence is run in windows of `window`.

    The state is detached between windows, as in truncated BPTT, so the gradient reaches back
    only to the start of the last window. Works for RNN, GRU and LSTM (whose state is a tuple).
    """
    check_choice("cell", cell, tuple(CELLS))
    seq_len = check_int("seq_len", seq_len, 1)
    window = check_int("window", window, 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    seed = check_seed(seed)
    with seeded(seed):
        model = SequenceModel(cell, 1, hidden_size, 1)
    x = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(seed), requires_grad=True)
    state, prediction = None, None
    for start in range(0, seq_len, window):
        prediction, state = model(x[start:start + window], detach_state(state))
    prediction[-1].sum().backward()
    return x.grad.abs().flatten().numpy()


def echo_accuracy(predictions, targets, delay):
    """Sign accuracy on the delayed echo: the fraction of entries at steps t >= delay whose prediction
    has the target's sign (targets +-1; a prediction of exactly 0 counts as wrong).

    predictions, targets: (seq_len, batch, 1), as delayed_echo makes them. The first `delay` steps
    are left out: their targets are 0 (nothing to echo yet), not a sign. Counted exactly: correct
    entries over scored entries, both integers.
    """
    if not isinstance(predictions, torch.Tensor) or not isinstance(targets, torch.Tensor) \
            or predictions.dim() != 3 or predictions.shape != targets.shape:
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (predictions, targets)]
        raise ValueError(f"predictions must be a (seq_len, batch, 1) tensor of the targets' shape, got {shapes[0]} "
                         f"and targets {shapes[1]}")
    delay = check_int("delay", delay, 0, predictions.shape[0] - 1)
    scored_predictions, scored_targets = predictions[delay:], targets[delay:]     # t = delay, ..., seq_len - 1
    correct = int((scored_predictions.sign() == scored_targets).sum())
    return correct / scored_targets.numel()


def tbptt_echo_accuracy(cell, window, delay, seq_len=120, hidden_size=32, steps=150, batch=32, lr=0.01,
                        seed=0, progress=True):
    """Train on the delayed-echo task with truncated BPTT; return sign accuracy on fresh data.

    Only the steps at least `delay` into the sequence are scored (earlier targets are 0): echo_accuracy.
    """
    check_choice("cell", cell, tuple(CELLS))
    seq_len = check_int("seq_len", seq_len, 1)
    window = check_int("window", window, 1)
    delay = check_int("delay", delay, 0, seq_len - 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    steps = check_int("steps", steps, 1)
    batch = check_int("batch", batch, 1)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    seed = check_seed(seed)
    g = torch.Generator().manual_seed(seed)
    with seeded(seed):
        model = SequenceModel(cell, 1, hidden_size, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in progress_bar(range(steps), f"{cell}, window {window}", progress):
        x, y = delayed_echo(batch, seq_len, delay, g)
        truncated_bptt(model, optimizer, x, y, window)
    with torch.no_grad():
        x, y = delayed_echo(256, seq_len, delay, g)
        prediction, _ = model(x)
        return echo_accuracy(prediction, y, delay)
