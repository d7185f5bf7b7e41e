"""The built site and the headless Chromium that the browser tests drive (tests/conftest.py serves both).

Chromium is Debian's package (`make chromium`), never a browser Playwright downloads, so the tests run
offline. COURSE_SITE points the tests at another built site.
"""
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("COURSE_SITE", ROOT / "_build" / "html"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# no sandbox (CI runs as root), no GPU, and nothing that reaches the network on its own
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def launch(playwright):
    """A headless Chromium from a running `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
