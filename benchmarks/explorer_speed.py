"""How fast the gradient-flow explorer answers, and what batching the grid buys.

Run from the project root:  .venv/bin/python benchmarks/explorer_speed.py

Prints measured figures (nothing here is asserted; the targets are printed next to them):
  (a) explorer update time: the median over REPEATS changes of the |W_h| slider (the control that
      updates continuously while dragged) of a live GradientFlowWidget, from setting the value to
      the figure being redrawn, after three warm-up changes, with the middle half of the changes,
      at hidden 64 / length 100 and hidden 256 / length 1000, for one init ("orthogonal") and for
      all four; on the CPU, and on CUDA too when there is one.
  (b) the static grid of explore_gradient_flow (STATIC_RADII x INITS x STATIC_LENGTHS at
      STATIC_HIDDEN), computed the way the explorer does it: one batched gradient_flow per length.
  (c) the same grid computed the naive way, as a first implementation would: for each configuration one
      torch.nn.RNN holding that W_hh, a forward pass on inputs that require grad, one
      loss.backward(), and the per-step norms of the input gradient. Then the ratio naive/batched.
      (b) and (c) take turns, GRID_REPEATS rounds after one warm-up run each; the ratio is taken
      round by round, with the middle half of the rounds.
All times come from helpers.measure.timing (the course's one timer: warm-up, interleaved rounds, CUDA
synchronised, spread kept).

Threads: torch.set_num_threads($TORCH_NUM_THREADS), 2 when the variable is unset (the course's CI
runner has two cores). Timings on a shared machine vary; the load average is printed with them.
"""
import itertools
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.experiments.gradient_flow import _input_side, _recurrent_bases, gradient_flow  # noqa: E402
from helpers.explorers.gradient_flow import STATIC_HIDDEN, STATIC_LENGTHS, STATIC_RADII, GradientFlowWidget  # noqa: E402
from helpers.measure.timing import compare, format_ms, time_call, time_calls  # noqa: E402
from helpers.models.inits import INITS, rescale_to_radius  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "2"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "21"))     # control changes per widget (>= 15)
GRID_REPEATS = int(os.environ.get("BENCH_GRID_REPEATS", "3"))
WIDGET_CASES = [(64, 100), (256, 1000)]
UPDATE_TARGET_MS = {(64, 100): 10.0, (256, 1000): 60.0}   # CPU targets for the median update
SPEEDUP_TARGET = 10.0


def radius_values(n):
    """n slider positions (multiples of the slider's 0.05 step), each different from the one before."""
    grid = np.round(np.arange(0.30, 1.951, 0.05), 2)
    return [float(grid[(7 * k) % len(grid)]) for k in range(n)]


def time_widget(hidden, seq_len, init, device):
    """Timings of REPEATS radius changes of a live widget, and of gradient_flow alone for the same changes."""
    widget = GradientFlowWidget(radius=1.0, seq_len=seq_len, init=init, hidden_size=hidden, device=device)
    values = itertools.cycle(radius_values(REPEATS + 3))

    def change():
        widget.controls["radius"].value = next(values)    # observe() -> update(): compute and redraw
    update = time_call(change, repeats=REPEATS, warmup=3, device=device)
    inits = INITS if init == "all" else (init,)
    flows = itertools.cycle(radius_values(REPEATS + 3))
    compute = time_call(lambda: gradient_flow([next(flows)], inits, seq_len, hidden, device=device),
                        repeats=REPEATS, warmup=3, device=device)
    # guard: a redraw that hid the curves would skip the encoding work and flatter the timing
    visible = sum(t.visible is not False for t in widget.figure.data)
    assert visible == len(inits), f"expected {len(inits)} visible curves, the figure shows {visible}"
    return update, compute


def batched_grid(device):
    """explore_gradient_flow's grid, one batched gradient_flow call per length (bases not cached)."""
    _recurrent_bases.cache_clear()
    return {L: gradient_flow(STATIC_RADII, INITS, L, STATIC_HIDDEN, seed=0, device=device) for L in STATIC_LENGTHS}


def naive_grid(device):
    """The same grid with one nn.RNN and one backward pass per configuration."""
    _recurrent_bases.cache_clear()
    norms = {}
    bases, _ = _recurrent_bases(STATIC_HIDDEN, INITS, 0)
    for L in STATIC_LENGTHS:
        w_ih, inputs, readout = _input_side(STATIC_HIDDEN, 1, L, 0)
        w_ih, readout = w_ih.float().to(device), readout.float().to(device)
        inputs = inputs.float().to(device).reshape(L, 1, 1)
        out = np.empty((len(INITS), len(STATIC_RADII), L))
        for i, base in enumerate(bases):
            for j, radius in enumerate(STATIC_RADII):
                rnn = nn.RNN(1, STATIC_HIDDEN, nonlinearity="tanh", bias=False).to(device)
                with torch.no_grad():
                    rnn.weight_hh_l0.copy_(rescale_to_radius(base, float(radius)).float())
                    rnn.weight_ih_l0.copy_(w_ih)
                x = inputs.clone().requires_grad_()
                outputs, _ = rnn(x)
                loss = readout @ outputs[-1, 0]           # L = v . h_T, as gradient_flow
                loss.backward()
                out[i, j] = x.grad.reshape(L, -1).to(torch.float64).norm(dim=1).cpu().numpy()
        norms[L] = out
    return norms


def agreement(flows, naive):
    """Largest relative difference between the two grids' ||dL/dx_t||, over stable configurations
    (radius <= 1) and values well inside float32's normal range; a like-for-like check."""
    worst = 0.0
    stable = STATIC_RADII <= 1.0
    for L, flow in flows.items():
        a, b = flow.grad_x[:, stable], naive[L][:, stable]
        ok = np.isfinite(a) & np.isfinite(b) & (np.abs(a) > 1e-30)
        worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]) / np.abs(a[ok]))))
    return worst


def main():
    torch.set_num_threads(THREADS)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 1.0:
        print("WARNING: other processes are using the CPU. With 2 threads, batched matmuls then wait at OpenMP "
              "barriers for a busy core, and these timings can be 10-1000x worse than on a quiet machine.")
    if "cuda" in devices:
        print(f"CUDA: {torch.cuda.get_device_name(0)}")
    else:
        print("CUDA: not available, CPU only")

    print(f"\n(a) explorer update: {REPEATS} |W_h| slider changes after 3 warm-up changes; median (middle half)")
    header = f"{'device':6} {'hidden':>6} {'length':>6} {'init':>10} {'update':>26} {'compute':>26}  target"
    print(header)
    print("-" * len(header))
    misses = []
    for device in devices:
        for hidden, seq_len in WIDGET_CASES:
            for init in ("orthogonal", "all"):
                update, compute = time_widget(hidden, seq_len, init, device)
                median = 1e3 * update.median
                target = UPDATE_TARGET_MS[(hidden, seq_len)]
                verdict = ""
                if device == "cpu":
                    verdict = f"median <= {target:.0f} ms: {'ok' if median <= target else 'MISSED'}"
                    if median > target:
                        misses.append(f"update {hidden}/{seq_len}/{init} on cpu: {median:.1f} ms > {target:.0f} ms")
                print(f"{device:6} {hidden:6d} {seq_len:6d} {init:>10} {format_ms(update):>26} {format_ms(compute):>26}"
                      f"  {verdict}")
    print("  compute = gradient_flow alone for the same changes; the rest is encoding and the figure update")

    n_configs = len(STATIC_RADII) * len(INITS) * len(STATIC_LENGTHS)
    print(f"\n(b, c) static grid: {len(STATIC_RADII)} radii x {len(INITS)} inits x lengths "
          f"{'/'.join(map(str, STATIC_LENGTHS))} = {n_configs} configurations at hidden {STATIC_HIDDEN}, float32; "
          f"{GRID_REPEATS} interleaved rounds after one warm-up run each")
    header = (f"{'device':6} {'batched':>26} {'naive':>26} {'naive/batched (middle half)':>28} {'max rel diff':>13}"
              "  target")
    print(header)
    print("-" * len(header))
    for device in devices:
        results = {}
        grids = {"batched": lambda: results.__setitem__("batched", batched_grid(device)),
                 "naive": lambda: results.__setitem__("naive", naive_grid(device))}
        t = time_calls(grids, GRID_REPEATS, warmup=1, device=device)
        c = compare(t["naive"], t["batched"])
        verdict = f">= {SPEEDUP_TARGET:.0f}x: {'ok' if c.ratio >= SPEEDUP_TARGET else 'MISSED'}"
        if c.ratio < SPEEDUP_TARGET:
            misses.append(f"grid speed-up on {device}: {c.ratio:.1f}x < {SPEEDUP_TARGET:.0f}x")
        ratio = f"{c.ratio:.1f}x ({c.low:.1f}–{c.high:.1f})"
        print(f"{device:6} {format_ms(t['batched']):>26} {format_ms(t['naive']):>26} {ratio:>28} "
              f"{agreement(results['batched'], results['naive']):13.1e}  {verdict}")
    print("  max rel diff: batched vs naive ||dL/dx_t|| over radius <= 1 (float32 rounding over up to 1000 steps;\n"
          "  both routes are about as far from a float64 reference, and tests/ checks them equal in float64)")

    print("\nTargets: median update <= 10 ms at hidden 64 / length 100 and <= 60 ms at 256 / 1000 on CPU; "
          f"batched grid >= {SPEEDUP_TARGET:.0f}x faster than naive.")
    print("All targets met." if not misses else "Missed: " + "; ".join(misses))


if __name__ == "__main__":
    main()
