"""Benchmark for chapters 1.6 and 1.7: what one training update and one greedy decode cost.

Prints (nothing is asserted), for the encoder-decoder of helpers.models.seq2seq at the chapters'
settings (copy task, lengths 1 to 24, batch 64):
  (a) one training update (teacher-forced forward, backward, Adam), without attention and with
      each of the four scores, at context sizes 32, 64 and 128: the five models take turns in
      every round; the median with the middle half of the rounds;
  (b) the time of the chapters' training runs this implies (800 updates per model, from the median);
  (c) one greedy decode of 200 sources of length 24, the three models taking turns.
On the CPU, and on CUDA or MPS when there is one. Threads: $TORCH_NUM_THREADS, 1 when unset (the
chapters' setting). The load average is printed: on a busy machine the spread is wide.
"""
import os

import torch
import torch.nn.functional as F
from common import format_ms, start, time_calls

from helpers.core.seeding import seeded
from helpers.models.seq2seq import PAD, Seq2Seq, make_batch

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
ATTENTION = (None, "dot", "general", "additive", "concat")


def update_step(hidden, attention, device):
    """One training update of a fresh model, as a function to time."""
    with seeded(0):
        model = Seq2Seq(10, hidden, attention).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = make_batch(64, 1, 24, generator=torch.Generator().manual_seed(0)).to(device)

    def step():
        logits, _ = model(data.source, data.source_lengths, data.decoder_input)
        loss = F.cross_entropy(logits.transpose(1, 2), data.target, ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def decode_call(hidden, attention, device):
    with seeded(0):
        model = Seq2Seq(10, hidden, attention).to(device).eval()
    data = make_batch(200, 24, 24, generator=torch.Generator().manual_seed(0)).to(device)
    return lambda: model.generate(data.source, data.source_lengths, 25)


def main():
    devices = start(THREADS)
    for device in devices:
        print(f"\n(a) one training update (device {device}, batch 64, lengths 1-24, {REPEATS} interleaved rounds)")
        for hidden in (32, 64, 128):
            t = time_calls({a: update_step(hidden, a, device) for a in ATTENTION}, REPEATS, warmup=3, device=device)
            print(f"context {hidden:3d}: " + "; ".join(f"{a or 'none'} {format_ms(t[a])}" for a in ATTENTION))
            print("   (b) 800 updates: " + ", ".join(f"{a or 'none'} {800 * t[a].median:.0f} s" for a in ATTENTION))
        kinds = (None, "dot", "additive")
        t = time_calls({a: decode_call(64, a, device) for a in kinds}, 5, warmup=1, device=device)
        print(f"\n(c) greedy decode of 200 sources of length 24, context 64 (device {device}, 5 interleaved rounds)")
        for a in kinds:
            print(f"  {str(a or 'none'):9s} {format_ms(t[a])}")


if __name__ == "__main__":
    main()
