"""Benchmark for chapter 1.6's in-page trainer (book/_static/copy_trainer.js) on the built site.

Prints (nothing is asserted), for each context size the page offers, at the chapter's settings (copy
task, lengths 1 to 24, batch 64):
  (a) one training update in the page's worker (headless Chromium, the site opened from file://, a
      run of 100 updates from the Train button), float64; beside it, PyTorch's update on this machine's
      CPU in float64 (what the page is checked against) and in float32 (what the chapter trains in),
      one thread, measured in the same run; rounds take turns between the page and PyTorch;
  (b) the page's accuracy pass after training (200 sources of each length 1 to 24, greedy decoding);
  (c) what the chapter's 800 updates would take in the page, from (a) and (b).
Threads: $TORCH_NUM_THREADS, 1 when unset (the chapters' setting). BENCH_REPEATS rounds (3 unless set);
BENCH_SIZES picks context sizes ("8,16,32,64,128" unless set). Needs `make book` and `make chromium`.
"""
import os
import statistics
import sys
from pathlib import Path

import torch
from common import format_ms, start, time_calls

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from site_browser import SITE, launch  # noqa: E402

from helpers.core.seeding import seeded  # noqa: E402
from helpers.measure.timing import Timing  # noqa: E402
from helpers.explorers.cliff_page import HIDDEN_SIZES  # noqa: E402
from helpers.experiments.seq2seq_training import train_step  # noqa: E402
from helpers.models.seq2seq import Seq2Seq, make_batch  # noqa: E402

THREADS = int(os.environ.get("TORCH_NUM_THREADS", "1"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SIZES = tuple(int(s) for s in os.environ.get("BENCH_SIZES", ",".join(map(str, HIDDEN_SIZES))).split(","))
UPDATES = 100
BOX = ".copy-trainer-controls"


def torch_update(hidden, dtype):
    """One update of train_seq2seq's loop (a fresh batch each call), as a function to time."""
    with seeded(0):
        model = Seq2Seq(10, hidden, None).to(dtype=dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)

    return lambda: train_step(model, optimizer, make_batch(64, 1, 24, generator=generator))


def page_run(page, hidden):
    """Train `hidden` for UPDATES updates from the page's controls: (ms per update, ms of the accuracy pass)."""
    page.select_option(f"{BOX} select >> nth=0", str(hidden))
    page.fill(f"{BOX} input >> nth=1", str(UPDATES))
    page.click("button.copy-train")
    page.wait_for_function(f"() => document.querySelector('{BOX}').dataset.state === 'done'", timeout=900_000)
    data = page.evaluate(f"() => Object.assign({{}}, document.querySelector('{BOX}').dataset)")
    page.evaluate(f"() => document.querySelector('{BOX}').dataset.state = ''")
    return float(data["trainMs"]) / UPDATES, float(data["evalMs"])


def spread(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f"{statistics.median(values):.1f} ms ({q[0]:.1f}–{q[2]:.1f})"


def main():
    from playwright.sync_api import sync_playwright
    start(THREADS)
    chapter = SITE / "book" / "06_encoder_decoder.html"
    if not chapter.exists():
        sys.exit(f"no built site at {SITE}: run `make book` first")
    print(f"(a) one update, ms: the page (float64, {UPDATES} updates a round) against PyTorch, {REPEATS} rounds")
    print(f"{'context':>8} {'page float64':>22} {'torch float64':>22} {'torch float32':>22} {'page / torch64':>15}"
          f" {'(b) accuracy pass, s':>21} {'(c) 800 updates, s':>19}")
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(chapter.as_uri(), wait_until="load")
        page.wait_for_function("() => window.CopyTrainer && window.CopyTrainer.trainers.length === 1")
        for hidden in SIZES:
            in_page, evals, native = [], [], {torch.float64: [], torch.float32: []}
            for _ in range(REPEATS):
                per_update, eval_ms = page_run(page, hidden)
                in_page.append(per_update)
                evals.append(eval_ms)
                for dtype, samples in native.items():
                    samples.extend(time_calls({"u": torch_update(hidden, dtype)}, repeats=10, warmup=2)["u"].samples)
            t64, t32 = (Timing(tuple(native[d])) for d in (torch.float64, torch.float32))
            page_ms, eval_ms = statistics.median(in_page), statistics.median(evals)
            print(f"{hidden:>8} {spread(in_page):>22} {format_ms(t64):>22} {format_ms(t32):>22}"
                  f" {page_ms / (1e3 * t64.median):>15.2f} {eval_ms / 1e3:>21.1f}"
                  f" {(800 * page_ms + eval_ms) / 1e3:>19.0f}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
