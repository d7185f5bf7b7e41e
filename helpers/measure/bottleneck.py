"""Chapter 1.2's sequential bottleneck: an RNN against one attention-style product, counted and timed.

An RNN must finish step t-1 before it can start step t: its forward pass over T tokens is a chain
of T dependent matrix products. Attention relates every position to every other in two large
products, softmax(X X^T / sqrt(d)) X, however long the sequence: a chain of 2. It does more
arithmetic, T/d times the RNN's. Those counts are exact and hold on any machine (helpers.hardware
counts them). How the two compare in wall time depends on the device: how much arithmetic it can
do at once (its peak) against how long it takes for one small dependent step; so the timing is
reported as this machine's, with its spread, and beside it the fraction of this device's own peak
each one reached.

Also here: nn.RNN against the same recurrence written as a Python loop (helpers.TanhRNN) and in
NumPy, timed on the same device, so the page can say what nn.RNN is measured to be.

Used in: 1.2.
"""
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_device, check_float, check_int, check_lengths, check_seed
from helpers.core.device import pick_device
from helpers.core.seeding import seeded
from helpers.core.table import Table
from helpers.measure.hardware import (
    ATTENTION_PRODUCT_DEPENDENT,
    attention_product_flops,
    count_work,
    format_percent,
    fraction_of_peak,
    fractions_by_length,
    peak_probe,
    pooled_peak,
    rnn_flops,
)
from helpers.measure.timing import Comparison, compare, describe_comparison, format_ms, growth_range, lead_by_length, time_calls
from helpers.models.tanh_rnn import TanhRNN

DEFAULT_LENGTHS = (16, 32, 64, 128, 256, 512, 1024)
MAX_SEQ_LEN = 65_536


def attention_product(x):
    """softmax(X X^T / sqrt(d)) X for x of shape (batch, seq_len, d): every position sees every other."""
    scores = x @ x.transpose(1, 2) / x.shape[-1] ** 0.5      # (batch, seq_len, seq_len)
    return torch.softmax(scores, dim=-1) @ x                # (batch, seq_len, d)


def timed_calls(rnn, x):
    """The two forward passes sequential_bottleneck times, as zero-argument partials (func, args kept).

    x: (seq_len, batch, hidden) float32. nn.RNN reads it as it is; attention_product reads its
    batch-first contiguous copy (batch, seq_len, hidden): exactly the shapes whose FLOPs rnn_flops and
    attention_product_flops count, so the fraction of peak divides the right count by the right time.
    """
    x_batch_first = x.transpose(0, 1).contiguous()                             # (batch, seq, hidden)
    return {"rnn": partial(rnn, x), "attention": partial(attention_product, x_batch_first)}


@dataclass
class BottleneckTimings:
    """Wall-clock seconds per forward pass (medians, and every sample), one entry per sequence length."""
    lengths: tuple
    rnn_seconds: np.ndarray         # median of torch.nn.RNN's forward pass: seq_len dependent steps
    attention_seconds: np.ndarray   # median of attention_product over the same sequence: 2 dependent products
    device: str
    hidden_size: int
    batch: int
    repeats: int
    rnn_timings: tuple = ()         # helpers.timing.Timing per length (empty when built from medians alone)
    attention_timings: tuple = ()
    peak: object = None             # helpers.hardware.Peak of this device (every probe sample), or None
    peak_timings: tuple = ()        # the peak probe's Timing per length, timed in the same rounds

    def _index(self, seq_len):
        if seq_len is None:
            return len(self.lengths) - 1
        if seq_len in self.lengths:
            return self.lengths.index(seq_len)
        raise ValueError(f"seq_len must be one of the measured lengths {self.lengths}, got {seq_len!r}")

    def ratio(self, seq_len=None):
        """How many times longer the RNN took than attention (medians), at `seq_len` (the longest by default)."""
        i = self._index(seq_len)
        return float(self.rnn_seconds[i] / self.attention_seconds[i])

    def comparison(self, seq_len=None):
        """RNN against attention at `seq_len`: round-by-round ratios when the samples are kept."""
        i = self._index(seq_len)
        if self.rnn_timings:
            return compare(self.rnn_timings[i], self.attention_timings[i])
        r = self.ratio(seq_len)
        return Comparison(r, r, r, False)

    def flops(self):
        """FLOPs of both forward passes at each length: nn.RNN (input = hidden) and the attention product."""
        rnn = [rnn_flops(L, self.hidden_size, self.hidden_size, self.batch) for L in self.lengths]
        attention = [attention_product_flops(L, self.hidden_size, self.batch) for L in self.lengths]
        return np.array(rnn, dtype=float), np.array(attention, dtype=float)

    def fractions(self):
        """Fraction of this device's matmul peak each reached at each length (None without a peak)."""
        if self.peak is None:
            return None
        rnn, attention = self.flops()
        if self.peak_timings:
            return (fractions_by_length(rnn, self.rnn_seconds, self.peak.size, self.peak_timings),
                    fractions_by_length(attention, self.attention_seconds, self.peak.size, self.peak_timings))
        return (fraction_of_peak(rnn, self.rnn_seconds, self.peak),
                fraction_of_peak(attention, self.attention_seconds, self.peak))

    def flop_ratio(self, seq_len=None):
        """Attention's FLOPs over the RNN's: 4 T^2 d against 4 T d^2, i.e. T / d."""
        seq_len = self.lengths[-1] if seq_len is None else check_int("seq_len", seq_len, 1)
        return seq_len / self.hidden_size

    def table(self):
        """Times (median, middle half), their ratio, and the fraction of peak, one row per length."""
        fractions = self.fractions()
        rows = []
        for i, L in enumerate(self.lengths):
            c = self.comparison(L)
            if self.rnn_timings:
                times = (format_ms(self.rnn_timings[i]), format_ms(self.attention_timings[i]),
                         f"{c.ratio:.2f} ({c.low:.2f}–{c.high:.2f})")
            else:
                times = (f"{1e3 * self.rnn_seconds[i]:.3f}", f"{1e3 * self.attention_seconds[i]:.3f}", f"{c.ratio:.1f}")
            peak = (format_percent(fractions[0][i]), format_percent(fractions[1][i])) if fractions else ("", "")
            rows.append((str(L),) + times + peak)
        return Table(("length", "RNN (ms)", "attention (ms)", "RNN / attention", "RNN, % of peak",
                      "attention, % of peak"), tuple(rows))

    def summary(self):
        """Numbers and phrases for the chapter's prose (glued, never typed), right whichever way it came out."""
        longest, shortest = self.lengths[-1], self.lengths[0]
        verdicts = [self.comparison(L).verdict() for L in self.lengths]
        phrases = {
            "device": self.device, "longest": str(longest), "shortest": str(shortest),
            "hidden": str(self.hidden_size), "batch": str(self.batch), "repeats": str(self.repeats),
            "rnn_ms": f"{1e3 * self.rnn_seconds[-1]:.3g}", "attention_ms": f"{1e3 * self.attention_seconds[-1]:.3g}",
            "ratio": f"{self.ratio():.2f}",
            "comparison_longest": describe_comparison("the RNN", "the attention product", self.comparison()),
            "comparison_shortest": describe_comparison("the RNN", "the attention product", self.comparison(shortest)),
            "lead": lead_by_length(self.lengths, verdicts, "the RNN", "the attention product"),
            "flop_ratio": f"{self.flop_ratio():.0f}", "length_growth": f"{longest / shortest:.0f}",
            # timed in different rounds (lengths): a range from the quartiles when the spreads are known
            "rnn_growth": (growth_range(self.rnn_timings[0], self.rnn_timings[-1]) if self.rnn_timings
                           else f"{self.rnn_seconds[-1] / self.rnn_seconds[0]:.0f}"),
            "us_per_step": f"{1e6 * self.rnn_seconds[-1] / longest:.2g}",
            "dependent_rnn": str(longest), "dependent_attention": str(ATTENTION_PRODUCT_DEPENDENT),
        }
        fractions = self.fractions()
        if fractions is not None:
            phrases.update({"peak": self.peak.describe(),
                            "rnn_peak_longest": format_percent(fractions[0][-1]),
                            "attention_peak_longest": format_percent(fractions[1][-1]),
                            "rnn_peak_best": format_percent(fractions[0].max()),
                            "attention_peak_best": format_percent(fractions[1].max())})
        return phrases


def describe_ratio(ratio):
    """'the RNN took 3.0 times as long as ...' or the reverse when attention was slower (medians only)."""
    ratio = check_float("ratio", ratio, low=0.0, low_inclusive=False)
    if ratio >= 1:
        return f"the RNN took {ratio:.1f} times as long as the attention product"
    return f"the attention product took {1 / ratio:.1f} times as long as the RNN"


def _device(device):
    return check_device(device) if device is not None else pick_device()


def sequential_bottleneck(lengths=DEFAULT_LENGTHS, hidden_size=64, batch=1, repeats=15, device=None, seed=0,
                          peak_size=None):
    """Time torch.nn.RNN and attention_product over the same random sequences, interleaved.

    Both read the same float32 input, (seq_len, batch, hidden_size) for the RNN and its batch-first
    copy for attention, without gradients. At each length the two take turns for `repeats` rounds
    after two warm-up calls each (helpers.timing.time_calls), and with them a peak_size x peak_size
    matrix product (helpers.hardware.peak_probe), the yardstick for the fraction of peak.
    """
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    seed = check_seed(seed)
    device = _device(device)
    with seeded(seed):
        rnn = nn.RNN(hidden_size, hidden_size).to(device)
    g = torch.Generator().manual_seed(seed)
    size, probe = peak_probe(device, peak_size)
    rnn_timings, attention_timings, peak_timings = [], [], []
    with torch.no_grad():
        for seq_len in lengths:
            x = torch.randn(seq_len, batch, hidden_size, generator=g).to(device)   # (seq, batch, hidden)
            t = time_calls({**timed_calls(rnn, x), "peak": probe}, repeats, device=device)
            rnn_timings.append(t["rnn"])
            attention_timings.append(t["attention"])
            peak_timings.append(t["peak"])
    return BottleneckTimings(lengths, np.array([t.median for t in rnn_timings]),
                             np.array([t.median for t in attention_timings]), str(device), hidden_size, batch,
                             repeats, tuple(rnn_timings), tuple(attention_timings),
                             pooled_peak(size, peak_timings, device), tuple(peak_timings))


def work_table(lengths=(16, 128, 1024), hidden_size=64, batch=1):
    """FLOPs, matrix-product calls and dependent products of nn.RNN, helpers.TanhRNN and the attention
    product, counted by helpers.hardware.count_work and checked against the formulas (exact)."""
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d = check_int("hidden_size", hidden_size, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    with seeded(0):
        models = {"torch.nn.RNN": nn.RNN(d, d), "helpers.TanhRNN": TanhRNN(d, d)}
    rows = []
    for L in lengths:
        x = torch.empty(L, batch, d, device="meta")                  # (seq, batch, hidden): a shape to count
        expected = {name: (rnn_flops(L, d, d, batch), L) for name in models}
        counted = {name: count_work(m, x, device="cpu") for name, m in models.items()}
        expected["attention product"] = (attention_product_flops(L, d, batch), ATTENTION_PRODUCT_DEPENDENT)
        counted["attention product"] = count_work(attention_product, x.transpose(0, 1))
        for name, work in counted.items():
            if (work.flops, work.dependent) != expected[name]:
                raise RuntimeError(f"{name} at length {L}: counted {work}, the formula says {expected[name]}")
            rows.append((name, str(L), f"{work.flops:,}", str(work.products), str(work.dependent)))
    return Table(("forward pass", "length T", "FLOPs (counted = formula)", "matrix products",
                  "dependent products (counted = formula)"), tuple(rows))


# --- what nn.RNN is, measured -----------------------------------------------------------------------

IMPLEMENTATIONS = ("torch.nn.RNN", "Python loop (helpers.TanhRNN)", "NumPy loop")


def numpy_rnn(x, weight_ih, weight_hh, bias_ih, bias_hh):
    """The recurrence in NumPy, one step at a time: x (seq_len, batch, input) -> (seq_len, batch, hidden)."""
    h = np.zeros((x.shape[1], weight_hh.shape[0]), dtype=x.dtype)
    outputs = np.empty((x.shape[0], x.shape[1], weight_hh.shape[0]), dtype=x.dtype)
    bias = bias_ih + bias_hh
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ weight_ih.T + h @ weight_hh.T + bias)
        outputs[t] = h
    return outputs


@dataclass
class ImplementationTimings:
    """Forward times of one tanh RNN computed three ways, timed in interleaved rounds."""
    seq_len: int
    hidden_size: int
    batch: int
    device: str
    repeats: int
    timings: dict = field(default_factory=dict)     # name -> Timing

    def table(self):
        base = self.timings["torch.nn.RNN"]
        rows = []
        for name, t in self.timings.items():
            c = compare(t, base)
            rows.append((name, format_ms(t), f"{c.ratio:.2f} ({c.low:.2f}–{c.high:.2f})"))
        return Table(("implementation", "forward pass, median (middle half)", "÷ torch.nn.RNN, per round"),
                     tuple(rows))

    def summary(self):
        """Phrases for the prose: each alternative against nn.RNN, and which was fastest (if any clearly)."""
        base = self.timings["torch.nn.RNN"]
        names = {"Python loop (helpers.TanhRNN)": "the Python loop", "NumPy loop": "the NumPy loop"}
        phrases = {"device": self.device, "seq_len": str(self.seq_len), "hidden": str(self.hidden_size),
                   "batch": str(self.batch), "repeats": str(self.repeats), "rnn_ms": format_ms(base),
                   "us_per_step": f"{1e6 * base.median / self.seq_len:.2g}",
                   "macs_per_step": f"{2 * self.hidden_size ** 2 * self.batch:,}"}
        for name, short in names.items():
            if name in self.timings:
                key = "loop" if "Python" in name else "numpy"
                phrases[f"{key}_vs_rnn"] = describe_comparison(short, "torch.nn.RNN", compare(self.timings[name], base))
        ranked = sorted(self.timings, key=lambda n: self.timings[n].median)
        clear = compare(self.timings[ranked[1]], self.timings[ranked[0]]).verdict() == "slower"
        count = {2: "two", 3: "three"}.get(len(ranked), str(len(ranked)))
        phrases["fastest"] = (f"{names.get(ranked[0], ranked[0])} was the fastest of the {count}" if clear
                              else f"no single one was fastest: {names.get(ranked[0], ranked[0])} and "
                                   f"{names.get(ranked[1], ranked[1])} were too close to rank")
        phrases["nn_rnn_fastest"] = "was" if clear and ranked[0] == "torch.nn.RNN" else "was not"
        return phrases


def rnn_implementations(seq_len=100, hidden_size=64, batch=1, repeats=31, device=None, seed=0):
    """Time one forward pass of the same tanh RNN as torch.nn.RNN, as helpers.TanhRNN (a Python loop
    over steps in PyTorch) and, on a CPU, as a NumPy loop; no gradients, float32, interleaved rounds."""
    seq_len = check_int("seq_len", seq_len, 1, MAX_SEQ_LEN)
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    device = _device(device)
    g = torch.Generator().manual_seed(check_seed(seed))
    loop = TanhRNN(hidden_size, hidden_size, generator=g)
    reference = loop.to_torch().to(device)
    loop = loop.to(device)
    x = torch.randn(seq_len, batch, hidden_size, generator=g)
    weights = [p.detach().numpy() for p in (loop.weight_ih, loop.weight_hh, loop.bias_ih, loop.bias_hh)] \
        if device.type == "cpu" else None
    x_numpy, x = x.numpy(), x.to(device)
    calls = {"torch.nn.RNN": lambda: reference(x), "Python loop (helpers.TanhRNN)": lambda: loop(x)}
    if weights is not None:                        # NumPy runs on the CPU only
        calls["NumPy loop"] = lambda: numpy_rnn(x_numpy, *weights)
    with torch.no_grad():
        timings = time_calls(calls, repeats, device=device)
    return ImplementationTimings(seq_len, hidden_size, batch, str(device), repeats, timings)
