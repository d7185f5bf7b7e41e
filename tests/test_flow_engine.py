"""The in-page engine of the gradient-flow explorers (book/_static/flow_engine.js), checked against PyTorch.

Unit tests (no site needed): the data scripts of helpers/flow_export.py hold exactly what PyTorch
draws, and the engine's numerics (run in node, when node is installed) follow helpers.

Browser tests (marked `site`): the built chapters 1.3 and 1.4 opened from file:// and over http in
headless Chromium; the curves the page draws are compared with helpers.gradient_flow and
helpers.gated_flow for many settings, corners included.

Tolerances. Where the system is stable a float64 curve must match within 1e-9 relative, and a
float32 one within 1e-3 decades. Where the reference itself is sensitive to rounding (near |W_h| = 2
over long sequences) no comparison can be tighter than the reference's own spread, so it is measured:
the same computation in PyTorch with the hidden units in two other orders (reversed, shuffled) gives
S, the largest change of log10 ||g_t|| that reordering the sums alone causes, and the tolerance is
max(base, SPREAD_FACTOR * S). The engine is a third order of the same sums, but a plainer one: each
of its float64 sums runs term after term, while torch's kernels sum in 8 to 16 SIMD lanes, whose
reorderings perturb less; measured, the page's error is at most 6.4 S in float64 (where S exceeds
1e-13) and 2 S in float32, hence the factor 10. For float32, S also
includes how far the float32 reference lies from the float64 one (its own rounding error): at a step
where a dot product cancels, float32 moves the result by up to ~4e-3 decades in PyTorch itself. Steps where the
reference is at float's subnormal floor carry a few bits only; there the underflow step (where the
curve reaches exactly 0) is compared instead, within max(2, 2 x the reordered references' spread of
that step): near |W_h| = 2 the step where float32 overflows moves by 131 steps between orderings.
"""
import functools
import http.server
import json
import math
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.flow_export import (ENGINES, InPage, data_script, decode, gated_flow_data,
                                 gradient_flow_data, in_page, inputs_for_length, reordered_gated_flow,
                                 reordered_gradient_flow)
from helpers.gated_flow import gated_flow
from helpers.gradient_flow import _input_side, _recurrent_bases, gradient_flow
from helpers.inits import INITS

ROOT = Path(__file__).resolve().parents[1]
ENGINE_JS = ROOT / "book" / "_static" / "flow_engine.js"
SITE = Path(os.environ.get("COURSE_SITE", ROOT / "_build" / "html"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
BASE = {"float64": 1e-9 / math.log(10), "float32": 1e-3}   # in decades: 1e-9 relative is 4.3e-10 decades
SPREAD_FACTOR = 10   # measured page error / S: <= 2 in float32, <= 6.4 in float64 where S > 1e-13 (see above)
STEP_FACTOR = 2      # underflow/overflow steps: page vs reference moved up to 1.03 x the reorderings' spread
DTYPES = {"float32": torch.float32, "float64": torch.float64}


# -- the data -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seq_len", [10, 15, 16, 17, 100, 613, 992, 999, 1000])
def test_inputs_reassemble_what_randn_gives_at_every_length(seq_len):
    flow = gradient_flow_data(16)
    assert np.array_equal(inputs_for_length(flow, seq_len), _input_side(16, 1, seq_len, 0)[1][:, 0].numpy())
    gated = gated_flow_data(16)
    x0 = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(1234)).flatten().numpy()
    assert np.array_equal(inputs_for_length(gated, seq_len, "<f4"), x0)


def test_the_prefix_alone_is_not_enough():
    """Why the tails are shipped: randn(613) is not the first 613 values of a longer draw."""
    flow = gradient_flow_data(16)
    assert not np.array_equal(decode(flow["prefix"])[:613], _input_side(16, 1, 613, 0)[1][:, 0].numpy())


def test_gradient_flow_data_holds_pytorchs_matrices():
    flow = gradient_flow_data(32)
    bases, natural = _recurrent_bases(32, INITS, 0)
    for init, b in zip(INITS, bases):
        assert flow["natural"][init] == natural[init]
        if init != "identity":
            assert np.array_equal(decode(flow["bases"][init]).reshape(32, 32), b.numpy())
    w_ih, _, readout = _input_side(32, 1, 16, 0)
    assert np.array_equal(decode(flow["w_ih"]), w_ih[:, 0].numpy())
    assert np.array_equal(decode(flow["readout"]), readout.numpy())


def test_data_script_registers_one_key_and_is_plain_script():
    text = data_script("gated-flow", 16)
    assert text.splitlines()[1] == "window.FLOW_DATA = window.FLOW_DATA || {};"
    assert 'window.FLOW_DATA["gated-flow/s1234/h16"] = {' in text
    assert "import " not in text and "export " not in text
    with pytest.raises(ValueError):
        data_script("gated-flow", 48)


class _FakeExplorer:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "x", "text/html": "<figure>fig</figure>", "application/vnd.jupyter.widget-view+json": {}}


def test_in_page_marks_the_figure_and_leaves_the_live_face_alone():
    bundle = in_page(_FakeExplorer(), "gradient-flow")._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div class="flow-engine" data-engine="gradient-flow" data-seed="0"')
    assert bundle["text/html"].endswith("<figure>fig</figure>")
    assert bundle["application/vnd.jupyter.widget-view+json"] == {} and bundle["text/plain"] == "x"
    assert isinstance(in_page(_FakeExplorer(), "gated-flow"), InPage)
    with pytest.raises(ValueError):
        in_page(_FakeExplorer(), "attention")


# -- references and their sensitivity ----------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def reference(engine, key, seq_len, hidden, dtype, reorder=None):
    """The curve helpers computes, or (reorder) the same with the hidden units in another order."""
    if engine == "gradient-flow":
        init, radius = key
        if reorder:
            return reordered_gradient_flow(radius, init, seq_len, hidden, DTYPES[dtype], order=reorder)
        return gradient_flow([radius], (init,), seq_len, hidden, seed=0, dtype=DTYPES[dtype]).grad_h[0, 0]
    cell, bias = key
    if reorder:
        return reordered_gated_flow(bias, cell, seq_len, hidden, DTYPES[dtype], order=reorder)
    return gated_flow([bias], seq_len, hidden, seed=1234, dtype=DTYPES[dtype]).grad_x[cell][0]


def _normal(y, dtype, hidden):
    """Steps a float comparison can use: finite, and above the subnormal floor of `dtype`."""
    return np.isfinite(y) & (y > float(torch.finfo(DTYPES[dtype]).tiny) * math.sqrt(hidden))


def _decades(a, b, dtype, hidden):
    ok = _normal(a, dtype, hidden) & _normal(b, dtype, hidden)
    return float(np.abs(np.log10(a[ok]) - np.log10(b[ok])).max()) if ok.any() else 0.0


def _step(y, bad):
    hits = np.flatnonzero(bad(y))
    return int(hits.max()) if hits.size else -1


def sensitivity(engine, key, seq_len, hidden, dtype):
    """(S in decades, spread of the underflow and overflow steps) of the reference under reordering."""
    ref = reference(engine, key, seq_len, hidden, dtype)
    others = [reference(engine, key, seq_len, hidden, dtype, order) for order in ("reversed", "shuffled")]
    spread = max(_decades(ref, o, dtype, hidden) for o in others)
    if dtype == "float32":     # and float32's own rounding: how far the float32 reference lies from float64's
        spread = max(spread, _decades(ref, reference(engine, key, seq_len, hidden, "float64"), dtype, hidden))
    steps = max(max(abs(_step(ref, b) - _step(o, b)) for o in others)
                for b in (lambda y: y == 0, lambda y: ~np.isfinite(y)))
    return spread, steps


def compare(engine, key, seq_len, hidden, dtype, page_curve):
    """(error in decades, allowed decades, step error, allowed steps) of the page's curve."""
    ref = reference(engine, key, seq_len, hidden, dtype)
    assert page_curve.shape == ref.shape
    spread, step_spread = sensitivity(engine, key, seq_len, hidden, dtype)
    err = _decades(page_curve, ref, dtype, hidden)
    step_err = max(abs(_step(page_curve, b) - _step(ref, b)) for b in (lambda y: y == 0, lambda y: ~np.isfinite(y)))
    return err, max(BASE[dtype], SPREAD_FACTOR * spread), step_err, max(2, STEP_FACTOR * step_spread)


# -- the engine's numerics, run in node (no browser needed) ---------------------------------------------------

NODE = shutil.which("node")

NODE_RUNNER = """
const fs = require("fs");
global.window = {}; global.atob = (s) => Buffer.from(s, "base64").toString("binary");
const { core, decode } = require(process.argv[2]);
const input = JSON.parse(fs.readFileSync(process.argv[3]));
const out = input.jobs.map((j) => {
  const key = `${j.engine}/h${j.hidden}`;
  if (!window[key]) { eval(input.scripts[key]); window[key] = decode(Object.values(window.FLOW_DATA).pop()); window.FLOW_DATA = {}; }
  return Array.from(core.run(window[key], j), (v) => (Number.isFinite(v) ? v : -1));
});
console.log(JSON.stringify(out));
"""

NODE_CASES = ([("gradient-flow", (init, r), L, 16, dt) for init in INITS for r in (0.05, 1.0, 2.0)
               for L, dt in ((37, "float64"), (100, "float32"))] +
              [("gated-flow", (cell, b), 37, 16, dt) for cell in ("rnn", "lstm", "gru") for b in (None, 2.0)
               for dt in ("float32", "float64")])


def _job(engine, key, seq_len, hidden, dtype):
    if engine == "gradient-flow":
        return dict(engine=engine, init=key[0], radius=key[1], seqLen=seq_len, hidden=hidden, dtype=dtype)
    return dict(engine=engine, cell=key[0], bias=key[1], seqLen=seq_len, hidden=hidden, dtype=dtype)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_engine_numerics_follow_helpers_in_node(tmp_path):
    scripts = {f"{e}/h16": data_script(e, 16) for e in ENGINES}
    (tmp_path / "in.json").write_text(json.dumps({"jobs": [_job(*c) for c in NODE_CASES], "scripts": scripts}))
    (tmp_path / "run.js").write_text(NODE_RUNNER)
    out = subprocess.run([NODE, str(tmp_path / "run.js"), str(ENGINE_JS), str(tmp_path / "in.json")],
                         capture_output=True, text=True, check=True).stdout
    for case, y in zip(NODE_CASES, json.loads(out)):
        y = np.array([np.inf if v == -1 else v for v in y])
        err, tol, step_err, step_tol = compare(*case, y)
        assert err <= tol and step_err <= step_tol, (case, err, tol, step_err, step_tol)


# -- the built site in a browser ----------------------------------------------------------------------------

CHAPTER = {"gradient-flow": "book/03_vanishing_gradients.html", "gated-flow": "book/04_lstm_gru.html"}
needs_site = pytest.mark.skipif(not (SITE / CHAPTER["gradient-flow"]).exists(),
                                reason=f"no built site at {SITE} (make book, or set COURSE_SITE)")

# 26 settings of 1.3 (each draws all four inits), corners first, then the inside of the box
FLOW_CASES = ([(r, L, H, dt) for r in (0.05, 2.0) for L in (10, 1000) for H in (16, 256) for dt in ("float64", "float32")]
              + [(1.0, 1000, 64, "float32"), (1.0, 100, 64, "float64"), (0.93, 613, 32, "float64"),
                 (0.93, 613, 32, "float32"), (1.37, 37, 128, "float64"), (1.37, 999, 128, "float32"),
                 (0.5, 250, 64, "float64"), (1.05, 500, 16, "float32"), (1.5, 200, 256, "float64"),
                 (0.77, 1000, 128, "float64")])
# 1.4: corners of bias, length and size, and the settings the chapter's prose discusses
GATED_CASES = ([(b, L, H, dt) for b in (-4.0, 8.0) for L in (10, 1000) for H in (16, 256) for dt in ("float64", "float32")
                if not (H == 256 and L == 1000 and dt == "float64")]
               + [(None, 100, 64, "float32"), (None, 1000, 64, "float64"), (1.0, 613, 32, "float32"),
                  (3.0, 1000, 64, "float32"), (2.5, 300, 128, "float64")])

READ = """(gd) => gd.data.filter(t => t.visible !== false).map(t => ({name: t.name, y: Array.from(t.y)}))"""
LIMITS = {"float32": (1e-47, 1e40), "float64": (5e-324, 1.7976931348623157e308)}


def _decode(y, dtype):
    floor, ceiling = LIMITS[dtype]
    y = np.array(y, dtype=float)
    return np.where(y == floor, 0.0, np.where(y == ceiling, np.inf, y))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def open_explorer(browser, url, color_scheme="light"):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
    page.evaluate("() => window.FlowEngine.ready")
    return page, problems


def page_curves(page, changes):
    """Set the explorer's controls (as the controls do), wait for the redraw, read the drawn curves."""
    page.evaluate("(c) => window.FlowEngine.explorers[0].set(c)", changes)
    return (page.evaluate("() => window.FlowEngine.explorers[0].gd.layout.title.text"),
            page.evaluate(f"() => ({READ})(window.FlowEngine.explorers[0].gd)"))


@pytest.mark.site
@needs_site
def test_gradient_flow_page_matches_pytorch(browser):
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    worst = {}
    for radius, seq_len, hidden, dtype in FLOW_CASES:
        title, traces = page_curves(page, dict(radius=radius, seqLen=seq_len, hidden=hidden, dtype=dtype, init="all"))
        assert f"hidden {hidden}, {dtype}, |W_h| = {radius:.2f}, length {seq_len}" in title
        assert [t["name"].split(" ·")[0] for t in traces] == list(INITS)
        for init, trace in zip(INITS, traces):
            case = ("gradient-flow", (init, radius), seq_len, hidden, dtype)
            err, tol, step_err, step_tol = compare(*case, _decode(trace["y"], dtype))
            print(f"{init:>10} |W_h|={radius:<5} L={seq_len:<5} H={hidden:<4} {dtype}: {err:.2e} decades "
                  f"(allowed {tol:.1e}), steps off by {step_err} (allowed {step_tol})")
            assert err <= tol and step_err <= step_tol, case
            kind = (dtype, "stable" if tol == BASE[dtype] else "sensitive: error / allowed")
            worst[kind] = max(worst.get(kind, 0), err if tol == BASE[dtype] else err / tol)
    print("worst error in decades per precision:", worst)
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_gated_flow_page_matches_pytorch(browser):
    page, problems = open_explorer(browser, (SITE / CHAPTER["gated-flow"]).as_uri())
    worst = {}
    for bias, seq_len, hidden, dtype in GATED_CASES:
        title, traces = page_curves(page, dict(bias=bias, seqLen=seq_len, hidden=hidden, dtype=dtype))
        shown = "PyTorch default" if bias is None else f"{bias:.2f}"
        assert f"hidden {hidden}, {dtype}, gate bias {shown}, length {seq_len}" in title
        for cell, trace in zip(("rnn", "lstm", "gru"), traces):
            case = ("gated-flow", (cell, bias), seq_len, hidden, dtype)
            err, tol, step_err, step_tol = compare(*case, _decode(trace["y"], dtype))
            print(f"{cell:>5} bias={bias} L={seq_len:<5} H={hidden:<4} {dtype}: {err:.2e} decades (allowed {tol:.1e}), "
                  f"steps off by {step_err} (allowed {step_tol})")
            assert err <= tol and step_err <= step_tol, case
            kind = (dtype, "stable" if tol == BASE[dtype] else "sensitive: error / allowed")
            worst[kind] = max(worst.get(kind, 0), err if tol == BASE[dtype] else err / tol)
    print("worst error in decades per precision:", worst)
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_every_slider_position_draws_its_own_curve(browser):
    """The |W_h| range input (every 0.01), which replaces the static figure's slider: a new curve each time."""
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    slide = page.locator(".flow-controls input[data-key=radiusRange]")
    lo, hi, step = (float(slide.get_attribute(k)) for k in ("min", "max", "step"))
    positions = [round(lo + step * k, 2) for k in range(round((hi - lo) / step) + 1)]
    assert (lo, hi, len(positions)) == (0.05, 2.0, 196)
    assert page.evaluate("() => window.FlowEngine.explorers[0].gd.layout.sliders.length") == 0
    seen = set()
    for radius in positions:
        slide.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", radius)
        page.wait_for_function("(r) => window.FlowEngine.explorers[0].gd.layout.title.text.includes(r)",
                               arg=f"|W_h| = {radius:.2f},")
        page.evaluate("() => window.FlowEngine.explorers[0].set({})")     # wait for the redraw
        seen.add(page.evaluate(f"() => JSON.stringify(({READ})(window.FlowEngine.explorers[0].gd).map(t => t.y))"))
    assert len(seen) == len(positions)
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_the_controls_drive_the_figure(browser, server):
    """Real input events: the |W_h| slider, its box, the length slider, the init menu, a length button; over http."""
    page, problems = open_explorer(browser, f"{server}/{CHAPTER['gradient-flow']}")
    gd = "window.FlowEngine.explorers[0].gd"
    title = lambda: page.evaluate(f"() => {gd}.layout.title.text")
    start = title()
    assert "|W_h| = 1.00, length 1000" in start
    slider = page.locator(".flow-controls input[data-key=radiusRange]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(f"(t) => {gd}.layout.title.text !== t", arg=start)
    assert re.search(r"\|W_h\| = 0\.[4-6]\d,", title()), title()
    page.locator(".flow-controls input[data-key=radius]").fill("1.234")
    page.locator(".flow-controls input[data-key=radius]").dispatch_event("change")
    page.wait_for_function(f"() => {gd}.layout.title.text.includes('|W_h| = 1.23,')")
    page.locator(".flow-controls input[data-key=seqLen]").evaluate(
        "el => { el.value = 321; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"() => {gd}.layout.title.text.includes('length 321')")
    page.locator(".flow-controls select[data-key=init]").select_option("orthogonal")
    page.wait_for_function(f"() => {gd}.data.filter(t => t.visible !== false).length === 1")
    lengths = page.evaluate(f"() => {gd}.data.filter(t => t.visible !== false).map(t => t.y.length)")
    assert lengths == [321]
    page.get_by_role("button", name="length 20", exact=True).click()
    page.wait_for_function(f"() => {gd}.layout.title.text.endsWith('length 20')")
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_long_cases_compute_in_a_worker(browser):
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    page.evaluate("() => window.FlowEngine.explorers[0].set({hidden: 256, seqLen: 1000, dtype: 'float32'})")
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastWhere") == "worker"
    page.evaluate("() => window.FlowEngine.explorers[0].set({hidden: 64, seqLen: 100})")
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastWhere") == "page"
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
@pytest.mark.parametrize("engine", sorted(CHAPTER))
def test_without_the_data_the_precomputed_figure_stays(browser, server, engine):
    page = browser.new_page()
    page.route("**/flowdata_*", lambda route: route.abort())
    page.goto(f"{server}/{CHAPTER[engine]}", wait_until="load")
    page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
    page.evaluate("() => window.FlowEngine.ready")
    explorer = "window.FlowEngine.explorers[0]"
    steps = page.evaluate(f"() => {explorer}.gd.layout.sliders[0].steps.length")
    assert steps <= 20                              # the static face's own slider, untouched
    assert "could not be loaded" in page.evaluate(f"() => {explorer}.status.textContent")
    page.close()
