"""Benchmark for chapters 1.6 and 1.7: what one training update and one greedy decode cost.

Prints (nothing is asserted), for the encoder-decoder of helpers.seq2seq at the chapters'
settings (copy task, lengths 1 to 24, batch 64):
  (a) the median time of one training update (teacher-forced forward, backward, Adam), without
      attention and with each of the four scores, at context sizes 32, 64 and 128;
  (b) the time of the chapters' training runs this implies (800 updates per model);
  (c) the median time of one greedy decode of 200 sources of length 24.
On the CPU, and on CUDA when there is one. Threads: $TORCH_NUM_THREADS, 1 when unset (the
chapters' setting). The load average is printed: on a busy machine the times are worth little.
"""
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import start  # noqa: E402

from helpers.seq2seq import PAD, Seq2Seq, make_batch  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
ATTENTION = (None, "dot", "general", "additive", "concat")


def _sync(device):
    if device == "cuda":
        torch.cuda.synchronize()


def median_time(fn, device, repeats=REPEATS, warmup=3):
    times = []
    for k in range(warmup + repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        if k >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def update_time(hidden, attention, device):
    torch.manual_seed(0)
    model = Seq2Seq(10, hidden, attention).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    data = make_batch(64, 1, 24, generator=torch.Generator().manual_seed(0)).to(device)

    def step():
        logits, _ = model(data.source, data.source_lengths, data.decoder_input)
        loss = F.cross_entropy(logits.transpose(1, 2), data.target, ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return median_time(step, device)


def decode_time(hidden, attention, device):
    torch.manual_seed(0)
    model = Seq2Seq(10, hidden, attention).to(device).eval()
    data = make_batch(200, 24, 24, generator=torch.Generator().manual_seed(0)).to(device)
    return median_time(lambda: model.generate(data.source, data.source_lengths, 25), device, repeats=5)


def main():
    devices = start(THREADS)
    for device in devices:
        print(f"\n(a) one training update, ms (device {device}, batch 64, lengths 1-24)")
        print("context  " + "  ".join(f"{str(a or 'none'):>9s}" for a in ATTENTION))
        for hidden in (32, 64, 128):
            times = [update_time(hidden, a, device) for a in ATTENTION]
            print(f"{hidden:7d}  " + "  ".join(f"{1e3 * t:9.1f}" for t in times))
            print(f"   (b) 800 updates: " + ", ".join(f"{a or 'none'} {800 * t:.0f} s" for a, t in zip(ATTENTION, times)))
        print(f"\n(c) greedy decode of 200 sources of length 24, ms (device {device})")
        for attention in (None, "dot", "additive"):
            print(f"  {str(attention or 'none'):9s} context 64: {1e3 * decode_time(64, attention, device):.1f}")


if __name__ == "__main__":
    main()
