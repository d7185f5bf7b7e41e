"""Site plumbing for the course: plotly.js served once, no kernel widgets, no thebe.

- book/_static (the course's stylesheet, course.css, and course.js, which redraws figures inside
  folded dropdowns when they open) is served with the site.
- Figures in the chapters are bare <div>s (see helpers/figures/plots.py): plotly.js, as shipped inside
  the plotly Python package, is copied into the site's _static folder and loaded in every page's
  <head>, so the browser caches one copy and the site reads with no network.
- The kernels that execute the chapters inherit COURSE_SITE_BUILD=1, which tells explorers to
  emit only their static figure: a live widget's saved state would embed plotly's widget bundle
  (about 5 MB) in the page and show nothing without a kernel.
- They also inherit TORCH_NUM_THREADS=1 unless it is set: the checked outputs are stored on one
  thread (see helpers.start_notebook), and a reader's own kernel keeps all its cores.
- The gradient-flow explorers of chapters 1.3 and 1.4 also compute in the reader's browser:
  book/_static/flow_engine.js is loaded in every page (it does nothing where no figure asks for it),
  and the matrices and inputs PyTorch draws for each hidden size are written here, into the site's
  _static, as classic data scripts the engine loads on demand (helpers/explorers/flow_export.py). They are
  build outputs, not files in git.
- Jupyter Book 1 always loads sphinx-thebe, whose page script is added twice and throws
  "Identifier 'THEBE_JS_URL' has already been declared". The course does not use thebe, so its
  hooks are removed.
"""
import os
import shutil
from pathlib import Path

import plotly

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SITE_BUILD_ENV = "COURSE_SITE_BUILD"


def add_plotly_js(app):
    target = Path(app.outdir).parent / ".assets"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(PLOTLY_JS, target / "plotly.min.js")
    from helpers.explorers.flow_export import write_data_scripts  # imports torch: only when a site is built
    write_data_scripts(target)
    app.config.html_static_path.append(str(target))


def drop_thebe(app, config):
    for event in ("env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)


def setup(app):
    os.environ[SITE_BUILD_ENV] = "1"
    os.environ.setdefault("TORCH_NUM_THREADS", "1")
    app.config.html_static_path.append(str(Path(__file__).resolve().parents[1] / "_static"))
    app.add_css_file("course.css")
    app.add_js_file("course.js")    # redraws figures inside dropdowns when they open
    app.connect("config-inited", drop_thebe)
    app.connect("builder-inited", add_plotly_js)
    app.add_js_file("plotly.min.js", priority=100)
    app.add_js_file("flow_engine.js", priority=600)   # after plotly.js; computes the flow explorers in the page
    return {"parallel_read_safe": True, "parallel_write_safe": True}
