"""A NumPy mirror of the in-page engine's numerics (flowCore in book/_static/flow_engine.js), bit for bit.

Every function here performs the same IEEE 754 operations as the engine, on the same values, in the
same order, so its curves equal the engine's exactly: same bits, zeros and infinities included.
That holds on any CPU, because nothing in either computation is left to the machine:

- +, -, *, / and sqrt are correctly rounded in IEEE 754 (round to nearest, ties to even), in
  JavaScript's doubles and in NumPy's elementwise float64 and float32 array arithmetic alike, with
  gradual underflow in both (NumPy does not flush subnormals to zero).
- Neither fuses a multiply and an add: JavaScript has no fused multiply-add, and a NumPy expression
  such as `acc + m * x` is two ufunc calls, each rounding its result.
- float32: the engine rounds the double result of each operation on float32 operands with
  Math.fround. For +, -, *, / and sqrt that double rounding is innocuous (53 >= 2 * 24 + 2), so it
  gives the correctly rounded float32 result, which is what NumPy's float32 arrays compute. A sum
  over units rounds each product to float32 and then each running sum, here as there.
- Sums over units run in the order k = 0, 1, 2, ... on both sides: the engine's loops are written
  that way, in JavaScript and in its WebAssembly kernels (book/_static/flow_kernels.wat, where a SIMD
  lane holds a row and adds that row's terms one after another; WebAssembly has no fused multiply-add
  and its float arithmetic is IEEE 754, subnormals included); this mirror adds the terms with
  np.add.reduce over an axis that is not the fastest in memory (NumPy sums pairwise only along the
  fast axis; over a slow axis it adds term after term, vectorised across the independent rows, so
  the CPU's SIMD width changes nothing) or, for a single row, with np.add.accumulate (a
  recurrence). A test checks both against a plain loop.
- tanh, sigmoid and exp are the engine's own (no Math.exp or Math.tanh, whose last bits differ
  between browsers and between libm's), built from +, -, *, / and multiplications by exact powers of
  two with the same double coefficients; the functions below repeat them operation for operation.

tests/test_flow_engine.py runs the engine (in node and in the built page, with its products in
WebAssembly and in plain JavaScript) and the assembled kernels alone (under wasmtime) against this
mirror, and this mirror against PyTorch within a bound derived from the condition of the computation.
"""
import base64
import json

import numpy as np

# -- the engine's exp, tanh and sigmoid ------------------------------------------------------------------

INV_LN2, ROUNDER = 1.4426950408889634, 6755399441055744.0
LN2_HI, LN2_LO = 0.6931471806019545, -4.2009150726810846e-11
E = (0.5, 0.1666666666666667, 0.04166666666666667, 0.008333333333325551, 0.0013888888888883332,
     0.00019841269876840357, 2.480158732699005e-05, 2.755725286336732e-06, 2.755727183153613e-07,
     2.5106262550879078e-08, 2.0915433598076003e-09)
T = (-0.3333333333333333, 0.13333333333332714, -0.053968253967434016, 0.021869488493666944, -0.008863234397814355,
     0.003592110378689024, -0.001455661830100716, 0.0005889360520074057, -0.0002346347410887237,
     8.511313685577672e-05, -2.060276537636634e-05)
TANH_TINY, TANH_SMALL, TANH_ONE = 2.0 ** -28, 0.55, 22.0
POW2 = np.ldexp(1.0, np.arange(-1023, 1024))   # POW2[k + 1023] = 2^k, as the engine's table (index 0 unused there)


def _horner(coefficients, v):
    q = coefficients[-1]
    for c in coefficients[-2::-1]:
        q = c + v * q
    return q


def exp(x):
    """The engine's exp, elementwise on float64."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        inside = (x > -746.0) & (x <= 710.0)
        xs = np.where(inside, x, 0.0)
        kf = (xs * INV_LN2 + ROUNDER) - ROUNDER
        rh = xs - kf * LN2_HI
        lo = kf * LN2_LO
        r = rh - lo
        rl = (rh - r) - lo
        t = (r * r) * _horner(E, r)
        ph = r + t
        pl = (r - ph) + t
        y0 = 1.0 + ph
        y = y0 + (((1.0 - y0) + ph) + (pl + rl * y0))
        k = kf.astype(np.int64)
        # the engine's three cases as one: 2^k1 exact, then 2^k2 (1 where |k| <= 1000) rounding once
        k2 = np.where(k < -1000, -1000, np.where(k > 1000, 1000, 0))
        out = (y * POW2[k - k2 + 1023]) * POW2[k2 + 1023]
        if inside.all():
            return out
        return np.where(inside, out, np.where(x > 710.0, np.inf, np.where(np.isnan(x), x, 0.0)))


def tanh(x):
    """The engine's tanh, elementwise on float64."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        s = x * x
        small = x + (x * s) * _horner(T, s)
        t = 1.0 - 2.0 / (exp(a + a) + 1.0)
        mid = np.where(x < 0, -t, t)
        big = np.where(np.isnan(x), x, np.where(x < 0, -1.0, 1.0))
        return np.where(a < TANH_TINY, x, np.where(a < TANH_SMALL, small, np.where(a < TANH_ONE, mid, big)))


def sigmoid(x):
    """The engine's sigmoid, elementwise on float64."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = exp(np.where(x >= 0, -x, x))
        inner = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        s = e - (e * e) / (1.0 + e)
        return np.where((x > -1) & (x < 1), inner, np.where(x > 0, 1.0 - s, s))


# -- the data, as the engine decodes it --------------------------------------------------------------------

def _array(b64, dtype):
    return np.frombuffer(base64.b64decode(b64), dtype=dtype).copy()


def parse_script(text):
    """The data set a data script registers (`window.FLOW_DATA[key] = {...};`)."""
    line = next(line for line in text.splitlines() if line.startswith("window.FLOW_DATA["))
    return json.loads(line.split(" = ", 1)[1].rstrip(";"))


def decode(raw):
    """What the engine's decode() makes of a data set: float64 everywhere, float32 for the gated weights."""
    d = dict(hidden=raw["hidden"], minLen=raw["minLen"], maxLen=raw["maxLen"], tail=raw["tail"])
    if "bases" in raw:
        d.update(natural=dict(raw["natural"]), bases={k: _array(v, "<f8") for k, v in raw["bases"].items()},
                 wih=_array(raw["w_ih"], "<f8"), readout=_array(raw["readout"], "<f8"),
                 prefix=_array(raw["prefix"], "<f8"), tails=_array(raw["tails"], "<f8"))
    else:
        d.update(weights={cell: {k: _array(v, "<f4") for k, v in w.items()} for cell, w in raw["weights"].items()},
                 prefix=_array(raw["prefix"], "<f4").astype(np.float64), tails=_array(raw["tails"], "<f4").astype(np.float64))
    return d


def inputs_for(d, L):
    start = sum(min(length, d["tail"]) for length in range(d["minLen"], L))
    n = min(L, d["tail"])
    return np.concatenate([d["prefix"][:L - n], d["tails"][start:start + n]])


# -- arithmetic ----------------------------------------------------------------------------------------------

class _Arith:
    """float64 or float32 arithmetic as the engine does it (R rounds, like its Math.fround or nothing)."""

    def __init__(self, single):
        self.single = single
        self.dtype = np.float32 if single else np.float64

    def R(self, v):
        return np.asarray(v, dtype=self.dtype)

    def tanh(self, v):
        return self.R(tanh(np.asarray(v, dtype=np.float64)))

    def sigmoid(self, v):
        return self.R(sigmoid(np.asarray(v, dtype=np.float64)))

    def mv(self, MT, x):
        """M @ x from MT = M.T (..., cols, rows): each row's terms rounded, then summed k = 0, 1, ..., each sum rounded.

        np.add.reduce over an axis that is not the fastest in memory adds the terms one after another
        (NumPy sums pairwise only along the fast axis); accumulate, used for a single row, is a recurrence.
        tests/test_flow_engine.py checks both against a plain loop.
        """
        products = MT * x[..., :, None]                 # elementwise: rounded to self.dtype
        if products.shape[-1] == 1:
            total = np.add.accumulate(products, axis=-2)[..., -1, :]
        else:
            total = np.add.reduce(products, axis=-2)
        return total + self.dtype(0)       # the engine starts its sums at +0: a sum of -0 terms is +0 there


def norm(v):
    """||v|| over the last axis in float64: squares summed in order, then the (correctly rounded) square root."""
    v = np.asarray(v, dtype=np.float64)
    return np.sqrt(np.add.accumulate(v * v, axis=-1)[..., -1] + 0.0)


# -- chapter 1.3 -------------------------------------------------------------------------------------------

def tanh_flows(d, inits, radius, L, single):
    """The engine's tanhFlow for several inits at once (rows of one batch): {init: ||dL/dh_t|| for t < L}."""
    A = _Arith(single)
    H, inits = d["hidden"], list(inits)
    dense = [i for i in inits if i != "identity"]
    order = dense + [i for i in inits if i == "identity"]
    W = np.stack([A.R(d["bases"][i] * (radius / d["natural"][i])).reshape(H, H) for i in dense]) if dense else None
    WT = np.ascontiguousarray(W.transpose(0, 2, 1)) if dense else None     # mv takes the transpose: W h needs WT
    diag = A.R(radius / d["natural"]["identity"]) if "identity" in inits else None

    def mv(MT, v):     # the dense rows summed in order; the identity's row as the engine's diagonal path
        parts = []
        if dense:
            parts.append(A.mv(MT, v[:len(dense)]))
        if diag is not None:
            parts.append(A.R(diag * v[len(dense):]))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    B = len(order)
    x = inputs_for(d, L)
    wih = A.R(d["wih"])
    states = np.empty((L, B, H), dtype=A.dtype)
    for t in range(L):
        a = mv(WT, states[t - 1]) if t > 0 else np.zeros((B, H), dtype=A.dtype)
        drive = A.R(A.R(x[t]) * wih)
        states[t] = A.tanh(A.R(drive + a))
    norms = np.empty((B, L))
    g = np.tile(A.R(d["readout"]), (B, 1))
    norms[:, L - 1] = norm(g)
    for t in range(L - 1, 0, -1):
        h = states[t]
        u = A.R(g * A.R(1 - A.R(h * h)))
        g = mv(W, u)                       # W^T u
        norms[:, t - 1] = norm(g)
    return {init: norms[order.index(init)] for init in inits}


def tanh_flow(d, init, radius, L, single):
    """The engine's tanhFlow: ||dL/dh_t|| for t = 0..L-1."""
    return tanh_flows(d, [init], radius, L, single)[init]


# -- chapter 1.4 -------------------------------------------------------------------------------------------

def gated_params(d, cell, bias, single):
    A = _Arith(single)
    H, w = d["hidden"], d["weights"][cell]
    rows = len(w["weight_ih"])
    p = dict(H=H, rows=rows, wih=A.R(w["weight_ih"]), whh=A.R(w["weight_hh"]).reshape(rows, H),
             bih=A.R(w["bias_ih"]).copy(), bhh=A.R(w["bias_hh"]).copy())
    if cell != "rnn" and bias is not None:
        p["bih"][H:2 * H] = A.R(bias)
        p["bhh"][H:2 * H] = 0
    p["whhT"] = np.ascontiguousarray(p["whh"].T)
    return p


def rnn_grad(p, x, L, single):
    A = _Arith(single)
    H, wih, whh, whhT, bih, bhh = p["H"], p["wih"], p["whh"], p["whhT"], p["bih"], p["bhh"]
    hs = np.empty((L, H), dtype=A.dtype)
    for t in range(L):
        hh = A.mv(whhT, hs[t - 1]) if t > 0 else np.zeros(H, dtype=A.dtype)
        hs[t] = A.tanh(A.R(A.R(A.R(A.R(x[t]) * wih) + bih) + A.R(hh + bhh)))
    dh = np.ones(H, dtype=A.dtype)
    out = np.empty(L)
    for t in range(L - 1, -1, -1):
        h = hs[t]
        u = A.R(dh * A.R(1 - A.R(h * h)))
        out[t] = abs(float(A.mv(wih[:, None], u)[0]))
        if t > 0:
            dh = A.mv(whh, u)
    return out


def lstm_grad(p, x, L, single):
    A = _Arith(single)
    H, wih, whh, whhT, bih, bhh = p["H"], p["wih"], p["whh"], p["whhT"], p["bih"], p["bhh"]
    G = 4 * H
    gates = np.empty((L, G), dtype=A.dtype)
    cs, tcs, hs = (np.empty((L, H), dtype=A.dtype) for _ in range(3))
    zero = np.zeros(H, dtype=A.dtype)
    for t in range(L):
        hh = A.mv(whhT, hs[t - 1]) if t > 0 else np.zeros(G, dtype=A.dtype)
        a = A.R(A.R(A.R(A.R(A.R(x[t]) * wih) + bih) + hh) + bhh)
        gates[t] = A.sigmoid(a)
        gates[t, 2 * H:3 * H] = A.tanh(a[2 * H:3 * H])
        i, f, g, o = gates[t, :H], gates[t, H:2 * H], gates[t, 2 * H:3 * H], gates[t, 3 * H:]
        c_prev = cs[t - 1] if t > 0 else zero
        cs[t] = A.R(A.R(f * c_prev) + A.R(i * g))
        tcs[t] = A.tanh(cs[t])
        hs[t] = A.R(o * tcs[t])
    dh, dc = np.ones(H, dtype=A.dtype), np.zeros(H, dtype=A.dtype)
    out = np.empty(L)
    for t in range(L - 1, -1, -1):
        i, f, g, o = gates[t, :H], gates[t, H:2 * H], gates[t, 2 * H:3 * H], gates[t, 3 * H:]
        tc, c_prev = tcs[t], cs[t - 1] if t > 0 else zero
        dct = A.R(dc + A.R(A.R(dh * o) * A.R(1 - A.R(tc * tc))))
        da = np.concatenate([A.R(A.R(A.R(dct * g) * A.R(1 - i)) * i),
                             A.R(A.R(A.R(dct * c_prev) * A.R(1 - f)) * f),
                             A.R(A.R(dct * i) * A.R(1 - A.R(g * g))),
                             A.R(A.R(A.R(dh * tc) * A.R(1 - o)) * o)])
        dc = A.R(dct * f)
        out[t] = abs(float(A.mv(wih[:, None], da)[0]))
        if t > 0:
            dh = A.mv(whh, da)
    return out


def gru_grad(p, x, L, single):
    A = _Arith(single)
    H, wih, whh, whhT, bih, bhh = p["H"], p["wih"], p["whh"], p["whhT"], p["bih"], p["bhh"]
    G = 3 * H
    rzn, hns, hs = np.empty((L, G), dtype=A.dtype), np.empty((L, H), dtype=A.dtype), np.empty((L, H), dtype=A.dtype)
    zero = np.zeros(H, dtype=A.dtype)
    for t in range(L):
        hh = A.mv(whhT, hs[t - 1]) if t > 0 else np.zeros(G, dtype=A.dtype)
        xg = A.R(A.R(A.R(x[t]) * wih) + bih)
        hg = A.R(hh + bhh)
        rz = A.sigmoid(A.R(xg[:2 * H] + hg[:2 * H]))
        r, z = rz[:H], rz[H:]
        hn = hg[2 * H:]
        n = A.tanh(A.R(xg[2 * H:] + A.R(r * hn)))
        h_prev = hs[t - 1] if t > 0 else zero
        rzn[t] = np.concatenate([r, z, n])
        hns[t] = hn
        hs[t] = A.R(A.R(A.R(1 - z) * n) + A.R(z * h_prev))
    dh = np.ones(H, dtype=A.dtype)
    out = np.empty(L)
    for t in range(L - 1, -1, -1):
        r, z, n, hn = rzn[t, :H], rzn[t, H:2 * H], rzn[t, 2 * H:], hns[t]
        h_prev = hs[t - 1] if t > 0 else zero
        dan = A.R(A.R(dh * A.R(1 - z)) * A.R(1 - A.R(n * n)))
        dz = A.R(A.R(dh * h_prev) - A.R(dh * n))
        dar = A.R(A.R(A.R(dan * hn) * A.R(1 - r)) * r)
        daz = A.R(A.R(dz * A.R(1 - z)) * z)
        dxg = np.concatenate([dar, daz, dan])
        dhg = np.concatenate([dar, daz, A.R(dan * r)])
        keep = A.R(dh * z)
        out[t] = abs(float(A.mv(wih[:, None], dxg)[0]))
        if t > 0:
            dh = A.R(keep + A.mv(whh, dhg))
    return out


GRADS = {"rnn": rnn_grad, "lstm": lstm_grad, "gru": gru_grad}


def gated_flow(d, cell, bias, L, single):
    """The engine's gatedFlow: |dL/dx_t| for t = 0..L-1."""
    return GRADS[cell](gated_params(d, cell, bias, single), inputs_for(d, L), L, single)


def run(d, job):
    """One job of the engine (`core.run(d, job)`), from decoded data `d`: a float64 array of length seqLen."""
    single = job["dtype"] == "float32"
    if job["engine"] == "gradient-flow":
        return tanh_flow(d, job["init"], job["radius"], job["seqLen"], single)
    return gated_flow(d, job["cell"], job["bias"], job["seqLen"], single)
