"""Drill 1's explorer: how much of the first input each layer of a two-layer RNN still holds.

The measure is first_input_influence: ||h_t - h'_t|| when the two runs differ only in x_1.
Static face (the website): two native range inputs above the figure, the spectral radius of both W_hh
(orthogonal, rescaled) and the length, drive a classic script (COMPUTE_JS) that runs the course's
reference two-layer RNN in the page, in float64, for any radius and length, from the weights written
into the page (base64 float32: nn.RNN's default weights are float32 values, and the orthogonal matrices
and the inputs are rounded to float32 here, so the page holds them exactly). The network at PyTorch's
default initialisation stays drawn as a reference. tests/explorers/test_first_input_decay_page.py runs
COMPUTE_JS in Node against torch.nn.RNN. Live face: any radius and length, recomputed with the reader's
own two_layer_rnn (or the reference) at every change.

Used in: the summary.
"""
import numpy as np
import plotly.graph_objects as go
import torch

from helpers.core.checks import check_callable, check_float, check_int, check_seed
from helpers.core.seeding import seeded
from helpers.exercises.drills import first_input_influence, two_layer_rnn
from helpers.explorers import LiveExplorer, Range
from helpers.explorers.inpage import InPageExplorer, float32_base64, status_line
from helpers.figures.plots import PALETTE, describe, live_figure, round_sig
from helpers.models.inits import recurrent_matrix, rescale_to_radius, spectral_radius

PAGE_RADII = (0.1, 2.0, 0.01)     # the page's radius input: low, high, step
PAGE_LENGTHS = (10, 200, 10)      # and its length input: even lengths only, see decay_spec
INPUT_SIZE, HIDDEN_SIZE = 8, 32
FLOOR = -17   # log10 of the y axis floor: float64 cannot tell states apart below ~1e-17 of their size


def orthogonal_pair(seed=0):
    """The two orthogonal W_hh before rescaling (torch seed `seed + 2`), rounded to float32, held in float64."""
    generator = torch.Generator().manual_seed(check_seed(seed) + 2)
    return [recurrent_matrix(HIDDEN_SIZE, "orthogonal", generator, dtype=torch.float64).float().double() for _ in range(2)]


def decay_networks(radius, seq_len=40, seed=0):
    """(PyTorch-default params, the same with both W_hh orthogonal at `radius`, x), in float64.

    Seeds as in the chapter: torch seed `seed` for nn.RNN, `seed + 2` for the orthogonal matrices,
    `seed + 1` for the input sequence of shape (seq_len, 8), rounded to float32. Each orthogonal Q is
    scaled by rescale_to_radius, Q * (radius / spectral_radius(Q)): the page repeats that product.
    """
    radius = check_float("radius", radius, low=0.0, low_inclusive=False)
    seq_len = check_int("seq_len", seq_len, 1)
    seed = check_seed(seed)
    with seeded(seed):
        rnn = torch.nn.RNN(INPUT_SIZE, HIDDEN_SIZE, num_layers=2).double()
    default = {name: w.detach() for name, w in rnn.named_parameters()}
    scaled = dict(default)
    for name, q in zip(("weight_hh_l0", "weight_hh_l1"), orthogonal_pair(seed)):
        scaled[name] = rescale_to_radius(q, radius)
    x = torch.randn(seq_len, INPUT_SIZE, dtype=torch.float64, generator=torch.Generator().manual_seed(seed + 1))
    return default, scaled, x.float().double()


def decay_spec(seed=0, radius=1.0, seq_len=40):
    """What the page computes from: the default weights, the two orthogonal Q and their spectral radii, and the
    inputs of the longest length. torch's randn(n) is a prefix of randn(m) when n is a multiple of 16 (it redraws
    the last 16 values otherwise), so x[:L] is decay_networks's x for every even L, the page's lengths."""
    default, _, x = decay_networks(1.0, PAGE_LENGTHS[1], seed)
    qs = orthogonal_pair(seed)
    return {"weights": {name: float32_base64(w.flatten()) for name, w in default.items()},
            "orthogonal": [float32_base64(q.flatten()) for q in qs], "current": [spectral_radius(q).item() for q in qs],
            "x": float32_base64(x.flatten()), "input": INPUT_SIZE, "hidden": HIDDEN_SIZE,
            "radii": list(PAGE_RADII), "lengths": list(PAGE_LENGTHS), "start": [radius, seq_len]}


def _y(values):
    """3 significant figures; an exact 0 (no difference left in float64) becomes a gap."""
    return [r if v > 0 else None for v, r in zip(values, round_sig(values))]


def _curves(rnn_fn, radius, seq_len, seed):
    default, scaled, x = decay_networks(radius, seq_len, seed)
    return first_input_influence(rnn_fn, scaled, x), first_input_influence(rnn_fn, default, x)


def _check_explorer(rnn_fn, seq_len, seed):
    check_callable("rnn_fn", rnn_fn, "(x, params) -> (h1_states, h2_states)")
    low, high, step = PAGE_LENGTHS
    if check_int("seq_len", seq_len, low, high) % step:
        raise ValueError(f"seq_len must be a multiple of {step} (the length control's steps), got {seq_len!r}")
    check_seed(seed)


def decay_figure(scaled, default, radius):
    """Four curves: both layers at the given radius (traces 0, 1) and at PyTorch's default (2, 3)."""
    fig = go.Figure()
    for curves, label, color in ((scaled, "orthogonal W_hh", PALETTE[1]), (default, "PyTorch default", PALETTE[0])):
        for layer, d in enumerate(curves, start=1):
            fig.add_scatter(x=np.arange(1, len(d) + 1), y=_y(d), name=f"{label}, layer {layer}", mode="lines",
                            line=dict(color=color, dash="solid" if layer == 1 else "dash"))
    fig.update_yaxes(type="log", range=[FLOOR, 1], title="‖hₜ − h′ₜ‖ (log scale)", exponentformat="power")
    fig.update_xaxes(title="step t", range=[1, len(default[0])])
    fig.update_layout(title=f"How much of x₁ each layer holds (orthogonal W_hh at ρ = {radius:.2f})", height=480,
                      legend=dict(y=-0.2))
    return describe(
        fig,
        caption=("Distance between the states of a two-layer tanh RNN on two sequences that differ only in the "
                 "first input, per layer and step, with both W_hh orthogonal at the spectral radius on the slider "
                 "and, for reference, at PyTorch's default initialisation. Straight lines on this log scale are "
                 "exponential forgetting; watch the slope flatten as ρ approaches 1."),
        alt=("Line chart, log scale: state difference against step for layers 1 and 2 of a two-layer RNN, "
             "with a slider for the spectral radius of the recurrent matrices."))


def static_decay_figure(radius=1.0, seq_len=40, seed=0):
    """The website's figure at `radius` and `seq_len`, with the course's reference two_layer_rnn; the page's
    script recomputes it for any radius and length (COMPUTE_JS)."""
    _check_explorer(two_layer_rnn, seq_len, seed)
    radius = check_float("radius", radius, low=PAGE_RADII[0], high=PAGE_RADII[1])
    fig = decay_figure(*_curves(two_layer_rnn, radius, seq_len, seed), radius)
    fig.update_layout(height=520, legend=dict(y=-0.2))
    return fig


# The page's computation: the reference two_layer_rnn (helpers.exercises.drills) on x and on x with x_1
# negated, and ||h_t - h'_t|| per layer and step, in float64 (JS numbers).
COMPUTE_JS = r"""
function decayParams(spec) {
  if (!spec.decoded) {
    var w = {};
    for (var k in spec.weights) w[k] = inpageFloats(spec.weights[k]);
    spec.decoded = {w: w, q: spec.orthogonal.map(inpageFloats), x: inpageFloats(spec.x)};
  }
  return spec.decoded;
}
function decayLayer(W, b, U, c, input, h, n, H) {
  var out = new Array(H);
  for (var i = 0; i < H; i++) {
    var a = 0, j;
    for (j = 0; j < n; j++) a += W[i * n + j] * input[j];
    a += b[i];
    for (j = 0; j < H; j++) a += U[i * H + j] * h[j];
    out[i] = Math.tanh(a + c[i]);
  }
  return out;
}
function decayRun(p, x, L, I, H, flip) {
  var h1 = new Array(H).fill(0), h2 = new Array(H).fill(0), s1 = [], s2 = [];
  for (var t = 0; t < L; t++) {
    var xt = x.slice(t * I, (t + 1) * I);
    if (flip && t === 0) xt = xt.map(function (v) { return -v; });
    h1 = decayLayer(p.weight_ih_l0, p.bias_ih_l0, p.weight_hh_l0, p.bias_hh_l0, xt, h1, I, H);
    h2 = decayLayer(p.weight_ih_l1, p.bias_ih_l1, p.weight_hh_l1, p.bias_hh_l1, h1, h2, H, H);
    s1.push(h1); s2.push(h2);
  }
  return [s1, s2];
}
function decayDistances(p, x, L, I, H) {
  var a = decayRun(p, x, L, I, H, false), b = decayRun(p, x, L, I, H, true);
  return [0, 1].map(function (layer) {
    return a[layer].map(function (h, t) {
      var sum = 0;
      for (var i = 0; i < H; i++) { var d = h[i] - b[layer][t][i]; sum += d * d; }
      return Math.sqrt(sum);
    });
  });
}
function decayCurves(spec, radius, L) {
  var P = decayParams(spec), I = spec.input, H = spec.hidden, scaled = {};
  for (var k in P.w) scaled[k] = P.w[k];
  ["weight_hh_l0", "weight_hh_l1"].forEach(function (name, m) {
    var s = radius / spec.current[m];
    scaled[name] = P.q[m].map(function (v) { return v * s; });
  });
  var out = {scaled: decayDistances(scaled, P.x, L, I, H), "default": decayDistances(P.w, P.x, L, I, H)};
  function last(d) { var v = d[d.length - 1]; return v > 0 ? v.toExponential(1) : "0 (no difference left in float64)"; }
  out.title = "How much of x\u2081 each layer holds (orthogonal W_hh at \u03c1 = " + radius.toFixed(2) + ")";
  out.status = "\u03c1 = " + radius.toFixed(2) + ", " + L + " steps: at step " + L + " the orthogonal network's layers " +
    "differ by " + last(out.scaled[0]) + " and " + last(out.scaled[1]) + ", PyTorch's default by " +
    last(out["default"][0]) + " and " + last(out["default"][1]) + ".";
  return out;
}
"""

# The page's wiring: either input recomputes both networks and restyles all four curves.
WIRING_JS = r"""
    var radius = box.querySelector("input[data-control=radius]"), length = box.querySelector("input[data-control=length]");
    var status = box.querySelector(".flow-status");
    function set() {
      var r = Number(radius.value), L = Number(length.value), c = decayCurves(spec, r, L), steps = [];
      for (var t = 1; t <= L; t++) steps.push(t);
      var ys = c.scaled.concat(c["default"]).map(function (d) { return d.map(function (v) { return v > 0 ? v : null; }); });
      Plotly.restyle(gd, {x: [steps, steps, steps, steps], y: ys}, [0, 1, 2, 3]);
      Plotly.relayout(gd, {"xaxis.range": [1, L], "title.text": c.title});
      box.querySelector("output[data-control=radius]").textContent = r.toFixed(2);
      box.querySelector("output[data-control=length]").textContent = String(L);
      radius.setAttribute("aria-valuetext", "ρ = " + r.toFixed(2));
      length.setAttribute("aria-valuetext", L + " steps");
      status.textContent = c.status;
      box.dataset.radius = r.toFixed(2);
      box.dataset.length = String(L);
    }
    radius.addEventListener("input", set);
    length.addEventListener("input", set);
    set();
"""


def controls_html(box_id, spec):
    """Range inputs over the radius and the length, their readouts and the status line."""
    (r_low, r_high, r_step), (l_low, l_high, l_step), (r, L) = spec["radii"], spec["lengths"], spec["start"]
    return (f'<div class="flow-controls inpage-controls" id="{box_id}">'
            f'<label>ρ(W_hh) of both layers ({r_low:g}–{r_high:g}) <input type="range" data-control="radius" '
            f'min="{r_low}" max="{r_high}" step="{r_step}" value="{r:.2f}" aria-valuetext="ρ = {r:.2f}"> '
            f'<output data-control="radius">{r:.2f}</output></label>'
            f'<label>length ({l_low}–{l_high} steps) <input type="range" data-control="length" min="{l_low}" '
            f'max="{l_high}" step="{l_step}" value="{L}" aria-valuetext="{L} steps"> '
            f'<output data-control="length">{L}</output></label>{status_line()}</div>')


LIVE_CONTROLS = (Range("radius", "ρ(W_hh)", 0.1, 2.0, 0.05),
                 Range("seq_len", "length", 10, 200, 10, unit="steps", integer=True))


class DecayWidget(LiveExplorer):
    """Live face: spectral radius and length controls, recomputed with the reader's function."""

    def __init__(self, rnn_fn=two_layer_rnn, radius=1.0, seq_len=40, seed=0):
        _check_explorer(rnn_fn, seq_len, seed)
        self.rnn_fn, self.seed = rnn_fn, seed
        # the reader's two_layer_rnn runs on the CPU, in float64: the tensors decay_networks makes
        super().__init__(LIVE_CONTROLS, dict(radius=radius, seq_len=seq_len), torch.device("cpu"))

    def what(self, values):
        return f"both networks over {values['seq_len']} steps"

    def recompute(self, values):
        return _curves(self.rnn_fn, values["radius"], values["seq_len"], self.seed)

    def first_figure(self, curves, values):
        return live_figure(decay_figure(*curves, values["radius"]))

    def draw(self, curves, values):
        """Redraw both networks' curves in place."""
        scaled, default = curves
        with self.figure.batch_update():
            for trace, d in zip(self.figure.data, list(scaled) + list(default)):
                trace.x, trace.y = np.arange(1, len(d) + 1), _y(d)
            self.figure.layout.xaxis.range = [1, values["seq_len"]]
            self.figure.layout.title.text = (f"How much of x₁ each layer holds (orthogonal W_hh at ρ = "
                                             f"{values['radius']:.2f}, length {values['seq_len']}, on {self.device})")


def explore_first_input_decay(rnn_fn=two_layer_rnn, seq_len=40, seed=0):
    """Drill 1's explorer: live, computed with `rnn_fn(x, params) -> (h1_states, h2_states)`; on the website,
    with the course's reference, in the page."""
    _check_explorer(rnn_fn, seq_len, seed)
    return InPageExplorer(static_decay_figure(1.0, seq_len, seed), lambda: DecayWidget(rnn_fn, seq_len=seq_len, seed=seed),
                          decay_spec(seed, 1.0, seq_len), controls_html, COMPUTE_JS, WIRING_JS)
