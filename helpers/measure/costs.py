"""What a forward RNN, a BiRNN and a Transformer layer cost: work and critical path counted, time measured.

Work and sequential steps for a sequence of n tokens of width d (counted exactly by
helpers.hardware.count_work, the same on every machine):
  forward RNN (d units):           4 n d^2 FLOPs per sequence, a chain of n dependent steps;
  BiRNN, d units per direction:    exactly twice that work (the same cell run twice, one per
                                   direction), output width 2d, and still a chain of n: the two
                                   directions do not wait for each other, so "O(2n)" is O(n);
  BiRNN, d/2 units per direction:  the same output width d as the forward RNN, 3/4 of its work
                                   (per token and direction d * d/2 input and (d/2)^2 recurrent
                                   multiply-adds), still a chain of n;
  Transformer layer:               (12 d^2 + 4 n d) * 2 n FLOPs per sequence with the paper's
                                   4d-wide feed-forward block, and 6 dependent products whatever n.
Times are this machine's: interleaved rounds after warm-up (helpers.timing), with their spread,
and beside them the fraction of this device's matmul peak each model reached.

Used in: 1.4, 1.5.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_device, check_int, check_lengths, check_seed
from helpers.core.device import pick_device
from helpers.core.seeding import seeded
from helpers.core.table import Table
from helpers.measure.hardware import (
    TRANSFORMER_LAYER_DEPENDENT,
    count_work,
    format_percent,
    fraction_of_peak,
    fractions_by_length,
    peak_probe,
    pooled_peak,
    rnn_flops,
    transformer_layer_flops,
)
from helpers.measure.timing import (compare, describe_comparison, format_ms, format_ratio, growth_range, lead_by_length,
                                    time_call, time_calls)

COMPLEXITY = {
    "forward RNN": ("O(n·d²)", "n"),
    "BiRNN": ("2 × O(n·d²) = O(n·d²)", "n"),
    "Transformer layer": ("O(n²·d + n·d²)", "O(1)"),
}
MAX_SEQ_LEN = 65_536
HALF_WIDTH_BIRNN = "BiRNN, d/2 per direction"


def _check_width(d_model, nhead):
    d_model = check_int("d_model", d_model, 2)
    nhead = check_int("nhead", nhead, 1)
    if d_model % nhead:
        raise ValueError(f"d_model must be divisible by nhead, got d_model={d_model}, nhead={nhead}")
    return d_model, nhead


def _models(d, nhead, half_width=False):
    models = {
        "forward RNN": nn.RNN(d, d),
        "BiRNN": nn.RNN(d, d, bidirectional=True),                    # d units per direction: output 2d
        "Transformer layer": nn.TransformerEncoderLayer(d, nhead, dim_feedforward=4 * d, dropout=0.0),
    }
    if half_width:
        models[HALF_WIDTH_BIRNN] = nn.RNN(d, d // 2, bidirectional=True)   # output d, like the forward RNN
    return models


def cost_models(d_model=64, nhead=4, seed=0):
    """The three models compared, at width d_model: their forward passes take (seq_len, batch, d).

    The BiRNN runs the forward RNN's cell in both directions (d units each, output width 2d): like
    with like, twice the work of the forward RNN over the same chain of n steps.
    """
    d_model, nhead = _check_width(d_model, nhead)
    with seeded(check_seed(seed)):
        return _models(d_model, nhead)


def expected_work(name, seq_len, d_model, batch=1):
    """(FLOPs, dependent products) of one forward pass of `name`, by formula."""
    n, d, b = check_int("seq_len", seq_len, 1), check_int("d_model", d_model, 2), check_int("batch", batch, 1)
    if name == "forward RNN":
        return rnn_flops(n, d, d, b), n
    if name == "BiRNN":
        return rnn_flops(n, d, d, b, bidirectional=True), n
    if name == HALF_WIDTH_BIRNN:
        return rnn_flops(n, d, d // 2, b, bidirectional=True), n
    if name == "Transformer layer":
        return transformer_layer_flops(n, d, 4 * d, b), TRANSFORMER_LAYER_DEPENDENT
    raise ValueError(f"name must be one of {', '.join(list(COMPLEXITY) + [HALF_WIDTH_BIRNN])}, got {name!r}")


def work_table(lengths=(64, 256, 1024, 2048), d_model=64, batch=8, nhead=4):
    """Millions of FLOPs and dependent products of one forward pass of each model (and of a BiRNN
    of half width per direction), counted by FlopCounterMode and checked against the formulas."""
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d_model, nhead = _check_width(d_model, nhead)
    batch = check_int("batch", batch, 1, 1024)
    with seeded(0):
        models = _models(d_model, nhead, half_width=True)
    order = ("forward RNN", "BiRNN", HALF_WIDTH_BIRNN, "Transformer layer")
    widths = {"forward RNN": d_model, "BiRNN": 2 * d_model, HALF_WIDTH_BIRNN: d_model, "Transformer layer": d_model}
    counted = {name: [] for name in order}
    for n in lengths:
        x = torch.empty(n, batch, d_model, device="meta")     # (seq, batch, d): a shape to count
        for name in order:
            work = count_work(models[name], x, device="meta" if name == "Transformer layer" else "cpu")
            if (work.flops, work.dependent) != expected_work(name, n, d_model, batch):
                raise RuntimeError(f"{name} at n={n}: counted {work}, the formula says {expected_work(name, n, d_model, batch)}")
            counted[name].append(work)
    base = counted["forward RNN"][-1].flops
    rows = tuple((("BiRNN, d per direction" if name == "BiRNN" else name), str(widths[name]))
                 + tuple(f"{w.flops / 1e6:,.1f}" for w in counted[name])
                 + (f"{counted[name][-1].flops / base:.2f}", " / ".join(str(w.dependent) for w in counted[name]))
                 for name in order)
    return Table(("model", "output width") + tuple(f"MFLOP at n={n}" for n in lengths)
                 + (f"× forward RNN at n={lengths[-1]}", "dependent products (n = " + " / ".join(map(str, lengths)) + ")"),
                 rows)


@dataclass
class CostTimings:
    """Forward times of the three models (every sample kept), their work, and the device's peak."""
    lengths: tuple
    timings: dict         # name -> tuple of Timing, one per length
    d_model: int
    batch: int
    repeats: int
    device: str
    peak: object = None   # helpers.hardware.Peak (every probe sample)
    peak_timings: tuple = ()   # the peak probe's Timing per length, timed in the same rounds

    @property
    def times(self):
        """{name: [median seconds per length]}, as cost_table has always returned."""
        return {name: [t.median for t in ts] for name, ts in self.timings.items()}

    def flops(self, name):
        return np.array([expected_work(name, n, self.d_model, self.batch)[0] for n in self.lengths], dtype=float)

    def fractions(self, name):
        if self.peak is None:
            return None
        if self.peak_timings:
            return fractions_by_length(self.flops(name), self.times[name], self.peak.size, self.peak_timings)
        return fraction_of_peak(self.flops(name), np.array(self.times[name]), self.peak)

    def table(self):
        """Work and steps by formula, then this machine's times (median, middle half) and % of peak."""
        rows = []
        for name, (work, steps) in COMPLEXITY.items():
            fractions = self.fractions(name)
            rows.append((name, work, steps) + tuple(format_ms(t) for t in self.timings[name])
                        + ((format_percent(fractions[-1]),) if fractions is not None else ()))
        peak = (f"% of peak at n={self.lengths[-1]}",) if self.peak is not None else ()
        return Table(("model", "work", "sequential steps") + tuple(f"ms at n={L}" for L in self.lengths) + peak,
                     tuple(rows))

    def summary(self):
        """Phrases for the prose, right whichever way the run came out: nothing ranked inside the spread."""
        names = {"forward RNN": "the forward RNN", "BiRNN": "the BiRNN", "Transformer layer": "the Transformer layer"}
        last = -1
        phrases = {"device": self.device, "longest": str(self.lengths[-1]), "shortest": str(self.lengths[0]),
                   "d_model": str(self.d_model), "batch": str(self.batch), "repeats": str(self.repeats),
                   "length_ratio": f"{self.lengths[-1] / self.lengths[0]:.0f}"}
        for name, ts in self.timings.items():
            key = name.split()[0].lower()
            phrases[f"time_{key}_first"] = format_ms(ts[0])
            phrases[f"time_{key}_last"] = format_ms(ts[last])
            phrases[f"growth_{key}"] = growth_range(ts[0], ts[last])
            phrases[f"growth_{key}_median"] = format_ratio(ts[last].median / ts[0].median)
            fractions = self.fractions(name)
            if fractions is not None:
                phrases[f"peak_{key}"] = format_percent(fractions[last])
        rnn, bi, tf = (self.timings[n] for n in COMPLEXITY)
        phrases["birnn_vs_rnn"] = describe_comparison("the BiRNN", "the forward RNN", compare(bi[last], rnn[last]))
        phrases["transformer_vs_rnn"] = describe_comparison("the Transformer layer", "the forward RNN",
                                                            compare(tf[last], rnn[last]))
        phrases["lead"] = lead_by_length(self.lengths, [compare(t, r).verdict() for t, r in zip(tf, rnn)],
                                         "the Transformer layer", "the forward RNN")
        ranked = sorted(self.timings, key=lambda n: self.timings[n][last].median)
        clear = compare(self.timings[ranked[-1]][last], self.timings[ranked[-2]][last]).verdict() == "slower"
        phrases["slowest_long"] = (f"{names[ranked[-1]]} was the slowest" if clear else
                                   f"no single model was the slowest ({names[ranked[-1]]} and {names[ranked[-2]]} "
                                   "were too close to rank)")
        if self.peak is not None:
            phrases["peak"] = self.peak.describe()
        return phrases



def measure_costs(lengths=(64, 256, 1024), d_model=64, batch=8, repeats=11, device=None, seed=0, peak_size=None):
    """Forward times of cost_models at each length, the three models (and the peak probe of
    helpers.hardware) taking turns in every round."""
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d_model, _ = _check_width(d_model, 4)
    batch = check_int("batch", batch, 1, 1024)
    repeats = check_int("repeats", repeats, 1, 1000)
    seed = check_seed(seed)
    device = check_device(device) if device is not None else pick_device()
    models = {name: m.to(device).eval() for name, m in cost_models(d_model, seed=seed).items()}
    g = torch.Generator().manual_seed(seed)
    size, probe = peak_probe(device, peak_size)
    timings, peak_timings = {name: [] for name in models}, []
    with torch.no_grad():
        for n in lengths:
            x = torch.randn(n, batch, d_model, generator=g).to(device)       # (seq, batch, d)
            calls = {name: (lambda m=m: m(x)) for name, m in models.items()}
            measured = time_calls({**calls, "peak": probe}, repeats, device=device)
            for name in models:
                timings[name].append(measured[name])
            peak_timings.append(measured["peak"])
    return CostTimings(lengths, {k: tuple(v) for k, v in timings.items()}, d_model, batch, repeats, str(device),
                       pooled_peak(size, peak_timings, device), tuple(peak_timings))


def cost_table(lengths=(64, 256, 1024), d_model=64, batch=8, repeats=11):
    """(Table, {name: [median seconds per length]}): measure_costs on the CPU, as chapter 1.5 first used it."""
    result = measure_costs(lengths, d_model, batch, repeats, device="cpu")
    return result.table(), result.times


@torch.no_grad()
def time_forward(model, seq_len, batch=8, d_model=64, repeats=11):
    """Median seconds of one forward pass over (seq_len, batch, d_model) random inputs (on the CPU)."""
    seq_len = check_int("seq_len", seq_len, 1)
    repeats = check_int("repeats", repeats, 1)
    x = torch.randn(seq_len, batch, d_model, generator=torch.Generator().manual_seed(0))
    model.eval()
    return time_call(lambda: model(x), repeats).median


def training_step_timings(cells=("rnn", "gru", "lstm"), seq_len=100, hidden_size=128, input_size=32, batch=32,
                          repeats=10, seed=0, device="cpu"):
    """{cell: Timing} of one training update (forward, backward, Adam step) of each one-layer cell,
    the cells taking turns in every round (helpers.timing.time_calls, two warm-up updates each)."""
    from helpers.experiments.training import CELLS, SequenceModel
    cells = tuple(check_choice("cell", c, tuple(CELLS)) for c in cells)
    seq_len = check_int("seq_len", seq_len, 1)
    repeats = check_int("repeats", repeats, 1)
    seed = check_seed(seed)
    device = check_device(device)
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(seq_len, batch, input_size, generator=g).to(device), torch.randn(batch, 1, generator=g).to(device)
    updates = {}
    for cell in cells:
        with seeded(seed):
            model = SequenceModel(cell, input_size, hidden_size, 1).to(device)
        optimizer = torch.optim.Adam(model.parameters())

        def update(model=model, optimizer=optimizer):
            loss = nn.functional.mse_loss(model(x)[0][-1], y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        updates[cell] = update
    return time_calls(updates, repeats, warmup=2, device=device)


def training_step_time(cell, seq_len=100, hidden_size=128, input_size=32, batch=32, repeats=10, seed=0, device="cpu"):
    """Median seconds of one training update (forward, backward, Adam step) of a one-layer cell."""
    return training_step_timings((cell,), seq_len, hidden_size, input_size, batch, repeats, seed, device)[cell].median
