"""The built website for every reader: a keyboard, a screen reader, a phone, a slow line, no network.

- axe-core (pinned in package.json, installed by `make npm`, which `make test` runs) finds no serious
  or critical violation in the course's content (article.bd-article) of any page, in light and dark
  mode, with folded cells and solutions open. What it finds in the theme's own markup is printed.
- Every interactive figure (one whose static face has plotly sliders or menus, and the in-page
  explorers of 1.3 and 1.4) has native controls above it: Tab reaches each one, the keys move it
  (arrows on a range or a select, Enter on a button) and the plotted data change; focus shows; the
  figure's toolbar is a single Tab stop; the explorers' status line is announced.
- At 390 px (a phone) no page scrolls sideways, the controls sit inside the column, and each
  figure's title and axis titles are whole and no legend covers a title.
- At desktop width every code listing fits its column.
- At both widths a table a cell printed keeps each row on one line, in a legible font, fitting its
  column or scrolling inside its own box (a Tab stop then).
- A chapter's first load is at most 3 MB, with no MathJax script (the build typesets the math) and
  one plotly.js bundle; from file:// (a downloaded copy) pages and the search read without errors.

The browser is Debian's Chromium driven by Playwright for Python; nothing is downloaded at test time.
COURSE_SITE points the tests at another built site (default: _build/html).
"""
import json
import re
from pathlib import Path

import pytest
from site_browser import SITE

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
FIRST_LOAD_LIMIT = 3_000_000

pytestmark = pytest.mark.site

if not (SITE / "index.html").exists():
    pytest.skip("the book is not built: run `make book` (make test does)", allow_module_level=True)

PAGES = ["book/index"] + sorted(f"book/{p.stem}" for p in (SITE / "book").glob("[0-9][0-9]_*.html"))


def interactive_figures(page_name):
    """Ids of the figures whose static face has plotly sliders or update menus."""
    html = (SITE / f"{page_name}.html").read_text()
    ids, decoder = [], json.JSONDecoder()
    for call in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', html):
        _, end = decoder.raw_decode(html, call.end())
        layout, _ = decoder.raw_decode(html[end:].lstrip()[1:].lstrip())
        if layout.get("sliders") or layout.get("updatemenus"):
            ids.append(call.group(1))
    return ids


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE}): run `make npm` (make test does)")
    return AXE.read_text()


READY = """async () => {
  const wait = (p, ms) => Promise.race([p, new Promise(r => setTimeout(r, ms))]);
  if (window.FlowEngine && FlowEngine.ready) await wait(FlowEngine.ready, 30000);
  await new Promise(r => setTimeout(r, 700));
}"""

OPEN_FOLDS = """() => {
  for (const d of document.querySelectorAll('article.bd-article details:not([open])')) d.open = true;
  for (const a of document.querySelectorAll('article.bd-article .toggle-hidden')) {
    const b = a.querySelector('button.toggle-button'); if (b) b.click(); a.classList.remove('toggle-hidden'); }
  window.dispatchEvent(new Event('resize')); }"""


def open_page(browser, url, viewport=DESKTOP, mode="light", phone=False):
    context = browser.new_context(viewport=viewport, color_scheme=mode, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load", timeout=90_000)
    page.evaluate(READY)
    return context, page, problems


AXE_RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  const where = (t) => { try { const el = document.querySelector(t[t.length - 1]);
    return el && el.closest('article.bd-article') ? 'content' : 'theme'; } catch (e) { return 'theme'; } };
  return r.violations.flatMap(v => v.nodes.map(n => ({rule: v.id, impact: n.impact || v.impact, where: where(n.target),
    target: n.target.join(' ').slice(0, 160), summary: (n.failureSummary || '').slice(0, 200)}))); }"""


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_name", PAGES)
def test_axe_finds_no_serious_violation_in_the_content(browser, server, axe_source, page_name, mode):
    context, page, problems = open_page(browser, f"{server}/{page_name}.html", mode=mode)
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode
    page.evaluate(OPEN_FOLDS)
    page.wait_for_timeout(800)
    page.add_script_tag(content=axe_source)
    found = page.evaluate(AXE_RUN, AXE_TAGS)
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    theme = sorted({f"{v['rule']} ({v['impact']}): {v['target']}" for v in serious if v["where"] == "theme"})
    if theme:
        print(f"{page_name} ({mode}), the theme's own: " + "; ".join(theme))
    content = [v for v in serious if v["where"] == "content"]
    assert content == [], "\n".join(f"{v['rule']} ({v['impact']}) at {v['target']}: {v['summary']}" for v in content)
    assert problems == []
    context.close()


# What the figure shows: its data, its title, its axis labels.
SHOWN = """(gd) => JSON.stringify([(gd.data || []).map(t => [t.visible, t.name, t.y && Array.from(t.y).slice(0, 60),
  t.z && JSON.stringify(t.z).slice(0, 2000)]), gd.layout.title && gd.layout.title.text,
  gd.layout.xaxis && gd.layout.xaxis.range, gd.layout.yaxis && gd.layout.yaxis.ticktext])"""

# The focused element, described; `box` is the figure's controls.
FOCUSED = """([box, gd]) => { const e = document.activeElement;
  if (!e || e === document.body) return null;
  const cs = getComputedStyle(e);
  return {inBox: box.contains(e), inFigure: gd.contains(e), tag: e.tagName.toLowerCase(), type: e.type || '',
    name: (e.getAttribute('aria-label') || [...(e.labels || [])].map(l => l.textContent).join(' ') || e.textContent || '')
      .trim().slice(0, 80),
    pressed: e.getAttribute('aria-pressed'), atMax: e.type === 'range' && Number(e.value) >= Number(e.max),
    ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2, visible: e.getBoundingClientRect().width > 0 &&
      Number(getComputedStyle(e.closest('.modebar') || e).opacity) > 0.5 }; }"""


def wait_changed(page, gd, before, ms=15_000):
    for _ in range(ms // 250):
        page.wait_for_timeout(250)
        if gd.evaluate(SHOWN) != before:
            return True
    return False


@pytest.mark.parametrize("page_name", [p for p in PAGES if interactive_figures(p)])
def test_every_interactive_figure_moves_from_the_keyboard(browser, server, page_name):
    context, page, problems = open_page(browser, f"{server}/{page_name}.html")
    page.evaluate(OPEN_FOLDS)
    page.wait_for_timeout(800)
    for fig_id in interactive_figures(page_name):
        gd = page.locator(f"#{fig_id}")
        figure = page.locator("figure.course-figure", has=gd)
        box = figure.locator("xpath=preceding-sibling::div[contains(@class, 'course-controls') or contains(@class, 'flow-controls')][1]")
        assert box.count() == 1, f"{page_name}#{fig_id} has no native controls above it"
        assert gd.evaluate("gd => !gd.querySelector('.slider-container:not([style*=none]) .slider-rail-rect') || "
                           "getComputedStyle(gd.querySelector('.slider-container')).display === 'none'"), "plotly's own slider shows"
        box.scroll_into_view_if_needed()
        page.evaluate("(box) => { const s = document.createElement('button'); s.id = 'kbd-start'; s.textContent = 'start';"
                      " box.parentNode.insertBefore(s, box); s.focus(); }", box.element_handle())
        handles = [box.element_handle(), gd.element_handle()]
        moved, reached, toolbar_stops = [], 0, 0
        for _ in range(40):
            page.keyboard.press("Tab")
            f = page.evaluate(FOCUSED, handles)
            if f is None or not (f["inBox"] or f["inFigure"]):
                break
            assert f["ring"] and f["visible"], f"no visible focus ring on {f} in {page_name}#{fig_id}"
            if f["inFigure"]:
                toolbar_stops += 1
                continue
            reached += 1
            before = gd.evaluate(SHOWN)
            length = page.evaluate("(box) => { const i = box.querySelector('input[data-key=seqLen]'); return i && i.value }",
                                   handles[0])
            if f["tag"] == "input" and f["type"] == "range":
                page.keyboard.press("ArrowLeft" if f["atMax"] else "ArrowRight")
            elif f["tag"] == "select":
                page.keyboard.press("ArrowDown")
            elif f["tag"] == "button":
                if f["pressed"] == "true" or (length and f["name"] == f"length {length}"):
                    continue          # already what the figure shows
                page.keyboard.press("Enter")
            else:
                continue              # a typed number: the range beside it moves the same value
            changed = wait_changed(page, gd, before)
            assert changed, f"{f['tag']} {f['name']!r} moved from the keyboard left {page_name}#{fig_id} as it was"
            moved.append(f["name"])
        page.evaluate("() => document.getElementById('kbd-start').remove()")
        assert reached >= 1 and moved, f"the keyboard reached no control of {page_name}#{fig_id}"
        assert toolbar_stops <= 1, f"the figure's toolbar takes {toolbar_stops} Tab stops"
    status = page.locator(".flow-status")
    for i in range(status.count()):
        live = status.nth(i).get_attribute("role") == "status" or status.nth(i).get_attribute("aria-live") in ("polite", "assertive")
        assert live, "the explorer's status line is not announced (role=status or aria-live)"
    assert problems == []
    context.close()


def test_focus_shows_in_dark_mode(browser, server):
    context, page, problems = open_page(browser, f"{server}/book/07_attention.html", mode="dark")
    control = page.locator(".course-controls button, .course-controls input").first
    control.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    ring, background = page.evaluate("""() => { const e = document.activeElement, cs = getComputedStyle(e);
      let b = e.parentElement; while (b && getComputedStyle(b).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) b = b.parentElement;
      return [cs.outlineColor, getComputedStyle(b || document.body).backgroundColor]; }""")

    def luminance(rgb):
        channels = [int(c) / 255 for c in re.findall(r"[\d.]+", rgb)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(ring), luminance(background)), reverse=True)
    assert (hi + 0.05) / (lo + 0.05) >= 3, f"focus ring {ring} on {background}"
    assert problems == []
    context.close()


def test_the_gate_bias_control_shows_the_default_it_draws(browser, server):
    if "book/04_lstm_gru" not in PAGES:
        pytest.skip("no chapter 1.4")
    context, page, problems = open_page(browser, f"{server}/book/04_lstm_gru.html")
    slider = page.locator(".flow-controls input[data-key=biasRange]").first
    assert float(slider.input_value()) == 0.0            # PyTorch's drawn biases: about 0
    assert "default" in slider.get_attribute("aria-valuetext")
    assert page.get_by_role("button", name="PyTorch default").first.get_attribute("aria-pressed") == "true"
    assert "PyTorch default" in page.locator(".flow-controls + figure .gtitle").first.text_content()
    assert problems == []
    context.close()


PHONE_CHECK = """() => {
  const out = {scrollWidth: document.documentElement.scrollWidth, controls: [], figures: []};
  for (const box of document.querySelectorAll('.course-controls, .flow-controls')) {
    const col = box.parentElement.getBoundingClientRect();
    for (const c of box.querySelectorAll('input, select, button')) {
      const r = c.getBoundingClientRect();
      if (r.width && (r.right > Math.min(innerWidth, col.right) + 1 || r.left < col.left - 1)) out.controls.push(c.outerHTML.slice(0, 80));
    }
  }
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const g = gd.getBoundingClientRect();
    if (!g.width) continue;
    const inside = (r) => r.left >= g.left - 1 && r.right <= g.right + 1 && r.top >= g.top - 1 && r.bottom <= g.bottom + 1;
    const bad = [];
    const title = gd.querySelector('.gtitle');
    const t = title && title.textContent ? title.getBoundingClientRect() : null;
    if (t && !inside(t)) bad.push('title cut: ' + title.textContent.slice(0, 50));
    for (const x of gd.querySelectorAll('[class*="g-x"][class*="title"] text, [class*="g-y"][class*="title"] text')) {
      const r = x.getBoundingClientRect();
      if (r.width && !inside(r)) bad.push('axis title cut: ' + x.textContent.slice(0, 50));
    }
    const legend = gd.querySelector('.legend');
    if (t && legend) {
      const l = legend.getBoundingClientRect();
      const over = l.width && l.left < t.right && l.right > t.left && l.top < t.bottom - 1 && l.bottom > t.top + 1;
      if (over) bad.push('legend over the title');
    }
    if (bad.length) out.figures.push(gd.id + ': ' + bad.join('; '));
  }
  return out; }"""


# A table a cell printed (two lines or more with columns lined up by runs of spaces, none over 100
# characters; course.js finds them the same way) keeps every row on one line, in a font of
# TABLE_MIN_FONT_PX or more, and either fits its column or scrolls inside its own box, a Tab stop then.
TABLE_MIN_FONT_PX = 10
TABLES = """(minPx) => [...document.querySelectorAll('article.bd-article div.cell_output pre')].flatMap(p => {
  const lines = p.textContent.replace(/\\n$/, '').split('\\n');
  if (lines.some(l => l.length > 100) || lines.filter(l => /\\S {2,}\\S/.test(l)).length < 2) return [];
  if (!p.getBoundingClientRect().width) return [];
  const cs = getComputedStyle(p), bad = [];
  const drawn = Math.round((p.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom)) / parseFloat(cs.lineHeight));
  if (drawn > lines.length) bad.push(`${lines.length} lines drawn on ${drawn}`);
  if (parseFloat(cs.fontSize) < minPx) bad.push(`a ${cs.fontSize} font`);
  if (p.scrollWidth > p.clientWidth + 1 && p.tabIndex < 0) bad.push('wider than its box, which no Tab reaches');
  return bad.length ? [`"${lines[0].slice(0, 40)}": ${bad.join(', ')}`] : [];
})"""


@pytest.mark.parametrize("page_name", PAGES)
def test_a_phone_reads_every_page_without_sideways_scroll(browser, server, page_name):
    context, page, problems = open_page(browser, f"{server}/{page_name}.html", viewport=PHONE, phone=True)
    page.evaluate(OPEN_FOLDS)
    page.wait_for_timeout(1500)
    found = page.evaluate(PHONE_CHECK)
    assert found["scrollWidth"] <= PHONE["width"], f"{page_name} scrolls sideways to {found['scrollWidth']} px"
    assert found["controls"] == [], f"controls outside the column: {found['controls']}"
    assert found["figures"] == [], "\n".join(found["figures"])
    tables = page.evaluate(TABLES, TABLE_MIN_FONT_PX)
    assert tables == [], f"printed tables on {page_name} at {PHONE['width']} px: {tables}"
    assert problems == []
    context.close()


@pytest.mark.parametrize("page_name", PAGES)
def test_code_listings_fit_the_column(browser, server, page_name):
    context, page, problems = open_page(browser, f"{server}/{page_name}.html")
    page.evaluate(OPEN_FOLDS)
    page.wait_for_timeout(500)
    wide = page.evaluate("""() => [...document.querySelectorAll('article.bd-article div.highlight pre')]
      .filter(p => p.getBoundingClientRect().width && p.scrollWidth > p.clientWidth + 1)
      .map(p => p.textContent.split('\\n').sort((a, b) => b.length - a.length)[0].slice(0, 80))""")
    assert wide == [], f"listings wider than the column on {page_name}: {wide}"
    tables = page.evaluate(TABLES, TABLE_MIN_FONT_PX)
    assert tables == [], f"printed tables on {page_name} at {DESKTOP['width']} px: {tables}"
    context.close()


@pytest.mark.parametrize("page_name", PAGES)
def test_first_load_is_light(browser, server, page_name):
    context, page, problems = open_page(browser, f"{server}/{page_name}.html")
    loaded = page.evaluate("""() => { const res = performance.getEntriesByType('resource');
      const nav = performance.getEntriesByType('navigation')[0];
      return {bytes: nav.encodedBodySize + res.reduce((a, e) => a + e.encodedBodySize, 0),
              files: res.map(e => [e.name.split('/').pop().split('?')[0], e.encodedBodySize])}; }""")
    names = [n for n, _ in loaded["files"]]
    heaviest = sorted(loaded["files"], key=lambda f: -f[1])[:4]
    print(f"{page_name}: {loaded['bytes'] / 1e6:.2f} MB, heaviest {heaviest}")
    assert loaded["bytes"] <= FIRST_LOAD_LIMIT, f"{page_name} loads {loaded['bytes']} bytes: {heaviest}"
    assert not any(re.match(r"(tex-|startup|mml-|core\.js)", n) for n in names), f"MathJax's scripts load: {names}"
    assert sum(n.startswith("plotly") for n in names) <= 1
    if page.locator(".js-plotly-plot").count() == 0:
        assert not any(n.startswith("plotly") for n in names), "plotly.js loads on a page without a figure"
    if page_name != "book/index":
        assert page.locator("mjx-container mjx-assistive-mml math").count() > 0, "no typeset math with its MathML"
    assert problems == []
    context.close()


@pytest.mark.parametrize("page_name", ["book/index", "book/03_vanishing_gradients", "book/07_attention", "search"])
def test_a_downloaded_copy_reads_and_searches(browser, page_name):
    query = "?q=gradient" if page_name == "search" else ""
    context, page, problems = open_page(browser, (SITE / f"{page_name}.html").as_uri() + query)
    if page_name == "search":
        page.wait_for_function("() => document.querySelectorAll('#search-results li, ul.search li').length > 0", timeout=20_000)
    assert problems == []
    context.close()
