"""Drill 1's explorer page (helpers/explorers/first_input_decay.py): its script runs the two-layer RNN for any
radius and length and gives what torch.nn.RNN gives in float64 on the same weights, and its controls move the
figure from file://.

Error analysis of the page (COMPUTE_JS, float64) against torch.nn.RNN (float64) on the same float32 weights and
inputs. Shared bit for bit: the decoded weights and inputs (float32 values, exact in float64), the negated
x_1, and the rescaled W_hh = Q * (radius / rho(Q)) (the same two correctly rounded operations on both sides).
Not shared: each pre-activation is one sum of I + H + 2 terms (8 + 32 + 2 for layer 1, 32 + 32 + 2 for layer
2) that the page adds left to right and torch in its own order (input projections for all steps first, FMA or
not), and tanh is V8's (fdlibm's s_tanh.c, the code of glibc's dbl-64 tanh) or torch's (SLEEF or glibc):
- one step on exact inputs: tests/tolerances.py's dot bound, gamma_n times the sum of |terms|, then its tanh
  bound (the slope on the input's interval times that error, plus TANH_ULPS ulps): eps_t, componentwise;
- across steps, to first order, the incoming error goes through the exact Jacobian of the step:
  delta1_t = D1_t W_hh0 delta1_{t-1} + eps1_t and delta2_t = D2_t (W_ih1 delta1_t + W_hh1 delta2_{t-1}) + eps2_t,
  D_t = diag(1 - h_t^2); in 2-norms N1_t = ||D1_t W_hh0|| N1_{t-1} + ||eps1_t|| and N2_t = ||D2_t W_ih1|| N1_t +
  ||D2_t W_hh1|| N2_{t-1} + ||eps2_t|| (spectral norms at the values computed here), times tolerances'
  FIRST_ORDER_MARGIN; first order is trusted only while N_t <= FIRST_ORDER_LIMIT ||h_t|| at every step so far
  (as tolerances.recurrence): beyond that step (the chaotic runs at large radii, where two float64 runs part)
  a curve is not compared, and the test says how many points that leaves out; below radius 1 it leaves none;
- the distance ||h - h'||: the two states' errors, the subtraction's rounding (u |h - h'|), then tolerances'
  norm bound (gamma_H / 2 + 2 u relative).
Each side is within that bound of the exact value, so the two may differ by twice it (tolerances.assert_agree);
where d is near 0 the allowance is absolute, about 1e-15: float64 cannot tell the two runs apart there.
"""
import base64

import numpy as np
import torch

from helpers.explorers.first_input_decay import COMPUTE_JS, decay_networks, decay_spec, explore_first_input_decay
from tests import tolerances as tol
from tests.explorers.inpage import needs_node, open_page, run_node, standalone_page

F64 = torch.float64
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
         "bias_hh_l1")
RADII = (0.1, 0.3, 0.5, 0.75, 0.9, 0.97, 1.0, 1.03, 1.1, 1.25, 1.5, 1.75, 2.0)
SETTINGS = tuple((r, L) for r in RADII for L in (10, 200)) + ((1.0, 40), (0.55, 120), (1.37, 70))


def floats(b64, shape):
    return torch.from_numpy(np.frombuffer(base64.b64decode(b64), dtype="<f4").astype(np.float64)).reshape(shape)


def page_networks(spec, radius, L):
    """The page's data as tensors: (default params, scaled params, x (L, 8)), decoded from the spec."""
    I, H = spec["input"], spec["hidden"]
    shapes = {"weight_ih_l0": (H, I), "bias_ih_l0": (H,), "bias_hh_l0": (H,), "bias_ih_l1": (H,), "bias_hh_l1": (H,)}
    default = {n: floats(spec["weights"][n], shapes.get(n, (H, H))) for n in NAMES}
    scaled = dict(default)
    for m, name in enumerate(("weight_hh_l0", "weight_hh_l1")):
        scaled[name] = floats(spec["orthogonal"][m], (H, H)) * (radius / spec["current"][m])
    return default, scaled, floats(spec["x"], (-1, I))[:L]


def torch_run(params, x):
    """Layer 1's and layer 2's states (L, 2, H) of torch.nn.RNN on x and on x with x_1 negated."""
    pair = torch.stack([x, torch.cat([-x[:1], x[1:]])], dim=1)
    I, H = x.shape[1], params["weight_hh_l0"].shape[0]
    one, two = torch.nn.RNN(I, H, num_layers=1, dtype=F64), torch.nn.RNN(I, H, num_layers=2, dtype=F64)
    with torch.no_grad():
        for net in (one, two):
            for name, w in net.named_parameters():
                w.copy_(params[name])
        return one(pair)[0], two(pair)[0]


def distance_bounds(params, x, h1, h2):
    """(d, allowance, compared) per layer: torch's distances, twice the a-priori bound, where first order holds."""
    zeros = torch.zeros_like(h1[:1])
    pair = torch.stack([x, torch.cat([-x[:1], x[1:]])], dim=1)
    p = params
    eps1 = tol.tanh(F64, tol.dot(F64, [(pair, p["weight_ih_l0"].T), (torch.cat([zeros, h1[:-1]]), p["weight_hh_l0"].T)],
                                 [p["bias_ih_l0"], p["bias_hh_l0"]])).e
    eps2 = tol.tanh(F64, tol.dot(F64, [(h1, p["weight_ih_l1"].T), (torch.cat([zeros, h2[:-1]]), p["weight_hh_l1"].T)],
                                 [p["bias_ih_l1"], p["bias_hh_l1"]])).e
    spectral = lambda h, W: torch.linalg.matrix_norm((1 - h * h).unsqueeze(-1) * W, ord=2)
    J1, K, J2 = spectral(h1, p["weight_hh_l0"]), spectral(h2, p["weight_ih_l1"]), spectral(h2, p["weight_hh_l1"])
    e1, e2 = eps1.norm(dim=-1), eps2.norm(dim=-1)
    N1, N2, n1, n2 = torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64), [], []
    for t in range(len(x)):
        N1 = J1[t] * N1 + e1[t]
        N2 = K[t] * N1 + J2[t] * N2 + e2[t]
        n1.append(N1)
        n2.append(N2)
    out, valid, u = [], torch.ones(len(x), dtype=torch.bool), tol.U[F64]
    rel = tol.gamma(h1.shape[-1]) / 2 + 2 * u
    for h, N in ((h1, tol.FIRST_ORDER_MARGIN * torch.stack(n1)), (h2, tol.FIRST_ORDER_MARGIN * torch.stack(n2))):
        valid = valid & torch.cummin((N <= tol.FIRST_ORDER_LIMIT * h.norm(dim=-1)).all(-1).to(torch.int8), 0)[0].bool()
        d = torch.linalg.vector_norm(h[:, 0] - h[:, 1], dim=-1)
        P = N.sum(-1) + u * (d + 2 * N.sum(-1))
        out.append((d, 2 * (P + rel * (d + 2 * P) + h.shape[-1] * tol.LAM[F64]), valid.clone()))
    return out


@needs_node
def test_the_pages_curves_agree_with_torch_rnn_for_any_radius_and_length():
    spec = decay_spec()
    calls = ",".join(f"decayCurves(spec, {r!r}, {L})" for r, L in SETTINGS)
    page = run_node(COMPUTE_JS, spec, f"[{calls}]")
    compared = left_out = 0
    for (radius, L), got in zip(SETTINGS, page):
        default, scaled, x = page_networks(spec, radius, L)
        assert got["title"] == f"How much of x₁ each layer holds (orthogonal W_hh at ρ = {radius:.2f})"
        for net, params in (("scaled", scaled), ("default", default)):
            bounds = distance_bounds(params, x, *torch_run(params, x))
            for layer, (d, allowance, valid) in enumerate(bounds):
                js = torch.tensor(got[net][layer], dtype=F64)
                assert len(js) == L
                what = f"radius {radius}, length {L}, {net} network, layer {layer + 1}"
                tol.assert_within(js[valid], d[valid], allowance[valid], "twice the a-priori float64 bound of "
                                  "the module's docstring (tests/tolerances.py)", what)
                compared += int(valid.sum())
                left_out += L - int(valid.sum())
                if radius <= 1.0 or net == "default":
                    assert valid.all(), f"{what}: first order must hold at every step below radius 1"
    assert len(SETTINGS) >= 25
    assert compared > 10 * left_out, (compared, left_out)


def test_the_page_holds_the_explorers_networks_exactly():
    spec = decay_spec()
    for radius, L in ((0.1, 10), (1.0, 40), (1.37, 70), (2.0, 200)):
        for page, python in zip(page_networks(spec, radius, L), decay_networks(radius, L)):
            if isinstance(page, dict):
                assert all(torch.equal(page[n], python[n]) for n in NAMES), (radius, L)
            else:
                assert torch.equal(page, python), (radius, L)


def test_the_keyboard_moves_radius_and_length_from_file_url(tmp_path, monkeypatch):
    explorer = explore_first_input_decay()
    path, html = standalone_page(explorer, tmp_path, monkeypatch)
    assert html.index("inpage-controls") < html.index('<figure class="course-figure">')
    assert html.count('type="range"') == 2 and 'role="status" aria-live="polite"' in html
    script = html[html.rindex("<script>"):]
    assert 'type="module"' not in script and "fetch(" not in script and "import(" not in script
    with open_page(path) as tab:
        tab.wait_for_function("() => document.querySelector('.inpage-controls').dataset.radius")
        tab.get_by_role("slider", name="ρ(W_hh) of both layers").focus()
        for _ in range(5):
            tab.keyboard.press("ArrowRight")
        tab.get_by_role("slider", name="length").focus()
        for _ in range(2):
            tab.keyboard.press("ArrowRight")
        box = tab.locator(".inpage-controls")
        assert (box.get_attribute("data-radius"), box.get_attribute("data-length")) == ("1.05", "60")
        radius = tab.evaluate("() => Number(document.querySelector('input[data-control=radius]').value)")
        drawn = tab.evaluate("() => { const gd = document.querySelector('.js-plotly-plot');"
                             " return {y: gd.data.map(t => t.y), x: gd.data[0].x, title: gd.layout.title.text}; }")
        node = run_node(COMPUTE_JS, explorer.spec, f"decayCurves(spec, {radius!r}, 60)")
        assert drawn["x"] == list(range(1, 61)) and drawn["title"] == node["title"]
        assert tab.locator(".flow-status").text_content().startswith("ρ = 1.05, 60 steps: at step 60 the orthogonal")
        # Chromium's V8 is not Node's (its tanh may round otherwise), so the drawing is held to the bound, not to Node's bits
        default, scaled, x = page_networks(explorer.spec, radius, 60)
        for k, params in enumerate((scaled, default)):
            for layer, (d, allowance, valid) in enumerate(distance_bounds(params, x, *torch_run(params, x))):
                assert valid.all()
                y = torch.tensor([0.0 if v is None else v for v in drawn["y"][2 * k + layer]], dtype=F64)
                tol.assert_within(y, d, allowance, "twice the module's a-priori bound", f"drawn curve {2 * k + layer}")
        assert tab.errors == []
