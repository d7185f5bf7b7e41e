"""The built website (make book first): every figure present, and a browser reads it offline.

The browser is Debian's Chromium driven by Playwright for Python; nothing is downloaded. A request
that fails counts as an error: the site serves its own MathJax, plotly.js and fonts.
"""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
PAGES = ["book/index"] + [f"book/{c}" for c in CHAPTERS]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.site

if not (SITE / "index.html").exists():
    pytest.skip("the book is not built: run `make book` (make test does)", allow_module_level=True)


def figures_in_notebook(chapter):
    """Plotly figures in a chapter's executed outputs (what the page must show)."""
    nb = nbformat.read(EXECUTED / f"{chapter}.ipynb", as_version=4)
    return sum("Plotly.newPlot" in str(o.get("data", {}).get("text/html", ""))
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_reaches_the_page(chapter):
    html = (SITE / "book" / f"{chapter}.html").read_text()
    expected = figures_in_notebook(chapter)
    assert expected > 0
    assert html.count("Plotly.newPlot(") == expected
    assert "cdn.plot.ly" not in html and "unpkg.com" not in html and "cdn.jsdelivr" not in html


def test_plotly_js_is_served_once_not_inlined():
    assert (SITE / "_static" / "plotly.min.js").exists()
    for chapter in CHAPTERS:
        html = (SITE / "book" / f"{chapter}.html").read_text()
        assert len(re.findall(r"_static/plotly\.min\.js", html)) == 1
        assert len(html) < 1_500_000, f"{chapter}.html is {len(html)} bytes: plotly.js inlined?"


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)
    return page, problems


PLOTTED = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
  JSON.stringify((gd.data || []).filter(t => t.visible !== false).map(t => Array.from(t.y || []).slice(0, 50))))"""


@pytest.mark.parametrize("page_name", PAGES)
def test_page_reads_offline_and_draws_every_figure(browser, server, page_name):
    page, problems = open_page(browser, f"{server}/{page_name}.html")
    assert problems == []
    figures = page.locator(".js-plotly-plot")
    divs = page.locator("div.plotly-graph-div")
    assert figures.count() == divs.count(), "a figure div was not drawn by plotly.js"
    for i in range(figures.count()):
        assert figures.nth(i).locator("svg.main-svg").count() > 0
    if page_name != "book/index":   # every chapter has equations
        assert page.locator("mjx-container").count() > 0, "MathJax did not typeset the equations"
    page.close()


def test_explorer_slider_changes_the_plotted_data(browser, server):
    page, problems = open_page(browser, f"{server}/book/03_vanishing_gradients.html")
    before = page.evaluate(PLOTTED)
    rail = page.locator("rect.slider-rail-touch-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_timeout(800)
    after = page.evaluate(PLOTTED)
    assert after != before
    # the length buttons switch the visible curves and keep working after the slider moved
    page.get_by_text("length 20", exact=True).first.click()
    page.wait_for_timeout(500)
    lengths = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => "
                            "(gd.data || []).filter(t => t.visible !== false).map(t => t.y.length))")
    assert any(ls and all(n == 20 for n in ls) for ls in lengths)
    assert problems == []
    page.close()


# Explorers added with chapters 1.4 and later: page, and a length button label to press afterwards.
EXPLORER_PAGES = {"04_lstm_gru": "length 20"}


@pytest.mark.parametrize("chapter", sorted(c for c in EXPLORER_PAGES if c in CHAPTERS))
def test_chapter_explorer_slider_changes_the_plotted_data(browser, server, chapter):
    page, problems = open_page(browser, f"{server}/book/{chapter}.html")
    slider_figure = page.locator(".js-plotly-plot", has=page.locator("rect.slider-rail-touch-rect")).first
    index = page.evaluate("(el) => [...document.querySelectorAll('.js-plotly-plot')].indexOf(el)",
                          slider_figure.element_handle())
    before = page.evaluate(PLOTTED)[index]
    for position in (0.9, 0.6):      # two different gate biases, both different from the start
        rail = slider_figure.locator("rect.slider-rail-touch-rect").first
        rail.scroll_into_view_if_needed()
        box = rail.bounding_box()
        page.mouse.click(box["x"] + position * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_timeout(800)
        after = page.evaluate(PLOTTED)[index]
        assert after != before, f"slider at {position} left the curves as they were"
        before = after
    slider_figure.get_by_text(EXPLORER_PAGES[chapter], exact=True).first.click()
    page.wait_for_timeout(500)
    lengths = page.evaluate("(el) => (el.data || []).filter(t => t.visible !== false).map(t => t.y.length)",
                            slider_figure.element_handle())
    assert lengths and all(n == int(EXPLORER_PAGES[chapter].split()[-1]) for n in lengths)
    assert problems == []
    page.close()
