"""The hardware argument in numbers: work and critical path (counted), fraction of peak (measured).

Two of the three are properties of the computation, the same on every machine:

- work: floating-point operations of the matrix products, as torch.utils.flop_counter counts them
  (2 per multiply-add; element-wise operations are not counted);
- critical path: the longest chain of matrix products in which each needs the result of the one
  before. One layer of an RNN or LSTM over n tokens: n. One Transformer encoder layer: 6 (the Q, K,
  V projection, Q K^T, the weighted sum of V, the output projection and the two feed-forward
  products), whatever n is. No hardware can finish a layer in fewer than that many steps.

Both are counted by running a copy of the computation once, on PyTorch's "meta" device (shapes
only, no arithmetic) or in float64 on the CPU, where every model takes PyTorch's reference
decomposition: no fused kernel (oneDNN's LSTM on a CPU, cuDNN's RNNs on a GPU, fused attention)
hides its products from the counters, which refuse to count one that does.

The third is measured, so it belongs to the machine it ran on:

- fraction of peak: the FLOP/s a model achieved (its work over its median time) divided by the
  FLOP/s of one large matrix product timed on the same device, in the same interleaved rounds (so
  both see the same load from other programs): how much of what this device can do the model's
  layout of its work let it use.

Used by: helpers.explorers.lanes, helpers.measure.bottleneck, helpers.measure.costs, helpers.measure.lanes,
helpers.measure.throughput.
"""
import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.flop_counter import FlopCounterMode

from helpers.core.checks import check_int
from helpers.core.device import pick_device
from helpers.measure.timing import Timing, time_call

aten = torch.ops.aten
PRODUCTS = {aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default, aten._addmm_activation.default}
# fused kernels that would do their products out of the counters' sight
FUSED = ("rnn", "lstm", "gru", "_scaled_dot_product", "_transformer_encoder", "_native_multi_head")
TRANSFORMER_LAYER_DEPENDENT = 6
ATTENTION_PRODUCT_DEPENDENT = 2
PEAK_SIZES = {"cpu": 1024, "cuda": 8192, "mps": 4096}


@dataclass(frozen=True)
class Work:
    """What one call computes: FLOPs of its matrix products, how many products, the longest chain."""
    flops: int        # 2 per multiply-add, as FlopCounterMode counts
    products: int     # calls of mm, addmm, bmm, baddbmm
    dependent: int    # the longest chain of products each needing the one before


class _ProductChain(TorchDispatchMode):
    """Records, for every tensor, how many matrix products lie on the longest chain that made it."""

    def __init__(self):
        super().__init__()
        self.depth = {}           # id(tensor) -> depth, for tensors made inside the mode
        self.alive = {}           # id(tensor) -> the tensor, so an id is never reused while recorded
        self.products = 0
        self.longest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if any(part in name for part in FUSED):
            raise RuntimeError(f"{name} is a fused kernel: its matrix products cannot be counted one by one")
        out = func(*args, **(kwargs or {}))
        inputs = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        depth = max((self.depth.get(id(t), 0) for t in inputs), default=0)
        if func in PRODUCTS:
            depth += 1
            self.products += 1
        self.longest = max(self.longest, depth)
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor):
                self.depth[id(t)] = depth
                self.alive[id(t)] = t
        return out


def _copy_to(value, device):
    """A copy to count on: on the meta device (shapes only), or on the CPU in float64 (oneDNN's fused
    LSTM takes float32 only, so float64 always gets the reference decomposition)."""
    dtype = torch.float64 if device == "cpu" else None
    if isinstance(value, torch.Tensor):
        return torch.zeros(value.shape, dtype=dtype or value.dtype, device=device, requires_grad=value.requires_grad)
    if isinstance(value, nn.Module):
        return copy.deepcopy(value).to(device=device, dtype=dtype)
    return value


def count_work(fn, *inputs, backward=False, device="meta"):
    """The Work of fn(*inputs): a module or function, counted on copies (the originals are not run).

    device="meta" counts shapes only (instant for a few large products, no memory); device="cpu"
    runs a float64 copy on zeros, faster for a loop of many small steps (an RNN over long
    sequences). Both take the same reference decomposition, so they count the same.
    backward=True counts a training step's arithmetic: the forward pass, then the backward pass of
    a scalar loss (the mean square of the first output).
    """
    if device not in ("meta", "cpu"):
        raise ValueError(f"device must be 'meta' or 'cpu', got {device!r}")
    fn, inputs = _copy_to(fn, device), [_copy_to(x, device) for x in inputs]
    chain = _ProductChain()
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as flops, chain:
        with torch.set_grad_enabled(backward):
            out = fn(*inputs)
            if backward:
                out = out[0] if isinstance(out, tuple) else out
                out.square().mean().backward()
    return Work(int(flops.get_total_flops()), chain.products, chain.longest)


# --- the same counts by formula (batch sequences of n tokens) ---------------------------------------

def rnn_flops(seq_len, input_size, hidden_size, batch=1, bidirectional=False):
    """2 FLOPs x (W_ih x_t: hidden x input, W_hh h: hidden x hidden) per token, per direction."""
    n, i, h, b = (check_int(k, v, 1) for k, v in
                  (("seq_len", seq_len), ("input_size", input_size), ("hidden_size", hidden_size), ("batch", batch)))
    return 2 * b * n * (h * i + h * h) * (2 if bidirectional else 1)


def lstm_flops(seq_len, input_size, hidden_size, batch=1):
    """Four gates, each an RNN's two products: 4 x rnn_flops."""
    return 4 * rnn_flops(seq_len, input_size, hidden_size, batch)


def transformer_layer_flops(seq_len, d_model, dim_feedforward, batch=1):
    """Per token: Q, K, V and output projections 4 d^2, feed-forward 2 d f, and Q K^T plus the
    weighted sum of V, 2 n d (n keys per query, summed over the heads); 2 FLOPs per multiply-add."""
    n, d, f, b = (check_int(k, v, 1) for k, v in (("seq_len", seq_len), ("d_model", d_model),
                                                  ("dim_feedforward", dim_feedforward), ("batch", batch)))
    return 2 * b * n * (4 * d * d + 2 * d * f + 2 * n * d)


def attention_product_flops(seq_len, d, batch=1):
    """softmax(X X^T / sqrt(d)) X: two n x n x d products, 2 FLOPs per multiply-add."""
    n, d, b = (check_int(k, v, 1) for k, v in (("seq_len", seq_len), ("d", d), ("batch", batch)))
    return 2 * b * 2 * n * n * d


# --- the device's own peak ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Peak:
    """FLOP/s of one size x size float32 matrix product on `device`: the yardstick for a fraction."""
    size: int
    timing: object    # helpers.timing.Timing
    device: str

    @property
    def flops_per_second(self):
        return 2 * self.size ** 3 / self.timing.median

    def describe(self):
        """'a 1024 x 1024 float32 matrix product: 92.4 GFLOP/s'."""
        return f"a {self.size} × {self.size} float32 matrix product: {format_rate(self.flops_per_second)}"


def format_rate(flops_per_second):
    """'92.4 GFLOP/s', '1.2 TFLOP/s', '850 MFLOP/s'."""
    for factor, unit in ((1e12, "TFLOP/s"), (1e9, "GFLOP/s"), (1e6, "MFLOP/s")):
        if flops_per_second >= factor:
            return f"{flops_per_second / factor:.3g} {unit}"
    return f"{flops_per_second:.3g} FLOP/s"


def peak_probe(device=None, size=None, seed=0):
    """(size, fn): fn() multiplies two size x size float32 matrices on `device` (default size: 1024 on
    a CPU, 8192 on CUDA, 4096 on MPS, large enough to keep the device busy). Timed in the same
    interleaved rounds as the models measured, it gives the peak under the same load."""
    device = torch.device(device) if device is not None else pick_device()
    size = check_int("size", size if size is not None else PEAK_SIZES.get(device.type, 1024), 16, 32768)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    a, b = (torch.randn(size, size, generator=g).to(device) for _ in range(2))
    return size, lambda: a @ b


def pooled_peak(size, timings, device):
    """One Peak from every sample of several Timings of the same probe (all the rounds of a measurement)."""
    samples = tuple(x for t in timings for x in t.samples)
    return Peak(size, Timing(samples), str(device))


def matmul_peak(device=None, size=None, repeats=11, seed=0):
    """Time the peak probe on its own: a Peak of `repeats` rounds after two warm-up products."""
    device = torch.device(device) if device is not None else pick_device()
    size, probe = peak_probe(device, size, seed)
    return Peak(size, time_call(probe, repeats=repeats, device=device), str(device))


def fractions_by_length(flops, seconds, size, peak_timings):
    """flops / seconds over the probe's FLOP/s at each length: the probe timed in the same rounds."""
    rates = np.asarray(flops, dtype=float) / np.asarray(seconds, dtype=float)
    peaks = 2.0 * size ** 3 / np.array([t.median for t in peak_timings])
    return rates / peaks


def format_percent(fraction):
    """0.0374 -> '3.7%', 0.74 -> '74%', 1.2 -> '120%'."""
    return f"{100 * fraction:.2g}%" if fraction < 0.995 else f"{100 * fraction:.0f}%"


def fraction_of_peak(flops, seconds, peak):
    """Achieved FLOP/s (flops / seconds) over the device's peak (a Peak or a FLOP/s number)."""
    rate = peak.flops_per_second if isinstance(peak, Peak) else float(peak)
    return flops / seconds / rate
