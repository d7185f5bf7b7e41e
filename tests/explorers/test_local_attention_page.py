"""The local-attention explorer's page (helpers/explorers/local_attention.py): its script computes, for any
half-width D, what PyTorch's local_window_weights computes, and its slider moves the figure from file://.

Error analysis of the page (COMPUTE_JS, float64) against PyTorch (float64) on the same scores and p_t:
- the distances i - p_t, the window test |i - p_t| <= D, the count of positions scored, the window's ends
  p_t -+ D and the Gaussian's argument -(d d) / (2 sigma^2) are the same correctly rounded operations on the
  same doubles in the same order (torch's x ** 2 is x * x; 2 sigma^2 = D^2 / 2 is exact): equal bit for bit,
  and so is every weight outside the window (0 on both sides);
- the softmax inside the window sums in another order and calls another exp (V8's fdlibm port, torch's SLEEF
  or glibc): each side is within tests/tolerances.py's softmax bound of the exact value (max subtracted, exp
  within EXP_ULPS, a sum of n terms in any order, the division);
- the Gaussian is exp of a shared argument: within EXP_ULPS ulps on each side; its product with the softmax
  weight adds a rounding (tolerances.mul propagates both bounds rigorously).
Each side within e of the exact weight, the two differ by at most 2 e (tolerances.assert_agree). The y range
is 1.2 max(weights): the maxima differ by at most the largest 2 e, and each side rounds 1.2 m once.
"""
import math

import torch

from helpers.explorers.local_attention import COMPUTE_JS, explore_local_attention, local_spec
from helpers.models.attention import local_window_weights
from tests import tolerances as tol
from tests.explorers.inpage import needs_node, open_page, run_node, standalone_page

F64 = torch.float64
EXAMPLES = ((40, 16, 0), (2, 16, 1), (10, 16, 3), (200, 16, 5), (40, 64, 7))   # (S, hidden size, seed): the page's first
# a predicted p_t is never an integer; these are, so that a window's edge falls on a position (|s - p_t| = D)
EDGES = (0.0, 17.0, 39.0)


def specs():
    for S, hidden, seed in EXAMPLES:
        yield f"S = {S}, hidden {hidden}, seed {seed}", local_spec(S, 1, hidden, seed)
    for p_t in EDGES:
        yield f"S = 40, p_t = {p_t}", dict(local_spec(40, 1, 16, 0), p_t=p_t)


def torch_weights(spec, D):
    scores = torch.tensor(spec["scores"], dtype=F64).reshape(1, 1, -1)
    return local_window_weights(scores, torch.tensor([[spec["p_t"]]], dtype=F64), D)[0, 0]


def weight_bound(spec, D):
    """tests/tolerances.py's bound on |computed - exact| of every local-p weight, for either side."""
    scores = torch.tensor(spec["scores"], dtype=F64)
    distance = torch.arange(len(scores), dtype=F64) - spec["p_t"]
    inside = distance.abs() <= D
    soft = tol.softmax(F64, tol.Bounded.exact(scores.masked_fill(~inside, -math.inf), F64))
    sigma = max(D, 1) / 2
    g = torch.exp(-distance ** 2 / (2 * sigma ** 2))
    gauss = tol.Bounded(g, tol.EXP_ULPS[F64] * (2 * tol.U[F64] * g + tol.LAM[F64]), F64)
    return tol.mul(F64, soft, gauss)


@needs_node
def test_the_pages_weights_agree_with_pytorch_for_every_half_width():
    compared = 0
    for example, spec in specs():
        S = spec["src_len"]
        page = run_node(COMPUTE_JS, spec, f"Array.from({{length: {S}}}, (_, i) => localWeights(spec, i + 1))")
        for D, got in enumerate(page, start=1):
            want, bound = torch_weights(spec, D), weight_bound(spec, D)
            what = f"{example}, D = {D}"
            outside = (torch.arange(S, dtype=F64) - spec["p_t"]).abs() > D
            assert all(w == 0.0 for w, out in zip(got["weights"], outside) if out), what       # exact zeros
            tol.assert_agree(torch.tensor(got["weights"], dtype=F64), want, bound, what)
            scored = int((~outside).sum())
            assert got["scored"] == scored and got["name"] == f"local-p, D = {D}: {scored} positions scored", what
            assert (got["x0"], got["x1"]) == (spec["p_t"] - D, spec["p_t"] + D), what           # the same subtraction
            top = max(spec["global_max"], float(want.max()))
            allowance = 1.2 * 2 * float(bound.e.max()) + 2 * tol.U[F64] * 1.2 * (top + 2 * float(bound.e.max()))
            assert got["range"][0] == 0 and abs(got["range"][1] - 1.2 * top) <= allowance, what
            compared += 1
    assert compared == sum(S for S, _, _ in EXAMPLES) + 40 * len(EDGES) >= 25


def test_the_static_figure_is_the_one_the_page_starts_from():
    explorer = explore_local_attention(src_len=30, half_width=3)
    fig, spec = explorer.static_figure, explorer.spec
    assert spec["start"] == 3 and spec["src_len"] == 30 and not fig.layout.sliders
    assert fig.layout.shapes[0].x0 == spec["p_t"] - 3 and fig.layout.shapes[0].x1 == spec["p_t"] + 3
    assert list(fig.data[1].y) == [round(float(w), 4) for w in torch_weights(spec, 3)]
    assert fig.data[0].type == "bar" and fig.data[1].type == "scatter"       # plotly's basic bundle draws both


def test_the_keyboard_moves_the_window_from_file_url(tmp_path, monkeypatch):
    explorer = explore_local_attention(src_len=40, half_width=4, seed=0)
    path, html = standalone_page(explorer, tmp_path, monkeypatch)
    assert html.index("inpage-controls") < html.index('<figure class="course-figure">')
    script = html[html.rindex("<script>"):]
    assert 'type="module"' not in script and "fetch(" not in script and "import(" not in script
    assert 'role="status" aria-live="polite"' in html and "aria-valuetext" in html
    with open_page(path) as tab:
        tab.wait_for_function("() => document.querySelector('.inpage-controls').dataset.halfWidth")
        slider = tab.get_by_role("slider", name="window half-width D")
        slider.focus()
        for _ in range(3):
            tab.keyboard.press("ArrowRight")
        assert tab.locator(".inpage-controls output").text_content() == "7"
        tab.keyboard.press("End")
        tab.keyboard.press("ArrowLeft")
        assert tab.locator(".inpage-controls").get_attribute("data-half-width") == "39"
        drawn = tab.evaluate("() => { const gd = document.querySelector('.js-plotly-plot');"
                             " return {y: gd.data[1].y, name: gd.data[1].name, shape: gd.layout.shapes[0]}; }")
        node = run_node(COMPUTE_JS, explorer.spec, "localWeights(spec, 39)")
        assert drawn["name"] == node["name"]             # the weights: Chromium's V8 need not round exp as Node's does
        assert (drawn["shape"]["x0"], drawn["shape"]["x1"]) == (node["x0"], node["x1"])
        tol.assert_agree(torch.tensor(drawn["y"], dtype=F64), torch_weights(explorer.spec, 39),
                         weight_bound(explorer.spec, 39), "D = 39 in the browser")
        assert tab.locator(".inpage-controls .flow-status").text_content() == node["status"]
        assert tab.errors == []
