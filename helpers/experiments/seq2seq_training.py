"""Train the encoder-decoder of helpers.seq2seq on a generated task and measure it by source length.

Training is seeded (model weights and every batch come from `seed`), shows a tqdm progress bar, and
uses teacher forcing: the decoder is fed the true previous token. Evaluation does not: it decodes
greedily, feeding back its own guesses, on fresh sequences of one length at a time.

Used in: 1.6, 1.7.
"""
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from helpers.core.checks import check_choice, check_device, check_float, check_int, check_seed, check_values
from helpers.core.progress import progress_bar
from helpers.core.seeding import seeded
from helpers.models.attention import SCORES
from helpers.models.seq2seq import PAD, Seq2Seq, check_task, make_batch


@dataclass
class Seq2SeqRun:
    model: Seq2Seq
    task: str
    min_len: int
    max_len: int
    steps: int
    seed: int
    losses: list = field(default_factory=list)

    @property
    def label(self):
        name = "no attention" if self.model.attention is None else f"{self.model.attention} attention"
        return f"{name}, context {self.model.hidden_size}"


def train_seq2seq(hidden_size=64, attention=None, task="copy", min_len=1, max_len=30, steps=1500,
                  batch=64, lr=3e-3, vocab_size=10, seed=0, device="cpu", progress=True, dtype=torch.float32):
    """Train with Adam (gradients clipped at norm 1) on lengths uniform in [min_len, max_len].

    The weights are drawn in float32 whatever `dtype` (torch.float32 or torch.float64) the model then
    trains in, so a float64 run starts from the float32 run's weights: the website's in-page trainer
    (book/_static/copy_trainer.js) trains in float64 and is checked against such a run."""
    steps = check_int("steps", steps, 1)
    batch = check_int("batch", batch, 1)
    lr = check_float("lr", lr, 0, 1, low_inclusive=False)
    check_task(min_len, max_len, task, vocab_size)
    check_int("hidden_size", hidden_size, 1, 4096)
    if attention is not None:
        check_choice("attention", attention, SCORES)
    seed = check_seed(seed)
    device = check_device(device)
    dtype = check_choice("dtype", dtype, (torch.float32, torch.float64))
    generator = torch.Generator().manual_seed(seed)
    with seeded(seed):
        model = Seq2Seq(vocab_size, hidden_size, attention).to(device, dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    run = Seq2SeqRun(model, task, min_len, max_len, steps, seed)
    for _ in progress_bar(range(steps), run.label, progress):
        data = make_batch(batch, min_len, max_len, task, vocab_size, generator).to(device)
        run.losses.append(train_step(model, optimizer, data))
    model.eval()
    return run


def train_step(model, optimizer, data):
    """One update on a Seq2SeqBatch: teacher-forced cross-entropy (PAD ignored), its gradients clipped
    at norm 1, the optimizer's step. Returns the loss before the step."""
    logits, _ = model(data.source, data.source_lengths, data.decoder_input)
    loss = F.cross_entropy(logits.transpose(1, 2), data.target, ignore_index=PAD)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


@dataclass
class LengthAccuracy:
    lengths: tuple
    token_accuracy: np.ndarray      # fraction of output tokens right (the EOS included)
    sequence_accuracy: np.ndarray   # fraction of sequences right from first token to EOS


def accuracy_by_length(run, lengths, n=200, seed=1):
    """Greedy-decoding accuracy on n fresh sources of each length (a different seed from training)."""
    lengths = check_values("lengths", lengths, lambda L: check_int("lengths", L, 1, 1000), allow_empty=True)
    n = check_int("n", n, 1)
    if not lengths:
        raise ValueError("lengths must hold at least one source length")
    seed = check_seed(seed)
    model = run.model
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    tokens_right, sequences_right = [], []
    for length in lengths:
        data = make_batch(n, length, length, run.task, model.vocab_size, generator).to(device)
        guess, _ = model.generate(data.source, data.source_lengths, length + 1)
        right = guess == data.target
        tokens_right.append(right.float().mean().item())
        sequences_right.append(right.all(dim=1).float().mean().item())
    return LengthAccuracy(lengths, np.array(tokens_right), np.array(sequences_right))


def reach(result, threshold=0.5):
    """The longest length up to which at least `threshold` of whole sequences come out right (0: none)."""
    threshold = check_float("threshold", threshold, 0, 1)
    longest = 0
    for length, accuracy in zip(result.lengths, result.sequence_accuracy):
        if accuracy < threshold:
            break
        longest = length
    return longest


def accuracy_table(runs, results, shown_lengths, threshold=0.5, labels=None):
    """One row per trained model: final loss, tokens right at `shown_lengths`, and its reach.

    Rows are named by `labels` (a dict with the same keys as runs) or by each run's own label.
    """
    from helpers.core.table import Table
    threshold = check_float("threshold", threshold, 0, 1)
    missing = [key for key in runs if key not in results]
    if missing:
        raise ValueError(f"results must hold a result for every run, got none for {missing}")
    for result in (results[key] for key in runs):
        missing = [L for L in shown_lengths if L not in result.lengths]
        if missing:
            raise ValueError(f"shown_lengths must be lengths the results were measured at {result.lengths}, "
                             f"got {missing}")
    rows = []
    for key, run in runs.items():
        result = results[key]
        index = [result.lengths.index(L) for L in shown_lengths]
        final_loss = float(np.mean(run.losses[-50:]))
        label = (labels or {}).get(key, run.label)
        rows.append((label, f"{final_loss:.3f}") +
                    tuple(f"{100 * result.token_accuracy[i]:.0f}%" for i in index) + (reach(result, threshold),))
    columns = ("model", "final loss") + tuple(f"{L} symbols" for L in shown_lengths) + ("reach",)
    return Table(columns, tuple(rows))


def position_accuracy(run, length, n=200, seed=2, teacher_forcing=False):
    """Share of n fresh sources of one length whose i-th output symbol is right, for each i.

    Greedy decoding (the default) feeds the model its own guesses, so one mistake can cause the
    next. With teacher_forcing=True every step is fed the true previous symbol instead: what stays
    wrong then is what the context vector did not carry, not a mistake passed along.
    """
    length = check_int("length", length, 1, 1000)
    n = check_int("n", n, 1)
    seed = check_seed(seed)
    if not isinstance(teacher_forcing, bool):
        raise ValueError(f"teacher_forcing must be True or False, got {teacher_forcing!r}")
    model = run.model
    data = make_batch(n, length, length, run.task, model.vocab_size,
                      torch.Generator().manual_seed(seed)).to(next(model.parameters()).device)
    if teacher_forcing:
        with torch.no_grad():
            logits, _ = model(data.source, data.source_lengths, data.decoder_input)
        guess = logits.argmax(-1)[:, :length]
    else:
        guess, _ = model.generate(data.source, data.source_lengths, length)
    return (guess == data.target[:, :length]).float().mean(0).cpu().numpy()
