"""What each attention score costs: multiply-adds counted, and one scoring call timed.

Counted naively, pair by pair, the additive, general and concat scores cost O(d^2) per
(query, key) pair because each pair multiplies a d-vector by a matrix. But the matrix products
depend on one side of the pair only, so helpers.attention computes them once per position:

  additive, concat:  (n + m) d d_a  for W_q s_i and W_k h_j, then n m d_a for v^T tanh(.)
                     (plus n m d_a additions and n m d_a tanh evaluations)
  general:           m d^2 for W h_j, then n m d for the dot products
  dot:               n m d

for n queries, m keys, hidden size d and attention size d_a. Per pair that is O(d_a) and O(d):
every score is linear in the width once the projections are hoisted, and they differ by constant
factors (the tanh above all), which is what the timing measures.

Used in: 1.7.
"""
from dataclasses import dataclass, field

import numpy as np
import torch

from helpers.core.checks import check_choice, check_device, check_int, check_lengths, check_seed
from helpers.core.device import pick_device
from helpers.core.seeding import seeded
from helpers.core.table import Table
from helpers.measure.timing import Comparison, compare, describe_comparison, format_ratio, time_calls
from helpers.models.attention import SCORES, AttentionScore

MAX_SIZE = 1 << 20
NAIVE_PER_PAIR = {"additive": "O(d·d_a)", "dot": "O(d)", "general": "O(d²)", "concat": "O(d·d_a)"}
HOISTED_PER_PAIR = {"additive": "O(d_a) + d_a tanh", "dot": "O(d)", "general": "O(d)", "concat": "O(d_a) + d_a tanh"}
DEFAULT_LENGTHS = (16, 32, 64, 128, 256, 512)


def score_multiply_adds(kind, tgt_len, src_len, hidden_size, attention_size=None, hoisted=True):
    """Multiply-adds to score `tgt_len` queries against `src_len` keys (one sequence of the batch).

    hoisted=False counts pair by pair, recomputing every matrix-vector product for every pair;
    hoisted=True counts what helpers.attention.AttentionScore does.
    """
    kind = check_choice("kind", kind, SCORES)
    n = check_int("tgt_len", tgt_len, 1, MAX_SIZE)
    m = check_int("src_len", src_len, 1, MAX_SIZE)
    d = check_int("hidden_size", hidden_size, 1, MAX_SIZE)
    a = check_int("attention_size", attention_size or hidden_size, 1, MAX_SIZE)
    if kind == "dot":
        return n * m * d
    if kind == "general":                                  # q^T (W k): W k is a d x d product
        return m * d * d + n * m * d if hoisted else n * m * (d * d + d)
    # additive and concat: v^T tanh(W_q q + W_k k), two d_a x d products and a d_a-long dot with v
    return (n + m) * d * a + n * m * a if hoisted else n * m * (2 * d * a + a)


def score_tanh_count(kind, tgt_len, src_len, attention_size):
    """tanh evaluations: n m d_a for the additive and concat scores (hoisting cannot remove them), else 0."""
    kind = check_choice("kind", kind, SCORES)
    n = check_int("tgt_len", tgt_len, 1, MAX_SIZE)
    m = check_int("src_len", src_len, 1, MAX_SIZE)
    a = check_int("attention_size", attention_size, 1, MAX_SIZE)
    return n * m * a if kind in ("additive", "concat") else 0


def cost_table(tgt_len=50, src_len=50, hidden_size=1000, attention_size=1000):
    """Per-pair cost naive and hoisted, and both total counts (millions of multiply-adds), one row per score."""
    rows = []
    for kind in SCORES:
        naive = score_multiply_adds(kind, tgt_len, src_len, hidden_size, attention_size, hoisted=False)
        hoisted = score_multiply_adds(kind, tgt_len, src_len, hidden_size, attention_size, hoisted=True)
        tanh = score_tanh_count(kind, tgt_len, src_len, attention_size or hidden_size)
        rows.append((kind, NAIVE_PER_PAIR[kind], HOISTED_PER_PAIR[kind], f"{naive / 1e6:.4g}",
                     f"{hoisted / 1e6:.4g}", f"{naive / hoisted:.3g}", f"{tanh / 1e6:.4g}"))
    return Table(("score", "naive, per pair", "hoisted, per pair", "naive (M)", "hoisted (M)", "naive / hoisted",
                  "tanh (M)"), tuple(rows))


@dataclass
class ScoreTimings:
    """Seconds of one scoring call (scores, then softmax) per score and source length: medians, and
    every sample of the interleaved rounds."""
    lengths: tuple
    seconds: dict           # kind -> np.ndarray of medians, one entry per source length
    device: str
    hidden_size: int
    tgt_len: int
    batch: int
    repeats: int
    samples: dict = field(default_factory=dict)     # kind -> tuple of helpers.timing.Timing, one per length

    def comparison(self, a, b, index=-1):
        """a's time against b's at lengths[index]: round by round when the samples are kept."""
        a, b = check_choice("a", a, SCORES), check_choice("b", b, SCORES)
        if self.samples:
            return compare(self.samples[a][index], self.samples[b][index])
        r = float(self.seconds[a][index] / self.seconds[b][index])
        return Comparison(r, r, r, False)

    def ratio(self, slower="additive", faster="dot"):
        """How many times longer `slower` took than `faster` at the longest source length (per round)."""
        return float(self.comparison(check_choice("slower", slower, SCORES), check_choice("faster", faster, SCORES)).ratio)

    def noise_margin(self, index=-1):
        """How far apart two calls with identical arithmetic came out: additive against concat.

        The larger of their median ratio and the ends of the middle half of their per-round ratios,
        each taken as >= 1. Below that factor this run cannot tell two scores apart.
        """
        c = self.comparison("additive", "concat", index)
        return max(1.0, c.ratio, 1 / c.ratio, c.high, 1 / c.low)

    def verdict(self, a, b, index=-1):
        """'slower', 'faster' or 'tie' for a against b, ties including everything inside noise_margin."""
        margin = 1.0 if {a, b} == {"additive", "concat"} else self.noise_margin(index)
        return self.comparison(a, b, index).verdict(margin)

    def ordering(self):
        """The scores from fastest to slowest median at the longest source length (ties not marked)."""
        return sorted(SCORES, key=lambda kind: self.seconds[kind][-1])

    def ranking(self):
        """'dot, then general, then additive and concat': fastest first, scores too close to rank grouped."""
        groups = []
        for kind in self.ordering():
            if groups and self.verdict(kind, groups[-1][-1]) == "tie":
                groups[-1].append(kind)
            else:
                groups.append([kind])
        if len(groups) == 1:
            return "all four too close to rank"
        return ", then ".join(" and ".join(g) if len(g) < 3 else ", ".join(g[:-1]) + " and " + g[-1] for g in groups)

    def phrase(self, a, b):
        """The comparison of a with b at the longest source, in words, ranked only outside the noise."""
        c, margin = self.comparison(a, b), self.noise_margin()
        text = describe_comparison(f"the {a} score", f"the {b} score", c, margin)
        if c.verdict(margin) == "tie" and c.verdict() != "tie":
            text += (f", since on this run even additive and concat, identical arithmetic, came out up to "
                     f"{format_ratio(margin)} times apart")
        return text

    def summary(self):
        """Phrases for the chapter's prose (glued, never typed), right whichever way the run came out."""
        ac = self.comparison("additive", "concat")
        precise = ac.verdict() == "tie"
        margin = self.noise_margin()
        dot_first = all(self.verdict(kind, "dot") == "slower" for kind in SCORES if kind != "dot")
        return {"device": self.device, "longest": str(self.lengths[-1]), "repeats": str(self.repeats),
                "order": self.ranking(),
                "additive_vs_dot": self.phrase("additive", "dot"),
                "general_vs_dot": self.phrase("general", "dot"),
                "additive_concat_gap": f"{100 * (max(ac.ratio, 1 / ac.ratio) - 1):.0f}%",
                "additive_concat": describe_comparison("the additive score", "the concat score", ac),
                "noise_margin": format_ratio(margin),
                "precision": ("so identical work timed the same within the spread of the rounds, and the "
                              "ranking below rests on differences larger than that") if precise else
                             (f"so on this run the timing could not resolve differences smaller than a factor of "
                              f"{format_ratio(margin)}, and no two scores closer than that are ranked"),
                "dot_verdict": ("the dot score was measurably the fastest") if dot_first else
                               ("the dot score was not measurably faster than every other score on this run"),
                }


def compare_scores(ratio, slower, faster):
    """'the additive score took 3.1 times as long as the dot score', or the reverse when it was faster."""
    if ratio >= 1:
        return f"the {slower} score took {ratio:.1f} times as long as the {faster} score"
    return f"the {slower} score was {1 / ratio:.1f} times faster than the {faster} score"


def measure_score_times(lengths=DEFAULT_LENGTHS, hidden_size=128, tgt_len=32, batch=1, repeats=15,
                        device=None, seed=0):
    """Time AttentionScore(kind, hidden_size)(queries, keys) followed by a softmax over the keys.

    Queries: (batch, tgt_len, hidden_size); keys: (batch, src_len, hidden_size) for every src_len in
    `lengths`; float32, no gradients, attention_size = hidden_size. At each source length the four
    scores take turns for `repeats` rounds after two warm-up calls each (helpers.timing.time_calls).
    """
    lengths = check_lengths(lengths, MAX_SIZE, name="src_len")
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    tgt_len = check_int("tgt_len", tgt_len, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    seed = check_seed(seed)
    device = check_device(device) if device is not None else pick_device()
    with seeded(seed):
        scorers = {kind: AttentionScore(kind, hidden_size).to(device) for kind in SCORES}
    g = torch.Generator().manual_seed(seed)
    queries = torch.randn(batch, tgt_len, hidden_size, generator=g).to(device)
    samples = {kind: [] for kind in SCORES}
    with torch.no_grad():
        for src_len in lengths:
            keys = torch.randn(batch, src_len, hidden_size, generator=g).to(device)
            calls = {kind: (lambda scorer=scorer: torch.softmax(scorer(queries, keys), dim=-1))
                     for kind, scorer in scorers.items()}
            for kind, timing in time_calls(calls, repeats, device=device).items():
                samples[kind].append(timing)
    return ScoreTimings(lengths, {k: np.array([t.median for t in v]) for k, v in samples.items()}, str(device),
                        hidden_size, tgt_len, batch, repeats, {k: tuple(v) for k, v in samples.items()})
