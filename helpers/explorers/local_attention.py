"""The local-attention explorer of chapter 1.7: the window's half-width D, any D from 1 to S, computed in
the page on the site, and any D, source length and seed live, recomputed with PyTorch.

On the website a native <input type=range> above the figure (keyboard operable, working from file://)
drives a small classic script (COMPUTE_JS) that applies Luong's local-p weighting to the example's
scores for the chosen D: the window |s - p_t| <= D, the softmax inside it, the Gaussian of sigma D/2,
the positions scored. The scores and p_t do not depend on D; they are computed here with PyTorch and
written into the page. tests/explorers/test_local_attention_page.py runs COMPUTE_JS in Node and compares
it with helpers.models.attention.local_window_weights.

Used in: 1.7.
"""
import html

import torch

from helpers.core.checks import SEED_MAX
from helpers.explorers import LiveExplorer, Range
from helpers.explorers.inpage import InPageExplorer, status_line
from helpers.figures.local_attention import local_attention_figure
from helpers.figures.plots import live_figure
from helpers.models.local_attention import check_example, example_scores


def _frame(src_len, half_width, hidden_size, seed):
    """What changes with D: the traces' y and names, the window's shapes, its label, the y range."""
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    return ({"y": [list(t.y) for t in fig.data], "name": [t.name for t in fig.data]},
            {"shapes": [s.to_plotly_json() for s in fig.layout.shapes],
             "annotations": [a.to_plotly_json() for a in fig.layout.annotations],
             "yaxis.range": list(fig.layout.yaxis.range)})


def local_spec(src_len=40, half_width=4, hidden_size=16, seed=0):
    """What the page computes from: the example's float64 scores and p_t (JSON keeps a double exactly),
    the largest global weight (for the y range) and the D to start at."""
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
    scores, p_t = example_scores(src_len, hidden_size, seed)
    return {"scores": scores[0, 0].tolist(), "p_t": float(p_t), "src_len": src_len, "start": half_width,
            "global_max": float(torch.softmax(scores[0, 0], -1).max())}


# The page's computation: local_window_weights's steps for one query, in float64 (JS numbers).
COMPUTE_JS = r"""
function localWeights(spec, D) {
  var s = spec.scores, p = spec.p_t, S = s.length, dist = [], inside = [], top = -Infinity, scored = 0, i;
  for (i = 0; i < S; i++) {
    dist.push(i - p);
    inside.push(Math.abs(dist[i]) <= D);
    if (inside[i]) { scored += 1; if (s[i] > top) top = s[i]; }
  }
  var e = [], sum = 0;
  for (i = 0; i < S; i++) { e.push(inside[i] ? Math.exp(s[i] - top) : 0); sum += e[i]; }
  var sigma = Math.max(D, 1) / 2, twoVar = 2 * (sigma * sigma), w = [], most = spec.global_max;
  for (i = 0; i < S; i++) {
    w.push(inside[i] ? (e[i] / sum) * Math.exp(-(dist[i] * dist[i]) / twoVar) : 0);
    if (w[i] > most) most = w[i];
  }
  return {weights: w, scored: scored, x0: p - D, x1: p + D, range: [0, 1.2 * most],
          name: "local-p, D = " + D + ": " + scored + " positions scored",
          status: "D = " + D + ": local-p scores " + scored + " of " + S + " positions, the window [" +
            (p - D).toFixed(1) + ", " + (p + D).toFixed(1) + "] around p_t = " + p.toFixed(1) +
            "; global attention scores all " + S + "."};
}
"""

# The page's wiring: the slider moves D; the local curve, its name, the shaded window and the y range follow.
WIRING_JS = r"""
    var slider = box.querySelector("input[type=range]"), out = box.querySelector("output");
    var status = box.querySelector(".flow-status");
    function set(D) {
      D = Math.max(1, Math.min(Math.round(D), spec.src_len));
      var c = localWeights(spec, D);
      Plotly.restyle(gd, {y: [c.weights], name: [c.name]}, [1]);
      Plotly.relayout(gd, {"shapes[0].x0": c.x0, "shapes[0].x1": c.x1, "yaxis.range": c.range});
      out.textContent = String(D);
      slider.setAttribute("aria-valuetext", "D = " + D + " positions");
      status.textContent = c.status;
      box.dataset.halfWidth = String(D);
    }
    slider.addEventListener("input", function () { set(Number(slider.value)); });
    set(spec.start);
"""


def controls_html(box_id, spec):
    """A range input over D = 1, ..., S, its readout and the status line."""
    D, S = spec["start"], spec["src_len"]
    return (f'<div class="flow-controls inpage-controls" id="{html.escape(box_id)}">'
            f'<label>window half-width D (1–{S} positions) '
            f'<input type="range" min="1" max="{S}" step="1" value="{D}" aria-valuetext="D = {D} positions"> '
            f'<output>{D}</output></label>{status_line()}</div>')


def static_local_figure(src_len=40, half_width=4, hidden_size=16, seed=0):
    """The website's figure at the starting D; the page's script moves D (COMPUTE_JS)."""
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
    fig = local_attention_figure(src_len, half_width, hidden_size, seed)
    fig.update_layout(height=460)
    return fig


LIVE_CONTROLS = (Range("half_width", "half-width D", 1, 50, 1, unit="positions", integer=True),
                 Range("src_len", "source length S", 10, 200, 5, unit="positions", integer=True),
                 Range("seed", "seed", 0, SEED_MAX, 1, unit="random states", integer=True, box=True))


class LocalAttentionWidget(LiveExplorer):
    """Live face: recompute the example with PyTorch for any D, source length and seed."""

    def __init__(self, src_len=40, half_width=4, hidden_size=16, seed=0):
        src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
        self.hidden_size = hidden_size
        super().__init__(LIVE_CONTROLS, dict(half_width=half_width, src_len=src_len, seed=seed), torch.device("cpu"))

    def what(self, values):
        return f"one query over {values['src_len']} positions"

    def recompute(self, values):
        D = min(values["half_width"], values["src_len"])      # a window no wider than the source
        return _frame(values["src_len"], D, self.hidden_size, values["seed"])

    def first_figure(self, frame, values):
        D = min(values["half_width"], values["src_len"])
        return live_figure(local_attention_figure(values["src_len"], D, self.hidden_size, values["seed"]))

    def draw(self, frame, values):
        """Redraw in place for the current controls."""
        traces, layout = frame
        with self.figure.batch_update():
            for trace, y, name in zip(self.figure.data, traces["y"], traces["name"]):
                trace.x, trace.y, trace.name = list(range(values["src_len"])), y, name
            self.figure.layout.shapes = layout["shapes"]
            self.figure.layout.annotations = layout["annotations"]
            self.figure.layout.yaxis.range = layout["yaxis.range"]


def explore_local_attention(src_len=40, half_width=4, hidden_size=16, seed=0):
    """Global against local-p attention for one query, with the window's half-width D to explore."""
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed)
    return InPageExplorer(static_local_figure(src_len, half_width, hidden_size, seed),
                          lambda: LocalAttentionWidget(src_len, half_width, hidden_size, seed),
                          local_spec(src_len, half_width, hidden_size, seed), controls_html, COMPUTE_JS, WIRING_JS)
