"""How the course times anything: interleaved repeats after a warm-up, with the spread kept.

Every measured time in the chapters and benchmarks comes from `time_calls`:

- warm-up: every call runs `warmup` times before the clock starts (allocations, kernel choice);
- interleaved: then `repeats` rounds, each calling every function once, in an order that rotates
  from round to round, so a burst of load from another program falls on all of them instead of
  on whichever happened to be timed then;
- synchronised: CUDA and MPS run kernels asynchronously, so the device is synchronised before
  the clock starts and again before it stops;
- the spread kept: each call gets a `Timing` holding every sample, its median and interquartile
  range; `compare` ranks two calls only when the round-by-round ratio of their times stays on one
  side of 1 over the middle half of the rounds, and `describe_comparison` says "too close to
  rank" otherwise.

Used in: 1.4.
"""
import time
from dataclasses import dataclass

import numpy as np
import torch

from helpers.core.checks import check_float, check_int

MAX_REPEATS = 10_000


def synchronize(device=None):
    """Wait until `device` (CUDA or MPS) has finished its queued work; nothing to do on a CPU.

    device=None waits for every accelerator PyTorch has started.
    """
    kind = torch.device(device).type if device is not None else None
    if kind in (None, "cuda") and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize(device if kind == "cuda" else None)
    if kind in (None, "mps") and torch.backends.mps.is_available():
        torch.mps.synchronize()


@dataclass(frozen=True)
class Timing:
    """Every sample (seconds, in round order) of one timed call, and what a page quotes from them."""
    samples: tuple

    @property
    def median(self):
        return float(np.median(self.samples))

    @property
    def low(self):
        """25th percentile: the bottom of the middle half of the samples."""
        return float(np.percentile(self.samples, 25))

    @property
    def high(self):
        """75th percentile: the top of the middle half of the samples."""
        return float(np.percentile(self.samples, 75))

    @property
    def spread(self):
        """Interquartile range relative to the median: 0.1 means the middle half spans 10%."""
        return (self.high - self.low) / self.median

    def __str__(self):
        return format_ms(self)


def format_ms(timing, digits=3):
    """'1.23 ms (1.2–1.31)': the median and, in brackets, the middle half of the samples."""
    def ms(seconds):
        v = 1e3 * seconds
        return f"{v:,.0f}" if v >= 10 ** digits else f"{v:.{digits}g}"     # 9,520 rather than 9.52e+03
    return f"{ms(timing.median)} ms ({ms(timing.low)}–{ms(timing.high)})"


def time_calls(calls, repeats=15, warmup=2, device=None):
    """{name: Timing} for {name: zero-argument function}, timed in interleaved rounds.

    Each function runs `warmup` times first; then `repeats` rounds time every function once, the
    order rotated by one place each round. `device` is synchronised around every call.
    """
    calls = dict(calls)
    if not calls or not all(callable(fn) for fn in calls.values()):
        raise ValueError("calls must map at least one name to a function that takes no arguments")
    repeats = check_int("repeats", repeats, 1, MAX_REPEATS)
    warmup = check_int("warmup", warmup, 0, MAX_REPEATS)
    names = list(calls)
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    synchronize(device)
    samples = {name: [None] * repeats for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            synchronize(device)
            start = time.perf_counter()
            calls[name]()
            synchronize(device)
            samples[name][r] = time.perf_counter() - start
    return {name: Timing(tuple(s)) for name, s in samples.items()}


def time_call(fn, repeats=15, warmup=2, device=None):
    """The Timing of one function (time_calls with a single entry)."""
    return time_calls({"call": fn}, repeats, warmup, device)["call"]


@dataclass(frozen=True)
class Comparison:
    """How much longer `a` took than `b`: the median ratio and the middle half of the ratios."""
    ratio: float
    low: float
    high: float
    paired: bool          # True: ratios taken round by round (the same rounds); False: from the quartiles

    def verdict(self, margin=1.0):
        """'slower' (a took longer), 'faster', or 'tie' when the middle half of the ratios reaches
        within `margin` of 1 (margin 1.2: differences under 20% count as a tie)."""
        margin = check_float("margin", margin, low=1.0)
        if self.low > margin:
            return "slower"
        if self.high < 1 / margin:
            return "faster"
        return "tie"


def compare(a, b):
    """The Comparison of Timing a against Timing b.

    Timed in the same rounds (the same number of samples, as time_calls gives), the ratio is taken
    round by round, so load that hit both calls in one round cancels. Otherwise the ratio of the
    medians, bracketed by the quartiles (a.low / b.high to a.high / b.low).
    """
    if not isinstance(a, Timing) or not isinstance(b, Timing):
        raise ValueError("compare needs two Timing objects (from time_calls)")
    if len(a.samples) == len(b.samples):
        ratios = np.asarray(a.samples) / np.asarray(b.samples)
        return Comparison(float(np.median(ratios)), float(np.percentile(ratios, 25)),
                          float(np.percentile(ratios, 75)), True)
    return Comparison(a.median / b.median, a.low / b.high, a.high / b.low, False)


def format_ratio(value):
    """A ratio as the prose quotes it: '1.05' below 2 (where a few percent matter), '4.0' below 10, '12' above."""
    return f"{value:.2f}" if value < 1.995 else f"{value:.1f}" if value < 9.95 else f"{value:.0f}"


def growth_range(first, last):
    """How many times longer `last` took than `first`, as a range a sentence can quote: '3.1 to 15' or '6.0'.

    The two were timed in different rounds (different lengths), so no round-by-round ratio exists: the
    range runs from the quartiles, last.low / first.high to last.high / first.low (compare's unpaired
    rule), and a single number is quoted only when both ends print alike.
    """
    low, high = last.low / first.high, last.high / first.low
    low, high = format_ratio(low), format_ratio(high)
    return low if low == high else f"{low} to {high}"


def describe_comparison(a_name, b_name, comparison, margin=1.0):
    """A sentence fragment, right whichever way the measurement came out; the slower one named first.

    'the RNN took 2.4 times as long as the attention product (middle half of the rounds: 2.2 to 2.6)',
    or 'the RNN and the attention product were too close to rank (ratio 1.03; middle half of the
    rounds: 0.97 to 1.10)'.
    """
    verdict = comparison.verdict(margin)
    where = "middle half of the rounds" if comparison.paired else "from the quartiles"
    if verdict == "tie":
        return (f"{a_name} and {b_name} were too close to rank (ratio {comparison.ratio:.2f}; {where}: "
                f"{comparison.low:.2f} to {comparison.high:.2f})")
    if verdict == "slower":
        r, lo, hi, slow, fast = comparison.ratio, comparison.low, comparison.high, a_name, b_name
    else:
        r, lo, hi, slow, fast = 1 / comparison.ratio, 1 / comparison.high, 1 / comparison.low, b_name, a_name
    return f"{slow} took {format_ratio(r)} times as long as {fast} ({where}: {format_ratio(lo)} to {format_ratio(hi)})"


def lead_by_length(lengths, verdicts, a_name, b_name):
    """'a took longer than b at lengths 16 to 128; the two were too close to rank at length 256; b took
    longer than a at lengths 512 and 1024'.

    verdicts: one Comparison.verdict() of a against b per length ('slower': a took longer).
    """
    words = {"slower": f"{a_name} took longer than {b_name}", "faster": f"{b_name} took longer than {a_name}",
             "tie": "the two were too close to rank"}
    runs = []
    for L, v in zip(lengths, verdicts):
        if runs and runs[-1][0] == v:
            runs[-1][1].append(L)
        else:
            runs.append((v, [L]))

    def at(ls):
        if len(ls) == 1:
            return f"length {ls[0]}"
        return f"lengths {ls[0]} and {ls[1]}" if len(ls) == 2 else f"lengths {ls[0]} to {ls[-1]}"
    if len(runs) == 1:
        return f"{words[runs[0][0]]} at every length measured"
    return "; ".join(f"{words[v]} at {at(ls)}" for v, ls in runs)
