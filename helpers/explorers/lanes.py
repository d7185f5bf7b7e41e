"""The lanes explorer of chapter 1.8: move the number of parallel lanes P and see where an LSTM layer
and a Transformer layer change places.

The curves are closed formulas (helpers.measure.lanes), so both faces compute them for any P:
- on the website, a native <input type=range> and three buttons above the figure (keyboard operable,
  working from file://) drive a small classic script (helpers.explorers.inpage) that evaluates the
  formulas in the page and restyles the figure; `lane_curves` below is the same computation in Python,
  and the tests run the script's compute part in Node and compare;
- live, a LiveExplorer whose dropdown picks P and redraws the figure with PyTorch's arithmetic.
r and t are those measured on the device that ran the chapter (helpers.measure.lanes.measure_lanes).

Used in: 1.8.
"""
import html
import math

import numpy as np
import torch

from helpers.core.checks import check_int
from helpers.explorers import Choice, LiveExplorer
from helpers.explorers.inpage import InPageExplorer, status_line
from helpers.figures.lanes import MOVING, lanes_figure
from helpers.figures.plots import live_figure
from helpers.measure.hardware import TRANSFORMER_LAYER_DEPENDENT
from helpers.measure.lanes import check_lane_model, layer_costs
from helpers.measure.published import GPUS, lstm_steps, published_lanes

LENGTHS = tuple(int(round(2 ** (k / 4))) for k in range(16, 73))     # 16 to 262,144 tokens, quarter octaves
STEP_WORK = tuple(float(10 ** (k / 4)) for k in range(4, 43))        # 10 to 3e10 FLOPs in one step
MAX_LOG2 = 16                                                       # the slider: P from 1 to 65,536
GPU_PRESETS = GPUS                                                  # buttons at the GPUs' FP32 lanes
LIVE_LANES = tuple(2 ** k for k in range(MAX_LOG2 + 1))


def _fmt_int(x):
    return f"{round(x):,}"


def _fmt_time(seconds):
    """'2.5 ms', '310 µs', '1,200 s': two significant figures, as the page's script writes them."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor or unit == "µs":
            v = float(f"{seconds / factor:.2g}")
            return f"{_fmt_int(v)} {unit}" if v >= 100 else f"{v:g} {unit}"
    raise AssertionError("unreachable")


def lanes_spec(lanes, d_model=128, batch=2):
    """Everything the model needs, JSON-able: the counted W and D of both layers, r, t, the grids."""
    costs = layer_costs(LENGTHS, d_model, batch)
    return {"lengths": list(LENGTHS), "step_work": list(STEP_WORK), "d_model": d_model, "batch": batch,
            "rate": lanes.lane_rate, "latency": lanes.latency, "lanes_here": lanes.lanes, "span": TRANSFORMER_LAYER_DEPENDENT,
            "work": {name: list(w) for name, (w, _) in costs.items()}, "depth": {name: list(d) for name, (_, d) in costs.items()},
            "probe": LENGTHS.index(2048), "max_log2": MAX_LOG2, "moving": list(MOVING),
            "presets": [["this page's device", lanes.lanes]] + [[gpu, published_lanes(gpu)[0]] for gpu in GPU_PRESETS]}


def lane_curves(spec, lanes):
    """The curves at P = `lanes`, in Python: the same arithmetic, in the same order, as COMPUTE_JS."""
    lanes, rate, latency = check_lane_model(lanes, spec["rate"], spec["latency"])
    pr = lanes * rate
    out = {}
    for name in ("LSTM", "Transformer layer"):
        spread = [w / pr for w in spec["work"][name]]
        chain = [d * latency for d in spec["depth"][name]]
        out[name] = ([max(a, c) for a, c in zip(spread, chain)], [a + c for a, c in zip(spread, chain)])
    out["step"] = [max(w / pr, latency) for w in spec["step_work"]]
    b, d, n = spec["batch"], spec["d_model"], spec["lengths"]
    nstar = (pr * latency - 16 * b * d * d) / (4 * b * d)
    out["nstar"] = nstar
    every = out["LSTM"][0] + out["LSTM"][1] + out["Transformer layer"][0] + out["Transformer layer"][1]
    inside = n[0] <= nstar <= n[-1]
    out["crossover"] = ([nstar, nstar], [min(every), max(every)]) if inside else ([], [])
    head = f"P = {_fmt_int(lanes)} lanes (model; d_model {d}, batch {b})"
    if nstar > spec["span"]:
        where = _fmt_int(float(f"{nstar:.2g}"))
        short = f"the Transformer layer is faster for {spec['span']} < n < {where}"
        verdict = f"the Transformer layer is faster between n = {spec['span']} and about n = {where}" + (
            "" if inside else ", beyond the axis")
    else:
        short = "the LSTM is faster at every length"
        verdict = short + ": its steps' own work, spread over the lanes, outlasts t"
    out["title"] = f"{head}<br>{short}"
    k = spec["probe"]
    out["status"] = (f"P = {_fmt_int(lanes)} lanes: at n = {_fmt_int(n[k])} the LSTM needs at least "
                     f"{_fmt_time(out['LSTM'][0][k])}, the Transformer layer at least "
                     f"{_fmt_time(out['Transformer layer'][0][k])}; {verdict}.")
    return out


def _restyle(curves, spec):
    """{"x": [...], "y": [...]} for the MOVING traces, in their order."""
    n, lstm, tf = spec["lengths"], curves["LSTM"], curves["Transformer layer"]
    x = [n, n, n, n, curves["crossover"][0], spec["step_work"]]
    y = [lstm[0], lstm[1], tf[0], tf[1], curves["crossover"][1], curves["step"]]
    return {"x": x, "y": y}


# The page's computation: the formulas of lane_curves, line for line (tests/explorers/test_lanes.py
# runs this in Node and compares with lane_curves).
COMPUTE_JS = r"""
function lanesFmtInt(x) { return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
function lanesFmtTime(seconds) {
  var units = [["s", 1.0], ["ms", 1e-3], ["\u00b5s", 1e-6]];
  for (var i = 0; i < units.length; i++) {
    if (seconds >= units[i][1] || i === units.length - 1) {
      var v = Number((seconds / units[i][1]).toPrecision(2));
      return (v >= 100 ? lanesFmtInt(v) : String(v)) + " " + units[i][0];
    }
  }
}
function lanesCurves(spec, lanes) {
  var pr = lanes * spec.rate, t = spec.latency, out = {};
  ["LSTM", "Transformer layer"].forEach(function (name) {
    var W = spec.work[name], D = spec.depth[name], lo = [], hi = [];
    for (var i = 0; i < W.length; i++) { var a = W[i] / pr, c = D[i] * t; lo.push(Math.max(a, c)); hi.push(a + c); }
    out[name] = [lo, hi];
  });
  out.step = spec.step_work.map(function (w) { return Math.max(w / pr, t); });
  var b = spec.batch, d = spec.d_model, n = spec.lengths;
  var nstar = (pr * t - 16 * b * d * d) / (4 * b * d);
  out.nstar = nstar;
  var every = out.LSTM[0].concat(out.LSTM[1], out["Transformer layer"][0], out["Transformer layer"][1]);
  var inside = n[0] <= nstar && nstar <= n[n.length - 1];
  out.crossover = inside ? [[nstar, nstar], [Math.min.apply(null, every), Math.max.apply(null, every)]] : [[], []];
  var head = "P = " + lanesFmtInt(lanes) + " lanes (model; d_model " + d + ", batch " + b + ")";
  var short, verdict;
  if (nstar > spec.span) {
    var where = lanesFmtInt(Number(nstar.toPrecision(2)));
    short = "the Transformer layer is faster for " + spec.span + " < n < " + where;
    verdict = "the Transformer layer is faster between n = " + spec.span + " and about n = " + where +
      (inside ? "" : ", beyond the axis");
  } else {
    short = "the LSTM is faster at every length";
    verdict = short + ": its steps' own work, spread over the lanes, outlasts t";
  }
  out.title = head + "<br>" + short;
  var k = spec.probe;
  out.status = "P = " + lanesFmtInt(lanes) + " lanes: at n = " + lanesFmtInt(n[k]) + " the LSTM needs at least " +
    lanesFmtTime(out.LSTM[0][k]) + ", the Transformer layer at least " + lanesFmtTime(out["Transformer layer"][0][k]) +
    "; " + verdict + ".";
  return out;
}
"""

# The page's wiring: the controls above the figure move P; every change restyles the moving traces.
WIRING_JS = r"""
    var slider = box.querySelector("input[type=range]"), out = box.querySelector("output");
    var status = box.querySelector(".flow-status");
    function set(lanes) {
      lanes = Math.max(1, Math.min(Math.round(lanes), Math.pow(2, spec.max_log2)));
      var c = lanesCurves(spec, lanes), lstm = c.LSTM, tf = c["Transformer layer"], n = spec.lengths;
      Plotly.restyle(gd, {x: [n, n, n, n, c.crossover[0], spec.step_work],
                          y: [lstm[0], lstm[1], tf[0], tf[1], c.crossover[1], c.step]}, spec.moving);
      Plotly.relayout(gd, {"title.text": c.title});
      if (document.activeElement !== slider) slider.value = String(Math.log2(lanes));
      out.textContent = lanesFmtInt(lanes);
      slider.setAttribute("aria-valuetext", "P = " + lanesFmtInt(lanes) + " lanes");
      status.textContent = c.status;
      box.dataset.lanes = String(lanes);
    }
    slider.addEventListener("input", function () { set(Math.pow(2, Number(slider.value))); });
    box.querySelectorAll("button[data-lanes]").forEach(function (b) {
      b.addEventListener("click", function (e) { e.preventDefault(); set(Number(b.dataset.lanes)); });
    });
    set(spec.start);
"""


def controls_html(box_id, spec):
    """The controls above the figure: a range input over log2 P, its readout, a button per preset, a status line."""
    start = spec["start"]
    buttons = " ".join(f'<button type="button" data-lanes="{p}">{html.escape(label)}: {p:,}</button>'
                       for label, p in spec["presets"])
    return (f'<div class="flow-controls inpage-controls lanes-controls" id="{box_id}">'
            f'<label>lanes P (1–{2 ** spec["max_log2"]:,}, log scale) '
            f'<input type="range" min="0" max="{spec["max_log2"]}" step="0.05" value="{math.log2(start):.4f}" '
            f'aria-valuetext="P = {start:,} lanes"> <output>{start:,}</output></label>'
            f'<span>{buttons}</span>{status_line()}</div>')


class LanesWidget(LiveExplorer):
    """Live face: pick P; the model's curves are recomputed (PyTorch, float64) and redrawn."""

    def __init__(self, spec, figure, lanes):
        self.spec, self.static = spec, figure
        options = sorted({*LIVE_LANES, *(p for _, p in spec["presets"])})
        super().__init__((Choice("lanes", "lanes P", options),), {"lanes": lanes}, "cpu")

    def what(self, values):
        return f"the modelled times at P = {values['lanes']:,} lanes"

    def recompute(self, values):
        curves = lane_curves(self.spec, values["lanes"])
        # the same bounds once more with PyTorch's arithmetic, as a check that the formulas agree
        work = torch.tensor(self.spec["work"]["LSTM"], dtype=torch.float64)
        spread = work / (values["lanes"] * self.spec["rate"])
        chain = torch.tensor(self.spec["depth"]["LSTM"], dtype=torch.float64) * self.spec["latency"]
        if not np.allclose(torch.maximum(spread, chain).numpy(), curves["LSTM"][0], rtol=1e-12, atol=0):
            raise RuntimeError("the LSTM's bound differs between NumPy and PyTorch")
        return curves

    def first_figure(self, curves, values):
        return live_figure(self.static, height=820)

    def draw(self, curves, values):
        """Restyle the moving traces and the title in place."""
        update = _restyle(curves, self.spec)
        with self.figure.batch_update():
            for k, x, y in zip(MOVING, update["x"], update["y"]):
                self.figure.data[k].x, self.figure.data[k].y = x, y
            self.figure.layout.title.text = curves["title"]


def _measured(run):
    """{layer: (lengths, seconds, low, high)} of one Throughput (helpers.measure.throughput)."""
    out = {}
    for name, timings in (("LSTM", run.lstm_timings), ("Transformer layer", run.transformer_timings)):
        out[name] = (list(run.lengths), [t.median for t in timings], [t.low for t in timings], [t.high for t in timings])
    return out


def _steps(runs, lanes):
    """This page's LSTM steps: each width's longest length (time over n), and the one-unit LSTM's step."""
    work, seconds, low, high, labels = [], [], [], [], []
    for d, run in sorted(runs.items()):
        n, timing = run.lengths[-1], run.lstm_timings[-1]
        work.append(16.0 * run.batch * d * d)
        seconds.append(timing.median / n)
        low.append(timing.low / n)
        high.append(timing.high / n)
        labels.append(f"nn.LSTM, d_model {d}, batch {run.batch}, n = {n}")
    work.insert(0, 16.0 * lanes.batch)
    seconds.insert(0, lanes.latency)
    low.insert(0, lanes.spread()["latency"][0])
    high.insert(0, lanes.spread()["latency"][1])
    labels.insert(0, f"nn.LSTM one unit wide, batch {lanes.batch}: t")
    return work, seconds, low, high, labels


def _published():
    out = {}
    for gpu in GPUS:
        work, seconds, rows = lstm_steps(gpu)
        P, r, t = published_lanes(gpu)
        labels = [f"hidden {h}, batch {n}, {s} steps" for h, n, s, _ in rows]
        out[gpu] = (work, seconds, labels, list(STEP_WORK), [max(w / (P * r), t) for w in STEP_WORK])
    return out


def explore_lanes(runs, lanes, d_model=128, start=None):
    """The explorer: runs ({d_model: Throughput}, measured on the device that ran `lanes`), `lanes`
    (helpers.measure.lanes.Lanes), the width whose layers are modelled, and the P to start at
    (default: the lanes of the device that measured)."""
    runs = dict(runs)
    if d_model not in runs:
        raise ValueError(f"d_model must be one of the measured widths {sorted(runs)}, got {d_model!r}")
    run = runs[d_model]
    start = lanes.lanes if start is None else check_int("start", start, 1, 2 ** MAX_LOG2)
    spec = dict(lanes_spec(lanes, d_model, run.batch), start=start)
    curves = lane_curves(spec, start)
    figure = lanes_figure(curves, LENGTHS, STEP_WORK, _measured(run), _steps(runs, lanes), _published(), curves["title"],
                          f"{lanes.lanes:,}", lanes.device)
    return InPageExplorer(figure, lambda: LanesWidget(spec, figure, start), spec, controls_html, COMPUTE_JS, WIRING_JS)

