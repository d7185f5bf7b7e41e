"""The sequential bottleneck, measured: an RNN's forward pass against one attention-style product.

An RNN must finish step t-1 before it can start step t, so its forward pass is seq_len small
matrix products in a row. Attention relates every position to every other with two large matrix
products that the hardware can spread over all positions at once. It does more arithmetic
(about seq_len / hidden_size times more) and can still finish first; how much sooner depends on
the device, which is why the chapter measures it on the reader's.
"""
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .checks import check_float, check_int, check_lengths
from .device import pick_device
from .tables import Table

DEFAULT_LENGTHS = (16, 32, 64, 128, 256, 512, 1024)
MAX_SEQ_LEN = 65_536


@dataclass
class BottleneckTimings:
    """Median wall-clock seconds per forward pass, one entry per sequence length."""
    lengths: tuple
    rnn_seconds: np.ndarray         # torch.nn.RNN (PyTorch's fused implementation), seq_len steps in order
    attention_seconds: np.ndarray   # softmax(X X^T / sqrt(d)) X over the same sequence, all positions at once
    device: str
    hidden_size: int
    batch: int
    repeats: int

    def ratio(self, seq_len=None):
        """How many times longer the RNN takes than attention, at `seq_len` (the longest by default)."""
        if seq_len is None:
            i = -1
        elif seq_len in self.lengths:
            i = self.lengths.index(seq_len)
        else:
            raise ValueError(f"seq_len must be one of the measured lengths {self.lengths}, got {seq_len!r}")
        return float(self.rnn_seconds[i] / self.attention_seconds[i])

    def table(self):
        """Milliseconds per forward pass and their ratio, one row per length."""
        rows = tuple((str(L), f"{1e3 * r:.3f}", f"{1e3 * a:.3f}", f"{r / a:.1f}")
                     for L, r, a in zip(self.lengths, self.rnn_seconds, self.attention_seconds))
        return Table(("length", "RNN (ms)", "attention (ms)", "RNN / attention"), rows)

    def summary(self):
        """Formatted numbers and phrases for the chapter's prose (glued, never typed).

        The comparison phrases read correctly whichever of the two was faster, and `trend` says
        whether the ratio peaked before the longest length, so the text fits any device.
        """
        ratios = self.rnn_seconds / self.attention_seconds
        peak = int(np.argmax(ratios))
        longest, shortest = self.lengths[-1], self.lengths[0]
        trend = (f"peaked at length {self.lengths[peak]} (ratio {ratios[peak]:.1f}) and then fell"
                 if peak < len(ratios) - 1 else "grew all the way to the longest length")
        return {
            "device": self.device, "longest": str(longest), "shortest": str(shortest),
            "rnn_ms": f"{1e3 * self.rnn_seconds[-1]:.2f}", "attention_ms": f"{1e3 * self.attention_seconds[-1]:.2f}",
            "ratio": f"{ratios[-1]:.1f}", "comparison_longest": describe_ratio(ratios[-1]),
            "comparison_shortest": describe_ratio(ratios[0]), "trend": trend,
            "flop_ratio": f"{self.flop_ratio():.0f}", "length_growth": f"{longest / shortest:.0f}",
            "rnn_growth": f"{self.rnn_seconds[-1] / self.rnn_seconds[0]:.0f}",
            "us_per_step": f"{1e6 * self.rnn_seconds[-1] / longest:.1f}",
        }

    def flop_ratio(self, seq_len=None):
        """Attention's multiply-adds over the RNN's: 4 T^2 d against 4 T d^2, i.e. T / d."""
        seq_len = self.lengths[-1] if seq_len is None else check_int("seq_len", seq_len, 1)
        return seq_len / self.hidden_size


def describe_ratio(ratio):
    """'the RNN took 3.0 times as long as ...' or the reverse when attention was slower."""
    ratio = check_float("ratio", ratio, low=0.0, low_inclusive=False)
    if ratio >= 1:
        return f"the RNN took {ratio:.1f} times as long as the attention product"
    return f"the attention product took {1 / ratio:.1f} times as long as the RNN"


def _median_seconds(fn, repeats, device):
    """Median over `repeats` calls after one warm-up call (allocations, kernel selection)."""
    def sync():
        if device.type == "cuda":      # GPU kernels run asynchronously: wait for them
            torch.cuda.synchronize(device)
        elif device.type == "mps":
            torch.mps.synchronize()
    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def attention_product(x):
    """softmax(X X^T / sqrt(d)) X for x of shape (batch, seq_len, d): every position sees every other."""
    scores = x @ x.transpose(1, 2) / x.shape[-1] ** 0.5      # (batch, seq_len, seq_len)
    return torch.softmax(scores, dim=-1) @ x                # (batch, seq_len, d)


def sequential_bottleneck(lengths=DEFAULT_LENGTHS, hidden_size=64, batch=1, repeats=7, device=None, seed=0):
    """Median forward time of torch.nn.RNN and of attention_product over random sequences.

    Both read the same input of shape (seq_len, batch, hidden_size) in float32, without gradients.
    """
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    device = torch.device(device) if device is not None else pick_device()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        rnn = nn.RNN(hidden_size, hidden_size).to(device)
    g = torch.Generator().manual_seed(seed)
    rnn_times, attention_times = [], []
    with torch.no_grad():
        for seq_len in lengths:
            x = torch.randn(seq_len, batch, hidden_size, generator=g).to(device)   # (seq, batch, hidden)
            x_batch_first = x.transpose(0, 1).contiguous()                         # (batch, seq, hidden)
            rnn_times.append(_median_seconds(lambda: rnn(x), repeats, device))
            attention_times.append(_median_seconds(lambda: attention_product(x_batch_first), repeats, device))
    return BottleneckTimings(lengths, np.array(rnn_times), np.array(attention_times), str(device),
                             hidden_size, batch, repeats)
