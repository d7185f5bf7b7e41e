"""Argument checks that fail early with a message a reader can act on.

Every public helper validates its inputs here, before it does any work, so a bad value raises a
ValueError that names the parameter and its allowed range instead of a traceback from deep inside
torch, or a plausible number computed from nonsense. Every message starts with the parameter's name
as the caller wrote it: "steps must be an integer >= 1, got 0".

Used by: 55 modules of helpers.
"""
import math
from numbers import Integral, Real

import torch

SEED_MAX = 2**32 - 1        # one rule for every seed: NumPy's seeds stop here (see seed_everything)
DEVICE_TYPES = ("cpu", "cuda", "mps")
FLOAT_DTYPES = (torch.float32, torch.float64)


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


def check_seed(seed, name="seed"):
    """Return `seed` as an int in [0, 2**32 - 1], the range every seeded helper accepts."""
    return check_int(name, seed, 0, SEED_MAX)


def check_device(device, name="device"):
    """Return `device` ('cpu', 'cuda', 'cuda:1', 'mps' or a torch.device) as a torch.device this machine has."""
    allowed = f"{name} must be a device such as 'cpu', 'cuda', 'cuda:0' or 'mps' (or a torch.device)"
    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        try:
            resolved = torch.device(device)
        except (RuntimeError, ValueError):
            raise ValueError(f"{allowed}, got {device!r}") from None
    else:
        raise ValueError(f"{allowed}, got {device!r}")
    if resolved.type not in DEVICE_TYPES:
        raise ValueError(f"{allowed}, got {device!r}")
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"{name}={device!r} was asked for but this machine has no cuda device")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"{name}={device!r} was asked for but this machine has cuda devices 0 to {count - 1}")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{name}={device!r} was asked for but this machine has no mps device")
    return resolved


def check_dtype(dtype, choices=FLOAT_DTYPES, name="dtype"):
    """Return `dtype` if it is one of the torch dtypes in `choices`."""
    if not isinstance(dtype, torch.dtype) or dtype not in choices:
        options = ", ".join(str(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {dtype!r}")
    return dtype


def check_generator(generator, name="generator"):
    """Return `generator` if it is None (torch's global generator) or a torch.Generator."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"{name} must be a torch.Generator or None, got {generator!r}")
    return generator


def check_callable(name, value, what):
    """Return `value` if it can be called; `what` says what it is called with, for the message."""
    if not callable(value):
        raise ValueError(f"{name} must be a function {what}, got {value!r}")
    return value


def check_values(name, values, check, allow_empty=False):
    """`values` as a tuple, each element passed through `check(value)`; a string is not a sequence here."""
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of values, got the string {values!r}")
    try:
        values = tuple(values)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of values, got {values!r}") from None
    if not values and not allow_empty:
        raise ValueError(f"{name} must hold at least one value, got none")
    return tuple(check(v) for v in values)
