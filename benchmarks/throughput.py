"""Benchmark for chapter 1.8: tokens per second of an LSTM layer and a Transformer encoder layer.

Prints (nothing is asserted):
  (a) the parameter counts of both layers at each width (exact; also checked in the tests);
  (b) tokens per second (batch * seq_len / median seconds) of a forward pass and of a training
      step (forward + backward) at each width and sequence length, on the CPU and on CUDA when
      there is one (CUDA is synchronised before the clock is read).
Threads: torch.set_num_threads($TORCH_NUM_THREADS), 1 when unset (as the book is built). The load
average is printed: on a busy machine the times are worth little.
Environment: BENCH_BATCH (default 2), BENCH_REPEATS (default 5), BENCH_WIDTHS (default 64,128,256),
BENCH_MAX_LEN (default 2048; lengths are the powers of two from 32 up to it).
"""
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import start  # noqa: E402

from helpers.throughput import MODES, measure_throughput, parameter_table  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
BATCH = int(os.environ.get("BENCH_BATCH", "2"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
WIDTHS = tuple(int(w) for w in os.environ.get("BENCH_WIDTHS", "64,128,256").split(","))
MAX_LEN = int(os.environ.get("BENCH_MAX_LEN", "2048"))
LENGTHS = tuple(2 ** k for k in range(5, MAX_LEN.bit_length()) if 2 ** k <= MAX_LEN)


def main():
    devices = start(THREADS)

    print("\n(a) parameters (LSTM: input = hidden = d_model; Transformer layer: 4 heads, feed-forward 2 x d_model)")
    print(parameter_table(WIDTHS))

    print(f"\n(b) tokens per second, batch {BATCH}, median of {REPEATS}; ratio = Transformer / LSTM")
    header = f"{'device':6} {'mode':13} {'d_model':>7} {'length':>6} {'LSTM':>12} {'Transformer':>12} {'ratio':>6}"
    print(header)
    for device in devices:
        for mode in MODES:
            for d in WIDTHS:
                r = measure_throughput(LENGTHS, d, 4, BATCH, mode, REPEATS, device)
                for L, a, b in zip(r.lengths, r.lstm, r.transformer):
                    print(f"{device:6} {mode:13} {d:7d} {L:6d} {a:12,.0f} {b:12,.0f} {b / a:6.2f}")


if __name__ == "__main__":
    main()
