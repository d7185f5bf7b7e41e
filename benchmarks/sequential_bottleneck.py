"""The sequential bottleneck of chapter 1.2: an RNN's forward pass against one attention-style product.

Run from the project root:  .venv/bin/python benchmarks/sequential_bottleneck.py

Prints, nothing asserted:
  (a) the exact counts (the same on every machine): FLOPs, matrix-product calls and dependent
      products of torch.nn.RNN, helpers.TanhRNN and softmax(X X^T / sqrt(d)) X;
  (b) for every device this machine has (the CPU, and CUDA or MPS when present): the forward time
      of a one-layer torch.nn.RNN and of the attention product over the same random sequence, for
      lengths 16..1024 (helpers.measure.bottleneck.sequential_bottleneck, the function the chapter calls:
      interleaved rounds with a matrix-product peak probe), with the per-round ratio and the
      fraction of the device's peak each reached;
  (c) torch.nn.RNN against a Python loop (helpers.TanhRNN) and, on the CPU, a NumPy loop, T = 100.
Environment: TORCH_NUM_THREADS (CPU threads, 1 when unset, as the book is built), BENCH_REPEATS
(rounds, 15), BENCH_HIDDEN (hidden size, 64), BENCH_BATCH (sequences per batch, 1).
"""
import os

from common import start

from helpers.measure.bottleneck import DEFAULT_LENGTHS, rnn_implementations, sequential_bottleneck, work_table

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "15"))
HIDDEN = int(os.environ.get("BENCH_HIDDEN", "64"))
BATCH = int(os.environ.get("BENCH_BATCH", "1"))


def main():
    devices = start(THREADS)
    print(f"hidden {HIDDEN}, batch {BATCH}, {REPEATS} interleaved rounds")
    print("\n(a) counted (exact, every machine)")
    print(work_table((16, 128, 1024), HIDDEN, BATCH))
    for device in devices:
        timings = sequential_bottleneck(DEFAULT_LENGTHS, hidden_size=HIDDEN, batch=BATCH, repeats=REPEATS,
                                        device=device)
        print(f"\n(b) {device}: peak {timings.peak.describe()} (all rounds pooled)")
        print(timings.table())
        print(f"at length {timings.lengths[-1]}: {timings.summary()['comparison_longest']}")
        impl = rnn_implementations(seq_len=100, hidden_size=HIDDEN, batch=BATCH, repeats=2 * REPEATS + 1,
                                   device=device)
        print(f"\n(c) {device}: one forward pass, T = 100, hidden {HIDDEN}")
        print(impl.table())
        print(impl.summary()["fastest"])


if __name__ == "__main__":
    main()
