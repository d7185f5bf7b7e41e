"""An LSTM layer and a Transformer encoder layer of comparable size: work, critical path, speed.

"Comparable" here means: the same width d_model in and out (the LSTM's input and hidden size are
both d_model), and the Transformer layer's feed-forward block 2 * d_model wide, which gives the two
layers the same parameter count to within a few percent (8 d^2 + 8 d against 8 d^2 + 11 d). Their
dense work per token is then the same, 16 d^2 FLOPs; what differs is how it is laid out. The LSTM
does its work in seq_len small steps, each needing the one before (a critical path of seq_len
dependent products); the Transformer layer does it in 6 dependent products over all positions at
once, plus the attention scores, whose work grows as seq_len^2. Those counts hold on any machine.

Measured on the device given: throughput, batch * seq_len / (median seconds of one pass), with the
two layers timed in interleaved rounds (helpers.timing), and the fraction of the device's own
matrix-product peak each reached (helpers.hardware).

Used in: 1.8.
"""
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_choice, check_device, check_float, check_int, check_lengths, check_seed
from helpers.core.device import pick_device
from helpers.core.seeding import seeded
from helpers.core.table import Table
from helpers.measure.hardware import (
    TRANSFORMER_LAYER_DEPENDENT,
    count_work,
    format_percent,
    format_rate,
    fraction_of_peak,
    fractions_by_length,
    lstm_flops,
    peak_probe,
    pooled_peak,
    transformer_layer_flops,
)
from helpers.measure.timing import Comparison, compare, describe_comparison, format_ratio, lead_by_length, time_calls

DEFAULT_LENGTHS = (32, 64, 128, 256, 512, 1024, 2048)
MODES = ("forward", "training step")
MAX_SEQ_LEN = 65_536
MODEL_NAMES = ("LSTM", "Transformer layer")


def check_width(d_model, nhead):
    """d_model and nhead as ints; attention splits d_model into nhead heads of equal width."""
    d_model = check_int("d_model", d_model, 1, 8192)
    nhead = check_int("nhead", nhead, 1, 256)
    if d_model % nhead:
        raise ValueError(f"d_model must be divisible by nhead, got d_model={d_model}, nhead={nhead}")
    return d_model, nhead


def _layers(d_model, nhead):
    return {
        "LSTM": nn.LSTM(d_model, d_model, batch_first=True),
        "Transformer layer": nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model,
                                                        dropout=0.0, batch_first=True),
    }


def throughput_models(d_model=128, nhead=4, seed=0):
    """The two layers compared, both batch-first: (batch, seq_len, d_model) in and out."""
    d_model, nhead = check_width(d_model, nhead)
    with seeded(seed):
        return _layers(d_model, nhead)


def count_parameters(module):
    """Number of trainable numbers in a module."""
    return sum(p.numel() for p in module.parameters())


def expected_parameters(d_model):
    """The counts by formula: LSTM 4 gates x (W_ih, W_hh, two biases); Transformer layer Q, K, V,
    output projection, a 2d-wide feed-forward block and two layer norms."""
    d = check_int("d_model", d_model, 1, 8192)
    return {"LSTM": 8 * d * d + 8 * d, "Transformer layer": 8 * d * d + 11 * d}


def parameter_table(widths=(64, 128, 256), nhead=4):
    """Parameter counts of both layers at each width, counted from the modules themselves."""
    rows = []
    for d in widths:
        counts = {name: count_parameters(m) for name, m in throughput_models(d, nhead).items()}
        rows.append((str(d), f"{counts['LSTM']:,}", f"{counts['Transformer layer']:,}",
                     f"{counts['Transformer layer'] / counts['LSTM']:.3f}"))
    return Table(("d_model", "LSTM parameters", "Transformer layer parameters", "ratio"), tuple(rows))


# --- work and critical path: exact, the same on every machine ------------------------------------------

def layer_flops(seq_len, d_model, batch=1, mode="forward"):
    """FLOPs of one pass of each layer (2 per multiply-add of a matrix product), by formula.

    forward: LSTM 16 d^2 per token; Transformer layer 16 d^2 + 4 n d per token. A training step
    (forward, then the backward pass of a loss, with no gradient wanted for the input) adds, for the
    LSTM, the weight gradients of both products at every step and the state gradient at all but the
    first: 8 B d^2 (5n - 1) in all; for the Transformer layer, twice every forward product except the
    first projection, whose input needs no gradient: 3 F - 6 B n d^2. These are what
    helpers.hardware.count_work counts on PyTorch's reference implementation (the tests check it).
    """
    n, d, b = check_int("seq_len", seq_len, 1), check_int("d_model", d_model, 1), check_int("batch", batch, 1)
    mode = check_choice("mode", mode, MODES)
    forward = {"LSTM": lstm_flops(n, d, d, b), "Transformer layer": transformer_layer_flops(n, d, 2 * d, b)}
    if mode == "forward":
        return forward
    return {"LSTM": 8 * b * d * d * (5 * n - 1), "Transformer layer": 3 * forward["Transformer layer"] - 6 * b * n * d * d}


def dependent_products(seq_len):
    """The critical path of one forward pass: the LSTM's seq_len steps, the Transformer layer's 6 products."""
    return {"LSTM": check_int("seq_len", seq_len, 1), "Transformer layer": TRANSFORMER_LAYER_DEPENDENT}


def work_table(lengths=(128, 512, 2048), d_model=128, nhead=4, batch=2):
    """FLOPs and dependent products of one forward pass of each layer, counted by
    helpers.hardware.count_work (FlopCounterMode) and checked against the formulas: exact."""
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d_model, nhead = check_width(d_model, nhead)
    batch = check_int("batch", batch, 1, 1024)
    with seeded(0):
        layers = _layers(d_model, nhead)
    where = {"LSTM": "cpu", "Transformer layer": "meta"}      # a loop of small steps counts faster on the CPU
    rows = []
    for n in lengths:
        x = torch.empty(batch, n, d_model, device="meta")    # (batch, seq, d_model): a shape to count
        flops, steps = layer_flops(n, d_model, batch), dependent_products(n)
        for name, layer in layers.items():
            work = count_work(layer, x, device=where[name])
            if (work.flops, work.dependent) != (flops[name], steps[name]):
                raise RuntimeError(f"{name} at length {n}: counted {work}, the formulas say "
                                   f"{flops[name]} FLOPs and {steps[name]} dependent products")
            rows.append((name, str(n), f"{work.flops:,}", f"{work.flops // (batch * n):,}", str(work.dependent)))
    return Table(("layer", "length n", f"FLOPs, batch {batch} (counted = formula)", "FLOPs per token",
                  "dependent products (counted = formula)"), tuple(rows))


# --- measured: throughput and fraction of peak -----------------------------------------------------------

def _pass(model, x, mode):
    """One forward pass (no gradients), or a forward and backward pass of a scalar loss."""
    if mode == "forward":
        def run():
            with torch.no_grad():
                out = model(x)
            return out
        return run

    def run_and_backward():
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out      # nn.LSTM returns (output, (h, c))
        out.square().mean().backward()
        model.zero_grad(set_to_none=True)
    return run_and_backward


@dataclass
class Throughput:
    """Tokens per second of both layers at each sequence length (medians), with every timing kept."""
    lengths: tuple
    lstm: np.ndarray          # tokens / s, from the median time
    transformer: np.ndarray   # tokens / s, from the median time
    d_model: int
    nhead: int
    batch: int
    mode: str
    repeats: int
    device: str
    parameters: dict          # {"LSTM": n, "Transformer layer": n}
    lstm_timings: tuple = ()          # helpers.timing.Timing per length (empty when built from rates alone)
    transformer_timings: tuple = ()
    peak: object = None               # helpers.hardware.Peak of the device (every probe sample), or None
    peak_timings: tuple = ()          # the peak probe's Timing per length, timed in the same rounds

    def comparison(self, index):
        """The LSTM's time against the Transformer layer's at lengths[index] (> 1: the LSTM took longer)."""
        if self.lstm_timings:
            return compare(self.lstm_timings[index], self.transformer_timings[index])
        r = float(self.transformer[index] / self.lstm[index])
        return Comparison(r, r, r, False)

    def faster(self, index):
        """'the LSTM', 'the Transformer layer', or 'neither layer' when the two were too close to rank."""
        verdict = self.comparison(index).verdict()
        return {"slower": "the Transformer layer", "faster": "the LSTM", "tie": "neither layer"}[verdict]

    def spread(self, name):
        """(low, high) tokens per second of `name` at each length: the middle half of the rounds."""
        timings = self.lstm_timings if name == "LSTM" else self.transformer_timings
        values = self.lstm if name == "LSTM" else self.transformer
        if not timings:
            return values, values
        tokens = self.batch * np.asarray(self.lengths, dtype=float)
        return tokens / np.array([t.high for t in timings]), tokens / np.array([t.low for t in timings])

    def macs_per_token(self):
        """Multiply-adds of the matrix products per token of one forward pass, at each length.

        LSTM: 8 d^2 (four gates, each an input and a recurrent product). Transformer layer: 8 d^2
        (Q, K, V, the output projection and the 2d-wide feed-forward block) plus 2 n d (the scores
        Q K^T and the weighted sum of V, n keys per query). Element-wise work is left out.
        """
        n = np.asarray(self.lengths, dtype=float)
        dense = 8.0 * self.d_model ** 2
        return np.full_like(n, dense), dense + 2.0 * n * self.d_model

    def flops(self):
        """FLOPs of one measured pass (forward, or training step) of each layer, at each length."""
        per_length = [layer_flops(n, self.d_model, self.batch, self.mode) for n in self.lengths]
        return (np.array([f["LSTM"] for f in per_length], dtype=float),
                np.array([f["Transformer layer"] for f in per_length], dtype=float))

    def flop_rates(self):
        """FLOP/s each layer achieved: its work over its median time."""
        tokens = self.batch * np.asarray(self.lengths, dtype=float)
        lstm, transformer = self.flops()
        return lstm * self.lstm / tokens, transformer * self.transformer / tokens

    def fractions(self):
        """Fraction of the device's matmul peak each layer reached at each length (None without a peak)."""
        if self.peak is None:
            return None
        if self.peak_timings:
            return tuple(fractions_by_length(rate, 1.0, self.peak.size, self.peak_timings) for rate in self.flop_rates())
        return tuple(fraction_of_peak(rate, 1.0, self.peak) for rate in self.flop_rates())

    def table(self):
        """Tokens per second (median, middle half of the rounds) and the per-round ratio."""
        lo_l, hi_l = self.spread("LSTM")
        lo_t, hi_t = self.spread("Transformer layer")
        rows = []
        for i, L in enumerate(self.lengths):
            c = self.comparison(i)
            rows.append((str(L), f"{self.lstm[i]:,.0f} ({lo_l[i]:,.0f}–{hi_l[i]:,.0f})",
                         f"{self.transformer[i]:,.0f} ({lo_t[i]:,.0f}–{hi_t[i]:,.0f})",
                         f"{c.ratio:.2f} ({c.low:.2f}–{c.high:.2f})"))
        return Table(("length", "LSTM (tokens/s)", "Transformer layer (tokens/s)", "Transformer / LSTM, per round"),
                     tuple(rows))

    def utilisation_table(self, lengths=None):
        """Work, critical path, this machine's time and the fraction of peak, one row per layer and length."""
        lengths = self.lengths if lengths is None else tuple(lengths)
        missing = [L for L in lengths if L not in self.lengths]
        if missing:
            raise ValueError(f"lengths must be measured lengths {self.lengths}, got {missing}")
        flops, rates, fractions = self.flops(), self.flop_rates(), self.fractions()
        timings = (self.lstm_timings, self.transformer_timings)
        rows = []
        for L in lengths:
            i = self.lengths.index(L)
            for k, name in enumerate(MODEL_NAMES):
                t = timings[k][i] if timings[k] else None
                time_ms = (f"{1e3 * t.median:.3g} ({1e3 * t.low:.3g}–{1e3 * t.high:.3g})" if t
                           else f"{1e3 * self.batch * L / (self.lstm, self.transformer)[k][i]:.3g}")
                rows.append((name, str(L), f"{flops[k][i] / 1e9:.3g}", str(dependent_products(L)[name]), time_ms,
                             f"{rates[k][i] / 1e9:.3g}", format_percent(fractions[k][i]) if fractions else ""))
        return Table(("layer", "length n", "GFLOP per pass", "dependent products", "ms per pass (middle half)",
                      "achieved GFLOP/s", "% of peak"), tuple(rows))

    def summary(self):
        """Formatted numbers and phrases for the prose (glued), right whichever way the run came out."""
        ratio = self.transformer / self.lstm
        verdicts = [self.comparison(i).verdict() for i in range(len(self.lengths))]
        leaders = [self.faster(i) for i in range(len(self.lengths))]
        lstm_macs, transformer_macs = self.macs_per_token()
        rates = self.flop_rates()
        phrases = {
            "shortest": str(self.lengths[0]), "longest": str(self.lengths[-1]),
            "faster_shortest": leaders[0], "faster_longest": leaders[-1],
            "lstm_shortest": f"{self.lstm[0]:,.0f}", "lstm_longest": f"{self.lstm[-1]:,.0f}",
            "transformer_shortest": f"{self.transformer[0]:,.0f}",
            "transformer_longest": f"{self.transformer[-1]:,.0f}",
            "ratio_shortest": f"{ratio[0]:.2f}", "ratio_longest": f"{ratio[-1]:.2f}",
            "best_ratio": f"{ratio.max():.2f}", "best_ratio_length": str(self.lengths[int(ratio.argmax())]),
            "comparison_shortest": describe_comparison("the LSTM", "the Transformer layer", self.comparison(0)),
            "comparison_longest": describe_comparison("the LSTM", "the Transformer layer", self.comparison(-1)),
            "lead": lead_by_length(self.lengths, verdicts, "the LSTM", "the Transformer layer"),
            "crossing": crossing(self.lengths, leaders),
            "work_ratio_longest": f"{transformer_macs[-1] / lstm_macs[-1]:.1f}",
            "dependent_longest": str(self.lengths[-1]),
            "lstm_gflops_shortest": f"{rates[0][0] / 1e9:.3g}", "transformer_gflops_shortest": f"{rates[1][0] / 1e9:.3g}",
            "rate_ratio_shortest": format_ratio(rates[1][0] / rates[0][0]),
            "device": self.device, "d_model": str(self.d_model), "batch": str(self.batch), "mode": self.mode,
            "repeats": str(self.repeats),
        }
        fractions = self.fractions()
        if fractions is not None:
            for k, name in enumerate(("lstm", "transformer")):
                phrases.update({f"{name}_peak_shortest": format_percent(fractions[k][0]),
                                f"{name}_peak_longest": format_percent(fractions[k][-1]),
                                f"{name}_peak_best": format_percent(fractions[k].max()),
                                f"{name}_peak_best_length": str(self.lengths[int(fractions[k].argmax())])})
            phrases["peak"] = self.peak.describe()
            phrases["peak_rate"] = format_rate(self.peak.flops_per_second)
        return phrases


def crossing(lengths, leaders):
    """Where the lead changed hands, from the leader at each length ('neither layer' for a tie)."""
    changes = [lengths[i + 1] for i in range(len(leaders) - 1) if leaders[i] != leaders[i + 1]]
    if set(leaders) == {"neither layer"}:
        return "neither layer was measurably ahead at any length"
    if not changes:
        return "the same layer led at every length measured"
    if len(changes) == 1 and "neither layer" not in leaders:
        return f"the lead changed hands at length {changes[0]}"
    return lead_by_length(lengths, [{"the LSTM": "faster", "the Transformer layer": "slower"}.get(x, "tie")
                                    for x in leaders], "the LSTM", "the Transformer layer")


def _hours(h):
    """'1,234', '12.5', '0.031': hours at a precision the prose can use."""
    return f"{h:,.0f}" if h >= 100 else f"{h:.1f}" if h >= 1 else f"{h:.2g}"


def budget_phrases(result, tokens=1e9):
    """Hours each layer needs to process `tokens` at the shortest and longest length, as prose.

    Keys: short_/long_ + cheaper (which layer), cheap and dear (hours), factor (dear / cheap), and
    short / long: the whole comparison, which says so when the two were too close to rank.
    """
    tokens = check_float("tokens", tokens, low=0.0, low_inclusive=False)
    hours = {"the LSTM": tokens / result.lstm / 3600, "the Transformer layer": tokens / result.transformer / 3600}
    phrases = {}
    for i, where in ((0, "short"), (-1, "long")):
        cheaper = min(hours, key=lambda name: hours[name][i])
        dearer = max(hours, key=lambda name: hours[name][i])
        cheap, dear = hours[cheaper][i], hours[dearer][i]
        phrases.update({f"{where}_cheaper": cheaper, f"{where}_cheap": _hours(cheap),
                        f"{where}_dear": _hours(dear), f"{where}_factor": format_ratio(dear / cheap)})
        if result.faster(i) == "neither layer":
            phrases[where] = (f"about {_hours(cheap)} to {_hours(dear)} hours with either layer (the two were too "
                              "close to rank)")
        else:
            phrases[where] = (f"{_hours(cheap)} hours with {cheaper}, against {_hours(dear)} hours with the other "
                              f"layer ({format_ratio(dear / cheap)} times as long)")
    return phrases


def batch_phrases(narrow, wide, length):
    """What a larger batch changed at one length: each layer's fraction of peak at both batches, and which
    layer was faster at the larger one (ranked only when the rounds allow), for the prose."""
    for name, run in (("narrow", narrow), ("wide", wide)):
        if length not in run.lengths:
            raise ValueError(f"length must be measured in both runs, got {length} (the {name} run has {run.lengths})")
        if run.fractions() is None:
            raise ValueError(f"{name} must have a peak measured with it (measure_throughput gives one)")
    if (narrow.d_model, narrow.mode) != (wide.d_model, wide.mode):
        raise ValueError("narrow and wide must be measured at the same d_model and mode")
    phrases = {"length": str(length), "narrow_batch": str(narrow.batch), "wide_batch": str(wide.batch),
               "d_model": str(narrow.d_model)}
    for name, run in (("narrow", narrow), ("wide", wide)):
        i = run.lengths.index(length)
        lstm, transformer = (f[i] for f in run.fractions())
        phrases.update({f"{name}_lstm": format_percent(lstm), f"{name}_transformer": format_percent(transformer)})
        phrases[f"{name}_comparison"] = describe_comparison("the LSTM", "the Transformer layer", run.comparison(i))
    return phrases


def device_phrase(device):
    """'a CPU with 1 thread', 'a GPU (NVIDIA ...)': where a measurement ran, for the prose."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"a GPU ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "an Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"a {device.type.upper()} with {threads} thread{'s' if threads != 1 else ''}"


def width_phrases(runs, main, device):
    """Prose for the explorer's measurements: {d_model: Throughput}, `main` the width discussed first.

    Gives main's summary(), each width's leaders (w<d>_short, w<d>_long, w<d>_crossing), how many
    (width, length) pairs each layer measurably led and how many were too close to rank, and where
    the page was computed.
    """
    if main not in runs:
        raise ValueError(f"main must be one of the measured widths {sorted(runs)}, got {main!r}")
    phrases = dict(runs[main].summary())
    for d, run in runs.items():
        s = run.summary()
        phrases.update({f"w{d}_short": s["faster_shortest"], f"w{d}_long": s["faster_longest"],
                        f"w{d}_crossing": s["crossing"], f"w{d}_lead": s["lead"]})
    leaders = [run.faster(i) for run in runs.values() for i in range(len(run.lengths))]
    device = torch.device(device)
    phrases.update({
        "led_transformer": str(leaders.count("the Transformer layer")), "led_lstm": str(leaders.count("the LSTM")),
        "led_neither": str(leaders.count("neither layer")), "led_all": str(len(leaders)),
        "verdict": ("so the picture of the Transformer layer winning everywhere does not hold on this device"
                    if leaders.count("the Transformer layer") < len(leaders)
                    else "as the picture of the Transformer layer winning everywhere has it, on this device too"),
        "built_on": device_phrase(device),
    })
    return phrases


def _device(device):
    return check_device(device) if device is not None else pick_device()


def measure_throughput(lengths=DEFAULT_LENGTHS, d_model=128, nhead=4, batch=2, mode="forward", repeats=11,
                       device=None, seed=0, peak_size=None):
    """Tokens per second of an nn.LSTM and an nn.TransformerEncoderLayer at each length.

    Both layers get the same random float32 input of shape (batch, seq_len, d_model), and take turns
    at every length (helpers.timing.time_calls: two warm-up calls each, then `repeats` rounds).
    "forward" runs without gradients (the layers in eval mode, as at inference); "training step"
    runs the forward pass and the backward pass of a scalar loss (train mode; dropout is off in
    both). A peak_size x peak_size matrix product takes its turn in the same rounds
    (helpers.hardware.peak_probe): the yardstick for the fraction of peak.
    """
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d_model, nhead = check_width(d_model, nhead)
    batch = check_int("batch", batch, 1, 1024)
    mode = check_choice("mode", mode, MODES)
    repeats = check_int("repeats", repeats, 1, 1000)
    seed = check_seed(seed)
    device = _device(device)
    models = throughput_models(d_model, nhead, seed)
    parameters = {name: count_parameters(m) for name, m in models.items()}
    g = torch.Generator().manual_seed(seed)
    for model in models.values():
        model.to(device).train(mode != "forward")
    size, probe = peak_probe(device, peak_size)
    timings = {name: [] for name in models}
    peak_timings = []
    for seq_len in lengths:
        x = torch.randn(batch, seq_len, d_model, generator=g).to(device)     # (batch, seq, d_model)
        calls = {name: _pass(m, x, mode) for name, m in models.items()}
        measured = time_calls({**calls, "peak": probe}, repeats, device=device)
        for name in models:
            timings[name].append(measured[name])
        peak_timings.append(measured["peak"])
    tokens = batch * np.asarray(lengths, dtype=float)
    rates = {name: tokens / np.array([t.median for t in ts]) for name, ts in timings.items()}
    return Throughput(lengths, rates["LSTM"], rates["Transformer layer"], d_model, nhead, batch, mode, repeats,
                      str(device), parameters, tuple(timings["LSTM"]), tuple(timings["Transformer layer"]),
                      pooled_peak(size, peak_timings, device), tuple(peak_timings))


def measure_widths(widths=(64, 128, 256), lengths=DEFAULT_LENGTHS, nhead=4, batch=2, mode="forward", repeats=11,
                   device=None, seed=0, peak_size=None):
    """measure_throughput at each width: {d_model: Throughput}, for the explorer's slider."""
    widths = tuple(widths) if not isinstance(widths, (str, bytes)) else ()
    if not widths:
        raise ValueError("widths must hold at least one d_model, got none")
    widths = sorted({check_width(d, nhead)[0] for d in widths})
    device = _device(device)
    return {d: measure_throughput(lengths, d, nhead, batch, mode, repeats, device, seed, peak_size) for d in widths}
