"""The built website (make book first): every figure present, and a browser reads it offline.

The browser is Debian's Chromium driven by Playwright for Python; nothing is downloaded. A request
that fails counts as an error: the site serves its own MathJax, plotly.js and fonts.
"""
import json
import re
from pathlib import Path

import nbformat
import pytest
from site_browser import SITE

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
PAGES = ["book/index"] + [f"book/{c}" for c in CHAPTERS]

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


@pytest.mark.parametrize("page_name", PAGES)
def test_plotly_js_is_served_once_and_pages_stay_light(page_name):
    page = SITE / f"{page_name}.html"
    html = page.read_text()
    bundles = re.findall(r"_static/(plotly[\w.-]*\.js)", html)
    # one bundle where a figure is, none elsewhere; partial bundles of the Python package's plotly.js version
    assert len(bundles) == (1 if "Plotly.newPlot(" in html else 0), bundles
    for name in bundles:
        assert (SITE / "_static" / name).exists()
        assert name != "plotly.min.js", "the whole plotly.js is served: npm was missing when the site was built"
        head = (SITE / "_static" / name).read_text()[:200]
        assert f"v{plotly_js_version()}" in head, f"{name} is not plotly.js {plotly_js_version()}"
    size = page.stat().st_size
    print(f"{page_name}.html: {size / 1024:.0f} KiB")
    assert size <= 1_500_000, f"{page_name}.html is {size} bytes (limit 1.5 MB)"


def plotly_js_version():
    """The plotly.js version the Python plotly package bundles (helpers writes figures for it)."""
    import plotly
    head = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
    return re.search(r"v(\d+\.\d+\.\d+)", head).group(1)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_has_a_caption_alt_text_and_provenance(chapter):
    html = (SITE / "book" / f"{chapter}.html").read_text()
    figures = re.findall(r'<figure class="course-figure"><div role="img" aria-label="([^"]*)"', html)
    assert len(figures) == html.count("Plotly.newPlot("), "a figure has no caption (use helpers.figures.plots.describe)"
    assert all(len(alt) > 20 for alt in figures)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert all("Computed on" in c and "PyTorch" in c and "seed" in c for c in captions[-len(figures):])


def test_search_finds_chapter_content():
    index = (SITE / "searchindex.js").read_text()
    for chapter in CHAPTERS:
        assert f'"book/{chapter}"' in index
    assert '"vanish"' in index or '"vanishing"' in index


def open_page(browser, url, color_scheme="light"):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)
    # the in-page explorers (flow_engine.js) replace their figure's plotly slider at their first draw
    page.evaluate("() => window.FlowEngine && window.FlowEngine.ready")
    return page, problems


PLOTTED = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
  JSON.stringify((gd.data || []).filter(t => t.visible !== false).map(t =>
    t.type === 'heatmap' ? JSON.stringify(t.z).slice(0, 4000) : Array.from(t.y || []).slice(0, 50))))"""


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


EXPLORER_PAGES = [p for p in PAGES if (SITE / f"{p}.html").exists() and '"sliders"' in (SITE / f"{p}.html").read_text()]


def test_the_explorer_pages_are_found():
    assert "book/03_vanishing_gradients" in EXPLORER_PAGES and "book/02_rnns" in EXPLORER_PAGES


# A slider a reader drags: the range input above a figure (course.js builds it from the figure's plotly
# slider, which it hides), or one of an in-page explorer.
SLIDERS = ".course-controls input[type=range], .flow-controls input[type=range]"


@pytest.mark.parametrize("page_name", EXPLORER_PAGES)
def test_every_explorer_slider_changes_the_plotted_data(browser, server, page_name):
    page, problems = open_page(browser, f"{server}/{page_name}.html")
    # as a reader would, unfold the folded sections first: a figure inside a closed one has no size
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.wait_for_timeout(1500)
    sliders = page.locator(SLIDERS)
    assert sliders.count() > 0
    # where each slider starts, as a fraction of its rail, so the click lands at the other end
    starts = page.evaluate("""(selector) => [...document.querySelectorAll(selector)].map(el =>
      (el.value - el.min) / (el.max - el.min))""", SLIDERS)
    for i in range(sliders.count()):
        before = page.evaluate(PLOTTED)
        sliders.nth(i).scroll_into_view_if_needed()
        box = sliders.nth(i).bounding_box()
        target = 0.98 if starts[i] < 0.5 else 0.02
        page.mouse.click(box["x"] + target * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_timeout(800)
        assert page.evaluate(PLOTTED) != before, f"slider {i} on {page_name} did not change the data"
    assert problems == []
    page.close()


# The in-page explorers: their swept control's range input, then a length button, as a reader clicks.
LENGTH_BUTTONS = {"03_vanishing_gradients": ("radiusRange", "length 20"), "04_lstm_gru": ("biasRange", "length 20")}


@pytest.mark.parametrize("chapter", sorted(c for c in LENGTH_BUTTONS if c in CHAPTERS))
def test_explorer_length_buttons_work_after_the_slider(browser, server, chapter):
    page, problems = open_page(browser, f"{server}/book/{chapter}.html")
    slider_key, button = LENGTH_BUTTONS[chapter]
    figure = page.locator(".flow-controls + figure .js-plotly-plot").first
    plotted = lambda: figure.evaluate("el => JSON.stringify(el.data.filter(t => t.visible !== false).map(t => t.y))")
    assert figure.evaluate("el => (el.layout.sliders || []).length") == 0   # the controls above replace it
    before = plotted()
    slider = page.locator(f".flow-controls input[data-key={slider_key}]").first
    for position in (0.9, 0.6):      # two different values, both different from the start
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        page.mouse.click(box["x"] + position * box["width"], box["y"] + box["height"] / 2)
        page.wait_for_timeout(800)
        after = plotted()
        assert after != before, f"the slider at {position} left the curves as they were"
        before = after
    page.get_by_role("button", name=button, exact=True).first.click()
    page.wait_for_timeout(800)
    lengths = figure.evaluate("el => el.data.filter(t => t.visible !== false).map(t => t.y.length)")
    assert lengths and all(n == int(button.split()[-1]) for n in lengths)
    assert problems == []
    page.close()


LUMINANCE = """(el) => { const m = getComputedStyle(el).fill.match(/[0-9.]+/g).map(Number);
  return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255; }"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_figures_follow_the_colour_mode(browser, server, mode):
    page, problems = open_page(browser, f"{server}/book/03_vanishing_gradients.html", color_scheme=mode)
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    boxes = page.locator("figure.course-figure").first.evaluate("""el => {
      const out = []; for (; el && el.tagName !== 'BODY'; el = el.parentElement) out.push(getComputedStyle(el).backgroundColor);
      return out.concat([...el.querySelectorAll('figure.course-figure .main-svg')].map(s => getComputedStyle(s).backgroundColor)); }""")
    assert all(b in ("rgba(0, 0, 0, 0)", "transparent") for b in boxes), f"a box behind the figure in {mode} mode: {boxes}"
    tick = page.locator(".js-plotly-plot .ytick text").first
    luminance = tick.evaluate(LUMINANCE)
    assert (luminance > 0.6) if mode == "dark" else (luminance < 0.4), f"axis text luminance {luminance:.2f} in {mode}"
    assert problems == []
    page.close()


HEATMAP = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => (gd.data || [])
  .filter(t => t.type === 'heatmap' && t.visible !== false).map(t => t.name + ':' + JSON.stringify(t.z)))"""


def test_the_attention_page_decodes_a_typed_source_and_switches_the_model(browser, server):
    page, problems = open_page(browser, f"{server}/book/07_attention.html")
    box = page.locator(".attention-controls")
    before = page.evaluate(HEATMAP)
    assert len(before) == 1 and before[0].startswith("dot:")
    box.get_by_label("model").select_option("additive")
    page.wait_for_timeout(500)
    after_model = page.evaluate(HEATMAP)
    assert len(after_model) == 1 and after_model[0].startswith("additive:")
    source = box.locator("input[type=text]")
    source.fill("4 4 2")
    source.press("Enter")
    page.wait_for_timeout(500)
    typed = page.evaluate(HEATMAP)
    assert typed[0].startswith("additive:") and typed != after_model
    assert len(json.loads(typed[0].split(":", 1)[1])[0]) == 3        # three source positions, one column each
    assert box.locator("output").inner_text().split()[-1] == "EOS"
    assert problems == []
    page.close()


# The "Try this" boxes whose experiment is an explorer setting: a button sets it (course.js wires them).
TRY_BUTTONS = {"06_encoder_decoder": ("context 128", "128"), "07_attention": ("show the alternating source", None)}


@pytest.mark.parametrize("chapter", sorted(c for c in TRY_BUTTONS if c in CHAPTERS))
def test_a_try_this_button_sets_the_explorer_above_it(browser, server, chapter):
    page, problems = open_page(browser, f"{server}/book/{chapter}.html")
    name, value = TRY_BUTTONS[chapter]
    button = page.get_by_role("button", name=name, exact=True)
    assert button.is_visible(), "course.js did not wire the Try-this button"
    before = page.evaluate(PLOTTED)
    button.click()
    page.wait_for_timeout(800)
    assert page.evaluate(PLOTTED) != before, "the button did not change the figure"
    if value is not None:      # the control shows the value the button set
        box = page.locator(".course-controls", has=page.locator("input[data-labels]")).first
        assert box.locator(".course-value").inner_text().split()[0] == value
    else:
        assert page.locator(".attention-controls input[type=text]").input_value().startswith("5 0 5 0")
    assert problems == []
    page.close()
