"""What the explorers that compute in the page share: the controls' box above the figure and the classic
<script> that runs their computation for any value of the controls.

An explorer of this kind hands InPageExplorer its static figure, its live face, a JSON-able spec (the data
the page computes from), the HTML of its controls and two pieces of JavaScript: COMPUTE (pure functions
of the spec and the controls' values, which the tests run in Node) and WIRING (the body of a function
of spec, gd (the plotly div) and box (the controls' box) that listens to the controls and restyles the
figure). The script is classic, with no module, fetch or import, so it runs from file:// too; it waits
for plotly.js to have drawn the figure, then runs WIRING once.

The explorers whose page script is a static file of book/_static (1.3's and 1.4's flow engine, 1.6's
trainer) are marked instead (MarkedExplorer): a hidden <div> the script looks for goes before the explorer's
figure, and the caption's "Code:" line names the script.

Used by: helpers.explorers.attention, helpers.explorers.attention_page, helpers.explorers.cliff_page,
helpers.explorers.first_input_decay, helpers.explorers.flow_export, helpers.explorers.lanes,
helpers.explorers.local_attention.
"""
import base64
import json
import re

import numpy as np

from helpers.explorers import DualExplorer

STYLE = """<style>
.inpage-controls { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem 1.2rem; margin: .6rem 0;
  font-size: .9rem; color: var(--pst-color-text-base, inherit); }
.inpage-controls label { white-space: nowrap; }
.inpage-controls input[type=range] { width: 14rem; max-width: 60vw; vertical-align: middle; }
.inpage-controls input[type=text] { width: 18rem; max-width: 70vw; font-family: monospace; }
.inpage-controls input[aria-invalid=true] { outline: 2px solid #c0392b; }
.inpage-controls button { font-size: .8rem; padding: .1rem .5rem; }
.inpage-controls .inpage-group { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
.inpage-controls .inpage-line, .inpage-controls .flow-status { flex-basis: 100%; margin: 0; }
.inpage-controls .inpage-line output { font-family: monospace; }
.inpage-controls .flow-status { font-size: .8rem; opacity: .8; }
html[data-theme="dark"] .inpage-controls { color-scheme: dark; }
</style>"""

START_JS = r"""
(function () {
  var spec = __SPEC__;
  function wire(spec, gd, box) {
__WIRING__
  }
  function start(tries) {
    var gd = document.getElementById(spec.div), box = document.getElementById(spec.box);
    if (!gd || !box) return;
    if (typeof Plotly === "undefined" || !gd._fullLayout) {      // plotly.js still drawing: try again shortly
      if (tries < 100) setTimeout(function () { start(tries + 1); }, 50);
      return;
    }
    wire(spec, gd, box);
  }
  if (document.readyState === "complete") start(0); else window.addEventListener("load", function () { start(0); });
})();
"""


def float32_base64(values):
    """Values as little-endian float32 bytes in base64: what the page decodes with float32_array (COMMON_JS)."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


# Decoding the spec's base64 float32 into JS numbers (float64): each float32 is held exactly.
COMMON_JS = r"""
function inpageFloats(b64) {
  var bytes = atob(b64), buf = new ArrayBuffer(bytes.length), view = new Uint8Array(buf);
  for (var i = 0; i < bytes.length; i++) view[i] = bytes.charCodeAt(i);
  var dv = new DataView(buf), out = new Array(bytes.length / 4);
  for (var k = 0; k < out.length; k++) out[k] = dv.getFloat32(4 * k, true);
  return out;
}
"""


def page_script(compute_js, wiring_js, spec):
    """The classic <script>: the computation, then the wiring with the spec inlined."""
    body = START_JS.replace("__SPEC__", json.dumps(spec, separators=(",", ":"))).replace("__WIRING__", wiring_js)
    return f"<script>{COMMON_JS}{compute_js}{body}</script>"


def status_line():
    return '<p class="flow-status" role="status" aria-live="polite"></p>'


class InPageExplorer(DualExplorer):
    """The static face with controls above it that recompute in the page; the live face as every explorer's.

    controls(box_id, spec) -> the controls' HTML (a <div class="flow-controls inpage-controls" id=box_id>);
    code: more files for the caption's "Code:" line (DualExplorer)."""

    def __init__(self, static_figure, make_live, spec, controls, compute_js, wiring_js, code=()):
        super().__init__(static_figure, make_live, code=code)
        self.spec, self._controls, self.compute_js, self.wiring_js = spec, controls, compute_js, wiring_js

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = super()._repr_mimebundle_(include, exclude)
        figure = bundle["text/html"]
        div = re.search(r'<div id="(fig-[0-9a-f]+)"', figure).group(1)
        spec = dict(self.spec, div=div, box=f"{div}-controls")
        bundle["text/html"] = (STYLE + self._controls(spec["box"], spec) + figure
                               + page_script(self.compute_js, self.wiring_js, spec))
        return bundle


class MarkedExplorer:
    """An explorer shown with `marker` (a hidden <div> a page script looks for) before its figure, and
    `script` (that script's path) on its caption's "Code:" line; its live face, figure and every other
    attribute are the explorer's own."""

    def __init__(self, explorer, marker, script):
        self.explorer, self.marker = explorer, marker
        figure = getattr(explorer, "static_figure", None)
        if figure is not None:
            meta = dict(figure.layout.meta or {})
            meta["code"] = list(meta.get("code", [])) + [script]
            figure.update_layout(meta=meta)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.explorer._repr_mimebundle_(include, exclude))
        bundle["text/html"] = self.marker + bundle["text/html"]
        return bundle

    def __getattr__(self, name):          # figure, widget, ...: the explorer's own
        if name == "explorer":
            raise AttributeError(name)
        return getattr(self.explorer, name)
