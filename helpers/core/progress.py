"""Progress bars for the course's training loops: tqdm's settings in one place.

A bar is left in place when its loop ends. Closing a notebook bar (tqdm's `leave=False`) destroys
its widget while JupyterLab still holds a view of it, and JupyterLab 4 then reports "Error
displaying widget: model not found" (ipywidgets issue 3821, tqdm issue 1497). A loop that ends
within a second shows no bar at all, and none is drawn while the website is built: the site runs
no widget code, so a bar there would only add its widget state to the page.

Used by: 7 modules of helpers.
"""
import os

from tqdm.auto import tqdm

SHOW_AFTER_S = 1.0
REDRAW_EVERY_S = 1.0   # plenty for a bar; nbval reads a kernel's messages only once its cell ends,
                       # so thousands of updates could overflow its message queue


def progress_bar(iterable, desc, enabled=True):
    """`iterable`, with a bar labelled `desc` once it has run for a second (when `enabled`)."""
    hidden = not enabled or bool(os.environ.get("COURSE_SITE_BUILD"))
    return tqdm(iterable, desc=desc, disable=hidden, leave=True, delay=SHOW_AFTER_S,
                mininterval=REDRAW_EVERY_S)
