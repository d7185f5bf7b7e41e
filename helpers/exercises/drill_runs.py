"""The small training runs behind the summary chapter's drills, so their figures show learning.

Drill 2 trains the two-layer RNN with and without the learner's clip function; drill 3 trains a
tiny Bahdanau model whose attention weights then mean something. Both are seeded and take about
a second on one CPU thread.

Used in: the summary.
"""
import copy

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_callable, check_float, check_generator, check_int, check_seed, check_values
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.experiments.tasks import adding_problem
from helpers.experiments.training import ClippingRun, check_max_norms
from helpers.models.attention import AttentionScore
from helpers.models.inits import recurrent_matrix, rescale_to_radius


class TwoLayerRegressor(nn.Module):
    """nn.RNN(num_layers=2) with a linear read-out of the last step: the drill's RNN, in PyTorch's form."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        check_int("input_size", input_size, 1)
        check_int("hidden_size", hidden_size, 1)
        self.rnn = nn.RNN(input_size, hidden_size, num_layers=2, nonlinearity="tanh")
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        outputs, _ = self.rnn(x)
        return self.head(outputs[-1])


def clipping_runs(clip_fn, max_norms=(None, 1.0), radius=2.0, lr=0.05, steps=400, seq_len=20, hidden_size=32,
                  batch=64, seed=0, progress=True):
    """Train the two-layer RNN on the adding problem, once per max_norm (None: no clipping).

    Both W_hh start orthogonal at spectral radius `radius` and the learning rate is large, so an
    unclipped run can blow up. clip_fn(parameters, max_norm) is called between backward and step.
    Every run sees the same data and the same initial weights.
    """
    check_callable("clip_fn", clip_fn, "(parameters, max_norm)")
    max_norms = check_max_norms(max_norms)   # every run's threshold, before the first run trains
    steps, radius = check_int("steps", steps, 1), check_float("radius", radius, low=0.0)
    check_float("lr", lr, low=0.0, low_inclusive=False)
    seq_len = check_int("seq_len", seq_len, 2)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    batch = check_int("batch", batch, 1)
    seed = check_seed(seed)
    runs = []
    for max_norm in max_norms:
        g = torch.Generator().manual_seed(seed)
        with seeded(seed):
            model = TwoLayerRegressor(2, hidden_size)
        with torch.no_grad():
            for layer in (0, 1):
                w = recurrent_matrix(hidden_size, "orthogonal", g)
                getattr(model.rnn, f"weight_hh_l{layer}").copy_(rescale_to_radius(w, radius))
        optimizer = torch.optim.SGD(model.parameters(), lr=check_float("lr", lr, low=0.0, low_inclusive=False))
        losses, norms = np.full(steps, np.nan), np.full(steps, np.nan)
        for step in progress_bar(range(steps), f"clip at {max_norm}" if max_norm else "no clipping", progress):
            x, y = adding_problem(batch, seq_len, g)
            loss = nn.functional.mse_loss(model(x), y)
            if not torch.isfinite(loss):
                break
            optimizer.zero_grad()
            loss.backward()
            norms[step] = float(clip_fn(model.parameters(), max_norm) if max_norm else
                                torch.sqrt(sum((p.grad.double() ** 2).sum() for p in model.parameters())))
            losses[step] = loss.item()
            optimizer.step()
        runs.append(ClippingRun(max_norm, losses, norms))
    return runs


class PickModel(nn.Module):
    """A tiny Bahdanau translator for the pick task: encoder states h_j = tanh(E x_j + P_j), no recurrence,
    so each h_j knows only its own token and position and the decoder must attend to find a token.
    With positions=False, P is zero and stays zero: the states say what a token is, not where."""

    def __init__(self, vocab_size=6, src_len=3, hidden_size=8, emb_size=4, attention_size=8, positions=True):
        super().__init__()
        check_int("vocab_size", vocab_size, 1)
        for name, value in (("src_len", src_len), ("hidden_size", hidden_size), ("emb_size", emb_size),
                            ("attention_size", attention_size)):
            check_int(name, value, 1)
        self.source_embedding = nn.Embedding(vocab_size, hidden_size)
        self.position = nn.Parameter(torch.randn(src_len, hidden_size) if positions else torch.zeros(src_len, hidden_size),
                                     requires_grad=positions)
        self.target_embedding = nn.Embedding(vocab_size + 1, emb_size)     # the last index is <start>
        self.score = AttentionScore("additive", hidden_size, attention_size)
        self.gru = nn.GRUCell(emb_size + hidden_size, hidden_size)
        self.out = nn.Linear(2 * hidden_size, vocab_size)
        self.start = vocab_size

    def encode(self, source):
        return torch.tanh(self.source_embedding(source) + self.position)    # (batch, src_len, hidden)

    def forward(self, source, target):
        """Teacher forcing: logits (batch, tgt_len, vocab) and attention weights (batch, tgt_len, src_len)."""
        H = self.encode(source)
        y_prev = torch.cat([torch.full_like(target[:, :1], self.start), target[:, :-1]], dim=1)
        s, logits, weights = H.new_zeros(H.shape[0], H.shape[2]), [], []
        for y in self.target_embedding(y_prev).unbind(1):
            alpha = torch.softmax(self.score(s[:, None], H)[:, 0], dim=-1)   # scored with s_{i-1}
            c = (alpha[:, :, None] * H).sum(1)
            s = self.gru(torch.cat([y, c], dim=-1), s)
            logits.append(self.out(torch.cat([s, c], dim=-1)))
            weights.append(alpha)
        return torch.stack(logits, 1), torch.stack(weights, 1)

    def drill_inputs(self, source, target):
        """One sentence in the drill's format: (encoder_states, s0, y_prev, params) for bahdanau_decoder."""
        with torch.no_grad():
            H = self.encode(source[None])[0].double()
            y_prev = self.target_embedding(torch.cat([torch.tensor([self.start]), target[:-1]])).double()
            params = {"W": self.score.W_query.weight.double(), "U": self.score.W_key.weight.double(),
                      "v": self.score.v.weight[0].double(), "gru": copy.deepcopy(self.gru).double().requires_grad_(False)}
        return H, H.new_zeros(H.shape[1]), y_prev, params


def pick_task(n, picks=(2, 0), vocab_size=6, src_len=3, generator=None):
    """Sources of random tokens; the target names the tokens at positions `picks` (last, then first)."""
    n = check_int("n", n, 1)
    vocab_size = check_int("vocab_size", vocab_size, 1)
    src_len = check_int("src_len", src_len, 1)
    check_values("picks", picks, lambda p: check_int("picks", p, 0, src_len - 1))
    check_generator(generator)
    source = torch.randint(0, vocab_size, (n, src_len), generator=generator)
    return source, source[:, list(picks)]


def train_pick(steps=300, batch=64, lr=0.03, positions=True, seed=0, progress=True):
    """Train PickModel with Adam; return the model and its accuracy on fresh sequences."""
    steps = check_int("steps", steps, 1)
    batch = check_int("batch", batch, 1)
    check_float("lr", lr, low=0.0, low_inclusive=False)
    seed = check_seed(seed)
    g = torch.Generator().manual_seed(seed)
    with seeded(seed):
        model = PickModel(positions=positions)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    for _ in progress_bar(range(steps), "pick task", progress):
        source, target = pick_task(batch, generator=g)
        logits, _ = model(source, target)
        loss = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        source, target = pick_task(1000, generator=g)
        accuracy = (model(source, target)[0].argmax(-1) == target).float().mean().item()
    return model, accuracy
