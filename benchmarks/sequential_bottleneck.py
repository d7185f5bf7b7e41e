"""The sequential bottleneck of chapter 1.2: an RNN's forward pass against one attention-style product.

Run from the project root:  .venv/bin/python benchmarks/sequential_bottleneck.py

Prints, for every device this machine has (the CPU, and CUDA or MPS when present), the median
forward time of a one-layer torch.nn.RNN and of softmax(X X^T / sqrt(d)) X over the same random
sequence, for lengths 16..1024 (helpers.timing.sequential_bottleneck, the function the chapter calls),
and the ratio RNN / attention. Nothing is asserted: timings depend on the machine and its load.

Environment: TORCH_NUM_THREADS (CPU threads, 2 when unset), BENCH_REPEATS (runs per median, 7),
BENCH_HIDDEN (hidden size, 64), BENCH_BATCH (sequences per batch, 1).
"""
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.timing import DEFAULT_LENGTHS, sequential_bottleneck  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "2"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "7"))
HIDDEN = int(os.environ.get("BENCH_HIDDEN", "64"))
BATCH = int(os.environ.get("BENCH_BATCH", "1"))


def devices():
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return found


def main():
    torch.set_num_threads(THREADS)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads, load average {load[0]:.2f}; "
          f"hidden {HIDDEN}, batch {BATCH}, median of {REPEATS} runs after one warm-up")
    for device in devices():
        name = torch.cuda.get_device_name(0) if device == "cuda" else device
        timings = sequential_bottleneck(DEFAULT_LENGTHS, hidden_size=HIDDEN, batch=BATCH, repeats=REPEATS,
                                        device=device)
        print(f"\n{name}")
        print(f"{'length':>7} {'RNN (ms)':>10} {'attention (ms)':>15} {'RNN / attention':>16} {'attention flops / RNN':>22}")
        for L, rnn_s, att_s in zip(timings.lengths, timings.rnn_seconds, timings.attention_seconds):
            print(f"{L:7d} {1e3 * rnn_s:10.3f} {1e3 * att_s:15.3f} {rnn_s / att_s:16.1f} "
                  f"{timings.flop_ratio(L):22.2f}")
        print(f"at length {timings.lengths[-1]}: the RNN took {timings.ratio():.1f}x the attention product's time")


if __name__ == "__main__":
    main()
