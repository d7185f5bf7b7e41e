"""Shared test setup: import `helpers` from the project root, keep torch to one thread, and serve the
built site to one headless Chromium for every browser test (tests/site_browser.py).

The tensors in these tests are tiny (hidden sizes up to 64), so a second thread buys nothing;
on a busy 2-core runner it costs a great deal, because every small batched matmul then waits
at an OpenMP barrier for a core another process holds (a 1000-step gradient_flow call went
from 0.03 s to 23 s that way while a book build ran alongside).
"""
import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# tests/ is a package (two layers may each have a test file of the same name), so pytest no longer puts
# it on sys.path; the scripts beside this file (store_checked_outputs, checked_outputs) are imported by name
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

torch.set_num_threads(1)



@pytest.fixture(scope="session")
def server():
    """The built site over HTTP on a free local port (file:// pages cannot fetch the WebAssembly kernels)."""
    from site_browser import SITE

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; each test opens its own pages. Module scope, not session:
    Playwright's sync API allows one instance per thread at a time, and some modules start their own."""
    from playwright.sync_api import sync_playwright

    from site_browser import launch
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
