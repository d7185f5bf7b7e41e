"""What the tests of the in-page explorers (helpers/explorers/inpage.py) share: running a page's COMPUTE_JS in
Node, and a standalone page of an explorer's static face in headless Chromium, loaded from file:// with the
plotly.js bundle the site serves (book/_ext/course_assets.py). Node and Chromium are skipped where missing.
"""
import contextlib
import json
import shutil
import subprocess
from pathlib import Path

import plotly
import pytest

from helpers.explorers.inpage import COMMON_JS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# the basic bundle holds bar and scatter, the only trace types the two in-page figures draw
BASIC = ROOT / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no Node to run the page's script")


def run_node(compute_js, spec, expression):
    """JSON.parse of `expression` evaluated in Node after COMMON_JS, `compute_js` and `const spec = ...`."""
    program = (f"const atob = s => Buffer.from(s, 'base64').toString('latin1');\n{COMMON_JS}{compute_js}\n"
               f"const spec = {json.dumps(spec)};\nprocess.stdout.write(JSON.stringify({expression}));")
    done = subprocess.run(["node", "-e", program], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


def standalone_page(explorer, directory, monkeypatch):
    """The static face (as the site build renders it) in a page of its own, with plotly.js from node_modules."""
    monkeypatch.setenv("COURSE_SITE_BUILD", "1")
    html = explorer._repr_mimebundle_()["text/html"]
    bundle = BASIC if BASIC.exists() else FULL
    path = Path(directory) / "page.html"
    path.write_text(f"<html><head><meta charset='utf-8'><script src='{bundle.as_uri()}'></script></head>"
                    f"<body>{html}</body></html>", encoding="utf-8")
    return path, html


@contextlib.contextmanager
def open_page(path):
    """A tab of a headless Chromium on `path`, collecting script errors in tab.errors (skips without Chromium).

    Its own Playwright, closed on leaving: the session `browser` fixture of
    tests/conftest.py keeps a sync Playwright running, and a later test's own sync_playwright() then refuses to start.
    """
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium")
    from site_browser import launch
    with playwright.sync_playwright() as p:
        browser = launch(p)
        tab = browser.new_page()
        tab.errors = []
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        tab.goto(path.as_uri())
        try:
            yield tab
        finally:
            browser.close()
