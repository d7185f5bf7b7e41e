"""The live face: every chapter opened in a real JupyterLab, in headless Chromium, as a reader who
clicked "launch" would. Run All, then one control of every explorer moves, the cliff's "train"
button included: no error output, no "Error displaying widget", and every figure redraws.

This is also the chapters' second execution on another CPU code path: `make test` runs it with
ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE (ATen's generic kernels, MKL's compatible mode), and
the notebook JupyterLab saves after Run All must reproduce every stored check, compared as the
build's own run is (tests/checked_outputs.py). Chapters run WORKERS at a time, each kernel on one
torch thread, the summary last (it quotes the others' numbers).

JupyterLab serves a copy of the chapters; the kernels are the course's venv. Chromium is Debian's;
nothing is downloaded.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from checked_outputs import differences
from site_browser import launch

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
WORKERS = max(1, min(2, os.cpu_count() or 1))    # chapters side by side: one kernel and one page each
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
BUSY = f"() => [...document.querySelectorAll('{PANEL} .jp-InputPrompt')].some(p => p.textContent.includes('*'))"
# what a figure shows: every trace's visibility and first values (a redraw changes one of them)
PLOTTED = """(el) => [...el.querySelectorAll('.js-plotly-plot')].map(gd => JSON.stringify(
  (gd.data || []).map(t => [t.visible, t.y && Array.from(t.y).slice(0, 60), t.z && JSON.stringify(t.z).slice(0, 300)])))"""
# the prose as rendered: MyST that JupyterLab (with jupyterlab-myst) showed as plain text, and numbers
# whose {eval} expression was shown instead of its value
RAW_MYST = ("{glue", ":::{", "{cite}", "{ref}", "{numref}", "{eval}", "helpers.glued", "(computed below)")
PROSE = f"() => [...document.querySelectorAll('{PANEL} .jp-MarkdownCell')].map(e => e.innerText).join('\\n')"
# every cell rendered (no windowing, so off-screen outputs exist), no news pop-up over the page
SETTINGS = {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}

pytestmark = pytest.mark.live

if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
    pytest.skip("JupyterLab is not installed in this environment (requirements.txt pins it)",
                allow_module_level=True)


def explorer_count(path):
    """Explorers a chapter shows: cells that call one of the explore_* functions of helpers/explorers."""
    nb = nbformat.read(path, as_version=4)
    return sum(bool(re.search(r"^(?!def )[^#\n]*\bexplore_\w+\(", c.source, re.M)) for c in nb.cells if c.cell_type == "code")


@dataclass(frozen=True)
class Lab:
    url: str
    folder: Path        # the copy of the chapters JupyterLab serves (and saves)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("lab")
    book = home / "book"
    book.mkdir()
    for chapter in CHAPTERS:
        shutil.copy2(chapter, book / chapter.name)
    for plugin, values in SETTINGS.items():
        target = home / "settings" / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if k != "COURSE_SITE_BUILD"}
    # a workspace of its own: the machine's default one restores whatever tabs an earlier JupyterLab left open
    env.update(JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    # one torch thread a kernel, as make exports it: the stored checks were computed so, and WORKERS kernels
    # side by side with a thread per core each would oversubscribe the cores (run straight from pytest, without
    # it, four chapters each passed the 25-minute limit here)
    env.setdefault("TORCH_NUM_THREADS", "1")
    port = free_port()
    with open(home / "server.log", "w") as log:
        server = subprocess.Popen([Path(sys.executable).parent / "jupyter-lab", "--no-browser", f"--port={port}",
                                   "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={book}",
                                   "--allow-root"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"JupyterLab did not start: {(home / 'server.log').read_text()[-2000:]}")
        yield Lab(f"http://127.0.0.1:{port}", book)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def run_all(page, url):
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_selector(PANEL + " .jp-Cell", timeout=120_000)
    page.wait_for_timeout(3000)
    # On a busy machine the kernel's dialog can open after the first look, and take the Run All click:
    # Run All is clicked again until cells are queued, [*] (a fresh-clone run once saved 1.6 unexecuted;
    # the stored counts, [n], show before any run). Every chapter runs for seconds, so [*] is seen.
    for _ in range(3):
        select_kernel = page.locator(".jp-Dialog button.jp-mod-accept")
        if select_kernel.count():
            select_kernel.first.click()
            page.wait_for_timeout(2000)
        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
        start = time.time()
        while not (queued := page.evaluate(BUSY)) and time.time() - start < 30:
            page.wait_for_timeout(250)
        if queued:
            break
    else:
        raise AssertionError("Run All queued no cell, three times")
    page.wait_for_timeout(2000)
    start = time.time()
    while page.evaluate(BUSY):
        assert time.time() - start < 1500, "Run All did not finish in 25 minutes"
        page.wait_for_timeout(1000)


def save(page, path):
    """Save the notebook as Run All left it (Ctrl+S) and read it back from the server's folder."""
    before = path.stat().st_mtime_ns
    page.locator(PANEL + " .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    start = time.time()
    while path.stat().st_mtime_ns == before:
        assert time.time() - start < 60, f"JupyterLab did not save {path.name}"
        page.wait_for_timeout(500)
    page.wait_for_timeout(1000)          # the write may still be under way
    return nbformat.read(path, as_version=4)


def step_slider(page, handle):
    """A reader's arrow key on a slider's handle, pressed again while the handle's value stays put: on a
    busy machine JupyterLab can take the focus back (a cell made active) before the key arrives.
    Returns the value before and after, as the handle announces it."""
    before = handle.get_attribute("aria-valuenow")
    for _ in range(3):
        handle.focus()
        page.keyboard.press("ArrowRight")
        start = time.time()
        while time.time() - start < 10:
            if (after := handle.get_attribute("aria-valuenow")) != before:
                return before, after
            page.wait_for_timeout(250)
    return before, after


def move_a_control(page, output):
    """Pick another dropdown entry, else step a slider with the keyboard, else press the button;
    return what moved once the figure's data changed, and what was tried, in words, when nothing did.

    An explorer with a button recomputes only when it is pressed (it trains): every slider goes to
    its smallest value first (Home, as a reader's keyboard would), so the model it trains is small."""
    before = output.evaluate(PLOTTED)
    trains = output.locator("button.jupyter-button.mod-primary").count() > 0
    if trains:
        for handle in output.locator(".noUi-handle").all():
            handle.focus()
            page.keyboard.press("Home")
        page.wait_for_timeout(500)
    kinds = (("button", "button.jupyter-button", 300),) if trains else (
        ("dropdown", ".widget-dropdown select", 180), ("slider", ".noUi-handle", 180), ("button", "button.jupyter-button", 300))
    tried = []
    for kind, selector, wait_s in kinds:
        found = output.locator(selector)
        if not found.count():
            continue
        control = found.first
        if kind == "dropdown":
            current = control.input_value()
            others = [v for v in control.locator("option").evaluate_all("os => os.map(o => o.value)") if v != current]
            if not others:
                continue
            control.select_option(others[0])
            tried.append(f"dropdown {current!r} -> {others[0]!r}")
        elif kind == "slider":          # a reader's arrow key: one step along any slider, selection sliders too
            tried.append("slider %s -> %s" % step_slider(page, control))
        else:
            control.click()
            tried.append("button pressed")
        start = time.time()
        while time.time() - start < wait_s:
            page.wait_for_timeout(100)
            if output.evaluate(PLOTTED) != before:
                print(f"  {kind} redrew the figure in {time.time() - start:.2f} s")
                return kind, None
        tried[-1] += f", no redraw in {wait_s} s; the explorer said: {output.locator('.widget-html').all_inner_texts()}"
    return None, "; ".join(tried) or "no control found"


def raw_myst(page, chapter, ran):
    """The raw markup the rendered prose still shows, polled for a while: jupyterlab-myst evaluates a
    cell's {eval} numbers once the kernel is idle. The summary quotes other chapters' numbers, which
    must show too once those chapters have run in this JupyterLab."""
    marks = RAW_MYST + (("(run chapter",) if chapter.stem.startswith("09") and ran >= QUOTED else ())
    start = time.time()
    while True:
        prose = page.evaluate(PROSE)
        found = [m for m in marks if m in prose]
        if not found or time.time() - start > 30:
            return found
        page.wait_for_timeout(1000)


def quoted_chapters(summary):
    """The chapters whose numbers the summary quotes: {eval}`helpers.glued.chapter("04_lstm_gru").x`."""
    prose = "".join("".join(c.source) for c in nbformat.read(summary, as_version=4).cells if c.cell_type == "markdown")
    return set(re.findall(r'helpers\.glued\.chapter\("(\d\d_\w+)"\)', prose))


QUOTED = quoted_chapters(CHAPTERS[-1])


@dataclass
class LiveRun:
    """What one chapter's live run showed."""
    problems: list = field(default_factory=list)     # a failed expectation each, in words
    moved: list = field(default_factory=list)        # per explorer, what redrew it (None: nothing)
    explorers_expected: int = 0
    saved: object = None                             # the notebook as JupyterLab saved it after Run All
    seconds: float = 0.0


def run_chapter(browser, lab, folder, chapter, ran):
    result = LiveRun(explorers_expected=explorer_count(chapter))
    start = time.time()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text[:300]) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(f"pageerror: {e}"[:300]))
    try:
        run_all(page, f"{lab.url}/lab/tree/{chapter.name}?reset")
        result.saved = save(page, folder / chapter.name)
        panel = page.locator(PANEL)
        if panel.locator("[data-mime-type='application/vnd.jupyter.error']").count():
            result.problems.append("a cell raised")
        for broken in ("Error displaying widget", "Failed to load model"):
            if panel.get_by_text(broken).count():
                result.problems.append(f"{broken!r} shown")
        ran.add(chapter.stem)
        if found := raw_myst(page, chapter, ran):
            result.problems.append(f"raw MyST in the prose: {found}")
        explorers = panel.locator(".jp-OutputArea-output:has(.js-plotly-plot):has(.jupyter-widgets)")
        if explorers.count() != result.explorers_expected:
            result.problems.append(f"{explorers.count()} explorers shown, {result.explorers_expected} expected")
        for i in range(explorers.count()):
            output = explorers.nth(i)
            output.evaluate("el => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(1000)
            moved, tried = move_a_control(page, output)
            result.moved.append(moved)
            if tried:
                result.problems.append(f"explorer {i + 1} did not redraw: {tried}")
        widget_errors = [e for e in console_errors if "widget" in e.lower() or "model" in e.lower()]
        if widget_errors:
            result.problems.append(f"widget errors in the console: {widget_errors[:3]}")
    except Exception as error:          # noqa: BLE001  (reported by the chapter's test, with the others' results)
        result.problems.append(f"{type(error).__name__}: {error}")
    finally:
        page.close()
    result.seconds = time.time() - start
    print(f"  {chapter.stem}: {result.seconds:.0f} s, explorers moved: {result.moved}, problems: {result.problems}")
    return result


def expected_seconds(chapter):
    """Longest first: the chapter cache's last time for it, else the size of its code."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from chapter_cache import CACHE_ROOT, previous_seconds
    seconds = previous_seconds(CACHE_ROOT, chapter) if CACHE_ROOT.exists() else None
    if seconds is None:
        nb = nbformat.read(chapter, as_version=4)
        seconds = sum(len(c.source) for c in nb.cells if c.cell_type == "code") / 100
    return seconds


@pytest.fixture(scope="module")
def live_runs(lab):
    """Every chapter run live, WORKERS at a time (each worker its own Chromium), the summary once
    the chapters it quotes have run. {chapter stem: LiveRun}."""
    from playwright.sync_api import sync_playwright
    folder = lab.folder
    waiting = sorted(CHAPTERS, key=expected_seconds, reverse=True)
    summary = CHAPTERS[-1]
    waiting.remove(summary)
    waiting.append(summary)
    results, ran, lock = {}, set(), threading.Lock()

    def next_chapter():
        with lock:
            for chapter in waiting:
                if chapter != summary or QUOTED <= set(results):
                    waiting.remove(chapter)
                    return chapter
            return None if not waiting else "wait"

    def worker():
        with sync_playwright() as p:
            browser = launch(p)
            try:
                while (chapter := next_chapter()) is not None:
                    if chapter == "wait":
                        time.sleep(2)
                        continue
                    run = run_chapter(browser, lab, folder, chapter, ran)
                    with lock:
                        results[chapter.stem] = run
            finally:
                browser.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    start = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"every chapter live, {WORKERS} at a time: {time.time() - start:.0f} s")
    return results


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_chapter_runs_live_and_every_explorer_redraws(chapter, live_runs):
    run = live_runs[chapter.stem]
    assert run.problems == [], f"{chapter.name}: {run.problems}"
    assert len(run.moved) == run.explorers_expected and all(run.moved), \
        f"{chapter.name}: an explorer's controls did not redraw its figure: {run.moved}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_live_run_reproduces_every_stored_check(chapter, live_runs):
    """The second code path: what this run printed in the checked cells is what book/ stores."""
    saved = live_runs[chapter.stem].saved
    assert saved is not None, f"{chapter.name} was not saved after Run All: {live_runs[chapter.stem].problems}"
    problems = differences(nbformat.read(chapter, as_version=4), saved)
    path = os.environ.get("ATEN_CPU_CAPABILITY", "native")
    assert not problems, f"{chapter.name} on ATen's {path} kernels: " + "\n".join(problems)
