"""The live face: every chapter opened in a real JupyterLab, in headless Chromium, as a reader who
clicked "launch" would. Run All, then one control of every explorer moves, the cliff's "train"
button included: no error output, no "Error displaying widget", and every figure redraws.

JupyterLab serves a copy of the chapters (it autosaves what it runs); the kernels are the course's
venv, with TORCH_NUM_THREADS as the Makefile sets it. Chromium is Debian's; nothing is downloaded.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
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
    """Explorers a chapter shows: cells that call one of helpers' explore_* functions."""
    nb = nbformat.read(path, as_version=4)
    return sum(bool(re.search(r"\bhelpers\.explore_\w+\(", c.source)) for c in nb.cells if c.cell_type == "code")


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
    env.update(JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTER_CONFIG_DIR=str(home / "config"))
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def run_all(page, url):
    page.goto(url, wait_until="load", timeout=120_000)
    page.wait_for_selector(PANEL + " .jp-Cell", timeout=120_000)
    page.wait_for_timeout(3000)
    select_kernel = page.locator(".jp-Dialog button.jp-mod-accept")
    if select_kernel.count():
        select_kernel.first.click()
        page.wait_for_timeout(2000)
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    page.wait_for_timeout(2000)
    start = time.time()
    while page.evaluate(BUSY):
        assert time.time() - start < 1500, "Run All did not finish in 25 minutes"
        page.wait_for_timeout(1000)


def move_a_control(page, output):
    """Pick another dropdown entry, else step a slider with the keyboard, else press the button;
    return what moved once the figure's data changed (None if nothing redrew it)."""
    before = output.evaluate(PLOTTED)
    for kind, selector, wait_s in (("dropdown", ".widget-dropdown select", 180), ("slider", ".noUi-handle", 180),
                                   ("button", "button.jupyter-button", 300)):
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
        elif kind == "slider":          # a reader's arrow key: one step along any slider, selection sliders too
            control.focus()
            page.keyboard.press("ArrowRight")
        else:
            control.click()
        start = time.time()
        while time.time() - start < wait_s:
            page.wait_for_timeout(100)
            if output.evaluate(PLOTTED) != before:
                print(f"  {kind} redrew the figure in {time.time() - start:.2f} s")
                return kind
    return None


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
RAN = set()      # the chapters run so far in this JupyterLab


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_chapter_runs_live_and_every_explorer_redraws(chapter, lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text[:300]) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(f"pageerror: {e}"[:300]))
    try:
        run_all(page, f"{lab}/lab/tree/{chapter.name}?reset")
        panel = page.locator(PANEL)
        assert panel.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0, "a cell raised"
        for broken in ("Error displaying widget", "Failed to load model"):
            assert panel.get_by_text(broken).count() == 0, f"{broken!r} in {chapter.name}"
        RAN.add(chapter.stem)
        assert raw_myst(page, chapter, RAN) == [], f"raw MyST in the prose of {chapter.name}"
        explorers = panel.locator(".jp-OutputArea-output:has(.js-plotly-plot):has(.jupyter-widgets)")
        assert explorers.count() == explorer_count(chapter)
        for i in range(explorers.count()):
            output = explorers.nth(i)
            output.evaluate("el => el.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(1000)
            assert move_a_control(page, output), f"explorer {i} of {chapter.name}: no control redrew its figure"
        widget_errors = [e for e in console_errors if "widget" in e.lower() or "model" in e.lower()]
        assert not widget_errors, widget_errors[:3]
    finally:
        page.close()
