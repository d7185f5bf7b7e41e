"""The in-page engine of the gradient-flow explorers (book/_static/flow_engine.js), checked with no fitted tolerance.

1. Engine == mirror, bit for bit. tests/flow_mirror.py repeats the engine's IEEE operations in the
   engine's order (its docstring says why that gives the same bits on any CPU), so the curves must be
   equal exactly: 0 ulps, zeros, infinities and NaN included. Checked on both of the engine's paths
   (matrix-vector products in WebAssembly SIMD, book/_static/flow_kernels.wat, and in plain
   JavaScript): in node for every setting the browser tests use, and in the built site through the
   page's controls (?wasm=off for the plain path), where the legend's overflow and underflow labels
   must also be what the mirror's curves imply. The assembled kernels alone run under wasmtime (no
   browser): against a plain loop on adversarial sums, and inside the mirror on every setting.
2. The engine's own tanh and sigmoid (and the exp they use) are accurate: within FUNCTION_ULPS = 2 ulps
   of 40-digit references (mpmath) on dense grids and at the edges (measured on some 400,000 points: at
   most tanh 1.46 ulps, sigmoid 1.70, exp 0.75; in float32 0.50), and bit for bit the mirror's in node.
3. Mirror vs PyTorch (helpers.experiments.gradient_flow, helpers.experiments.gated_flow), in float64
   and float32: |mirror - torch| <= 2 B_t, B_t a first-order bound on each implementation's rounding
   error derived from the condition of the computation (running error analysis by automatic
   differentiation; the derivation is tests/flow_bounds.py's docstring). Compared at the steps where
   B_t / y_t < CUT (1e-2: the neglected second-order terms are then below 1% of the bound), which
   must be at least 4 steps in 5 of every case listed; the rest (the subnormal floor, 0, inf) is
   covered exactly by 1. The bound assumes torch's tanh and sigmoid within 2 ulps: measured here, on
   whatever code path this CPU takes.

The data scripts of helpers/explorers/flow_export.py are checked to hold exactly what PyTorch draws.
"""
import base64
import ctypes
import functools
import hashlib
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import flow_bounds
import flow_mirror as mirror
import numpy as np
import pytest
import torch

from helpers.experiments.gated_flow import gated_flow
from helpers.experiments.gradient_flow import _input_side, _recurrent_bases, gradient_flow
from helpers.explorers import flow_export
from helpers.explorers.flow_export import (
    ENGINES,
    KERNEL_SOURCE,
    InPage,
    assemble_kernels,
    data_file_name,
    data_script,
    decode,
    gated_flow_data,
    gradient_flow_data,
    in_page,
    inputs_for_length,
    kernel_script,
)
from helpers.models.inits import INITS
from site_browser import SITE

ROOT = Path(__file__).resolve().parents[1]
ENGINE_JS = ROOT / "book" / "_static" / "flow_engine.js"
KERNEL_WAT = ROOT / KERNEL_SOURCE
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
FUNCTION_ULPS = 2.0      # the engine's tanh and sigmoid, and the bound's assumption on torch's: see the docstring
CELLS = ("rnn", "lstm", "gru")
LABELS = {"rnn": "RNN (no gate)", "lstm": "LSTM (forget gate)", "gru": "GRU (update gate)"}
TRACES = {"gradient-flow": INITS, "gated-flow": CELLS}


# -- the data -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seq_len", [10, 15, 16, 17, 100, 613, 992, 999, 1000])
def test_inputs_reassemble_what_randn_gives_at_every_length(seq_len):
    flow = gradient_flow_data(16)
    assert np.array_equal(inputs_for_length(flow, seq_len), _input_side(16, 1, seq_len, 0)[1][:, 0].numpy())
    gated = gated_flow_data(16)
    x0 = torch.randn(seq_len, 1, 1, generator=torch.Generator().manual_seed(1234)).flatten().numpy()
    assert np.array_equal(inputs_for_length(gated, seq_len, "<f4"), x0)


def test_the_prefix_alone_is_not_enough():
    """Why the tails are shipped: randn(613) is not the first 613 values of a longer draw."""
    flow = gradient_flow_data(16)
    assert not np.array_equal(decode(flow["prefix"])[:613], _input_side(16, 1, 613, 0)[1][:, 0].numpy())


def test_gradient_flow_data_holds_pytorchs_matrices():
    flow = gradient_flow_data(32)
    bases, natural = _recurrent_bases(32, INITS, 0)
    for init, b in zip(INITS, bases):
        assert flow["natural"][init] == natural[init]
        if init != "identity":
            assert np.array_equal(decode(flow["bases"][init]).reshape(32, 32), b.numpy())
    w_ih, _, readout = _input_side(32, 1, 16, 0)
    assert np.array_equal(decode(flow["w_ih"]), w_ih[:, 0].numpy())
    assert np.array_equal(decode(flow["readout"]), readout.numpy())


def test_data_script_registers_one_key_and_is_plain_script():
    text = data_script("gated-flow", 16)
    assert text.splitlines()[1] == "window.FLOW_DATA = window.FLOW_DATA || {};"
    assert 'window.FLOW_DATA["gated-flow/s1234/h16"] = {' in text
    assert "import " not in text and "export " not in text
    with pytest.raises(ValueError):
        data_script("gated-flow", 48)


class _FakeExplorer:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "x", "text/html": "<figure>fig</figure>", "application/vnd.jupyter.widget-view+json": {}}


def test_in_page_marks_the_figure_and_leaves_the_live_face_alone():
    bundle = in_page(_FakeExplorer(), "gradient-flow")._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div class="flow-engine" data-engine="gradient-flow" data-seed="0"')
    assert bundle["text/html"].endswith("<figure>fig</figure>")
    assert bundle["application/vnd.jupyter.widget-view+json"] == {} and bundle["text/plain"] == "x"
    assert isinstance(in_page(_FakeExplorer(), "gated-flow"), InPage)
    with pytest.raises(ValueError):
        in_page(_FakeExplorer(), "attention")


# -- the engine's own tanh, sigmoid and exp ------------------------------------------------------------------

def _grid(name, n, rng):
    """Dense and random points over each function's whole range, with its branch points and edges."""
    edges = [0.0, -0.0, 5e-324, -5e-324, 2.0 ** -1022, 2.0 ** -28, -2.0 ** -28, 0.55, -0.55, 1.0, -1.0, 22.0, -22.0,
             19.06, 37.5, -37.5, 709.78, 709.79, -708.4, -744.4, -745.1, -745.2, 1e-300, 0.3466, -0.3466]
    tiny = np.ldexp(rng.uniform(0.5, 1, n // 8), rng.integers(-1074, -20, n // 8)) * rng.choice([-1, 1], n // 8)
    spans = {"tanh": [(-25, 25), (-1, 1), (0.5, 0.65), (18, 23)],
             "sigmoid": [(-80, 40), (-3, 3), (-1.3, -0.9), (0.9, 1.3)],
             "exp": [(-746, 710), (-2, 2), (-746, -708), (700, 709.78)]}[name]
    parts = [np.linspace(lo, hi, n // 8) for lo, hi in spans] + [rng.uniform(lo, hi, n // 8) for lo, hi in spans]
    x = np.concatenate(parts + [tiny, edges])
    return x[(x >= -746) & (x <= 709.78)] if name == "exp" else x


def _ulps(name, x, y, single=False, unit="ulp"):
    """|y - f(x)| against the true f(x) (40 digits), in ulps of the true value (float32's when `single`), or with
    unit="bound" in flow_bounds' unit 2 u |f(x)| + lam (the largest an ulp of f(x) can be: what the bound assumes)."""
    import mpmath
    mpmath.mp.dps = 40
    f = {"tanh": mpmath.tanh, "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)), "exp": mpmath.exp}[name]
    bits, floor = (24, -149) if single else (53, -1074)
    out = np.empty(len(x))
    for k, (xi, yi) in enumerate(zip(x, y)):
        v = f(mpmath.mpf(float(xi)))
        if unit == "bound":
            size = 2 * mpmath.ldexp(abs(v), -bits) + mpmath.ldexp(1, floor)
        else:
            size = mpmath.ldexp(1, max(int(mpmath.floor(mpmath.log(abs(v), 2))) - bits + 1, floor)) if v else mpmath.ldexp(1, floor)
        out[k] = float(abs(mpmath.mpf(float(yi)) - v) / size)
    return out


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "exp"])
def test_the_engines_functions_are_accurate(name):
    """The mirror's functions, which are the engine's bit for bit (next test), against 40-digit references."""
    x = _grid(name, 4000, np.random.default_rng(7))
    f = getattr(mirror, name)
    err = _ulps(name, x, f(x))
    worst = int(np.argmax(err))
    assert err.max() <= FUNCTION_ULPS, (f"the engine's {name}({x[worst]!r}) is {err[worst]:.2f} ulps from the true value: "
                                        f"allowed {FUNCTION_ULPS} (the accuracy stated in flow_engine.js and assumed by flow_bounds)")
    if name != "exp":                 # float32: the double result rounded once more
        x32 = x.astype(np.float32)
        x32 = x32[np.isfinite(x32)]
        err32 = _ulps(name, x32, f(x32.astype(np.float64)).astype(np.float32), single=True)
        assert err32.max() <= FUNCTION_ULPS, (f"the engine's float32 {name} is {err32.max():.2f} float32 ulps off at "
                                              f"x = {x32[np.argmax(err32)]!r}: allowed {FUNCTION_ULPS}")
    print(f"{name}: at most {err.max():.2f} ulps over {len(x)} points")


def test_the_engines_functions_saturate_and_pass_nan_and_inf():
    tanh, sigmoid, exp = mirror.tanh, mirror.sigmoid, mirror.exp
    with np.errstate(all="ignore"):
        assert np.array_equal(tanh(np.array([np.inf, -np.inf, 19.1, -19.1, 1e308])), [1, -1, 1, -1, 1])
        assert np.array_equal(sigmoid(np.array([np.inf, 37.5, -np.inf, -746.0, -1e308])), [1, 1, 0, 0, 0])
        assert np.array_equal(exp(np.array([np.inf, 709.8, -np.inf, -745.2])), [np.inf, np.inf, 0, 0])
        assert exp(np.array([709.78]))[0] == math.exp(709.78) and exp(np.array([-745.1]))[0] == 5e-324
        assert all(np.isnan(f(np.array([np.nan])))[0] for f in (tanh, sigmoid, exp))
        assert np.signbit(tanh(np.array([-0.0]))[0]) and not np.signbit(tanh(np.array([0.0]))[0])


FUNCTIONS_JS = """
const fs = require("fs");
global.window = {};
const { core } = require(process.argv[2]);
const buf = fs.readFileSync(process.argv[3]);
const x = new Float64Array(buf.buffer, buf.byteOffset, buf.length / 8);
const out = new Float64Array(5 * x.length);
for (let i = 0, n = x.length; i < n; i++) {
  out[i] = core.exp(x[i]); out[n + i] = core.tanh(x[i]); out[2 * n + i] = core.sigmoid(x[i]);
  out[3 * n + i] = Math.tanh(x[i]); out[4 * n + i] = Object.is(core.tanh(x[i]), Math.tanh(x[i])) ? 1 : 0;
}
fs.writeFileSync(process.argv[4], Buffer.from(out.buffer));
"""


@needs_node
def test_the_engines_functions_are_the_mirrors_bit_for_bit(tmp_path):
    rng = np.random.default_rng(3)
    x = np.concatenate([_grid(name, 40000, rng) for name in ("tanh", "sigmoid", "exp")]
                       + [rng.uniform(-800, 800, 20000), [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308]])
    x.astype("<f8").tofile(tmp_path / "x.bin")
    (tmp_path / "f.js").write_text(FUNCTIONS_JS)
    subprocess.run([NODE, str(tmp_path / "f.js"), str(ENGINE_JS), str(tmp_path / "x.bin"), str(tmp_path / "y.bin")], check=True)
    js_exp, js_tanh, js_sigmoid, math_tanh, same_as_math = np.fromfile(tmp_path / "y.bin", "<f8").reshape(5, -1)
    for name, js in (("exp", js_exp), ("tanh", js_tanh), ("sigmoid", js_sigmoid)):
        differ = np.flatnonzero(js.view(np.int64) != getattr(mirror, name)(x).view(np.int64))
        assert differ.size == 0, f"{name}: the engine and the mirror differ at {differ.size} inputs, e.g. x = {x[differ[:3]]}"
    special = ~np.isfinite(x) | (x == 0)          # NaN, +-inf, +-0: as Math.tanh, sign of zero included
    assert same_as_math[special].all() and np.isnan(math_tanh[np.isnan(x)]).all()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torchs_functions_are_within_the_bounds_assumption(dtype):
    """flow_bounds assumes torch's tanh and sigmoid within 2 ulps, as error <= 2 (2 u |y| + lam) (SLEEF 1 ulp, glibc's
    tanh 2, sigmoid's composite 4u relative): measured on the code path this CPU takes (vectorised kernels and
    their scalar tails alike), in that unit."""
    for name, fn in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
        x = _grid(name, 4000, np.random.default_rng(11))
        x = x[x >= flow_bounds.SIGMOID_FLOOR] if name == "sigmoid" else x
        t = torch.from_numpy(x).to(getattr(torch, dtype))
        x_used = t.double().numpy()
        y = fn(t).double().numpy()
        err = _ulps(name, x_used, y, single=dtype == "float32", unit="bound")
        limit = flow_bounds.TANH_ULPS if name == "tanh" else flow_bounds.SIGMOID_ULPS
        worst = int(np.argmax(err))
        assert err.max() <= limit, (f"torch.{name} in {dtype} is {err[worst]:.2f} x (2u|y| + lam) off at x = {x_used[worst]!r} "
                                    f"on this CPU: flow_bounds assumes at most {limit}, from the libraries' documented accuracy")
        print(f"torch.{name} {dtype}: error at most {err.max():.2f} (2u|y| + lam)")


# -- engine == mirror, bit for bit --------------------------------------------------------------------------

# 26 settings of 1.3 (each draws all four inits), corners first, then the inside of the box
FLOW_CASES = ([(r, L, H, dt) for r in (0.05, 2.0) for L in (10, 1000) for H in (16, 256) for dt in ("float64", "float32")]
              + [(1.0, 1000, 64, "float32"), (1.0, 100, 64, "float64"), (0.93, 613, 32, "float64"),
                 (0.93, 613, 32, "float32"), (1.37, 37, 128, "float64"), (1.37, 999, 128, "float32"),
                 (0.5, 250, 64, "float64"), (1.05, 500, 16, "float32"), (1.5, 200, 256, "float64"),
                 (0.77, 1000, 128, "float64"), (1.98, 1000, 32, "float32"), (1.95, 1000, 64, "float64")])
# 1.4: corners of bias, length and size, and the settings the chapter's prose discusses
GATED_CASES = ([(b, L, H, dt) for b in (-4.0, 8.0) for L in (10, 1000) for H in (16, 256) for dt in ("float64", "float32")
                if not (H == 256 and L == 1000 and dt == "float64")]
               + [(None, 100, 64, "float32"), (None, 1000, 64, "float64"), (1.0, 613, 32, "float32"),
                  (3.0, 1000, 64, "float32"), (2.5, 300, 128, "float64")])
CASES = [("gradient-flow", c) for c in FLOW_CASES] + [("gated-flow", c) for c in GATED_CASES]
# Hidden sizes the site does not carry, for the engine in node: flow_kernels.wat's element-wise kernels take 4
# (float32) or 2 (float64) values a pass, then the last 1 to 3 one at a time, which hidden 5 and 7 reach in every
# gate block (the site's sizes are multiples of 16, so they never do).
ODD_CASES = ([("gated-flow", (b, L, H, dt)) for b in (-4.0, None, 8.0) for L in (1, 40) for H in (5, 7)
              for dt in ("float64", "float32")]
             + [("gradient-flow", (r, L, H, dt)) for r in (0.5, 1.5) for L in (1, 40) for H in (5, 7)
                for dt in ("float64", "float32")])


def _jobs(engine, case):
    """(trace, job) pairs of one setting, as the page's spec makes them (the RNN's job has no bias)."""
    knob, L, H, dtype = case
    if engine == "gradient-flow":
        return [(i, dict(engine=engine, init=i, radius=knob, seqLen=L, hidden=H, dtype=dtype)) for i in INITS]
    return [(c, dict(engine=engine, cell=c, bias=None if c == "rnn" else knob, seqLen=L, hidden=H, dtype=dtype)) for c in CELLS]


@functools.lru_cache(maxsize=None)
def _script(engine, hidden, site=None):
    """A data script's text: as written in this process, or as the built site at `site` holds it."""
    if site is None:
        return data_script(engine, hidden)
    return (Path(site) / "_static" / data_file_name(engine, ENGINES[engine], hidden)).read_text()


@functools.lru_cache(maxsize=None)
def _decoded(digest, engine, hidden, site):
    return mirror.decode(mirror.parse_script(_script(engine, hidden, site)))


_MIRRORED = {}


def mirror_curves(engine, case, site=None):
    """{trace: curve} of the mirror for one setting, from the data the engine reads (cached per data and setting)."""
    knob, L, H, dtype = case
    digest = hashlib.sha1(_script(engine, H, site).encode()).hexdigest()
    key = (digest, engine, case)
    if key not in _MIRRORED:
        d = _decoded(digest, engine, H, site)
        with np.errstate(all="ignore"):            # overflow to inf is part of what is drawn
            if engine == "gradient-flow":
                _MIRRORED[key] = mirror.tanh_flows(d, INITS, knob, L, dtype == "float32")
            else:
                _MIRRORED[key] = {c: mirror.run(d, job) for c, job in _jobs(engine, case)}
    return _MIRRORED[key]


def _same_bits(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))))


def _difference(engine_curve, mirror_curve):
    """Where and how the engine's curve departs from the mirror's, for a failure message."""
    a, b = np.asarray(engine_curve, dtype=np.float64), np.asarray(mirror_curve, dtype=np.float64)
    if a.shape != b.shape:
        return f"lengths {a.shape} and {b.shape}"
    differ = np.flatnonzero(~((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))))
    t = int(differ[0])
    return (f"{differ.size} of {a.size} steps differ (allowed: none, the mirror is exact by construction), "
            f"first at t={t}: engine {a[t]!r}, mirror {b[t]!r}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_mirrors_sums_run_in_order(dtype):
    """mirror's matrix-vector products against a plain loop (k = 0, 1, ..., each product and sum rounded):
    whatever NumPy does inside np.add.reduce and accumulate, the order must be the engine's."""
    rng = np.random.default_rng(5)
    arith = mirror._Arith(dtype == np.float32)
    for shape in ((16, 16), (1024, 256), (256, 1024), (3, 64, 64), (48, 1), (1000, 1)):
        MT = (rng.normal(size=shape) * 10.0 ** rng.integers(-30, 30, size=shape)).astype(dtype)
        x = (rng.normal(size=shape[:-1]) * 10.0 ** rng.integers(-8, 8, size=shape[:-1])).astype(dtype)
        loop = np.zeros(shape[:-2] + shape[-1:], dtype=dtype)
        for k in range(shape[-2]):
            loop = loop + MT[..., k, :] * x[..., k, None]
        assert _same_bits(arith.mv(MT, x), loop), shape


NODE_RUNNER = """
const fs = require("fs");
global.window = {}; global.atob = (s) => Buffer.from(s, "base64").toString("binary");
const { core, decode } = require(process.argv[2]);
const input = JSON.parse(fs.readFileSync(process.argv[3]));
eval(input.kernels);
const compiled = core.setKernels(window.FLOW_KERNELS.simd);
const data = {}, kernels = [];
const out = [];
for (const wasm of [false, true]) {
  for (const j of input.jobs) {
    const key = `${j.engine}/h${j.hidden}`;
    if (!data[key]) { window.FLOW_DATA = {}; eval(input.scripts[key]); data[key] = decode(Object.values(window.FLOW_DATA)[0]); }
    const job = Object.assign({}, j, { wasm });
    kernels.push(core.kernelFor(job));
    out.push(Buffer.from(core.run(data[key], job).buffer));
  }
}
fs.writeFileSync(process.argv[4], Buffer.concat(out));
console.log(JSON.stringify({ compiled, kernels: [...new Set(kernels)].sort(), garbage: core.setKernels("AAAA"),
                             after: core.kernelFor({}) }));
"""


@needs_node
def test_the_engine_equals_the_mirror_in_node(tmp_path, monkeypatch):
    """Every setting the browser tests use and the odd hidden sizes, every curve, on both paths (plain
    JavaScript, then WebAssembly SIMD, the kernels flow_kernels.js carries): the engine's bits are the mirror's."""
    monkeypatch.setattr(flow_export, "HIDDEN_SIZES", flow_export.HIDDEN_SIZES + tuple({c[2] for _, c in ODD_CASES}))
    jobs = [(engine, case, trace, job) for engine, case in CASES + ODD_CASES for trace, job in _jobs(engine, case)]
    scripts = {f"{e}/h{j['hidden']}": _script(e, j["hidden"]) for e, _, _, j in jobs}
    (tmp_path / "in.json").write_text(json.dumps({"jobs": [j for *_, j in jobs], "scripts": scripts,
                                                  "kernels": kernel_script(KERNEL_WAT)}))
    (tmp_path / "run.js").write_text(NODE_RUNNER)
    ran = subprocess.run([NODE, str(tmp_path / "run.js"), str(ENGINE_JS), str(tmp_path / "in.json"), str(tmp_path / "out.bin")],
                         check=True, capture_output=True, text=True)
    said = json.loads(ran.stdout)
    assert said == {"compiled": True, "kernels": ["js", "wasm"], "garbage": False, "after": "js"}, said
    flat = np.fromfile(tmp_path / "out.bin", "<f8")
    failures, at = [], 0
    for path in ("js", "wasm"):
        for engine, case, trace, job in jobs:
            curve, at = flat[at:at + job["seqLen"]], at + job["seqLen"]
            expected = mirror_curves(engine, case)[trace]
            if not _same_bits(curve, expected):
                failures.append(f"{path}: {engine} {case} {trace}: {_difference(curve, expected)}")
    assert at == flat.size
    assert not failures, "\n".join(failures)


@needs_node
def test_without_webassembly_the_engine_takes_the_plain_path(tmp_path):
    """A browser without WebAssembly (or without its SIMD: the module does not validate) computes in JavaScript."""
    (tmp_path / "run.js").write_text(
        'global.window = {}; delete globalThis.WebAssembly;\n'
        'const { core } = require(process.argv[2]);\n'
        'console.log(JSON.stringify([core.setKernels(process.argv[3]), core.kernelFor({})]));\n')
    b64 = json.loads(kernel_script(KERNEL_WAT).splitlines()[1].split(" = ", 1)[1].rstrip(";"))["simd"]
    ran = subprocess.run([NODE, str(tmp_path / "run.js"), str(ENGINE_JS), b64], check=True, capture_output=True, text=True)
    assert json.loads(ran.stdout) == [False, "js"]



@needs_node
def test_the_legend_names_where_overflow_and_underflow_begin(tmp_path):
    """traceLabel, the engine's legend entry, against _legend (the rule the browser tests read): the latest
    step of inf and of 0, since trouble flows backwards from there; NaN counts as overflow."""
    curves = {"clean": [1.0, 0.5, 0.25], "underflow": [0.0, 0.0, 1e-300, 1.0], "overflow": [np.inf, np.nan, 2.0],
              "both": [0.0, np.inf, 0.0, 3.0, np.inf, 1.0], "all zero": [0.0, 0.0]}
    encoded = {name: [v if np.isfinite(v) else str(v) for v in y] for name, y in curves.items()}   # 'inf', 'nan'
    (tmp_path / "run.js").write_text(
        'global.window = {};\n'
        'const { traceLabel } = require(process.argv[2]);\n'
        'const curves = JSON.parse(process.argv[3]);\n'
        'console.log(JSON.stringify(Object.entries(curves).map(([name, y]) =>\n'
        '  traceLabel(name, y.map((v) => ({ inf: Infinity, nan: NaN })[v] ?? v)))));\n')
    ran = subprocess.run([NODE, str(tmp_path / "run.js"), str(ENGINE_JS), json.dumps(encoded)], check=True,
                         capture_output=True, text=True)
    assert json.loads(ran.stdout) == [_legend(name, np.array(y)) for name, y in curves.items()]

# -- the WebAssembly kernels under wasmtime --------------------------------------------------------------------

class WasmKernels:
    """flow_kernels.wat's bytes under wasmtime, called as flow_engine.js's runMemory calls them: the matrix
    packed by blocks of BLOCK rows (the block's entries for one k side by side), x and out after it. A float64
    matrix of float32 values may be packed in float32 and read by mv64h (half=True), as the engine packs 1.4's."""

    BLOCK = {np.dtype(np.float32): 32, np.dtype(np.float64): 16}

    def __init__(self):
        import wasmtime
        self.store = wasmtime.Store()
        module = wasmtime.Module(self.store.engine, assemble_kernels(KERNEL_WAT))
        exports = wasmtime.Instance(self.store, module, []).exports(self.store)
        self.memory = exports["memory"]
        self.kernel = {np.dtype(np.float32): exports["mv32"], np.dtype(np.float64): exports["mv64"]}
        self.half_kernel = exports["mv64h"]
        self.function = {(name, np.dtype(dtype)): exports[f"{name}{bits}"] for name in ("sigmoid", "tanh")
                         for dtype, bits in ((np.float32, 32), (np.float64, 64))}
        self.packed, self.top = {}, 0

    def _bytes(self, end):
        """The memory as numpy bytes, grown to at least `end` bytes."""
        size = self.memory.data_len(self.store)
        if end > size:
            self.memory.grow(self.store, -(-(end - size) // 65536))
            size = self.memory.data_len(self.store)
        pointer = ctypes.cast(self.memory.data_ptr(self.store), ctypes.POINTER(ctypes.c_ubyte))
        return np.ctypeslib.as_array(pointer, shape=(size,))

    def reset(self):
        """Forget the packed matrices (the engine packs a run's matrices afresh too)."""
        self.packed, self.top = {}, 0

    def _pack(self, M, half=False):
        """Where M (rows, cols) lies packed in the memory, packing it on first use. Keyed by where M's entries lie
        (each step passes a new view of the same matrix), which cannot be reused while the cache holds M."""
        key = (M.__array_interface__["data"][0], M.shape, M.strides, M.dtype.str, half)
        if key not in self.packed:
            B = self.BLOCK[M.dtype]
            rows, cols = M.shape
            blocks = -(-rows // B)
            P = np.zeros((blocks * B, cols), np.float32 if half else M.dtype)
            P[:rows] = M
            assert not half or _same_bits(P[:rows], M), "mv64h reads float32 values only"
            P = np.ascontiguousarray(P.reshape(blocks, B, cols).transpose(0, 2, 1))   # P[b, k, r] = M[B b + r, k]
            at = self.top
            self._bytes(at + P.nbytes)[at:at + P.nbytes] = P.reshape(-1).view(np.uint8)
            self.top = at + P.nbytes
            self.packed[key] = (M, at, blocks)
        return self.packed[key][1:]

    def matvec(self, M, x, half=False):
        """M @ x by the kernel: every row summed k = 0, 1, ... as the engine does."""
        M, x = np.asarray(M), np.ascontiguousarray(x, dtype=M.dtype)
        at, blocks = self._pack(M, half)
        B, size = self.BLOCK[M.dtype], M.dtype.itemsize
        x_at = self.top
        out_at = x_at + -(-x.nbytes // 16) * 16
        memory = self._bytes(out_at + blocks * B * size)
        memory[x_at:out_at + blocks * B * size] = 0xFF        # NaN after x: a term read past its end shows
        memory[x_at:x_at + x.nbytes] = x.view(np.uint8)
        (self.half_kernel if half else self.kernel[M.dtype])(self.store, at, blocks, M.shape[1], x_at, out_at)
        out = memory[out_at:out_at + blocks * B * size].view(M.dtype)
        assert not np.isfinite(x).all() or not out[M.shape[0]:].any(), "the padding rows must come out as zeros"
        return out[:M.shape[0]].copy()

    def apply(self, name, a, offset=0):
        """name ("sigmoid", "tanh") of each value of `a` by the kernel, in place in the memory as the engine's
        P.sigmoid(o, n) calls it, `offset` values into the area (so the pairs start off a 16-byte boundary
        too); the values on either side must come out untouched."""
        a = np.ascontiguousarray(a)
        size, at = a.dtype.itemsize, self.top + offset * a.dtype.itemsize
        memory = self._bytes(self.top + (offset + a.size + 8) * size)
        around = np.arange(1, offset + a.size + 9, dtype=a.dtype)          # sentinels before and after
        memory[self.top:self.top + around.nbytes] = around.view(np.uint8)
        memory[at:at + a.nbytes] = a.view(np.uint8)
        self.function[(name, a.dtype)](self.store, at, a.size)
        area = memory[self.top:self.top + around.nbytes].view(a.dtype)
        keep = np.r_[0:offset, offset + a.size:around.size]
        assert np.array_equal(area[keep], around[keep]), f"{name} wrote outside its {a.size} values"
        return area[offset:offset + a.size].copy()


@pytest.mark.parametrize("dtype, half", [(np.float64, False), (np.float64, True), (np.float32, False)])
def test_the_kernels_sum_in_order_under_wasmtime(dtype, half):
    """The kernels against a plain loop (k = 0, 1, ..., each product and sum rounded), on terms spread over 60
    orders of magnitude (so any other order or a fused multiply-add would show), subnormals, signed zeros,
    infinities and NaN, row counts on and off the block size, and odd and even column counts over several
    blocks (the kernels take two terms a pass, then the last of an odd count alone). half: mv64h, a float64
    product whose matrix holds float32 values, stored in float32 (x and the sums stay float64)."""
    rng = np.random.default_rng(6)
    wasm = WasmKernels()
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 5e-324, 1e-310, 3e38, -3e38])
    for rows, cols in ((1, 1), (3, 5), (16, 16), (31, 7), (32, 16), (33, 64), (48, 16), (40, 1), (40, 2), (65, 9),
                       (1024, 256), (256, 1024)):
        with np.errstate(all="ignore"):
            M = (rng.normal(size=(rows, cols)) * 10.0 ** rng.integers(-30, 30, size=(rows, cols)))
            M = M.astype(np.float32).astype(dtype) if half else M.astype(dtype)
            x = (rng.normal(size=cols) * 10.0 ** rng.integers(-8, 8, size=cols)).astype(dtype)
            if rows * cols >= 64:
                M.flat[rng.choice(M.size, 24, replace=False)] = rng.choice(special, 24).astype(np.float32 if half else dtype)
                x[rng.choice(cols, min(3, cols), replace=False)] = rng.choice(special, min(3, cols)).astype(dtype)
            loop = np.zeros(rows, dtype=dtype)
            for k in range(cols):
                loop = loop + M[:, k] * x[k]
        assert _same_bits(wasm.matvec(M, x, half), loop), (rows, cols)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_kernels_nonlinearities_are_the_engines_under_wasmtime(name):
    """flow_kernels.wat's sigmoid and tanh (two lanes at a time, each branch a lane select) against the mirror's,
    which are the engine's JavaScript bit for bit: every branch point and edge, NaN, infinities, signed zeros and
    subnormals; in float64, and in float32 (inputs and results rounded to float as the engine's float32 path
    holds them); odd counts (the last value alone) and both alignments."""
    rng = np.random.default_rng(11)
    x = np.concatenate([_grid(f, 20000, rng) for f in ("tanh", "sigmoid", "exp")]
                       + [rng.uniform(-800, 800, 5000), [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308]])
    x = x[rng.permutation(x.size)]          # every kind of value in either lane
    wasm = WasmKernels()
    with np.errstate(all="ignore"):
        for dtype in (np.float64, np.float32):
            values = x.astype(dtype)
            want = getattr(mirror, name)(values.astype(np.float64)).astype(dtype)
            for n, offset in ((values.size, 0), (values.size - 1, 1), (1, 0), (3, 3)):
                got = wasm.apply(name, values[:n], offset)
                assert _same_bits(got, want[:n]), (f"{name} {np.dtype(dtype).name}, {n} values from {offset}: "
                                                   f"{_difference(got, want[:n])}")


def _through_wasmtime(monkeypatch):
    """Route the mirror's matrix-vector products (the one-row dot products with w_ih too, as the engine routes them),
    its tanh and its sigmoid through the kernels under wasmtime."""
    wasm = WasmKernels()
    for name in ("sigmoid", "tanh"):
        monkeypatch.setattr(mirror._Arith, name, lambda self, v, name=name: wasm.apply(name, self.R(v).reshape(-1)).reshape(np.shape(v)))

    def mv(self, MT, x):
        if MT.ndim == 2:
            return wasm.matvec(MT.T, x)
        return np.stack([wasm.matvec(MT[b].T, x[b]) for b in range(MT.shape[0])])
    monkeypatch.setattr(mirror._Arith, "mv", mv)
    return wasm


def test_the_kernels_give_the_mirrors_curves_under_wasmtime(monkeypatch):
    """Every setting of the engine's cases, the mirror's curves computed again with every matrix-vector product
    done by the assembled kernels (wasmtime, no browser): the same bits."""
    expected = {(engine, case): mirror_curves(engine, case) for engine, case in CASES}   # before the products change
    wasm = _through_wasmtime(monkeypatch)
    failures = []
    for (engine, case), want in expected.items():
        knob, L, H, dtype = case
        wasm.reset()
        d = _decoded(hashlib.sha1(_script(engine, H).encode()).hexdigest(), engine, H, None)
        with np.errstate(all="ignore"):
            if engine == "gradient-flow":
                got = mirror.tanh_flows(d, INITS, knob, L, dtype == "float32")
            else:
                got = {c: mirror.run(d, job) for c, job in _jobs(engine, case)}
        failures += [f"{engine} {case} {trace}: {_difference(got[trace], want[trace])}"
                     for trace in want if not _same_bits(got[trace], want[trace])]
    assert not failures, "\n".join(failures)


def test_the_kernel_script_carries_the_sources_bytes():
    """flow_kernels.js: a classic script (file:// and Blob-URL workers), the bytes of flow_kernels.wat in base64."""
    text = kernel_script(KERNEL_WAT)
    assert "import " not in text and "export " not in text and text.count("\n") == 2
    kernels = json.loads(text.splitlines()[1].removeprefix("window.FLOW_KERNELS = ").rstrip(";"))
    assert base64.b64decode(kernels["simd"]) == assemble_kernels(KERNEL_WAT)
    assert kernels["source"] == hashlib.sha256(KERNEL_WAT.read_bytes()).hexdigest()[:16]


# -- mirror vs PyTorch, within the derived bound ------------------------------------------------------------

# (engine, hidden, length): sizes where the bound costs seconds (it grows as length^2); every init, cell and
# dtype, biases None (PyTorch's default), -1, 1 and 4 (float32-exact, so both dtypes run on the same data)
BOUND_SETTINGS = [("gradient-flow", 16, 100), ("gradient-flow", 32, 60), ("gated-flow", 16, 100), ("gated-flow", 32, 60)]
BOUND_RADII = {"float64": (0.5, 1.0, 1.5), "float32": (0.5, 1.0)}
BOUND_BIASES = (None, -1.0, 1.0, 4.0)
MIN_COMPARED = 0.8       # each case: at least 4 steps in 5 where the bound is informative (B_t / y_t < CUT)


def _flow_rows(hidden, L):
    """(label, dtype, init, radius, inputs for tanh_flow_bound) of every case, the data rounded as each dtype runs it."""
    d = mirror.decode(json.loads(json.dumps(gradient_flow_data(hidden))))
    x = mirror.inputs_for(d, L)
    rows = []
    for dtype, radii in BOUND_RADII.items():
        rnd = (lambda a: np.asarray(a, np.float32).astype(np.float64)) if dtype == "float32" else (lambda a: np.asarray(a, np.float64))
        for init in INITS:
            for r in radii:
                scale = r / d["natural"][init]
                W = np.eye(hidden) * scale if init == "identity" else (d["bases"][init] * scale).reshape(hidden, hidden)
                rows.append((f"{init} |W_h|={r} {dtype}", dtype, init, r, [rnd(a) for a in (W, d["wih"], x, d["readout"])]))
    return d, rows


def _compare(label, dtype, y, bound, ours, theirs, L, report):
    """Assert |ours - theirs| <= 2 B_t where B_t / y_t < CUT; returns a line for the summary."""
    rel = bound / y
    use = np.isfinite(rel) & (rel < flow_bounds.CUT)
    diff = np.abs(ours - theirs)
    assert use.mean() >= MIN_COMPARED, (f"{label}: the bound is informative at {use.sum()} of {L} steps only "
                                        f"(B_t / y_t < {flow_bounds.CUT} required at {MIN_COMPARED:.0%})")
    over = np.flatnonzero(use & ~(diff <= 2 * bound))
    if over.size:
        t = int(over[np.argmax((diff / bound)[over])])
        pytest.fail(f"{label}: at step {t}, |mirror - torch| = {diff[t]:.3e} (relative {diff[t] / y[t]:.2e}) against "
                    f"2 B_t = {2 * bound[t]:.3e} allowed; B_t is the first-order rounding-error bound of "
                    f"tests/flow_bounds.py (gamma_n for sums, {flow_bounds.TANH_ULPS} ulps for tanh and sigmoid); "
                    f"{over.size} steps over")
    report.append((label, int(use.sum()), L, float(rel[use].min()), float(rel[use].max()), float(np.max(diff[use] / (2 * bound[use])))))


@pytest.mark.parametrize("engine, hidden, L", BOUND_SETTINGS)
def test_the_mirror_matches_pytorch_within_the_derived_bound(engine, hidden, L):
    report = []
    if engine == "gradient-flow":
        d, rows = _flow_rows(hidden, L)
        y, s_u, s_lam = flow_bounds.tanh_flow_bound(*(torch.as_tensor(np.stack([r[4][k] for r in rows])) for k in range(4)))
        torch_runs = {dt: gradient_flow(list(radii), INITS, L, hidden, seed=0, dtype=getattr(torch, dt))
                      for dt, radii in BOUND_RADII.items()}
        for k, (label, dtype, init, r, _) in enumerate(rows):
            bound = flow_bounds.combine(y[k], s_u[k], s_lam[k], dtype, norm_size=hidden).numpy()
            run = torch_runs[dtype]
            theirs = run.grad_h[INITS.index(init), BOUND_RADII[dtype].index(r)]
            ours = mirror.tanh_flow(d, init, r, L, dtype == "float32")
            _compare(label, dtype, y[k].numpy(), bound, ours, theirs, L, report)
    else:
        d = mirror.decode(json.loads(json.dumps(gated_flow_data(hidden))))
        x = mirror.inputs_for(d, L)
        assert all(b is None or np.float32(b) == b for b in BOUND_BIASES)
        runs = {dt: gated_flow(list(BOUND_BIASES), L, hidden, seed=1234, dtype=getattr(torch, dt)) for dt in ("float64", "float32")}
        for cell in CELLS:
            biases = (None,) if cell == "rnn" else BOUND_BIASES
            p = [mirror.gated_params(d, cell, b, False) for b in biases]
            y, s_u, s_lam = flow_bounds.gated_flow_bound(cell, d["weights"][cell], np.stack([q["bih"] for q in p]),
                                                         np.stack([q["bhh"] for q in p]), x)
            for k, b in enumerate(biases):
                for dtype in ("float64", "float32"):
                    bound = flow_bounds.combine(y[k], s_u[k], s_lam[k], dtype).numpy()
                    ours = mirror.gated_flow(d, cell, b, L, dtype == "float32")
                    theirs = runs[dtype].grad_x[cell][BOUND_BIASES.index(b)]
                    _compare(f"{cell} bias={b} {dtype}", dtype, y[k].numpy(), bound, ours, theirs, L, report)
    for label, used, L_, lo, hi, worst in report:
        print(f"{engine} H={hidden} {label}: {used}/{L_} steps compared, B_t/y_t {lo:.1e}..{hi:.1e}, "
              f"largest |mirror - torch| / 2B_t {worst:.3f}")


# -- the built site in a browser ----------------------------------------------------------------------------

CHAPTER = {"gradient-flow": "book/03_vanishing_gradients.html", "gated-flow": "book/04_lstm_gru.html"}
needs_site = pytest.mark.skipif(not (SITE / CHAPTER["gradient-flow"]).exists(),
                                reason=f"no built site at {SITE} (make book, or set COURSE_SITE)")
READ = """(gd) => gd.data.filter(t => t.visible !== false).map(t => ({name: t.name, y: Array.from(t.y)}))"""
# the engine's curves themselves, as the bytes of their Float64Arrays (every bit, NaN and -0 included)
READ_CURVES = """(ex) => Object.fromEntries(Object.entries(ex.curves).map(([k, v]) => {
  const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength); let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return [k, btoa(s)]; }))"""
LIMITS = {"float32": (1e-47, 1e40), "float64": (5e-324, 1.7976931348623157e308)}


def _drawn(y, dtype):
    """What the page draws for a curve: 0 on the floor, inf and NaN on the ceiling (flow_engine.js's encode)."""
    floor, ceiling = LIMITS[dtype]
    y = np.asarray(y, dtype=float)
    return np.where(y == 0, floor, np.where(np.isfinite(y), y, ceiling))


def _legend(name, y):
    """The legend entry flow_engine.js's traceLabel gives a curve: the latest step of overflow and of underflow."""
    inf, zero = np.flatnonzero(~np.isfinite(y)), np.flatnonzero(y == 0)
    return (name + (f" · inf from t={inf.max()} back" if inf.size else "")
            + (f" · 0 from t={zero.max()} back" if zero.size else ""))


def open_explorer(browser, url, color_scheme="light", init_script=None):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
    if init_script:
        page.add_init_script(init_script)       # runs before the page's own scripts
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
    page.evaluate("() => window.FlowEngine.ready")
    return page, problems


def page_curves(page, changes):
    """Set the explorer's controls (as the controls do), wait for the redraw; the title, drawn traces and curves."""
    page.evaluate("(c) => window.FlowEngine.explorers[0].set(c)", changes)
    ex = "window.FlowEngine.explorers[0]"
    curves = page.evaluate(f"() => ({READ_CURVES})({ex})")
    return (page.evaluate(f"() => {ex}.gd.layout.title.text"), page.evaluate(f"() => ({READ})({ex}.gd)"),
            {k: np.frombuffer(base64.b64decode(v), "<f8") for k, v in curves.items()})


def _check_page(browser, engine, must_see, kernel):
    """Every setting of the engine's cases through the page: curves, drawn traces and legend against the mirror.

    must_see: the labels some curve must carry ("inf", "zero"), so that the legend check is exercised.
    kernel: "wasm" (the page as a reader gets it: products in WebAssembly SIMD where the browser has it) or
    "js" (?wasm=off: the plain JavaScript path, as where WebAssembly SIMD is missing).
    """
    page, problems = open_explorer(browser, (SITE / CHAPTER[engine]).as_uri() + ("" if kernel == "wasm" else "?wasm=off"))
    failures, seen, kernels = [], {"inf": 0, "zero": 0}, set()
    for case in (c for e, c in CASES if e == engine):
        knob, L, H, dtype = case
        if engine == "gradient-flow":
            changes, heading = dict(radius=knob, seqLen=L, hidden=H, dtype=dtype, init="all"), f"|W_h| = {knob:.2f}"
        else:
            shown = "PyTorch default" if knob is None else f"{knob:.2f}"
            changes, heading = dict(bias=knob, seqLen=L, hidden=H, dtype=dtype), f"gate bias {shown}"
        title, traces, curves = page_curves(page, changes)
        assert f"hidden {H}, {dtype}, {heading}, length {L}" in title, (case, title)
        kernels.add(page.evaluate("() => window.FlowEngine.explorers[0].lastKernels"))
        expected = mirror_curves(engine, case, site=SITE)
        names = [LABELS.get(t, t) for t in TRACES[engine]]
        assert [t["name"].split(" ·")[0] for t in traces] == names, (case, [t["name"] for t in traces])
        for trace, name, drawn in zip(TRACES[engine], names, traces):
            want = expected[trace]
            seen["inf"] += bool((~np.isfinite(want)).any())
            seen["zero"] += bool((want == 0).any())
            if not _same_bits(curves[trace], want):
                failures.append(f"{case} {trace}, the engine's curve: {_difference(curves[trace], want)}")
            if not _same_bits(np.array(drawn["y"], dtype=float), _drawn(want, dtype)):
                failures.append(f"{case} {trace}, the drawn trace against the mirror's curve as the page encodes it: "
                                f"{_difference(np.array(drawn['y'], dtype=float), _drawn(want, dtype))}")
            if drawn["name"] != _legend(name, want):
                failures.append(f"{case} {trace}: legend {drawn['name']!r}, the mirror's curve implies {_legend(name, want)!r}")
        print(f"{engine} {case}: {len(traces)} curves equal the mirror's bit for bit ({kernel})")
    assert not failures, "\n".join(failures)
    assert all(seen[k] for k in must_see), f"the cases must include curves with {must_see}: {seen}"
    assert kernels - {""} == {kernel}, f"the products ran in {kernels - {''}}, not in {kernel} alone"
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
@pytest.mark.parametrize("kernel", ["wasm", "js"])
def test_the_gradient_flow_page_equals_the_mirror(browser, kernel):
    _check_page(browser, "gradient-flow", ("inf", "zero"), kernel)


@pytest.mark.site
@needs_site
@pytest.mark.parametrize("kernel", ["wasm", "js"])
def test_the_gated_flow_page_equals_the_mirror(browser, kernel):
    _check_page(browser, "gated-flow", ("zero",), kernel)    # gated gradients never overflow here


@pytest.mark.site
@needs_site
def test_the_sites_kernels_are_assembled_from_the_source():
    """The built site's flow_kernels.js holds the bytes of flow_kernels.wat as it is now (else the site is stale)."""
    assert (SITE / "_static" / "flow_kernels.js").read_text() == kernel_script(KERNEL_WAT)


@pytest.mark.site
@needs_site
def test_every_slider_position_draws_its_own_curve(browser):
    """The |W_h| range input (every 0.01), which replaces the static figure's slider: a new curve each time."""
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    slide = page.locator(".flow-controls input[data-key=radiusRange]")
    lo, hi, step = (float(slide.get_attribute(k)) for k in ("min", "max", "step"))
    positions = [round(lo + step * k, 2) for k in range(round((hi - lo) / step) + 1)]
    assert (lo, hi, len(positions)) == (0.05, 2.0, 196)
    assert page.evaluate("() => window.FlowEngine.explorers[0].gd.layout.sliders.length") == 0
    seen = set()
    for radius in positions:
        slide.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", radius)
        page.wait_for_function("(r) => window.FlowEngine.explorers[0].gd.layout.title.text.includes(r)",
                               arg=f"|W_h| = {radius:.2f},")
        page.evaluate("() => window.FlowEngine.explorers[0].set({})")     # wait for the redraw
        seen.add(page.evaluate(f"() => JSON.stringify(({READ})(window.FlowEngine.explorers[0].gd).map(t => t.y))"))
    assert len(seen) == len(positions)
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_the_controls_drive_the_figure(browser, server):
    """Real input events: the |W_h| slider, its box, the length slider, the init menu, a length button; over http."""
    page, problems = open_explorer(browser, f"{server}/{CHAPTER['gradient-flow']}")
    gd = "window.FlowEngine.explorers[0].gd"
    title = lambda: page.evaluate(f"() => {gd}.layout.title.text")
    start = title()
    assert "|W_h| = 1.00, length 1000" in start
    slider = page.locator(".flow-controls input[data-key=radiusRange]")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(f"(t) => {gd}.layout.title.text !== t", arg=start)
    assert re.search(r"\|W_h\| = 0\.[4-6]\d,", title()), title()
    page.locator(".flow-controls input[data-key=radius]").fill("1.234")
    page.locator(".flow-controls input[data-key=radius]").dispatch_event("change")
    page.wait_for_function(f"() => {gd}.layout.title.text.includes('|W_h| = 1.23,')")
    page.locator(".flow-controls input[data-key=seqLen]").evaluate(
        "el => { el.value = 321; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"() => {gd}.layout.title.text.includes('length 321')")
    page.locator(".flow-controls select[data-key=init]").select_option("orthogonal")
    page.wait_for_function(f"() => {gd}.data.filter(t => t.visible !== false).length === 1")
    lengths = page.evaluate(f"() => {gd}.data.filter(t => t.visible !== false).map(t => t.y.length)")
    assert lengths == [321]
    page.get_by_role("button", name="length 20", exact=True).click()
    page.wait_for_function(f"() => {gd}.layout.title.text.endsWith('length 20')")
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_a_drag_redraws_the_curves_and_the_legend_and_status_follow(browser):
    """A drag (the same axes and traces, new values) rewrites the curves in place; the legend entries, which say
    where a curve reaches 0 and so move with |W_h|, the announced status line and the |W_h| number box catch up
    once the moves pause."""
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    ex = "window.FlowEngine.explorers[0]"
    page.evaluate(f"() => {ex}.set({{hidden: 128, seqLen: 200, dtype: 'float32', init: 'all', radius: 1.0}})")
    moved = page.evaluate(f"""async () => {{
      const ex = {ex}, moved = [];
      ex.status.textContent = "before the moves";
      for (const radius of [0.9, 0.7, 0.5, 0.3]) {{ await ex.set({{radius}}); moved.push(ex.moved); }}
      return moved;
    }}""")
    assert moved == [True] * 4, f"every move of the slider should redraw in place: {moved}"
    names = page.evaluate(f"() => {ex}.gd.data.filter(t => t.visible !== false).map(t => t.name)")
    assert any("0 from t=" in name for name in names), names           # |W_h| = 0.3 underflows float32 by t = 0
    legend = f"() => [...{ex}.gd.querySelectorAll('.legend .legendtext')].map(t => t.textContent)"
    page.wait_for_function(f"(names) => JSON.stringify(({legend})()) === JSON.stringify(names)", arg=names, timeout=5000)
    page.wait_for_function(f"() => {ex}.status.textContent.endsWith(`: ${{{ex}.lastUpdateMs.toFixed(0)}} ms.`)", timeout=5000)
    page.wait_for_function(f"() => {ex}.inputs.radius.value === '0.3'", timeout=5000)
    assert "|W_h| = 0.30, length 200" in page.evaluate(f"() => {ex}.gd.layout.title.text")
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_a_moved_slider_lays_out_itself_not_the_page(browser):
    """Each move of a drag moves the slider's thumb (the reader's hand, or the engine writing the value) and
    the curves: Chromium lays out the slider and the figure's SVG, not the chapter. Every layout its trace
    records over the moves but one is partial; without the slider's box of its own (flow_engine.js's
    ownLayout), each move laid out the whole page, its 15,865 layout objects."""
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    ex = "window.FlowEngine.explorers[0]"
    page.evaluate(f"() => {ex}.gd.scrollIntoView({{block: 'center'}})")
    # The engine takes changes less than SETTLE_MS (150 ms) apart for a drag. On a machine so busy that
    # two moves come further apart, each is a pause, which writes the number boxes (a layout of the page,
    # rightly): such an attempt decides nothing, and the moves are made again.
    for _ in range(3):
        page.evaluate(f"() => {ex}.set({{hidden: 64, seqLen: 100, dtype: 'float32', init: 'all', radius: 1.0}})")
        page.wait_for_timeout(500)                       # the status line and number boxes settle first
        browser.start_tracing(page=page, categories=["devtools.timeline"])
        starts = page.evaluate(f"""async () => {{
          const ex = {ex}, frame = () => new Promise((r) => requestAnimationFrame(r)), starts = [];
          for (const radius of [0.95, 0.9, 0.85, 0.8, 0.75, 0.7]) {{
            starts.push(performance.now()); await ex.set({{radius}}); await frame();
          }}
          return starts.concat([performance.now()]);
        }}""")
        events = json.loads(browser.stop_tracing())["traceEvents"]
        if max(np.diff(starts)) < 150:
            break
    else:
        pytest.skip(f"the machine was too busy for a drag: moves {np.round(np.diff(starts))} ms apart, three times")
    layouts = [e["args"]["beginData"] for e in events if e.get("name") == "Layout" and e.get("ph") == "X"]
    assert len(layouts) >= 6, f"the trace should record a layout for each move: {len(layouts)}"
    # the first move comes after a pause, so it also writes the number boxes (syncControls), which lays
    # out the page once; the moves that follow it within SETTLE_MS leave the boxes until the drag pauses
    whole = [(d.get("dirtyObjects"), d.get("totalObjects")) for d in layouts if not d.get("partialLayout")]
    assert len(whole) <= 1, f"layouts of the whole page during six moves (dirty objects, all objects): {whole}"
    assert page.evaluate(f"() => {ex}.inputs.radiusRange.value") == "0.7"
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_a_drag_changes_no_element_of_the_page(browser):
    """A move of a drag rewrites the curves' paths and the title's text in place (flow_engine.js's movePaths and
    moveTitle): attributes and text, no element or text node added or removed anywhere in the page. A change to
    the page's tree is what the theme's :has() rules (mystnb's div.cell:has(> *:nth-child(2)) among them) answer
    with a restyle: when moveTitle replaced the title's text nodes, Chromium's trace showed the figure's cell
    restyled at every move ("Affected by :has()") and the chapter repainted from there. Counted here by a
    MutationObserver around each draw the moves make (the replot after the drag pauses, later and on a timer,
    is not a move and may change the tree)."""
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    ex = "window.FlowEngine.explorers[0]"
    page.evaluate(f"() => {ex}.set({{hidden: 64, seqLen: 100, dtype: 'float32', init: 'all', radius: 1.0}})")
    page.evaluate(f"() => {ex}.gd.scrollIntoView({{block: 'center'}})")
    page.wait_for_timeout(500)
    draws = page.evaluate(f"""async () => {{
      const ex = {ex}, frame = () => new Promise((r) => requestAnimationFrame(r)), draws = [];
      const seen = new MutationObserver(() => {{}});
      seen.observe(document, {{ childList: true, subtree: true, characterData: true, attributes: true }});
      const draw = ex.draw.bind(ex);
      ex.draw = (s) => {{
        seen.takeRecords();
        const done = draw(s);
        const kinds = seen.takeRecords().map((m) => m.type);
        draws.push({{ moved: ex.moved, title: ex.gd.querySelector('.gtitle').textContent,
                      childList: kinds.filter((k) => k === 'childList').length, other: kinds.length }});
        return done;
      }};
      for (const radius of [0.95, 0.9, 0.85, 0.8, 0.75, 0.7]) {{ await ex.set({{radius}}); await frame(); }}
      ex.draw = draw;
      seen.disconnect();
      return draws;
    }}""")
    moves = [d for d in draws if d["moved"]]
    assert len(moves) >= 5, f"the six moves should redraw in place (the first may replot): {draws}"
    assert all(d["other"] > 0 for d in moves), f"a move should change the paths and the title: {draws}"
    assert len({d["title"] for d in moves}) == len(moves), f"the title should follow every move: {draws}"
    assert [d["childList"] for d in moves] == [0] * len(moves), f"elements or text nodes added or removed: {draws}"
    assert problems == []
    page.close()


@pytest.mark.site
@needs_site
def test_long_cases_compute_in_a_worker(browser):
    page, problems = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri())
    page.evaluate("() => window.FlowEngine.explorers[0].set({hidden: 256, seqLen: 1000, dtype: 'float32'})")
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastWhere") == "worker"
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastKernels") == "wasm"   # the workers compiled the kernels
    page.evaluate("() => window.FlowEngine.explorers[0].set({hidden: 64, seqLen: 100})")
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastWhere") == "page"
    assert problems == []
    page.close()


# Records which worker each job is posted to (the pool's workers are made from a Blob URL when first needed).
COUNT_WORKERS = """
window.jobWorkers = new Set();
const PageWorker = window.Worker;
window.Worker = class extends PageWorker {
  postMessage(message, ...rest) { if (message && message.job) window.jobWorkers.add(this); return super.postMessage(message, ...rest); }
};
"""


@pytest.mark.site
@needs_site
def test_a_batch_uses_no_more_workers_than_cores(browser):
    """1.3's four curves at hidden 256, length 1000 go to at most one worker per core: the page draws its frames
    on the same cores (four workers on two cores held its frames apart 50 ms against 33, see workersFor)."""
    page, _ = open_explorer(browser, (SITE / CHAPTER["gradient-flow"]).as_uri(), init_script=COUNT_WORKERS)
    page.evaluate("() => window.FlowEngine.explorers[0].set({hidden: 256, seqLen: 1000, dtype: 'float32', init: 'all'})")
    assert page.evaluate("() => window.FlowEngine.explorers[0].lastWhere") == "worker"
    used, cores = page.evaluate("() => [window.jobWorkers.size, navigator.hardwareConcurrency]")
    assert 1 <= used <= min(cores, 4), f"{used} workers for four curves on {cores} cores"
    page.close()


@pytest.mark.site
@needs_site
@pytest.mark.parametrize("engine", sorted(CHAPTER))
def test_without_the_data_the_precomputed_figure_stays(browser, server, engine):
    page = browser.new_page()
    page.route("**/flowdata_*", lambda route: route.abort())
    page.goto(f"{server}/{CHAPTER[engine]}", wait_until="load")
    page.wait_for_function("() => window.FlowEngine && window.FlowEngine.ready")
    page.evaluate("() => window.FlowEngine.ready")
    explorer = "window.FlowEngine.explorers[0]"
    steps = page.evaluate(f"() => {explorer}.gd.layout.sliders[0].steps.length")
    assert steps <= 20                              # the static face's own slider, untouched
    assert "could not be loaded" in page.evaluate(f"() => {explorer}.status.textContent")
    page.close()
