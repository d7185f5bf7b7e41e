"""Benchmark for chapter 1.7: what one scoring call of each attention score costs.

Prints (nothing is asserted), for 32 queries against m keys (m = 16 ... 512), float32, no
gradients, attention size = hidden size:
  (a) multiply-adds of each score, counted pair by pair (naive) and with the projections hoisted
      out of the pair loop, as helpers.models.attention computes them;
  (b) the time of one scoring call plus the softmax, for hidden sizes 32, 128 and 512: the four
      scores take turns in every round; the median with the middle half of the rounds, the
      additive/dot and additive/concat ratios per round (additive and concat do identical
      arithmetic: their gap is the precision of the run), and the ranking, ties grouped; on the
      CPU, and on CUDA or MPS when there is one.
Threads: $TORCH_NUM_THREADS, 1 when unset. The load average is printed.
"""
import os

from common import format_ms, start

from helpers.measure.score_costs import cost_table, measure_score_times
from helpers.models.attention import SCORES

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "21"))
LENGTHS = (16, 32, 64, 128, 256, 512)


def main():
    devices = start(THREADS)
    print("\n(a) multiply-adds, n = m = 50 positions, d = d_a = 1000 (M = millions)")
    print(cost_table(tgt_len=50, src_len=50, hidden_size=1000, attention_size=1000))
    for device in devices:
        for hidden in (32, 128, 512):
            t = measure_score_times(LENGTHS, hidden_size=hidden, tgt_len=32, repeats=REPEATS, device=device)
            print(f"\n(b) {device}, hidden {hidden}, {REPEATS} interleaved rounds: time per call at m = "
                  + ", ".join(map(str, LENGTHS)))
            for kind in SCORES:
                print(f"  {kind:8s} " + "  ".join(f"{format_ms(x):>24}" for x in t.samples[kind]))
            s = t.summary()
            ad, ac = t.comparison("additive", "dot"), t.comparison("additive", "concat")
            print(f"  at m = {LENGTHS[-1]}: additive/dot {ad.ratio:.2f} ({ad.low:.2f}–{ad.high:.2f}); "
                  f"additive/concat {ac.ratio:.2f} ({ac.low:.2f}–{ac.high:.2f}), {s['precision']}")
            print(f"  fastest first: {s['order']}")


if __name__ == "__main__":
    main()
