"""Benchmark for chapter 1.8: an LSTM layer against a Transformer encoder layer of the same width.

Prints (nothing is asserted):
  (a) the parameter counts of both layers at each width (exact; also checked in the tests);
  (b) work and critical path of one forward pass (FLOPs and dependent products, counted by
      FlopCounterMode and checked against the formulas: exact, every machine);
  (c) tokens per second (batch * seq_len / median seconds) of a forward pass and of a training
      step (forward + backward) at each width and sequence length, on the CPU and on CUDA or MPS
      when there is one: the two layers and a matrix-product peak probe take turns in every round;
      with the middle half of the rounds, the per-round ratio, and each layer's fraction of the
      device's peak.
Threads: torch.set_num_threads($TORCH_NUM_THREADS), 1 when unset (as the book is built). The load
average is printed: on a busy machine the spread is wide and fewer pairs can be ranked.
Environment: BENCH_BATCH (default 2), BENCH_REPEATS (default 11), BENCH_WIDTHS (default 64,128,256),
BENCH_MAX_LEN (default 2048; lengths are the powers of two from 32 up to it), BENCH_MODES
(default "forward,training step").
"""
import os

from common import start

from helpers.measure.hardware import format_percent
from helpers.measure.throughput import measure_throughput, parameter_table, work_table

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
BATCH = int(os.environ.get("BENCH_BATCH", "2"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "11"))
WIDTHS = tuple(int(w) for w in os.environ.get("BENCH_WIDTHS", "64,128,256").split(","))
MAX_LEN = int(os.environ.get("BENCH_MAX_LEN", "2048"))
LENGTHS = tuple(2 ** k for k in range(5, MAX_LEN.bit_length()) if 2 ** k <= MAX_LEN)
MODES = tuple(os.environ.get("BENCH_MODES", "forward,training step").split(","))


def main():
    devices = start(THREADS)

    print("\n(a) parameters (LSTM: input = hidden = d_model; Transformer layer: 4 heads, feed-forward 2 x d_model)")
    print(parameter_table(WIDTHS))

    print(f"\n(b) one forward pass, d_model 128, batch {BATCH}: counted (exact, every machine)")
    counted = tuple(L for L in (128, 512, 2048) if L <= MAX_LEN) or LENGTHS[-1:]
    print(work_table(counted, d_model=128, nhead=4, batch=BATCH))

    print(f"\n(c) tokens per second, batch {BATCH}, {REPEATS} interleaved rounds; ratio = Transformer / LSTM per round")
    header = (f"{'device':6} {'mode':13} {'d_model':>7} {'length':>6} {'LSTM tokens/s (middle half)':>30} "
              f"{'Transformer tokens/s (middle half)':>34} {'ratio (middle half)':>20} {'LSTM %peak':>10} "
              f"{'Transf. %peak':>13}  faster")
    print(header)
    for device in devices:
        for mode in MODES:
            for d in WIDTHS:
                r = measure_throughput(LENGTHS, d, 4, BATCH, mode, REPEATS, device)
                lo_l, hi_l = r.spread("LSTM")
                lo_t, hi_t = r.spread("Transformer layer")
                frac_l, frac_t = r.fractions()
                for i, L in enumerate(r.lengths):
                    c = r.comparison(i)
                    print(f"{device:6} {mode:13} {d:7d} {L:6d} "
                          f"{f'{r.lstm[i]:,.0f} ({lo_l[i]:,.0f}–{hi_l[i]:,.0f})':>30} "
                          f"{f'{r.transformer[i]:,.0f} ({lo_t[i]:,.0f}–{hi_t[i]:,.0f})':>34} "
                          f"{f'{c.ratio:.2f} ({c.low:.2f}–{c.high:.2f})':>20} {format_percent(frac_l[i]):>10} "
                          f"{format_percent(frac_t[i]):>13}  {r.faster(i)}")
                print(f"{device:6} {mode:13} {d:7d}  peak: {r.peak.describe()} (pooled over the rounds)")


if __name__ == "__main__":
    main()
