"""Argument checks that fail early with a message a reader can act on.

Every public helper validates its inputs here, so a bad value raises a ValueError that names the
parameter and its allowed range instead of a traceback from deep inside torch.
"""
import math
from numbers import Integral, Real


def check_int(name, value, low, high=None):
    """Return `value` as an int if it is an integer in [low, high]; raise ValueError otherwise."""
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def check_float(name, value, low=None, high=None, low_inclusive=True):
    """Return `value` as a float if it is finite and inside the given bounds."""
    lo = "" if low is None else f"{'>=' if low_inclusive else '>'} {low}"
    hi = "" if high is None else f"<= {high}"
    allowed = "a finite number" + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return float(value)


def check_choice(name, value, choices):
    """Return `value` if it is one of `choices`."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_lengths(lengths, high, name="seq_len"):
    """A non-empty, strictly increasing tuple of sequence lengths in [1, high], each called `name`."""
    lengths = tuple(lengths) if not isinstance(lengths, (str, bytes)) else ()
    if not lengths:
        raise ValueError("lengths must hold at least one sequence length, got none")
    lengths = tuple(check_int(name, L, 1, high) for L in lengths)
    if list(lengths) != sorted(set(lengths)):
        raise ValueError(f"lengths must be strictly increasing, got {lengths}")
    return lengths
