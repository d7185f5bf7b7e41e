"""The lanes explorer (helpers/explorers/lanes.py): the page's script computes what Python computes,
its controls move the figure from file:// with the keyboard, and the live face redraws.

The script's compute part runs in Node (skipped where there is none) and must give exactly the
numbers of lane_curves: the same operations in the same order on IEEE doubles. The wiring runs in
headless Chromium (skipped where there is none or no Playwright).
"""
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import plotly
import pytest

from helpers.explorers.lanes import COMPUTE_JS, LanesWidget, explore_lanes, lane_curves, lanes_spec
from helpers.figures.lanes import MOVING
from helpers.measure.lanes import measure_lanes
from helpers.measure.throughput import measure_widths
from tests.explorers.inpage import open_page
from tests.messages import names

@pytest.fixture(scope="module")
def measured():
    runs = measure_widths(widths=(8, 16), lengths=(4, 16), nhead=2, batch=2, repeats=1, device="cpu")
    return runs, measure_lanes("cpu", batch=2, steps=16, repeats=1, peak_size=32)


@pytest.fixture(scope="module")
def explorer(measured):
    runs, lanes = measured
    return explore_lanes(runs, lanes, d_model=16)


@pytest.fixture(scope="module")
def page(explorer, tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("COURSE_SITE_BUILD", "1")
    html = explorer._repr_mimebundle_()["text/html"]
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    path = tmp_path_factory.mktemp("lanes") / "page.html"
    path.write_text(f"<html><head><meta charset='utf-8'><script src='{plotly_js.as_uri()}'></script></head>"
                    f"<body>{html}</body></html>")
    return path, html


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


PROBES = (1, 16, 300, 3584, 5120, 65536)


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node to run the page's script")
def test_the_pages_script_computes_exactly_what_python_computes(explorer):
    spec = explorer.spec
    program = COMPUTE_JS + f"\nconst spec = {json.dumps(spec)};\n" + \
        f"console.log(JSON.stringify({list(PROBES)}.map(p => lanesCurves(spec, p))));"
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=60, check=True)
    for lanes, page in zip(PROBES, json.loads(result.stdout)):
        python = lane_curves(spec, lanes)
        for key in ("LSTM", "Transformer layer"):
            assert page[key] == [list(c) for c in python[key]], (lanes, key)
        assert page["step"] == python["step"] and page["nstar"] == python["nstar"]
        assert page["crossover"] == [list(c) for c in python["crossover"]]
        assert page["title"] == python["title"] and page["status"] == python["status"], lanes


def test_the_curves_cross_where_the_title_says(explorer):
    spec = explorer.spec
    for lanes in PROBES:
        curves = lane_curves(spec, lanes)
        lstm, transformer, nstar = curves["LSTM"][0], curves["Transformer layer"][0], curves["nstar"]
        for n, a, b in zip(spec["lengths"], lstm, transformer):
            if abs(n - nstar) > 1e-6 * max(nstar, 1):
                assert (b < a) == (spec["span"] < n < nstar), (lanes, n)
        assert ("the LSTM is faster at every length" in curves["title"]) == (nstar <= spec["span"])


def test_the_static_figure_starts_at_the_measuring_devices_lanes(explorer, measured):
    _, lanes = measured
    spec, figure = explorer.spec, explorer.static_figure
    assert spec["start"] == lanes.lanes and spec["presets"][0][1] == lanes.lanes
    curves = lane_curves(spec, spec["start"])
    assert list(figure.data[MOVING[0]].y) == curves["LSTM"][0] and list(figure.data[MOVING[-1]].y) == curves["step"]
    assert figure.layout.title.text == curves["title"]
    assert spec == dict(lanes_spec(lanes, 16, 2), start=lanes.lanes)


def test_the_page_gets_native_controls_above_the_figure_and_a_classic_script(page):
    _, html = page
    controls = html.index('class="flow-controls inpage-controls lanes-controls"')
    figure = html.index('<figure class="course-figure">')
    assert controls < figure < html.index("<script>lanesFmtInt") if "<script>lanesFmtInt" in html else controls < figure
    assert html.count('type="range"') == 1 and html.count("data-lanes=") == 3
    div = re.search(r'<div id="(fig-[0-9a-f]+)"', html).group(1)
    assert f'"div":"{div}"' in html and f'id="{div}-controls"' in html
    script = html[html.rindex("<script>"):]
    assert 'type="module"' not in script and "fetch(" not in script and "import(" not in script
    assert 'role="status" aria-live="polite"' in html and "aria-valuetext" in html


def test_without_the_site_build_the_bundle_also_has_the_live_face(explorer, monkeypatch):
    monkeypatch.delenv("COURSE_SITE_BUILD", raising=False)
    pytest.importorskip("ipywidgets")
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "lanes-controls" in bundle["text/html"]


def test_the_live_face_redraws_for_another_p(explorer):
    pytest.importorskip("ipywidgets")
    spec = explorer.spec
    widget = LanesWidget(spec, explorer.static_figure, spec["start"])
    widget.controls["lanes"].value = 4096
    curves = lane_curves(spec, 4096)
    assert list(widget.figure.data[MOVING[0]].y) == curves["LSTM"][0]
    assert list(widget.figure.data[MOVING[-1]].y) == curves["step"] and widget.figure.layout.title.text == curves["title"]
    assert "the modelled times at P = 4,096 lanes with PyTorch" in widget.status.widget.value


def test_keys_and_buttons_move_the_figure_from_file_url(page, explorer):
    path, _ = page
    with open_page(path) as tab:
        tab.wait_for_function("() => document.querySelector('.lanes-controls').dataset.lanes")
        plotted = "() => JSON.stringify(document.querySelector('.js-plotly-plot').data.map(t => t.y))"
        before = tab.evaluate(plotted)
        slider = tab.locator(".lanes-controls input[type=range]")
        slider.focus()
        for _ in range(20):                     # one octave: 20 steps of 0.05 in log2 P
            tab.keyboard.press("ArrowRight")
        lanes = int(tab.locator(".lanes-controls").get_attribute("data-lanes"))
        start = explorer.spec["start"]
        assert lanes == round(2 ** (math.log2(start) + 1)) and tab.evaluate(plotted) != before
        assert tab.locator(".flow-status").text_content() == lane_curves(explorer.spec, lanes)["status"]
        tab.get_by_role("button", name="V100: 5,120").click()
        assert tab.locator(".lanes-controls output").text_content() == "5,120"
        title = tab.evaluate("() => document.querySelector('.js-plotly-plot').layout.title.text")
        assert title == lane_curves(explorer.spec, 5120)["title"]
        assert tab.errors == []


@pytest.mark.parametrize("call, parameter", [
    (lambda runs, lanes: explore_lanes(runs, lanes, d_model=32), "d_model"),
    (lambda runs, lanes: explore_lanes(runs, lanes, d_model=16, start=0), "start"),
    (lambda runs, lanes: lane_curves(lanes_spec(lanes, 16, 2), 0), "lanes"),
])
def test_bad_input_names_the_parameter(measured, call, parameter):
    with pytest.raises(ValueError, match=names(parameter)):
        call(*measured)
