"""Where a chapter computes: choose a device (CUDA, then MPS, then the CPU) and say which.

Used by: 8 modules of helpers.
"""
import os

import torch

from helpers.core.checks import check_choice, check_device

DEVICE_ENV = "COURSE_DEVICE"  # set to cpu, cuda or mps to override the automatic choice


def pick_device(prefer=None):
    """CUDA if present, then Apple's MPS, then the CPU; `prefer` or $COURSE_DEVICE overrides."""
    name = "prefer" if prefer else f"${DEVICE_ENV}"
    prefer = prefer or os.environ.get(DEVICE_ENV)
    if prefer:
        check_choice(name, prefer, ("cpu", "cuda", "mps"))
        available = {"cpu": True, "cuda": torch.cuda.is_available(),
                     "mps": torch.backends.mps.is_available()}
        if not available[prefer]:
            raise ValueError(f"{name}={prefer!r} was asked for but this machine has no {prefer} device")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device):
    """One line naming the device and PyTorch version, printed by every notebook."""
    device = check_device(device)
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        name = "Apple GPU (MPS)"
    else:
        threads = torch.get_num_threads()
        name = f"CPU, {threads} thread{'s' if threads != 1 else ''}"
    return f"Device: {device.type} ({name}), PyTorch {torch.__version__}"
