"""A character-level language model on real text: RNN, LSTM and GRU at equal parameter counts.

Each model reads one character at a time (one-hot, so the input matrix doubles as the embedding)
and predicts the next through a linear read-out. Training is truncated BPTT over `batch` streams:
each stream starts at its own place in the training text and reads on, `seq_len` characters per
update, carrying its state from one update to the next (detached, as in chapter 1.3). All cells of
one seed see the same streams. The score is bits per character on the held-out text: the
cross-entropy in base 2, read in `streams` contiguous stretches with the state carried along.

Used in: 1.4.
"""
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_float, check_int, check_seed, check_values
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.experiments.training import CELLS, detach_state
from helpers.models.gated import parameter_count


class CharLM(nn.Module):
    """A recurrent layer over one-hot characters and a linear read-out to the next character's logits."""

    def __init__(self, cell, vocab_size, hidden_size):
        super().__init__()
        self.cell = check_choice("cell", cell, tuple(CELLS))
        self.vocab_size = check_int("vocab_size", vocab_size, 2)
        self.recurrent = CELLS[cell](self.vocab_size, check_int("hidden_size", hidden_size, 1))
        self.head = nn.Linear(hidden_size, self.vocab_size)

    def forward(self, ids, state=None):
        """ids: (seq_len, batch) character ids -> logits (seq_len, batch, vocab_size) and the last state."""
        outputs, state = self.recurrent(nn.functional.one_hot(ids, self.vocab_size).to(self.head.weight.dtype), state)
        return self.head(outputs), state


def char_lm_parameters(cell, vocab_size, hidden_size):
    """CharLM's parameter count: the recurrent layer (input = vocab_size) plus the read-out."""
    vocab_size = check_int("vocab_size", vocab_size, 2)
    return parameter_count(cell, vocab_size, hidden_size) + hidden_size * vocab_size + vocab_size


def equal_budget_sizes(vocab_size, reference=("lstm", 64), cells=("rnn", "lstm", "gru")):
    """{cell: hidden size} whose CharLM parameter count is nearest the reference cell's, for each cell."""
    ref_cell, ref_hidden = reference
    budget = char_lm_parameters(ref_cell, vocab_size, check_int("hidden_size", ref_hidden, 1))
    cells = check_values("cells", cells, lambda c: check_choice("cell", c, tuple(CELLS)))
    return {c: min(range(1, 4 * ref_hidden + 1), key=lambda h: abs(char_lm_parameters(c, vocab_size, h) - budget))
            for c in cells}


@torch.no_grad()
def bits_per_char(model, ids, streams=50):
    """Cross-entropy of `model` on the 1-D tensor `ids`, in bits per character, read as `streams`
    contiguous stretches side by side (the state carried along each; the first character of each
    stretch is only read, never predicted)."""
    streams = check_int("streams", streams, 1, max(1, len(ids) // 2))
    length = len(ids) // streams
    columns = ids[: length * streams].view(streams, length).T          # (length, streams)
    logits, _ = model(columns[:-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, model.vocab_size), columns[1:].reshape(-1))
    return loss.item() / math.log(2)


def unigram_bits(train, test, vocab_size):
    """Bits per character on `test` of the character frequencies of `train` (add-one smoothed): the
    score of a model that knows how common each character is and nothing else."""
    counts = torch.bincount(train, minlength=check_int("vocab_size", vocab_size, 2)).double() + 1
    return float(-(counts / counts.sum())[test].log2().mean())


@dataclass
class CharLMRun:
    cell: str
    hidden_size: int
    parameters: int
    losses: np.ndarray        # training loss per update, bits per character
    test_bits: float          # bits per character on the held-out text
    seconds: float            # training time, measured: machine-dependent
    characters: int = 0       # characters read in training: steps x batch x seq_len
    model: nn.Module = None


def train_char_lms(train, test, vocab_size, hidden_sizes, steps=600, batch=32, seq_len=50, lr=0.01, seed=0,
                   progress=True):
    """Train one CharLM per cell of `hidden_sizes` ({cell: hidden size}) on the same streams of `train`.

    Adam at `lr`, gradient norm clipped at 1, as on the recall task. Returns {cell: CharLMRun}.
    """
    vocab_size = check_int("vocab_size", vocab_size, 2)
    if not isinstance(hidden_sizes, dict) or not hidden_sizes:
        raise ValueError(f"hidden_sizes must be a dict {{cell: hidden size}}, got {hidden_sizes!r}")
    for cell, size in hidden_sizes.items():
        check_choice("cell", cell, tuple(CELLS))
        check_int("hidden_size", size, 1)
    steps, batch = check_int("steps", steps, 1), check_int("batch", batch, 1)
    seq_len = check_int("seq_len", seq_len, 1)
    lr = check_float("lr", lr, low=0.0, low_inclusive=False)
    seed = check_seed(seed)
    for name, ids in (("train", train), ("test", test)):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 1 or len(ids) < 2:
            raise ValueError(f"{name} must be a 1-D tensor of at least 2 character ids")
    span = steps * seq_len + 1                       # what one stream reads
    if len(train) < span:
        raise ValueError(f"steps must be at most {(len(train) - 1) // seq_len} for a training text of "
                         f"{len(train)} characters at seq_len={seq_len}, got {steps}")
    g = torch.Generator().manual_seed(seed)
    starts = torch.randint(0, len(train) - span + 1, (batch,), generator=g)
    runs = {}
    for cell, hidden_size in hidden_sizes.items():
        with seeded(seed):
            model = CharLM(cell, vocab_size, hidden_size)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        losses, state, start = np.empty(steps), None, time.perf_counter()
        for step in progress_bar(range(steps), f"{cell}, {hidden_size} units", progress):
            chunk = train[(starts + step * seq_len)[:, None] + torch.arange(seq_len + 1)].T   # (seq_len + 1, batch)
            logits, state = model(chunk[:-1], detach_state(state))
            loss = nn.functional.cross_entropy(logits.reshape(-1, vocab_size), chunk[1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses[step] = loss.item() / math.log(2)
        seconds = time.perf_counter() - start
        runs[cell] = CharLMRun(cell, hidden_size, sum(p.numel() for p in model.parameters()), losses,
                               bits_per_char(model, test, streams=min(50, len(test) // 2)), seconds,
                               steps * batch * seq_len, model)
    return runs


@torch.no_grad()
def sample_line(model, vocab, prompt, seed=0, temperature=1.0, max_chars=100):
    """Continue `prompt` one sampled character at a time until a newline (or max_chars): the line written.

    Characters are drawn from softmax(logits / temperature) with a generator seeded by `seed`, so the
    same model gives the same line on the same machine.
    """
    temperature = check_float("temperature", temperature, low=0.0, low_inclusive=False)
    max_chars = check_int("max_chars", max_chars, 1)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"prompt must be a non-empty string, got {prompt!r}")
    g = torch.Generator().manual_seed(check_seed(seed))
    logits, state = model(vocab.encode(prompt)[:, None])
    line = []
    for _ in range(max_chars):
        probabilities = torch.softmax(logits[-1, 0] / temperature, dim=-1)
        nxt = int(torch.multinomial(probabilities, 1, generator=g))
        if vocab.chars[nxt] == "\n":
            break
        line.append(vocab.chars[nxt])
        logits, state = model(torch.tensor([[nxt]]), state)
    return "".join(line)
