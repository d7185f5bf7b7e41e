"""How many parallel lanes it takes: the work law, the span law and Brent's bound for an LSTM layer
and a Transformer layer.

A device with P lanes, each doing r FLOP/s, on which a matrix product that needs the result of the
one before can start only t seconds after that one started (the latency of one dependent small
product), cannot finish a computation of W FLOPs whose longest chain is D dependent products sooner
than

    T(P) >= max(W / (P r), D t)         (the work law and the span law),

and a greedy schedule finishes it within W / (P r) + D t (Brent, 1974), so the true time lies
between the two. W and D are counted (helpers.measure.throughput: the same on every machine); r and
t are measured on the device at hand (`measure_lanes`):

- P: the device's float32 lanes. A CPU thread has as many as its vector unit holds (16 with
  AVX-512, 8 with AVX or AVX2, 4 with SSE or Arm's NEON), times the threads PyTorch uses; a CUDA
  GPU has its FP32 cores (multiprocessors x cores per multiprocessor).
- r: the FLOP/s of one large matrix product (helpers.measure.hardware's peak probe) over P.
- t: the time of one step of an nn.LSTM one unit wide, whose steps do almost no arithmetic: what a
  dependent step costs when the work in it is no object.

For the two layers of chapter 1.8 (width d, batch b, n tokens): the LSTM does 16 b d^2 FLOPs per
token in a chain of n steps, the Transformer layer 16 b d^2 + 4 b n d per token in a chain of 6.
With the lower bounds, the Transformer layer is the faster one for 6 < n < n*, where
n* = (P r t - 16 b d^2) / (4 b d): a window that opens once P r t, the arithmetic the device could
do in one step's latency, exceeds a whole LSTM step's work.

Used in: 1.8.
"""
import platform
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_device, check_float, check_int, check_values
from helpers.core.device import pick_device
from helpers.core.seeding import seeded
from helpers.core.table import Table
from helpers.measure.hardware import TRANSFORMER_LAYER_DEPENDENT, format_rate, peak_probe
from helpers.measure.published import GPUS, published_lanes
from helpers.measure.throughput import check_width, dependent_products, device_phrase, layer_flops
from helpers.measure.timing import describe_comparison, format_ratio, time_calls

MAX_LANES = 2**20
# float32 lanes of one vector unit, by the instruction set the CPU reports (the widest it has)
VECTOR_LANES = (("avx512f", 16), ("avx2", 8), ("avx", 8), ("asimd", 4), ("neon", 4), ("sse2", 4))
# FP32 cores per multiprocessor, by CUDA compute capability (NVIDIA's CUDA programming guide)
CUDA_CORES_PER_SM = {(6, 0): 64, (7, 0): 64, (7, 2): 64, (7, 5): 64, (8, 0): 64, (9, 0): 128}
MODELS = ("LSTM", "Transformer layer")


def cpu_vector_lanes(flags=None):
    """float32 lanes of one CPU thread's vector unit: 16 (AVX-512), 8 (AVX, AVX2), 4 (SSE, NEON).

    flags: the CPU's feature flags; None reads them from /proc/cpuinfo (Linux), else 4 on arm64.
    """
    if flags is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            text = ""
        flags = set(text.replace("\n", " ").split())
        if not flags and platform.machine().lower() in ("arm64", "aarch64"):
            flags = {"neon"}
    flags = set(flags)
    return next((lanes for flag, lanes in VECTOR_LANES if flag in flags), 4)


def device_lanes(device):
    """(P, how it was counted): the float32 lanes a measurement on `device` has at its disposal."""
    device = check_device(device)
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        per_sm = CUDA_CORES_PER_SM.get((props.major, props.minor), 128)
        return props.multi_processor_count * per_sm, f"{props.multi_processor_count} multiprocessors × {per_sm} FP32 cores"
    if device.type == "mps":
        return 1, "an Apple GPU, whose lanes PyTorch does not report: counted as one"
    threads, lanes = torch.get_num_threads(), cpu_vector_lanes()
    return threads * lanes, f"{threads} thread{'s' * (threads != 1)} × {lanes} float32 vector lanes"


def check_lane_model(lanes, lane_rate, latency):
    """P an integer in [1, 2^20], r and t positive finite numbers."""
    return (check_int("lanes", lanes, 1, MAX_LANES), check_float("lane_rate", lane_rate, low=0.0, low_inclusive=False),
            check_float("latency", latency, low=0.0, low_inclusive=False))


# --- the model: closed formulas ------------------------------------------------------------------

def layer_costs(lengths, d_model=128, batch=2):
    """{layer: (W, D)}: FLOPs and dependent products of one forward pass at each length, as arrays."""
    lengths = check_values("lengths", lengths, lambda n: check_int("seq_len", n, 1, 2**24))
    d_model, _ = check_width(d_model, 1)
    batch = check_int("batch", batch, 1, 1024)
    flops = [layer_flops(n, d_model, batch) for n in lengths]
    steps = [dependent_products(n) for n in lengths]
    return {name: (np.array([f[name] for f in flops], dtype=float), np.array([s[name] for s in steps], dtype=float))
            for name in MODELS}


def time_bounds(work, depth, lanes, lane_rate, latency):
    """(lower, upper) seconds: max(W / (P r), D t) and Brent's W / (P r) + D t, element by element."""
    lanes, lane_rate, latency = check_lane_model(lanes, lane_rate, latency)
    spread = np.asarray(work, dtype=float) / (lanes * lane_rate)
    chain = np.asarray(depth, dtype=float) * latency
    return np.maximum(spread, chain), spread + chain


def crossover_length(lanes, lane_rate, latency, d_model=128, batch=2):
    """n*: below it (and above 6 tokens) the Transformer layer's lower bound is the lower of the two.

    n* = (P r t - 16 b d^2) / (4 b d); a value <= 6 means the LSTM is never the slower one.
    """
    lanes, lane_rate, latency = check_lane_model(lanes, lane_rate, latency)
    d_model, _ = check_width(d_model, 1)
    batch = check_int("batch", batch, 1, 1024)
    return (lanes * lane_rate * latency - 16 * batch * d_model ** 2) / (4 * batch * d_model)


def lanes_to_change_places(lane_rate, latency, d_model=128, batch=2):
    """The fewest lanes at which the Transformer layer wins at some length: P r t > 16 b d^2 + 24 b d."""
    lane_rate = check_float("lane_rate", lane_rate, low=0.0, low_inclusive=False)
    latency = check_float("latency", latency, low=0.0, low_inclusive=False)
    d_model, _ = check_width(d_model, 1)
    batch = check_int("batch", batch, 1, 1024)
    return int(np.floor(batch * d_model * (16 * d_model + 4 * TRANSFORMER_LAYER_DEPENDENT) / (lane_rate * latency))) + 1


def step_bound(work, lanes, lane_rate, latency):
    """Seconds of one dependent step doing `work` FLOPs: max(work / (P r), t), element by element."""
    lanes, lane_rate, latency = check_lane_model(lanes, lane_rate, latency)
    return np.maximum(np.asarray(work, dtype=float) / (lanes * lane_rate), latency)


# --- r and t, measured ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Lanes:
    """This device's lanes P, a lane's rate r and a dependent step's latency t, with every timing kept."""
    lanes: int
    counted: str              # how P was counted
    peak_size: int
    peak_timing: object       # helpers.measure.timing.Timing of the peak probe
    step_timing: object       # Timing of the narrow LSTM's forward pass over `steps` steps
    steps: int
    batch: int
    device: str

    @property
    def lane_rate(self):
        """r: the peak probe's FLOP/s (its median time) over the lanes."""
        return 2 * self.peak_size ** 3 / self.peak_timing.median / self.lanes

    @property
    def latency(self):
        """t: seconds per step of the narrow LSTM (its median time over its steps)."""
        return self.step_timing.median / self.steps

    def spread(self):
        """{'lane_rate': (low, high), 'latency': (low, high)}: from the middle half of the rounds."""
        flops = 2 * self.peak_size ** 3 / self.lanes
        return {"lane_rate": (flops / self.peak_timing.high, flops / self.peak_timing.low),
                "latency": (self.step_timing.low / self.steps, self.step_timing.high / self.steps)}

    def summary(self, d_model=128, batch=2):
        """Phrases for the prose: P, r and t with their spread, and the lanes the two layers need to change places."""
        spread = self.spread()
        r_lo, r_hi = spread["lane_rate"]
        t_lo, t_hi = spread["latency"]
        return {"lanes": f"{self.lanes:,}", "counted": self.counted, "device": self.device,
                "rate": format_rate(self.lane_rate), "rate_range": f"{format_rate(r_lo)} to {format_rate(r_hi)}",
                "peak": format_rate(self.lane_rate * self.lanes),
                "latency_us": f"{1e6 * self.latency:.2g}", "latency_range": f"{1e6 * t_lo:.2g} to {1e6 * t_hi:.2g}",
                "steps": str(self.steps), "batch": str(self.batch),
                "to_change_places": f"{lanes_to_change_places(self.lane_rate, self.latency, d_model, batch):,}"}

    def table(self):
        """P, r and t, each with the middle half of the rounds, as the chapter shows them."""
        s = self.summary()
        return Table(("quantity", "value", "middle half of the rounds", "how"), (
            ("P, lanes", s["lanes"], "", self.counted),
            ("r, one lane's rate", s["rate"], s["rate_range"],
             f"a {self.peak_size} × {self.peak_size} float32 matrix product's FLOP/s, over P"),
            ("t, one dependent step", f"{s['latency_us']} µs", f"{s['latency_range']} µs",
             f"an nn.LSTM one unit wide, batch {self.batch}: its time over its {self.steps} steps")))


def measure_lanes(device=None, batch=2, steps=512, repeats=11, peak_size=None):
    """P, r and t of `device`: the peak probe and a one-unit nn.LSTM over `steps` steps take turns.

    Both run in the same interleaved rounds after two warm-up calls each (helpers.measure.timing), so
    both see the same load from other programs. Costs well under a second on a CPU.
    """
    device = check_device(device) if device is not None else pick_device()
    batch = check_int("batch", batch, 1, 1024)
    steps = check_int("steps", steps, 16, 65_536)
    repeats = check_int("repeats", repeats, 1, 1000)
    lanes, counted = device_lanes(device)
    size, probe = peak_probe(device, peak_size)
    with seeded(0):                                                # the reader's random stream is left alone
        narrow = nn.LSTM(1, 1, batch_first=True).to(device).eval()
    x = torch.zeros(batch, steps, 1, device=device)                # (batch, seq, 1)

    def chain():
        with torch.no_grad():
            return narrow(x)
    timed = time_calls({"peak": probe, "chain": chain}, repeats, device=device)
    return Lanes(lanes, counted, size, timed["peak"], timed["chain"], steps, batch, str(device))


# --- prose: right whichever way the measurement came out ------------------------------------------

def _seconds(x):
    """'2.6 ms', '310 µs', '1,200 s': two significant figures."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if x >= factor or unit == "µs":
            v = float(f"{x / factor:.2g}")
            return f"{v:,.0f} {unit}" if v >= 100 else f"{v:g} {unit}"


def here_phrases(run, lanes):
    """What this page's measurement (a Throughput) and its device's P, r and t say together.

    built_on: the device in words; here_sentence: which layer was faster at the longest length, by how
    much, and why, in the model's terms; nstar_here: the model's crossing for this device's P; measured_by,
    who_decides, price: the prose's sentences that depend on which device built the page.
    """
    d, b, longest = run.d_model, run.batch, run.lengths[-1]
    nstar = crossover_length(lanes.lanes, lanes.lane_rate, lanes.latency, d, b)
    comparison = describe_comparison("the LSTM", "the Transformer layer", run.comparison(-1))
    leader = run.faster(-1)
    window = nstar > TRANSFORMER_LAYER_DEPENDENT
    why_work = (f"with {lanes.lanes:,} lanes, one LSTM step's own work ({16 * b * d * d:,} FLOPs) keeps them busy for "
                f"longer than a dependent step's latency, so the chain costs next to nothing beyond the work, the work "
                f"decides, and at this length the Transformer layer does {1 + longest / (4 * d):.3g} times as much of it")
    if leader == "the LSTM":
        sentence = f"at length {longest} {comparison}, so the LSTM was the faster layer; " + (
            why_work if not window else
            f"the model with this device's {lanes.lanes:,} lanes would let the Transformer layer win up to n ≈ "
            f"{nstar:,.0f}, so here the Transformer layer ran further above its bound than the LSTM")
    elif leader == "the Transformer layer":
        sentence = f"at length {longest} {comparison}, so the Transformer layer was the faster layer; " + (
            f"the model with this device's {lanes.lanes:,} lanes gives it the edge up to n ≈ {nstar:,.0f}" if window else
            "the model's bounds alone would not have said so for a device with this few lanes")
    else:
        sentence = f"at length {longest} {comparison}"
    short = {"the LSTM": f"the LSTM was the faster layer at length {longest}, "
                         f"{format_ratio(1 / run.comparison(-1).ratio)} times faster"
                         + (": with this few lanes the work decides, and the Transformer layer does more of it"
                            if not window else ""),
             "the Transformer layer": f"the Transformer layer was the faster layer at length {longest}, "
                                      f"{format_ratio(run.comparison(-1).ratio)} times faster",
             "neither layer": f"the two layers were too close to rank at length {longest}"}[leader]
    more_work = f"{1 + longest / (4 * d):.3g}"
    on_gpu = str(run.device).startswith("cuda")
    return {"built_on": device_phrase(run.device), "here_sentence": sentence, "here_short": short,
            "nstar_here": f"{nstar:,.0f}" if window else "none (the LSTM is the faster at every length)",
            "step_flops": f"{16 * b * d * d:,}",
            # sentences of the prose that depend on the device that built the page
            "measured_by": (f"This page was measured on {device_phrase(run.device)}; the GPUs of the Transformer "
                            f"paper's time come from published measurements." if on_gpu else
                            "No GPU measured this page, so the GPU end of the figure rests on published measurements."),
            "who_decides": (f"On a device with as few lanes as this one the work decides which layer is cheaper, and "
                            f"at length {longest} the Transformer layer does {more_work} times as much of it."
                            if not window else
                            f"On this device, with {lanes.lanes:,} lanes, the LSTM's chain already decides up to "
                            f"n ≈ {nstar:,.0f}."),
            "price": (f"on a device with few lanes, like the one that built this page, the quadratic work makes the "
                      f"Transformer layer the slower of the two at long lengths ({short})"
                      if leader == "the LSTM" and not window else
                      f"on a device with few lanes the quadratic work makes the Transformer layer the slower of the two "
                      f"at long lengths (the lanes model above; on this page's device {short})")}


def published_phrases(d_model=128, batch=2, length=2048):
    """The model with each published GPU's own P, r and t (helpers.measure.published), for the prose."""
    d_model, _ = check_width(d_model, 1)
    batch = check_int("batch", batch, 1, 1024)
    length = check_int("length", length, 1, 2**24)
    costs = layer_costs((length,), d_model, batch)
    phrases = {}
    for gpu in GPUS:
        P, r, t = published_lanes(gpu)
        lstm = time_bounds(*costs["LSTM"], P, r, t)[0][0]
        transformer = time_bounds(*costs["Transformer layer"], P, r, t)[0][0]
        nstar = crossover_length(P, r, t, d_model, batch)
        phrases.update({f"{gpu}_lanes": f"{P:,}", f"{gpu}_rate": format_rate(r), f"{gpu}_peak": format_rate(P * r),
                        f"{gpu}_latency_us": f"{1e6 * t:.2g}", f"{gpu}_nstar": f"{float(f'{nstar:.2g}'):,.0f}",
                        f"{gpu}_lstm": _seconds(lstm), f"{gpu}_transformer": _seconds(transformer),
                        f"{gpu}_ratio": format_ratio(lstm / transformer),
                        f"{gpu}_to_change_places": f"{lanes_to_change_places(r, t, d_model, batch):,}"})
    phrases["length"] = str(length)
    return phrases
