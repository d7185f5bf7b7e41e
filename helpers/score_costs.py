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
"""
import statistics
import time
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from .attention import SCORES, AttentionScore
from .checks import check_choice, check_int, check_lengths
from .device import pick_device
from .explorers import DualExplorer
from .plots import PALETTE, describe, value_slider
from .tables import Table

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
    """Median seconds of one scoring call (scores, then softmax) per score and source length."""
    lengths: tuple
    seconds: dict           # kind -> np.ndarray, one entry per source length
    device: str
    hidden_size: int
    tgt_len: int
    batch: int
    repeats: int

    def ratio(self, slower="additive", faster="dot"):
        """seconds[slower] / seconds[faster] at the longest source length."""
        return float(self.seconds[check_choice("slower", slower, SCORES)][-1]
                     / self.seconds[check_choice("faster", faster, SCORES)][-1])

    def ordering(self):
        """The scores from fastest to slowest at the longest source length."""
        return sorted(SCORES, key=lambda kind: self.seconds[kind][-1])

    def summary(self):
        """Phrases for the chapter's prose (glued, never typed), correct whichever score was faster."""
        additive, concat = self.seconds["additive"][-1], self.seconds["concat"][-1]
        return {"device": self.device, "longest": str(self.lengths[-1]), "order": ", ".join(self.ordering()),
                "additive_vs_dot": compare_scores(self.ratio("additive", "dot"), "additive", "dot"),
                "general_vs_dot": compare_scores(self.ratio("general", "dot"), "general", "dot"),
                "additive_concat_gap": f"{100 * abs(additive - concat) / min(additive, concat):.0f}%"}


def compare_scores(ratio, slower, faster):
    """'the additive score took 3.1 times as long as the dot score', or the reverse when it was faster."""
    if ratio >= 1:
        return f"the {slower} score took {ratio:.1f} times as long as the {faster} score"
    return f"the {slower} score was {1 / ratio:.1f} times faster than the {faster} score"


def _interleaved_medians(calls, repeats, device):
    """Median seconds of each call, timed in turns (a, b, c, d, a, b, ...) after one warm-up each.

    Taking turns spreads any burst of load from other programs over all the calls instead of
    letting it land on whichever one happened to be timed then.
    """
    def sync():
        if device.type == "cuda":       # kernels run asynchronously: wait for them before reading the clock
            torch.cuda.synchronize(device)
    for fn in calls.values():           # warm-up: allocations, kernel selection
        fn()
    sync()
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            start = time.perf_counter()
            fn()
            sync()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def measure_score_times(lengths=DEFAULT_LENGTHS, hidden_size=128, tgt_len=32, batch=1, repeats=5,
                        device=None, seed=0):
    """Time AttentionScore(kind, hidden_size)(queries, keys) followed by a softmax over the keys.

    Queries: (batch, tgt_len, hidden_size); keys: (batch, src_len, hidden_size) for every src_len in
    `lengths`; float32, no gradients, attention_size = hidden_size.
    """
    lengths = check_lengths(lengths, MAX_SIZE, name="src_len")
    hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
    tgt_len = check_int("tgt_len", tgt_len, 1, 4096)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    device = torch.device(device) if device is not None else pick_device()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        scorers = {kind: AttentionScore(kind, hidden_size).to(device) for kind in SCORES}
    g = torch.Generator().manual_seed(seed)
    queries = torch.randn(batch, tgt_len, hidden_size, generator=g).to(device)
    seconds = {kind: [] for kind in SCORES}
    with torch.no_grad():
        for src_len in lengths:
            keys = torch.randn(batch, src_len, hidden_size, generator=g).to(device)
            calls = {kind: (lambda scorer=scorer: torch.softmax(scorer(queries, keys), dim=-1))
                     for kind, scorer in scorers.items()}
            for kind, median in _interleaved_medians(calls, repeats, device).items():
                seconds[kind].append(median)
    return ScoreTimings(lengths, {k: np.array(v) for k, v in seconds.items()}, str(device), hidden_size,
                        tgt_len, batch, repeats)


def timing_curves_ms(timings):
    """One list of milliseconds per score, rounded to 3 significant digits (the figure's y values)."""
    return [[float(f"{1e3 * t:.3g}") for t in timings.seconds[kind]] for kind in SCORES]


def timing_title(timings):
    return (f"One scoring call + softmax on {timings.device}: {timings.tgt_len} queries, hidden size "
            f"{timings.hidden_size}, median of {timings.repeats}")


def score_time_figure(timings):
    """Milliseconds per scoring call against source length, one line per score, log-log axes."""
    fig = go.Figure()
    for kind, ys, color in zip(SCORES, timing_curves_ms(timings), PALETTE):
        fig.add_scatter(x=list(timings.lengths), y=ys, name=kind, mode="lines+markers", line=dict(color=color),
                        hovertemplate="%{y:.3g} ms")
    fig.update_xaxes(type="log", title="source length m (keys)", tickvals=list(timings.lengths))
    fig.update_yaxes(type="log", title="milliseconds (log scale)", exponentformat="power")
    fig.update_layout(title=dict(text=timing_title(timings), font_size=14), height=450)
    return describe(fig, caption=("Median time of one call that scores every query against every key and applies "
                                  "the softmax, for the four scores. Look at the gaps between the lines at the "
                                  "longest source: they are the constant factors the O() notation hides."),
                    alt=("Line chart, log-log: milliseconds per scoring call against the number of source positions "
                         "for the additive, dot, general and concat scores."))


def dot_product_spread(dims=(16, 64, 256, 1024), num_keys=64, samples=200, seed=0):
    """Why Transformers scale by 1/sqrt(d_k): the spread of q.k and what it does to the softmax.

    q and every key have independent N(0, 1) entries. Returns a Table: the measured standard
    deviation of q.k (theory: sqrt(d)), and the mean largest softmax weight over `num_keys` keys
    for unscaled and scaled scores (1/num_keys would be uniform; 1 is one-hot).
    """
    dims = [check_int("dim", d, 1, 8192) for d in dims]
    num_keys = check_int("num_keys", num_keys, 2, 4096)
    samples = check_int("samples", samples, 1, 100_000)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    rows = []
    for d in dims:
        q = torch.randn(samples, 1, d, generator=g, dtype=torch.float64)
        k = torch.randn(samples, num_keys, d, generator=g, dtype=torch.float64)
        scores = (q * k).sum(-1)                                             # (samples, num_keys)
        top_unscaled = torch.softmax(scores, -1).max(-1).values.mean().item()
        top_scaled = torch.softmax(scores / d ** 0.5, -1).max(-1).values.mean().item()
        rows.append((str(d), f"{scores.std().item():.1f}", f"{d ** 0.5:.1f}", f"{top_unscaled:.2f}",
                     f"{top_scaled:.2f}"))
    return Table(("d", "std of q·k", "√d", f"largest weight, unscaled ({num_keys} keys)",
                  "largest weight, scaled by 1/√d"), tuple(rows))


# --- the explorer: a hidden-size slider on the site, live re-measurement in a kernel -------------

STATIC_HIDDEN = (32, 128, 512)
HIDDEN_CHOICES = (16, 32, 64, 128, 256, 512, 1024)


def static_score_time_figure(runs, active_hidden):
    """runs: {hidden_size: ScoreTimings} over the same lengths; the slider restyles y and the title."""
    hidden_sizes = sorted(runs)
    fig = score_time_figure(runs[active_hidden])
    steps = [dict(method="update", label=str(h),
                  args=[{"y": timing_curves_ms(runs[h])}, {"title.text": timing_title(runs[h])}])
             for h in hidden_sizes]
    fig.update_layout(height=540, margin=dict(b=170), legend=dict(y=-0.2),
                      sliders=[value_slider(
                          steps, hidden_sizes.index(active_hidden), "hidden size d = d_a (units) = ", -0.36)])
    return fig


class ScoreTimeWidget:
    """Live face: re-measure the four scores for any hidden size and number of queries."""

    def __init__(self, timings, seed=0):
        import ipywidgets as w
        self.lengths, self.repeats, self.device, self.seed = timings.lengths, timings.repeats, timings.device, seed
        self.controls = dict(
            hidden_size=w.SelectionSlider(options=sorted({*HIDDEN_CHOICES, timings.hidden_size}), value=timings.hidden_size,
                                          description="hidden size d = d_a (16–1024 units)", continuous_update=False),
            tgt_len=w.Dropdown(options=sorted({1, 8, 32, 128, timings.tgt_len}), value=timings.tgt_len, description="queries n"))
        self.figure = go.FigureWidget(score_time_figure(timings))
        for control in self.controls.values():
            control.style.description_width = "initial"
            control.observe(lambda change: self.update(), names="value")
        self.view = w.VBox([w.HBox(list(self.controls.values())), self.figure])

    def update(self):
        """Measure again for the current controls and redraw in place."""
        timings = measure_score_times(self.lengths, self.controls["hidden_size"].value,
                                      self.controls["tgt_len"].value, repeats=self.repeats,
                                      device=self.device, seed=self.seed)
        with self.figure.batch_update():
            for trace, y in zip(self.figure.data, timing_curves_ms(timings)):
                trace.y = y
            self.figure.layout.title.text = timing_title(timings)

    def _repr_mimebundle_(self, **kwargs):
        return self.view._repr_mimebundle_(**kwargs)


def explore_score_times(timings, hidden_sizes=STATIC_HIDDEN, seed=0, measured=None):
    """Explorer over hidden sizes around an existing measurement (same lengths, queries and device).

    measured: optional {hidden_size: ScoreTimings} already taken, reused instead of measuring again.
    """
    hidden_sizes = [check_int("hidden_sizes", h, 1, 4096) for h in hidden_sizes]
    runs = {**(measured or {}), timings.hidden_size: timings}
    for h in hidden_sizes:
        if h not in runs:
            runs[h] = measure_score_times(timings.lengths, h, timings.tgt_len, timings.batch, timings.repeats,
                                          timings.device, seed)
    return DualExplorer(static_score_time_figure(runs, timings.hidden_size), lambda: ScoreTimeWidget(timings, seed))
