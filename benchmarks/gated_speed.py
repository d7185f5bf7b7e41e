"""Benchmark for chapters 1.4 and 1.5: parameter counts, training-step times, and the cost table.

Prints (nothing is asserted):
  (a) parameters of one RNN / GRU / LSTM layer at a few sizes (exact; also checked in tests);
  (b) the median time of one training update (forward, backward, Adam) per cell, at hidden 128 and
      256, sequences of 100 steps, batch 32; on the CPU, and on CUDA when there is one;
  (c) the cost table of chapter 1.5: one forward pass of a forward RNN, a BiRNN and a
      TransformerEncoderLayer (width 64, batch 8) over growing lengths, median of repeats.
Threads: torch.set_num_threads($TORCH_NUM_THREADS), 2 when unset. The load average is printed:
on a busy machine the times are worth little.
"""
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import start  # noqa: E402

from helpers.costs import cost_table, training_step_time  # noqa: E402
from helpers.gated import parameter_count  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "2"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "10"))
CELLS = ("rnn", "gru", "lstm")


def training_step_time_on(cell, hidden, device):
    """training_step_time, on CUDA when asked (same model, same update)."""
    if device == "cpu":
        return training_step_time(cell, seq_len=100, hidden_size=hidden, repeats=REPEATS)
    from helpers.training import SequenceModel
    torch.manual_seed(0)
    model = SequenceModel(cell, 32, hidden, 1).to(device)
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.randn(100, 32, 32, device=device), torch.randn(32, 1, device=device)
    times = []
    for k in range(REPEATS + 3):
        torch.cuda.synchronize()
        start = time.perf_counter()
        loss = torch.nn.functional.mse_loss(model(x)[0][-1], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        torch.cuda.synchronize()
        if k >= 3:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    devices = start(THREADS)

    print("\n(a) parameters of one layer")
    print(f"{'input, hidden':>14}" + "".join(f"{c:>12}" for c in CELLS) + "   GRU/LSTM")
    for I, H in [(32, 128), (256, 512), (512, 1024)]:
        n = {c: parameter_count(c, I, H) for c in CELLS}
        print(f"{I:>6}, {H:>6}" + "".join(f"{n[c]:>12,}" for c in CELLS) + f"   {n['gru'] / n['lstm']:.2f}")

    print(f"\n(b) one training update (ms), input 32, 100 steps, batch 32, median of {REPEATS}")
    print(f"{'device':6} {'hidden':>6}" + "".join(f"{c:>9}" for c in CELLS) + "   GRU/LSTM")
    for device in devices:
        for hidden in (128, 256):
            ms = {c: 1e3 * training_step_time_on(c, hidden, device) for c in CELLS}
            print(f"{device:6} {hidden:6d}" + "".join(f"{ms[c]:9.2f}" for c in CELLS) + f"   {ms['gru'] / ms['lstm']:.2f}")

    print("\n(c) cost table: one forward pass, width 64, batch 8, median of 5 (CPU)")
    table, _ = cost_table((64, 256, 1024, 2048), d_model=64, batch=8, repeats=5)
    print(table)


if __name__ == "__main__":
    main()
