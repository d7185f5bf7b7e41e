"""Tokens per second of an LSTM layer and of a Transformer encoder layer of comparable size.

"Comparable" here means: the same width d_model in and out (the LSTM's input and hidden size are
both d_model), and the Transformer layer's feed-forward block 2 * d_model wide, which gives the two
layers the same parameter count to within a few percent (8 d^2 + 8 d against 8 d^2 + 11 d). Their
dense work per token is then the same, about 8 d^2 multiply-adds; what differs is how it is laid
out. The LSTM does its work in seq_len small steps, one after the other; the Transformer layer does
it in a few large matrix products over all positions at once, plus the attention scores, whose
work grows as seq_len^2.

Throughput is batch * seq_len / (median seconds of one pass), measured on whatever device is
given, with CUDA (or MPS) synchronised before the clock is read.
"""
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .checks import check_choice, check_int, check_lengths
from .device import pick_device
from .tables import Table

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


def throughput_models(d_model=128, nhead=4, seed=0):
    """The two layers compared, both batch-first: (batch, seq_len, d_model) in and out."""
    d_model, nhead = check_width(d_model, nhead)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return {
            "LSTM": nn.LSTM(d_model, d_model, batch_first=True),
            "Transformer layer": nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2 * d_model,
                                                            dropout=0.0, batch_first=True),
        }


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


def _synchronize(device):
    if device.type == "cuda":          # GPU kernels run asynchronously: wait before reading the clock
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _median_seconds(fn, repeats, device):
    fn()                                # warm-up: allocations, kernel choice
    _synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    """Tokens per second of both layers at each sequence length."""
    lengths: tuple
    lstm: np.ndarray          # tokens / s
    transformer: np.ndarray   # tokens / s
    d_model: int
    nhead: int
    batch: int
    mode: str
    repeats: int
    device: str
    parameters: dict          # {"LSTM": n, "Transformer layer": n}

    def faster(self, index):
        """'the LSTM' or 'the Transformer layer': whichever had more tokens per second there."""
        return "the LSTM" if self.lstm[index] > self.transformer[index] else "the Transformer layer"

    def macs_per_token(self):
        """Multiply-adds of the matrix products per token of one forward pass, at each length.

        LSTM: 8 d^2 (four gates, each an input and a recurrent product). Transformer layer: 8 d^2
        (Q, K, V, the output projection and the 2d-wide feed-forward block) plus 2 n d (the scores
        Q K^T and the weighted sum of V, n keys per query). Element-wise work is left out.
        """
        n = np.asarray(self.lengths, dtype=float)
        dense = 8.0 * self.d_model ** 2
        return np.full_like(n, dense), dense + 2.0 * n * self.d_model

    def mac_rates(self):
        """Multiply-adds per second each layer achieved (a training step counted as 3 forward passes,
        the usual estimate: the backward pass costs about twice the forward)."""
        factor = 1.0 if self.mode == "forward" else 3.0
        lstm_macs, transformer_macs = self.macs_per_token()
        return factor * lstm_macs * self.lstm, factor * transformer_macs * self.transformer

    def table(self):
        rows = tuple((str(L), f"{a:,.0f}", f"{b:,.0f}", f"{b / a:.2f}")
                     for L, a, b in zip(self.lengths, self.lstm, self.transformer))
        return Table(("length", "LSTM (tokens/s)", "Transformer layer (tokens/s)", "Transformer / LSTM"), rows)

    def summary(self):
        """Formatted numbers and phrases for the prose (glued), right whichever layer won."""
        ratio = self.transformer / self.lstm
        crossings = [self.lengths[i + 1] for i in range(len(ratio) - 1) if (ratio[i] >= 1) != (ratio[i + 1] >= 1)]
        return {
            "shortest": str(self.lengths[0]), "longest": str(self.lengths[-1]),
            "faster_shortest": self.faster(0), "faster_longest": self.faster(-1),
            "lstm_shortest": f"{self.lstm[0]:,.0f}", "lstm_longest": f"{self.lstm[-1]:,.0f}",
            "transformer_shortest": f"{self.transformer[0]:,.0f}",
            "transformer_longest": f"{self.transformer[-1]:,.0f}",
            "ratio_shortest": f"{ratio[0]:.2f}", "ratio_longest": f"{ratio[-1]:.2f}",
            "best_ratio": f"{ratio.max():.2f}", "best_ratio_length": str(self.lengths[int(ratio.argmax())]),
            "crossing": (f"the lead changed hands at length {crossings[0]}" if len(crossings) == 1 else
                         "the lead changed hands more than once" if crossings else
                         "the same layer led at every length measured"),
            "work_ratio_longest": f"{self.macs_per_token()[1][-1] / self.macs_per_token()[0][-1]:.1f}",
            "lstm_gmacs_shortest": f"{self.mac_rates()[0][0] / 1e9:.2f}",
            "transformer_gmacs_shortest": f"{self.mac_rates()[1][0] / 1e9:.2f}",
            "rate_ratio_shortest": f"{self.mac_rates()[1][0] / self.mac_rates()[0][0]:.1f}",
            "device": self.device, "d_model": str(self.d_model), "batch": str(self.batch), "mode": self.mode,
        }


def budget_phrases(result, tokens=1e9):
    """Hours each layer needs to process `tokens` at the shortest and longest length, as prose.

    Keys: short_/long_ + cheaper (which layer), cheap and dear (hours), factor (dear / cheap).
    """
    if not tokens > 0:
        raise ValueError(f"tokens must be a positive number, got {tokens!r}")
    hours = {"the LSTM": tokens / result.lstm / 3600, "the Transformer layer": tokens / result.transformer / 3600}
    phrases = {}
    for i, where in ((0, "short"), (-1, "long")):
        cheaper = min(hours, key=lambda name: hours[name][i])
        dearer = max(hours, key=lambda name: hours[name][i])
        phrases.update({f"{where}_cheaper": cheaper, f"{where}_cheap": f"{hours[cheaper][i]:.1f}",
                        f"{where}_dear": f"{hours[dearer][i]:.1f}",
                        f"{where}_factor": f"{hours[dearer][i] / hours[cheaper][i]:.1f}"})
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
    (width, length) pairs each layer led, a verdict on "the Transformer wins everywhere", and
    where the page was computed.
    """
    if main not in runs:
        raise ValueError(f"main must be one of the measured widths {sorted(runs)}, got {main!r}")
    phrases = dict(runs[main].summary())
    for d, run in runs.items():
        s = run.summary()
        phrases.update({f"w{d}_short": s["faster_shortest"], f"w{d}_long": s["faster_longest"],
                        f"w{d}_crossing": s["crossing"]})
    led = sum(int(np.sum(run.transformer > run.lstm)) for run in runs.values())
    total = sum(len(run.lengths) for run in runs.values())
    device = torch.device(device)
    phrases.update({
        "led_transformer": str(led), "led_lstm": str(total - led), "led_all": str(total),
        "verdict": ("so the syllabus's picture of the Transformer winning everywhere does not hold on this device"
                    if led < total else "as the syllabus's picture has it, on this device too"),
        "built_on": device_phrase(device),
        "gpu_note": ("The curves above were measured on a GPU, so they show it directly." if device.type == "cuda"
                     else "No GPU was used when this page was built, so that claim is not measured here."),
    })
    return phrases


def measure_throughput(lengths=DEFAULT_LENGTHS, d_model=128, nhead=4, batch=2, mode="forward", repeats=3,
                       device=None, seed=0):
    """Tokens per second of an nn.LSTM and an nn.TransformerEncoderLayer at each length.

    Both layers get the same random float32 input of shape (batch, seq_len, d_model). "forward"
    runs without gradients (the layers in eval mode, as at inference); "training step" runs the
    forward pass and the backward pass of a scalar loss (train mode; dropout is off in both).
    """
    lengths = check_lengths(lengths, MAX_SEQ_LEN)
    d_model, nhead = check_width(d_model, nhead)
    batch = check_int("batch", batch, 1, 1024)
    mode = check_choice("mode", mode, MODES)
    repeats = check_int("repeats", repeats, 1, 1000)
    device = torch.device(device) if device is not None else pick_device()
    models = throughput_models(d_model, nhead, seed)
    parameters = {name: count_parameters(m) for name, m in models.items()}
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    tokens_per_second = {name: [] for name in models}
    for name, model in models.items():
        model.to(device).train(mode != "forward")
    for seq_len in lengths:
        x = torch.randn(batch, seq_len, d_model, generator=g).to(device)     # (batch, seq, d_model)
        for name, model in models.items():
            seconds = _median_seconds(_pass(model, x, mode), repeats, device)
            tokens_per_second[name].append(batch * seq_len / seconds)
    return Throughput(lengths, np.array(tokens_per_second["LSTM"]), np.array(tokens_per_second["Transformer layer"]),
                      d_model, nhead, batch, mode, repeats, str(device), parameters)


def measure_widths(widths=(64, 128, 256), lengths=DEFAULT_LENGTHS, nhead=4, batch=2, mode="forward", repeats=3,
                   device=None, seed=0):
    """measure_throughput at each width: {d_model: Throughput}, for the explorer's slider."""
    widths = tuple(widths) if not isinstance(widths, (str, bytes)) else ()
    if not widths:
        raise ValueError("widths must hold at least one d_model, got none")
    widths = sorted({check_width(d, nhead)[0] for d in widths})
    return {d: measure_throughput(lengths, d, nhead, batch, mode, repeats, device, seed) for d in widths}
