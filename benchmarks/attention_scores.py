"""Benchmark for chapter 1.7: what one scoring call of each attention score costs.

Prints (nothing is asserted), for 32 queries against m keys (m = 16 ... 512), float32, no
gradients, attention size = hidden size:
  (a) multiply-adds of each score, counted pair by pair (naive) and with the projections hoisted
      out of the pair loop, as helpers.attention computes them;
  (b) the median time of one scoring call plus the softmax, for hidden sizes 32, 128 and 512,
      and the additive/dot ratio at the longest source; on the CPU, and on CUDA when there is one.
Threads: $TORCH_NUM_THREADS, 1 when unset. The load average is printed.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import start  # noqa: E402

from helpers.attention import SCORES  # noqa: E402
from helpers.score_costs import cost_table, measure_score_times  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "11"))
LENGTHS = (16, 32, 64, 128, 256, 512)


def main():
    devices = start(THREADS)
    print("\n(a) multiply-adds, n = m = 50 positions, d = d_a = 1000 (M = millions)")
    print(cost_table(tgt_len=50, src_len=50, hidden_size=1000, attention_size=1000))
    for device in devices:
        for hidden in (32, 128, 512):
            timings = measure_score_times(LENGTHS, hidden_size=hidden, tgt_len=32, repeats=REPEATS,
                                          device=device)
            print(f"\n(b) {device}, hidden {hidden}: ms per call at m = " + ", ".join(map(str, LENGTHS)))
            for kind in SCORES:
                print(f"  {kind:8s} " + "  ".join(f"{1e3 * t:8.3f}" for t in timings.seconds[kind]))
            print(f"  additive/dot at m = {LENGTHS[-1]}: {timings.ratio('additive', 'dot'):.1f}; "
                  f"fastest first: {', '.join(timings.ordering())}")


if __name__ == "__main__":
    main()
