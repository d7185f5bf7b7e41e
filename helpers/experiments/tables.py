"""The two small tables of chapter 1.3: tanh's derivative, and a constant factor over many steps.

Used in: 1.3.
"""
import torch

from helpers.core.checks import check_float, check_int
from helpers.core.table import Table


def tanh_derivative_table(activations=(0.99, 0.80, 0.20)):
    """tanh'(x) at the pre-activation x whose tanh is each given value, by autograd.

    The derivative comes from torch.autograd, not from the formula 1 - tanh(x)^2, so the table
    also checks that formula.
    """
    values = [check_float("activation", a, low=-1.0, high=1.0, low_inclusive=False) for a in activations]
    if any(abs(v) >= 1.0 for v in values):
        raise ValueError("activation must lie strictly inside (-1, 1): tanh never reaches +-1")
    x = torch.atanh(torch.tensor(values, dtype=torch.float64)).requires_grad_()
    torch.tanh(x).sum().backward()
    rows = tuple((f"{xi:.3f}", f"{v:.2f}", f"{d:.4f}") for xi, v, d in zip(x.tolist(), values, x.grad.tolist()))
    return Table(("x", "tanh(x)", "tanh'(x)"), rows)


def multiplier_table(multipliers=(0.9, 0.95, 1.05, 1.1), steps=(30, 50, 100)):
    """multiplier**steps: what a constant per-step factor does to a gradient over many steps."""
    multipliers = [check_float("multiplier", m, low=0.0) for m in multipliers]
    steps = [check_int("steps", s, 1) for s in steps]
    rows = tuple((f"{m:g}",) + tuple(f"{m ** s:.4g}" for s in steps) for m in multipliers)
    return Table(("multiplier",) + tuple(f"after {s} steps" for s in steps), rows)
