"""Benchmark of the in-page explorers (book/_static/flow_engine.js) in headless Chromium.

Prints (nothing is asserted), for the built chapters 1.3 and 1.4 opened from file://:
  (a) the update time, from a control change to the redrawn figure (Plotly.react done), at several
      hidden sizes and lengths, all curves of the figure (four inits in 1.3; RNN, LSTM, GRU in 1.4),
      float32 and float64; the settings take turns in every round, after a warm-up round, so every
      sample changes the axes and takes the full replot (a drag does not: see (c)); printed as
      'median (25th percentile-75th percentile)' over the rounds, and where the work ran (page or
      worker). Targets: <= 16 ms at hidden 64 / length 100 (60 frames a second while dragging),
      <= 250 ms at hidden 256 / length 1000.
  (c) dragging: a move of |W_h| (or the gate bias) at every animation frame, hidden 64 / length 100,
      and the frames per second the figure kept up.
  (b) the page's responsiveness while the longest case computes: the longest gap between two
      animation frames during the update (a frozen page shows a gap as long as the computation).
Environment: COURSE_SITE (default _build/html), BENCH_REPEATS (default 9). The machine's load
average is printed: on a busy machine the spread is wide.
"""
import os
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("COURSE_SITE", ROOT / "_build" / "html"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "9"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PAGES = {"gradient-flow": "book/03_vanishing_gradients.html", "gated-flow": "book/04_lstm_gru.html"}
SETTINGS = {   # (hidden, length) per explorer
    "gradient-flow": [(64, 100), (64, 1000), (128, 1000), (256, 100), (256, 1000)],
    "gated-flow": [(64, 100), (64, 1000), (256, 100), (256, 1000)],
}

# One update: change the swept control to a value not drawn before, wait for the redraw.
TIME_UPDATE = """async ([changes, k]) => {
  const ex = window.FlowEngine.explorers[0];
  const key = ex.spec.sliderKey, v = (key === 'radius' ? 0.5 : -1) + 0.0137 * (k % 97);
  const t0 = performance.now();
  await ex.set(Object.assign({}, changes, {[key]: v}));
  return [performance.now() - t0, ex.lastWhere];
}"""

# The longest gap between animation frames while one update runs.
LONGEST_FRAME = """async (changes) => {
  const ex = window.FlowEngine.explorers[0];
  let last = performance.now(), worst = 0, running = true;
  const tick = (t) => { worst = Math.max(worst, t - last); last = t; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  await ex.set(Object.assign({}, changes, {[ex.spec.sliderKey]: 1.2345}));
  const total = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 100));
  running = false;
  return [worst, total];
}"""


# Dragging: one move of the swept control at every animation frame, as a reader drags (browsers
# deliver input events once a frame). Returns each move's work (change to redrawn figure) and the
# frames per second the figure kept up: 60 on a 60 Hz display when every move fits in its frame.
DRAG = """async (changes) => {
  const ex = window.FlowEngine.explorers[0], key = ex.spec.sliderKey, work = [];
  await ex.set(changes);
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  await frame();
  const start = performance.now();
  for (let k = 0; k < 60; k++) {
    await frame();
    const t0 = performance.now();
    await ex.set({[key]: (key === 'radius' ? 0.8 : 0) + 0.01 * k});
    work.push(performance.now() - t0);
  }
  await frame();                         // the frame that shows the last move
  return [work, 61 * 1000 / (performance.now() - start)];
}"""

# The display's own frame rate, for reference: empty frames for one second.
FRAME_RATE = """async () => { const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 1000) { await new Promise((r) => requestAnimationFrame(r)); n++; }
  return n * 1000 / (performance.now() - t0); }"""


def spread(samples):
    s = np.asarray(samples)
    return f"{np.median(s):7.1f} ms ({np.percentile(s, 25):.1f}-{np.percentile(s, 75):.1f})"


def main():
    from playwright.sync_api import sync_playwright
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"headless Chromium ({CHROMIUM}), {os.cpu_count()} CPUs, load average {load:.2f}; site {SITE}")
    print(f"times: median (middle half) of {REPEATS} interleaved rounds after a warm-up round")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for engine, page_name in PAGES.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((SITE / page_name).as_uri(), wait_until="load")
            page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
            page.evaluate("() => window.FlowEngine.ready")
            cores = page.evaluate("() => navigator.hardwareConcurrency")
            print(f"\n(a) {engine} ({page_name}), update time, control change to redrawn figure "
                  f"(navigator.hardwareConcurrency = {cores})")
            configs = [(H, L, dt) for H, L in SETTINGS[engine] for dt in ("float32", "float64")]
            extra = {"init": "all"} if engine == "gradient-flow" else {}
            samples = {c: [] for c in configs}
            where = {}
            for k in range(REPEATS + 1):
                for c in configs:
                    H, L, dt = c
                    ms, at = page.evaluate(TIME_UPDATE, [dict(hidden=H, seqLen=L, dtype=dt, **extra), k])
                    if k:                      # round 0 loads the data and warms the JIT up
                        samples[c].append(ms)
                    where[c] = at
            for c in configs:
                H, L, dt = c
                print(f"  hidden {H:>3}, length {L:>4}, {dt}: {spread(samples[c])}  [{where[c]}]")
            H, L = SETTINGS[engine][-1]
            worst, total = page.evaluate(LONGEST_FRAME, dict(hidden=H, seqLen=L, dtype="float64", **extra))
            print(f"(b) while hidden {H}, length {L}, float64 computes ({total:.0f} ms): "
                  f"longest gap between animation frames {worst:.0f} ms")
            rate = page.evaluate(FRAME_RATE)
            work, fps = page.evaluate(DRAG, dict(hidden=64, seqLen=100, dtype="float32", **extra))
            print(f"(c) dragging at hidden 64, length 100, float32, one move a frame for 60 frames: work per move "
                  f"{spread(work)}; the figure kept up at {fps:.0f} frames/s (empty frames: {rate:.0f}/s)")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
