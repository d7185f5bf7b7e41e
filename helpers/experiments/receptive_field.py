"""How far back a stack of causal convolutions can see: the formula, and a measurement.

A causal convolution with kernel size k and dilation d computes output t from inputs
t, t - d, ..., t - (k-1) d. Stacking L of them, with dilation d_l in layer l, lets output t depend on

    1 + (k - 1) * (d_1 + ... + d_L)

consecutive inputs (its receptive field). With dilations 1, 2, 4, ... (WaveNet, ByteNet) the sum
is 2^L - 1, so the field grows *exponentially* with depth and the depth needed to span n tokens
grows only with log2(n); without dilation (ConvS2S) it grows linearly, 1 + L (k - 1).

The formula is checked against a real stack of torch.nn.Conv1d layers: backpropagate from the
last output and count the inputs that receive a gradient.

Used in: 1.7.
"""
import math

import torch
from torch import nn

from helpers.core.checks import check_int, check_seed
from helpers.core.seeding import seeded
from helpers.core.table import Table

MAX_LAYERS = 100_000       # for the formulas; a real stack (CausalConvStack) is kept to MAX_STACK layers
MAX_STACK = 40
MAX_MEASURED = 100_000     # longest receptive field measured with a real stack


def dilations(num_layers, dilation_growth=2):
    """Dilation of each layer: 1, g, g^2, ... (g = 1 is a plain, undilated stack)."""
    num_layers = check_int("num_layers", num_layers, 0, MAX_LAYERS)
    dilation_growth = check_int("dilation_growth", dilation_growth, 1, 16)
    return [dilation_growth ** layer for layer in range(num_layers)]


def receptive_field(num_layers, kernel_size, dilation_growth=2):
    """Inputs one output sees after `num_layers` causal convolutions: 1 + (k-1) * sum of dilations.

    For dilation_growth=2 this is 1 + (k-1)(2^L - 1); for dilation_growth=1, 1 + L(k-1).
    """
    num_layers = check_int("num_layers", num_layers, 0, MAX_LAYERS)
    kernel_size = check_int("kernel_size", kernel_size, 1, 1024)
    g = check_int("dilation_growth", dilation_growth, 1, 16)
    total_dilation = num_layers if g == 1 else (g ** num_layers - 1) // (g - 1)   # 1 + g + ... + g^(L-1)
    return 1 + (kernel_size - 1) * total_dilation


def layers_needed(distance, kernel_size, dilated=True):
    """Fewest layers whose receptive field covers `distance` consecutive tokens.

    `distance` counts the tokens an output must see, itself included: relating the first and the
    last token of a 512-token window needs a receptive field of 512. Dilations double per layer
    when `dilated`, and are all 1 otherwise.
    """
    distance = check_int("distance", distance, 1, 2**40)
    kernel_size = check_int("kernel_size", kernel_size, 2, 1024)   # k = 1 never widens the field
    growth = 2 if dilated else 1
    if not dilated:
        return math.ceil((distance - 1) / (kernel_size - 1))
    layers = 0
    while receptive_field(layers, kernel_size, growth) < distance:
        layers += 1
    return layers


class CausalConvStack(nn.Module):
    """L causal Conv1d layers with the given dilations; each pads only on the left, so output t
    never sees an input after t, and every layer keeps the sequence length."""

    def __init__(self, num_layers, kernel_size, dilation_growth=2, channels=4):
        super().__init__()
        kernel_size = check_int("kernel_size", kernel_size, 1, 1024)
        channels = check_int("channels", channels, 1, 256)
        check_int("num_layers", num_layers, 0, MAX_STACK)
        self.dilations = dilations(num_layers, dilation_growth)
        self.layers = nn.ModuleList(
            nn.Conv1d(1 if i == 0 else channels, channels, kernel_size, dilation=d)
            for i, d in enumerate(self.dilations))
        self.pads = [(kernel_size - 1) * d for d in self.dilations]

    def forward(self, x):                                  # (batch, channels, seq_len)
        for layer, pad in zip(self.layers, self.pads):
            x = torch.tanh(layer(nn.functional.pad(x, (pad, 0))))
        return x


def measured_receptive_field(num_layers, kernel_size, dilation_growth=2, seed=0):
    """Count the inputs that receive a gradient from the last output of a real CausalConvStack.

    The weights are made positive, so no two paths can cancel by chance and the count measures the
    wiring alone. The input is longer than the receptive field, so the count is not capped by it.
    """
    expected = receptive_field(num_layers, kernel_size, dilation_growth)
    if expected > MAX_MEASURED:
        raise ValueError(f"num_layers, kernel_size and dilation_growth give a receptive field of {expected}; "
                         f"measure at most {MAX_MEASURED} with a real stack")
    check_int("num_layers", num_layers, 0, MAX_STACK)
    seed = check_seed(seed)
    seq_len = expected + 2 * kernel_size + 8
    with seeded(seed):
        stack = CausalConvStack(num_layers, kernel_size, dilation_growth).double()
        with torch.no_grad():
            for p in stack.parameters():
                p.abs_().add_(0.05)
    x = torch.zeros(1, 1, seq_len, dtype=torch.float64, requires_grad=True)
    stack(x)[0, :, -1].sum().backward()                   # one output: the last position
    return int((x.grad[0, 0] != 0).sum())


def layers_table(distances=(16, 64, 128, 512, 1024), kernel_sizes=(2, 3)):
    """Layers needed to span each distance: dilated and plain stacks per kernel size, and attention."""
    distances = [check_int("distance", n, 1, 2**40) for n in distances]
    kernel_sizes = [check_int("kernel_size", k, 2, 1024) for k in kernel_sizes]
    if not distances or not kernel_sizes:
        raise ValueError("distances and kernel_sizes must each hold at least one value")
    columns = ("tokens spanned",) + tuple(f"k={k} {kind}" for k in kernel_sizes for kind in ("dilated", "plain")) \
        + ("self-attention",)
    rows = tuple((str(n),) + tuple(str(layers_needed(n, k, dilated)) for k in kernel_sizes for dilated in (True, False))
                 + ("1",) for n in distances)
    return Table(columns, rows)
