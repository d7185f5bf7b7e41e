"""Benchmark for chapters 1.4 and 1.5: parameter counts, training-step times, and the cost tables.

Prints (nothing is asserted):
  (a) parameters of one RNN / GRU / LSTM layer at a few sizes (exact; also checked in tests);
  (b) one training update (forward, backward, Adam) per cell, at hidden 128 and 256, sequences of
      100 steps, batch 32: the three cells take turns in every round; the median with the middle
      half of the rounds, and GRU/LSTM per round; on the CPU, and on CUDA or MPS when there is one;
  (c) chapter 1.5's tables: the work and dependent products of a forward RNN, a BiRNN (d per
      direction, and d/2) and a TransformerEncoderLayer (exact, every machine), then one forward
      pass of each (width 64, batch 8) over growing lengths, interleaved with a matrix-product peak
      probe, with each model's fraction of the device's peak; on every device.
Threads: torch.set_num_threads($TORCH_NUM_THREADS), 1 when unset (as the book is built). The load
average is printed: on a busy machine the spread is wide.
"""
import os

from common import format_ms, start

from helpers.measure.costs import measure_costs, training_step_timings, work_table
from helpers.measure.timing import compare, describe_comparison
from helpers.models.gated import parameter_count

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "11"))
CELLS = ("rnn", "gru", "lstm")
COST_LENGTHS = tuple(int(n) for n in os.environ.get("BENCH_COST_LENGTHS", "64,256,1024,2048").split(","))


def main():
    devices = start(THREADS)

    print("\n(a) parameters of one layer")
    print(f"{'input, hidden':>14}" + "".join(f"{c:>12}" for c in CELLS) + "   GRU/LSTM")
    for I, H in [(32, 128), (256, 512), (512, 1024)]:
        n = {c: parameter_count(c, I, H) for c in CELLS}
        print(f"{I:>6}, {H:>6}" + "".join(f"{n[c]:>12,}" for c in CELLS) + f"   {n['gru'] / n['lstm']:.2f}")

    print(f"\n(b) one training update, input 32, 100 steps, batch 32, {REPEATS} interleaved rounds")
    for device in devices:
        for hidden in (128, 256):
            t = training_step_timings(CELLS, seq_len=100, hidden_size=hidden, repeats=REPEATS, device=device)
            print(f"{device:6} hidden {hidden:4d}: " + "; ".join(f"{c} {format_ms(t[c])}" for c in CELLS))
            print(f"{'':6} {'':11}  {describe_comparison('the GRU', 'the LSTM', compare(t['gru'], t['lstm']))}")

    print("\n(c) chapter 1.5: one forward pass, width 64, batch 8; counted (exact, every machine)")
    print(work_table(COST_LENGTHS, d_model=64, batch=8))
    for device in devices:
        costs = measure_costs(COST_LENGTHS, d_model=64, batch=8, repeats=REPEATS, device=device)
        print(f"\n{device}: {REPEATS} interleaved rounds; peak {costs.peak.describe()} (pooled over the rounds)")
        print(costs.table())
        s = costs.summary()
        print(f"at n = {COST_LENGTHS[-1]}: {s['transformer_vs_rnn']}; {s['birnn_vs_rnn']}")


if __name__ == "__main__":
    main()
