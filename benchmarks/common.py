"""What every benchmark shares: the header (PyTorch version, threads, load, devices) and the timer.

Every time printed by a benchmark comes from helpers.measure.timing.time_calls (warm-up, interleaved
rounds, CUDA and MPS synchronised) and is printed as its median with the middle half of the rounds
in brackets: 'median (25th percentile–75th percentile)'.
"""
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.measure.timing import format_ms, time_call, time_calls  # noqa: E402,F401  (re-exported for the benchmarks)


def devices():
    """The CPU, and CUDA or MPS when this machine has them."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return found


def start(threads):
    """Set the thread count, print the header, and return the devices to measure on."""
    torch.set_num_threads(threads)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads, load average {load[0]:.2f}")
    print("times: median (middle half of the interleaved rounds), after warm-up; devices synchronised")
    found = devices()
    if "cuda" in found:
        print(f"CUDA: {torch.cuda.get_device_name(0)}")
    return found
