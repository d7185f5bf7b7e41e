"""Benchmark of the in-page explorers (book/_static/flow_engine.js) in headless Chromium: WebAssembly vs plain JS.

Prints (nothing is asserted), for the built chapters 1.3 and 1.4 opened from file:// and scrolled to the
explorer (on screen, as a reader moves it), each chapter in two pages side by side: as a reader gets it
(matrix-vector products, tanh and sigmoid, and the rest of each step's arithmetic in WebAssembly SIMD,
flow_kernels.wat) and with ?wasm=off (the plain JavaScript path, as where WebAssembly SIMD is missing).
Every measurement takes turns between the two pages, so a change in the machine's load falls on both
paths alike.
  (a) the update time, from a control change to the redrawn figure (Plotly.react done), at several
      hidden sizes and lengths, all curves of the figure (four inits in 1.3; RNN, LSTM, GRU in 1.4),
      float32 and float64; the settings take turns in every round, after a warm-up round, so every
      sample changes the axes and takes the full replot (a drag does not: see (c)); printed as
      'median (25th percentile-75th percentile) best' over the rounds, where the work ran (page or
      worker) and the kernels that ran it (wasm, js), and the speed-up (of the medians). Targets (WebAssembly):
      hidden 256 / length 1000 within 100 ms (1.3) and 150 ms (1.4) in float32, 250 ms in float64.
  (b) the page's responsiveness while hidden 256 / length 1000 computes: the longest gap between two
      animation frames during the update (a frozen page shows a gap as long as the computation), over
      BENCH_REPEATS updates, each with a full replot (the precision changes). Target: under 50 ms.
  (c) dragging: a move of |W_h| (or the gate bias) at every animation frame, hidden 128 / length 200,
      and the frames per second the figure kept up, over three drags. Target: 60 (the display's rate,
      printed too).
Environment: COURSE_SITE (default _build/html), BENCH_REPEATS (default 9). The machine's load
average is printed: on a busy machine the spread is wide.
Usage: COURSE_SITE=_build/html .venv/bin/python benchmarks/flow_page.py
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
PATHS = {"wasm": "", "js": "?wasm=off"}      # the page as a reader gets it, and the plain JavaScript path
SETTINGS = [(64, 100), (128, 200), (256, 100), (256, 1000)]    # (hidden, length), both explorers
TARGET_MS = {("gradient-flow", "float32"): 100, ("gradient-flow", "float64"): 250,
             ("gated-flow", "float32"): 150, ("gated-flow", "float64"): 250}     # at hidden 256, length 1000
DRAG = (128, 200)
LONGEST = (256, 1000)
GAP_TARGET_MS = 50
DRAGS = 3            # drags per precision and path

# One update: change the swept control to a value not drawn before, wait for the redraw.
TIME_UPDATE = """async ([changes, k]) => {
  const ex = window.FlowEngine.explorers[0];
  const key = ex.spec.sliderKey, v = (key === 'radius' ? 0.5 : -1) + 0.0137 * (k % 97);
  const t0 = performance.now();
  await ex.set(Object.assign({}, changes, {[key]: v}));
  return [performance.now() - t0, ex.lastWhere, ex.lastKernels];
}"""

# The longest gap between animation frames while one update runs.
LONGEST_FRAME = """async ([changes, v]) => {
  const ex = window.FlowEngine.explorers[0];
  let last = performance.now(), worst = 0, running = true;
  const tick = (t) => { worst = Math.max(worst, t - last); last = t; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  await ex.set(Object.assign({}, changes, {[ex.spec.sliderKey]: v}));
  const total = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 100));
  running = false;
  return [worst, total, ex.lastKernels];
}"""

# Dragging: one move of the swept control at every animation frame, as a reader drags (browsers
# deliver input events once a frame). Returns each move's work (change to redrawn figure) and the
# frames per second the figure kept up: 60 on a 60 Hz display when every move fits in its frame.
DRAG_MOVES = """async ([changes, offset]) => {
  const ex = window.FlowEngine.explorers[0], key = ex.spec.sliderKey, work = [];
  await ex.set(changes);
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  await frame();
  const start = performance.now();
  for (let k = 0; k < 60; k++) {
    await frame();
    const t0 = performance.now();
    await ex.set({[key]: (key === 'radius' ? 0.8 : 0) + offset + 0.01 * k});
    work.push(performance.now() - t0);
  }
  await frame();                         // the frame that shows the last move
  return [work, 61 * 1000 / (performance.now() - start), ex.lastKernels];
}"""

# The display's own frame rate, for reference: empty frames for one second.
FRAME_RATE = """async () => { const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 1000) { await new Promise((r) => requestAnimationFrame(r)); n++; }
  return n * 1000 / (performance.now() - t0); }"""


def spread(samples):
    """'median (25th-75th percentile) best': the best round is what a machine with nothing else to do comes near."""
    s = np.asarray(samples)
    return f"{np.median(s):6.1f} ms ({np.percentile(s, 25):.0f}-{np.percentile(s, 75):.0f}) best {s.min():.0f}"


def open_page(browser, page_name, query):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((SITE / page_name).as_uri() + query, wait_until="load")
    page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
    page.evaluate("() => window.FlowEngine.ready")
    # the explorer on screen, as a reader sees it while moving its controls (off screen, the browser skips
    # painting the figure, and the redraws look cheaper than they are)
    page.evaluate("() => window.FlowEngine.explorers[0].gd.scrollIntoView({block: 'center'})")
    return page


def bench_explorer(browser, engine, page_name):
    pages = {path: open_page(browser, page_name, query) for path, query in PATHS.items()}
    cores = pages["wasm"].evaluate("() => navigator.hardwareConcurrency")
    print(f"\n{engine} ({page_name}); navigator.hardwareConcurrency = {cores}")
    extra = {"init": "all"} if engine == "gradient-flow" else {}
    configs = [(H, L, dt) for H, L in SETTINGS for dt in ("float32", "float64")]
    samples = {(c, path): [] for c in configs for path in PATHS}
    where = {}
    for k in range(REPEATS + 1):
        for c in configs:
            H, L, dt = c
            for path, page in pages.items():
                ms, at, kernels = page.evaluate(TIME_UPDATE, [dict(hidden=H, seqLen=L, dtype=dt, **extra), k])
                if k:                      # round 0 loads the data and warms the JIT up
                    samples[(c, path)].append(ms)
                where.setdefault((c, path), set()).add(f"{at}, {kernels or 'cache'}")
    print(f"(a) update time, control change to redrawn figure: median (middle half) and best of {REPEATS} rounds")
    print(f"  {'setting':<34} {'WebAssembly':<46} {'plain JavaScript':<46} {'speed-up':>8}  target (WebAssembly median)")
    for c in configs:
        H, L, dt = c
        wasm, js = (samples[(c, path)] for path in PATHS)
        cols = [f"{spread(samples[(c, path)])} [{'/'.join(sorted(where[(c, path)]))}]" for path in PATHS]
        target = TARGET_MS.get((engine, dt)) if (H, L) == LONGEST else None
        verdict = "" if target is None else f"<= {target} ms: {'met' if np.median(wasm) <= target else 'MISSED'}"
        print(f"  hidden {H:>3}, length {L:>4}, {dt}:  {cols[0]:<46} {cols[1]:<46} "
              f"{np.median(js) / np.median(wasm):7.1f}x  {verdict}")
    H, L = LONGEST
    print(f"(b) the longest gap between animation frames while hidden {H}, length {L} computes (target < {GAP_TARGET_MS} ms): "
          f"median (middle half) and worst of {REPEATS} updates, each a new |W_h| and the other precision")
    gaps = {(dt, path): [] for dt in ("float32", "float64") for path in PATHS}
    kernels_seen = {}
    for k in range(REPEATS):
        for dt in ("float32", "float64"):      # the precision changes every time: a fresh curve and a full replot
            for path, page in pages.items():
                worst, _, kernels = page.evaluate(LONGEST_FRAME, [dict(hidden=H, seqLen=L, dtype=dt, **extra), 1.2345 + 0.01 * k])
                gaps[(dt, path)].append(worst)
                kernels_seen.setdefault((dt, path), set()).add(kernels or "cache")
    for dt in ("float32", "float64"):
        cols = []
        for path in PATHS:
            g = np.asarray(gaps[(dt, path)])
            cols.append(f"{path}: {np.median(g):4.0f} ms ({np.percentile(g, 25):.0f}-{np.percentile(g, 75):.0f}) "
                        f"worst {g.max():.0f} [{'/'.join(sorted(kernels_seen[(dt, path)]))}]")
        verdict = "met" if np.median(gaps[(dt, "wasm")]) < GAP_TARGET_MS else "MISSED"
        print(f"  {dt}: " + ";  ".join(cols) + f"  < {GAP_TARGET_MS} ms (WebAssembly median): {verdict}")
    rate = pages["wasm"].evaluate(FRAME_RATE)
    H, L = DRAG
    print(f"(c) dragging at hidden {H}, length {L}, one move a frame for 60 frames, {DRAGS} drags (empty frames: {rate:.0f}/s): "
          f"work per move, and the frames per second the figure kept up (median and worst drag)")
    for n, dt in enumerate(("float32", "float64")):
        work, fps, kernels = ({path: [] for path in PATHS} for _ in range(3))
        for k in range(DRAGS):
            for path, page in pages.items():
                w, f, used = page.evaluate(DRAG_MOVES, [dict(hidden=H, seqLen=L, dtype=dt, **extra), 0.003 * (n + 1) + 0.0007 * k])
                work[path] += w
                fps[path].append(f)
                kernels[path].append(used or "cache")
        line = [f"{path}: {spread(work[path])}, {np.median(fps[path]):3.0f} frames/s (worst {min(fps[path]):.0f}; "
                f"{'/'.join(sorted(set(kernels[path])))})" for path in PATHS]
        print(f"  {dt}: " + ";  ".join(line))
    for page in pages.values():
        page.close()


def main():
    from playwright.sync_api import sync_playwright
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"headless Chromium ({CHROMIUM}), {os.cpu_count()} CPUs, load average {load:.2f}; site {SITE}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        print(f"Chromium {browser.version}")
        for engine, page_name in PAGES.items():
            bench_explorer(browser, engine, page_name)
        browser.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average at the end {load:.2f}")


if __name__ == "__main__":
    main()
