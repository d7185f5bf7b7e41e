"""How far two correct implementations of the gradient-flow computations may differ: a first-order bound.

The in-page engine (and tests/flow_mirror.py, which equals it bit for bit) and PyTorch
(helpers.experiments.gradient_flow, helpers.experiments.gated_flow) evaluate the same formulas with
different rounding: torch's kernels sum in other orders and with fused multiply-adds, its tanh and
sigmoid come from SLEEF or the C library depending on the CPU's code path, the engine's from its own
code. No
tolerance fitted to what one CPU produced can cover that; this module derives one (running error
analysis, Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., ch. 3):

1. Both implementations compute the same sequence of intermediate quantities ("nodes") z_k, each
   from earlier computed nodes by one elementary step, with an error (relative to the exact step
   on the computed inputs) of at most e_k = u * a_k + lam * b_k, u the unit roundoff (2^-53 or
   2^-24), lam the smallest subnormal (2^-1074 or 2^-149: the spacing at the floor, where the
   relative model fails). Per kind of node:
   - a +, -, * or / correctly rounded (0.5 ulp): e <= u |z| + lam / 2.
   - a tanh or sigmoid within c ulps: e <= c (2 u |z| + lam) (an ulp of z is at most 2 u |z|, or
     lam below the normal range). c = 2 for both, the largest of: SLEEF's u10 functions, which
     torch's vectorised CPU kernels call (1.0 ulp); glibc's tanh and tanhf (2 ulps in its
     x86_64 libm-test-ulps; exp and expf 1 ulp), which the generic kernels call; torch's sigmoid,
     computed as 1 / (1 + exp(-x)), whose relative error is at most (exp's 2u) * E / (1 + E) + 2u
     <= 4u, i.e. c = 2 (this holds while exp(-x) does not overflow, x > -88 in float32: asserted);
     the engine's own, measured within 2 ulps (tests/test_flow_engine.py). A test measures torch's
     tanh and sigmoid on the CPU at hand against the same 2 ulps.
   - a product of m factors evaluated in any association: e <= gamma_{m-1} |z| + (m - 1) lam
     prod max(1, |f_j|), gamma_n = n u / (1 - n u). Formulas whose association PyTorch's autograd may
     choose differently from the engine's (sigmoid's backward y (1 - y) g, tanh's (1 - y^2) g) are
     nodes of this kind, so that any reassociation of the product is covered, not only the
     engine's.
   - a sum of n terms t_i (a dot product, with or without a bias added in the same kernel), in any
     order, with or without fused multiply-adds, in float32 or with wider accumulators:
     e <= gamma_n sum |t_i| + n lam (Higham's bound (3.5), and lam / 2 per product that underflows).
     The engine rounds each product and then each running sum (two roundings a term, in JavaScript
     and in its WebAssembly kernels alike); torch's float32 kernels on AVX2 and AVX-512 paths fuse
     them (one rounding a term) and sum in blocked orders: the same bound holds for both.
     The engine adds a bias after its dot product, torch's addmm inside it: one node of n + 1 terms.
2. To first order the computed output y_t then differs from the exact one by at most
   B_t = sum_k |dy_t / dz_k| e_k. The derivatives are taken by torch autograd in float64 on the same
   formulas, with respect to the intermediate tensors themselves (the derivative with respect to an
   error committed right after computing them), for every t in one backward pass: the computation
   runs on L independent copies and copy t is differentiated for y_t alone. The inputs (weights,
   inputs, biases) are the same in both implementations, already rounded to the precision of the
   run, so they carry no error; the float64 evaluation stands in for exact arithmetic (its own
   rounding moves B_t by a relative 1e-13 at most, far below anything compared).
3. The engine's norms are taken in float64 (sum of squares, sqrt): at most
   (gamma_H / 2 + u64) y + H lam64 / (2 y) more, added to B_t.
4. Mirror and PyTorch, each within B_t of the exact value, differ by at most 2 B_t. First order
   means: terms of order (B_t / y_t)^2 are neglected, so a step is compared only where
   B_t / y_t < CUT (1e-2): there the neglected terms are below a hundredth of the bound. The others
   (steps at the subnormal floor, where lam dominates; 0 and inf; chaotic stretches) are skipped
   here and covered exactly by the engine-versus-mirror test.

The node lists below follow the formulas of book/_static/flow_engine.js and of PyTorch's forward and
backward passes: forward sums and products as written in helpers; backward steps as autograd
evaluates them (mul, tanh_backward, sigmoid_backward, addmm and mm backward). The cost grows as
L^2 H^2 (L copies of an L-step computation), so tests/test_flow_engine.py computes the bound at hidden
16 and 32 and lengths 100 and 60 (seconds each); the mirror's exactness does not depend on size.
"""
import math

import torch

U = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}
LAM = {"float64": 2.0 ** -1074, "float32": 2.0 ** -149}
TANH_ULPS = 2.0
SIGMOID_ULPS = 2.0
CUT = 1e-2
U_WIDE = U["float32"]       # gamma_n's denominator 1 - n u taken with float32's u: valid for both
SIGMOID_FLOOR = -80.0       # torch's sigmoid 1 / (1 + exp(-x)) loses its relative accuracy below -88 in float32


class Nodes:
    """The intermediate tensors of one computation with their error coefficients: e = u * a + lam * b."""

    def __init__(self):
        self.items = []

    def _add(self, z, a, b):
        self.items.append((z, a, b if torch.is_tensor(b) else torch.full_like(a, float(b))))
        return z

    def op(self, z):
        """One correctly rounded +, -, * or /."""
        with torch.no_grad():
            return self._add(z, z.detach().abs(), 0.5)

    def func(self, z, ulps):
        """tanh or sigmoid within `ulps` ulps."""
        with torch.no_grad():
            return self._add(z, 2 * ulps * z.detach().abs(), ulps)

    def chain(self, *factors):
        """A product of factors, evaluated in any association."""
        z = factors[0]
        for f in factors[1:]:
            z = z * f
        m = len(factors) - 1
        with torch.no_grad():
            big = torch.ones_like(z.detach())
            for f in factors:
                big = big * torch.as_tensor(f).detach().abs().clamp(min=1)
            return self._add(z, m / (1 - m * U_WIDE) * z.detach().abs(), m * big)

    def dot(self, z, abs_sum, n):
        """A sum of n terms (summed in any order) whose absolute values add up to abs_sum."""
        with torch.no_grad():
            return self._add(z, n / (1 - n * U_WIDE) * abs_sum.detach(), float(n))


def first_order_bound(y, nodes, copies):
    """(y, S_u, S_lam), each (rows, L): the outputs, sum_k |dy_t/dz_k| a_k and sum_k |dy_t/dz_k| b_k.

    The computation ran on rows * copies independent copies (copies = L, row-major): copy t of a row
    is differentiated for its own output y_t only, so one backward pass of the sum gives, in copy t,
    the derivatives of y_t with respect to every node (the copies share nothing).
    """
    R, L = y.shape
    rows = R // copies
    own = y.reshape(rows, copies, L).diagonal(dim1=1, dim2=2)          # [row, t] = y_t of copy t
    zs = [z for z, _, _ in nodes.items]
    grads = torch.autograd.grad(own.sum(), zs, allow_unused=True)
    s_u = torch.zeros(rows, L, dtype=torch.float64)
    s_lam = torch.zeros(rows, L, dtype=torch.float64)
    for g, (_, a, b) in zip(grads, nodes.items):
        if g is not None:
            g = g.abs().reshape(rows, copies, -1)
            s_u += (g * a.reshape(rows, copies, -1)).sum(-1)
            s_lam += (g * b.reshape(rows, copies, -1)).sum(-1)
    return own.detach(), s_u, s_lam


def _copies(t, L):
    """Each row of t repeated L times (row-major): one copy per output step."""
    return torch.as_tensor(t, dtype=torch.float64).repeat_interleave(L, dim=0)


def combine(y, s_u, s_lam, dtype, norm_size=None):
    """B_t for a run in `dtype`: u S_u + lam S_lam, plus the float64 norm's own error over `norm_size` terms."""
    bound = U[dtype] * s_u + LAM[dtype] * s_lam
    if norm_size:
        n, u = norm_size, U["float64"]
        with torch.no_grad():
            bound = bound + (n * u / (1 - n * u) / 2 + u) * y.abs() + n * LAM["float64"] / (2 * y.abs())
    return bound


# -- chapter 1.3: ||dL/dh_t|| of a tanh RNN --------------------------------------------------------------

def tanh_flow_bound(W, w_ih, x, readout):
    """(y, S_u, S_lam), each (rows, L), for rows of W (rows, H, H), w_ih (rows, H), x (rows, L), readout (rows, H).

    Nodes: forward a_t = x_t w + W h_{t-1} (one sum of H + 1 terms: torch's baddbmm adds the drive
    inside the product, the engine after it), h_t = tanh(a_t); backward s = h^2, l = 1 - s, v = g l,
    g_{t-1} = W^T v (sum of H terms). y_t = ||g_t||.
    """
    L = x.shape[1]
    W, w_ih, x, readout = (_copies(t, L) for t in (W, w_ih, x, readout))
    x.requires_grad_(True)
    H = W.shape[1]
    nodes = Nodes()
    states = []
    h = None
    for t in range(L):
        drive = x[:, t:t + 1] * w_ih
        if h is None:
            a = nodes.op(drive)
        else:
            a = drive + torch.bmm(W, h.unsqueeze(-1)).squeeze(-1)
            with torch.no_grad():
                abs_sum = drive.abs() + torch.bmm(W.abs(), h.detach().abs().unsqueeze(-1)).squeeze(-1)
            a = nodes.dot(a, abs_sum, H + 1)
        h = nodes.func(torch.tanh(a), TANH_ULPS)
        states.append(h)
    g = readout
    ys = [None] * L
    ys[L - 1] = torch.linalg.vector_norm(g, dim=-1)
    WT = W.transpose(1, 2)
    for t in range(L - 1, 0, -1):
        h = states[t]
        s = nodes.op(h * h)
        l = nodes.op(1 - s)
        v = nodes.op(g * l)
        g = torch.bmm(WT, v.unsqueeze(-1)).squeeze(-1)
        with torch.no_grad():
            abs_sum = torch.bmm(WT.abs(), v.detach().abs().unsqueeze(-1)).squeeze(-1)
        g = nodes.dot(g, abs_sum, H)
        ys[t - 1] = torch.linalg.vector_norm(g, dim=-1)
    return first_order_bound(torch.stack(ys, dim=1), nodes, L)


# -- chapter 1.4: |dL/dx_t| of nn.RNN and of the LSTM and GRU steps ------------------------------------------

def _matvec(nodes, W, h, n_extra=0, extra=None, extra_abs=None):
    """W h (+ extra, n_extra terms whose absolute values add up to extra_abs): one node, a sum of H + n_extra terms."""
    z = torch.einsum("gh,bh->bg", W, h)
    with torch.no_grad():
        abs_sum = torch.einsum("gh,bh->bg", W.abs(), h.detach().abs())
        if extra is not None:
            abs_sum = abs_sum + extra_abs
    if extra is not None:
        z = z + extra
    return nodes.dot(z, abs_sum, W.shape[1] + n_extra)


def _input_grad(nodes, da, w_ih):
    """dL/dx_t = w_ih . da (a sum over the gate rows), and |.| of it."""
    dx = (da * w_ih).sum(-1, keepdim=True)
    with torch.no_grad():
        abs_sum = (da.detach().abs() * w_ih.abs()).sum(-1, keepdim=True)
    return nodes.dot(dx, abs_sum, w_ih.shape[0]).abs()[:, 0]


def gated_flow_bound(cell, weights, bias_ih, bias_hh, x):
    """(y, S_u, S_lam), each (rows, L), of |dL/dx_t| for one cell; rows are bias settings.

    weights: dict of weight_ih (G,), weight_hh (G, H) as the data scripts hold them; bias_ih, bias_hh
    (rows, G) with the keep-gate slice set; x (L,). Nodes as in the module docstring, per cell:
    rnn:  p = x w_ih + b_ih (2 terms), q = W h + b_hh (H + 1), a = p + q, h = tanh(a);
          back: s = h^2, l = 1 - s, v = dh l; dx = w_ih . v (H); dh = W^T v (H).
    lstm: a = x w_ih + b_ih + W h + b_hh (H + 3 terms), i, f, o = sigmoid, g = tanh, f c, i g, c,
          tanh(c), h = o tanh(c); back: tanh(c)^2, 1 - ., dh o (1 - tanh^2) (3 factors), dct = dc + .,
          1 - i, 1 - f, 1 - o, g^2, 1 - g^2, then dct g (1 - i) i, dct c (1 - f) f, dct i (1 - g^2),
          dh tanh(c) (1 - o) o as products in any association, dc = dct f; dx (4H), dh = W^T da (4H).
    gru:  xg = x w_ih + b_ih (2), hg = W h + b_hh (H + 1), r, z = sigmoid(xg + hg), r hn, xn + r hn,
          n = tanh, 1 - z, (1 - z) n, z h, their sum; back: n^2, 1 - n^2, dh (1 - z) (1 - n^2),
          dh h, dh n, their difference dz, 1 - r, dan hn (1 - r) r, 1 - z, dz (1 - z) z, dan r, dh z;
          dx (3H), W^T [dar, daz, dan r] (3H), dh = dh z + that.
    """
    w_ih = torch.as_tensor(weights["weight_ih"], dtype=torch.float64)
    W = torch.as_tensor(weights["weight_hh"], dtype=torch.float64).reshape(w_ih.shape[0], -1)
    L = len(x)
    b_ih, b_hh = _copies(bias_ih, L), _copies(bias_hh, L)
    x = torch.as_tensor(x, dtype=torch.float64).clone().requires_grad_(True)
    rows, H = b_ih.shape[0], W.shape[1]
    nodes = Nodes()
    sig = lambda v: nodes.func(torch.sigmoid(_check_sigmoid(v)), SIGMOID_ULPS)
    th = lambda v: nodes.func(torch.tanh(v), TANH_ULPS)
    one = torch.ones(rows, H, dtype=torch.float64)
    ys = [None] * L
    if cell == "rnn":
        hs = []
        for t in range(L):
            p = x[t] * w_ih + b_ih
            with torch.no_grad():
                p_abs = (x[t] * w_ih).abs() + b_ih.abs()
            p = nodes.dot(p, p_abs, 2)
            q = _matvec(nodes, W, hs[-1], 1, b_hh, b_hh.abs()) if hs else b_hh
            hs.append(th(nodes.op(p + q)))
        dh = one
        for t in range(L - 1, -1, -1):
            h = hs[t]
            v = nodes.op(dh * nodes.op(1 - nodes.op(h * h)))
            ys[t] = _input_grad(nodes, v, w_ih)
            if t > 0:
                dh = _matvec(nodes, W.T, v)
    elif cell == "lstm":
        gates, cs, tcs, hs = [], [], [], []
        for t in range(L):
            a = x[t] * w_ih + b_ih + b_hh
            with torch.no_grad():
                a_abs = (x[t] * w_ih).abs() + b_ih.abs() + b_hh.abs()
            if hs:
                a = _matvec(nodes, W, hs[-1], 3, a, a_abs)
            else:
                a = nodes.dot(a, a_abs, 3)
            i, f, g, o = a.chunk(4, dim=-1)
            i, f, g, o = sig(i), sig(f), th(g), sig(o)
            ig = nodes.op(i * g)
            c = nodes.op(nodes.op(f * cs[-1]) + ig) if cs else ig
            tc = th(c)
            gates.append((i, f, g, o))
            cs.append(c)
            tcs.append(tc)
            hs.append(nodes.op(o * tc))
        dh, dc = one, None
        for t in range(L - 1, -1, -1):
            i, f, g, o = gates[t]
            tc = tcs[t]
            p2 = nodes.chain(dh, o, nodes.op(1 - nodes.op(tc * tc)))
            dct = nodes.op(dc + p2) if dc is not None else p2
            da_i = nodes.chain(dct, g, nodes.op(1 - i), i)
            da_f = nodes.chain(dct, cs[t - 1], nodes.op(1 - f), f) if t > 0 else 0 * f
            da_g = nodes.chain(dct, i, nodes.op(1 - nodes.op(g * g)))
            da_o = nodes.chain(dh, tc, nodes.op(1 - o), o)
            dc = nodes.op(dct * f)
            da = torch.cat([da_i, da_f, da_g, da_o], dim=-1)
            ys[t] = _input_grad(nodes, da, w_ih)
            if t > 0:
                dh = _matvec(nodes, W.T, da)
    else:
        saved, hs = [], []
        for t in range(L):
            xg = x[t] * w_ih + b_ih
            with torch.no_grad():
                xg_abs = (x[t] * w_ih).abs() + b_ih.abs()
            xg = nodes.dot(xg, xg_abs, 2)
            hg = _matvec(nodes, W, hs[-1], 1, b_hh, b_hh.abs()) if hs else b_hh
            rz = sig(nodes.op(xg[:, :2 * H] + hg[:, :2 * H]))
            r, z = rz[:, :H], rz[:, H:]
            hn = hg[:, 2 * H:]
            n = th(nodes.op(xg[:, 2 * H:] + nodes.op(r * hn)))
            a1 = nodes.op(nodes.op(1 - z) * n)
            h = nodes.op(a1 + nodes.op(z * hs[-1])) if hs else a1
            saved.append((r, z, n, hn))
            hs.append(h)
        dh = one
        for t in range(L - 1, -1, -1):
            r, z, n, hn = saved[t]
            dan = nodes.chain(dh, nodes.op(1 - z), nodes.op(1 - nodes.op(n * n)))
            dz = nodes.op(nodes.op(dh * hs[t - 1]) - nodes.op(dh * n)) if t > 0 else nodes.op(-(dh * n))
            dar = nodes.chain(dan, hn, nodes.op(1 - r), r)
            daz = nodes.chain(dz, nodes.op(1 - z), z)
            ys[t] = _input_grad(nodes, torch.cat([dar, daz, dan], dim=-1), w_ih)
            if t > 0:
                back = _matvec(nodes, W.T, torch.cat([dar, daz, nodes.op(dan * r)], dim=-1))
                dh = nodes.op(nodes.op(dh * z) + back)
    return first_order_bound(torch.stack(ys, dim=1), nodes, L)


def _check_sigmoid(v):
    low = float(v.detach().min())
    if low < SIGMOID_FLOOR:
        raise AssertionError(f"a sigmoid input of {low:.3g}: below {SIGMOID_FLOOR} torch's sigmoid has no relative error bound")
    return v


def relative(bound, y):
    """B_t / y_t, inf where y_t is 0 or not finite."""
    with torch.no_grad():
        ok = torch.isfinite(y) & (y > 0)
        return torch.where(ok, bound / torch.where(ok, y, torch.ones_like(y)), torch.full_like(y, math.inf))
