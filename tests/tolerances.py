"""Allowances for the tests' numeric comparisons, derived from error analysis and never fitted to one CPU.

Two implementations of the same formula (helpers' step-by-step model and torch.nn's, a learner's loop
and PyTorch's) sum in different orders, with or without fused multiply-adds, and call tanh, sigmoid and
exp from SLEEF or from the C library depending on the CPU's code path. They differ by an amount an
a-priori bound caps whatever the CPU (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.):

- u is the unit roundoff, 2^-53 in float64 and 2^-24 in float32; gamma_n = n u / (1 - n u).
- A sum of n terms, or a dot product of n products, computed in ANY order (any tree, blocked, with or
  without FMA) errs by at most gamma_n * sum |terms| (Higham (3.5)): each term meets at most n
  roundings. One such bound covers torch's addmm (bias inside the product) and a hand-written
  x @ W.T + b + h @ U.T + c alike.
- A correctly rounded +, -, * or / errs by at most u |result| (plus half the smallest subnormal, lam,
  when the result underflows).
- tanh, sigmoid and exp are within TANH_ULPS, SIGMOID_ULPS and EXP_ULPS ulps (see the constants), and
  an ulp of y is at most 2 u |y| + lam.

`Bounded` is a value v computed here in float64 with a componentwise bound e, |x - x_exact| <= e, for ANY
implementation that evaluates the same formula node by node within those rules, in the dtype the bound
is made for. Within one step of a computation the bound propagates rigorously: through a product,
|a'b' - ab| <= |a| e_b + e_a |b| + e_a e_b; through tanh and sigmoid by their largest slope on the
interval the inputs can lie in. Magnitudes use |x_exact| <= |v| + e (`mag`) and an implementation's
computed |x| <= |v| + 2 e (`big`).

Across the steps of a recurrence (`recurrence`), componentwise absolute values lose the cancellations of
W_hh (|W| grows where W rotates), so the state's bound is also propagated to first order with the exact
step Jacobians J_t (autograd, at the values computed here): E_t = sum_k |J_t ... J_{k+1}| eps_k, eps_k the
error step k commits on exact inputs (Higham ch. 3's running error analysis). The smaller of the two
bounds is kept. First order means that terms of order E^2 are neglected: relative to the bound they are of
order E / |state| times the activations' curvature (|tanh''| <= 0.77, |sigmoid''| <= 0.1), so first-order
bounds are used only where E <= 0.1 |state| (`recurrence` asserts it, `Nodes.bound` reports it) and carry a
25% margin, above the 8% those terms can reach there. For a few outputs of a long computation (a float32
LSTM over 100 steps), `Nodes` gives the same first-order bound, sum_k |dy/dz_k| e_k over every arithmetic
node z_k, with exact sensitivities from one backward pass per output (the method of tests/flow_bounds.py).

Two implementations each within e of the exact value differ by at most 2 e: that is what `assert_agree`
allows, and its message states the difference, the allowance and where the allowance comes from. The
model formulas follow torch's where they differ from helpers' (ATen's RNN.cpp on the CPU: the GRU blends
as (h - n) z + n; autograd's tanh backward is g (1 - y y), its sigmoid backward g (1 - y) y); where the two
differ, each side gets its own bound and the allowance is their sum.
"""
import math

import numpy as np
import torch

F64 = torch.float64
U = {torch.float64: 2.0 ** -53, torch.float32: 2.0 ** -24}
LAM = {torch.float64: 2.0 ** -1074, torch.float32: 2.0 ** -149}   # the smallest subnormal
# tanh: SLEEF's u10 functions (1.0 ulp), which ATen's vectorised kernels call, and glibc's tanh/tanhf
# (at most 2 ulps in its x86_64 libm-test-ulps), which the generic kernels call.
TANH_ULPS = 2.0
# sigmoid: ATen computes 1 / (1 + exp(-x)); with exp within 1 ulp (2u) the relative error is at most
# 2u E / (1 + E) + 2 roundings <= 4u, i.e. 2 ulps, while exp(-x) does not overflow (asserted).
SIGMOID_ULPS = 2.0
# exp: SLEEF u10 and glibc (< 1 ulp) in float64, where ATen's exp_u20 is plain exp; in float32 ATen's
# fast kernels (softmax, attention) may call exp_u20, documented in vec512_float.h as "ULP=20".
EXP_ULPS = {torch.float64: 2.0, torch.float32: 20.0}
FIRST_ORDER_LIMIT = 0.1     # the largest relative bound for which terms of order E^2 may be neglected
FIRST_ORDER_MARGIN = 1.25   # and the margin that covers them there (0.1 x 0.77 < 0.25)


def gamma(n, dtype=F64):
    """gamma_n = n u / (1 - n u): the relative error of n roundings in a row, in `dtype`."""
    nu = n * U[dtype]
    if not nu < 0.5:
        raise ValueError(f"gamma({n}) in {dtype}: n u = {nu:.3g} is too large for the bound to mean anything")
    return nu / (1 - nu)


def name(dtype):
    return str(dtype).replace("torch.", "")


def _numpy(t):
    return t.detach().cpu().to(F64).numpy() if torch.is_tensor(t) else np.asarray(t, dtype=np.float64)


def assert_within(measured, reference, allowance, origin, what="values"):
    """|measured - reference| <= allowance everywhere; otherwise say where, by how much, and why that allowance."""
    measured, reference = _numpy(measured), _numpy(reference)
    if reference.ndim == 0:   # one value for all
        reference = np.broadcast_to(reference, measured.shape)
    assert measured.shape == reference.shape, f"{what}: shapes {measured.shape} and {reference.shape}"
    diff = np.abs(measured - reference)
    allowed = np.broadcast_to(_numpy(allowance), diff.shape)
    excess = np.where(np.isnan(diff) | np.isnan(allowed), np.inf, diff - allowed)
    if diff.size and excess.max() > 0:
        i = np.unravel_index(int(np.argmax(excess)), diff.shape)
        raise AssertionError(f"{what}: |difference| {diff[i]:.3g} at index {tuple(int(k) for k in i)} (measured "
                             f"{measured[i]!r}, reference {reference[i]!r}) exceeds its allowance {allowed[i]:.3g}, "
                             f"{origin}")


def assert_agree(measured, reference, bound, what, other=None):
    """Both sides within their a-priori bounds of the exact value: they differ by at most e + e_other (2 e if one bound)."""
    if other is None:
        allowance, origin = 2 * bound.e, f"twice the a-priori {name(bound.dtype)} error bound of either side (tests/tolerances.py)"
    else:
        allowance = bound.e + other.e
        origin = (f"the sum of the two sides' a-priori error bounds, {name(bound.dtype)} and {name(other.dtype)} "
                  "(tests/tolerances.py)")
    assert_within(measured, reference, allowance, origin, what)


# --- values with error bounds ---------------------------------------------------------------------

class Bounded:
    """v: float64 values computed here; e >= 0: a bound on |x - x_exact| for any implementation in `dtype`."""

    def __init__(self, v, e, dtype):
        self.v, self.e, self.dtype = v, e, dtype

    @classmethod
    def exact(cls, t, dtype):
        """Data both sides share bit for bit (inputs, weights, already rounded to `dtype`): no error."""
        v = torch.as_tensor(t.detach() if torch.is_tensor(t) else t).to(F64)
        return cls(v, torch.zeros_like(v), dtype)

    @property
    def u(self):
        return U[self.dtype]

    @property
    def lam(self):
        return LAM[self.dtype]

    @property
    def mag(self):
        return self.v.abs() + self.e

    @property
    def big(self):
        return self.v.abs() + 2 * self.e

    @property
    def shape(self):
        return self.v.shape

    @property
    def T(self):
        return self.map(lambda t: t.transpose(-1, -2))

    def __getitem__(self, index):
        return Bounded(self.v[index], self.e[index], self.dtype)

    def map(self, fn):
        """A pure rearrangement (reshape, flip, transpose, slicing): no arithmetic, no new error."""
        return Bounded(fn(self.v), fn(self.e), self.dtype)

    def __neg__(self):
        return Bounded(-self.v, self.e, self.dtype)

    def abs(self):
        return Bounded(self.v.abs(), self.e, self.dtype)   # ||a| - |b|| <= |a - b|


# Every operation takes ctx first: a dtype (bound the rounding of that dtype: Bounded in, Bounded out),
# None (plain float64 tensors, differentiable: the values and Jacobians of the same formulas), or Nodes
# (plain tensors, each arithmetic result perturbed by a zero tensor whose gradient is its sensitivity).

class Nodes:
    """First-order bounds for chosen outputs (flow_bounds' method): with every arithmetic node z_k perturbed by a
    zero tensor and its own rounding bound e_k (the Bounded rules on exact inputs), an output y errs by at most
    sum_k |dy/dz_k| e_k to first order. One backward pass per output, any length, exact sensitivities."""

    def __init__(self, dtype):
        self.dtype, self.items = dtype, []

    def perturb(self, z, local):
        d = torch.zeros_like(z, requires_grad=True)
        self.items.append((d, local))
        return z + d

    def bound(self, y, chunk=64, check=True):
        """sum_k |dy_j/dz_k| e_k for every element y_j of y (one vectorised backward pass per `chunk` elements),
        times FIRST_ORDER_MARGIN. With `check`, asserts that each is at most FIRST_ORDER_LIMIT |y_j| (where first
        order holds); without, the caller compares only where `first_order_holds`."""
        flat = y.reshape(-1)
        deltas = [d for d, _ in self.items]
        out = torch.zeros(flat.shape[0], dtype=F64)
        for start in range(0, flat.shape[0], chunk):
            rows = torch.eye(flat.shape[0], dtype=F64)[start:start + chunk]
            grads = torch.autograd.grad(flat, deltas, rows, retain_graph=True, allow_unused=True, is_grads_batched=True)
            out[start:start + chunk] = sum(((g.abs() * e).flatten(1).sum(1) for g, (_, e) in zip(grads, self.items)
                                            if g is not None), torch.zeros(rows.shape[0], dtype=F64))
        out = (FIRST_ORDER_MARGIN * out).reshape(y.shape)
        worst = float((out / y.detach().abs()).max()) if y.numel() else 0.0
        if check and not worst <= FIRST_ORDER_LIMIT:
            raise AssertionError(f"a first-order bound reached {worst:.3g} of its value, above {FIRST_ORDER_LIMIT:g}: "
                                 "terms of order E^2 may no longer be neglected (tests/tolerances.py)")
        return Bounded(y.detach(), out, self.dtype)


def first_order_holds(bound):
    """Where a first-order bound is small enough for its neglected terms to be covered (FIRST_ORDER_LIMIT)."""
    return bound.e <= FIRST_ORDER_LIMIT * bound.v.abs()


def _is_bounded(ctx):
    return isinstance(ctx, torch.dtype)


def _detached(obj):
    if torch.is_tensor(obj):
        return obj.detach()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_detached(o) for o in obj)
    return obj


def _arithmetic(op):
    """In Nodes mode: the plain (differentiable) value, perturbed, with the op's own rounding on exact inputs as its bound."""
    def wrapped(ctx, *args, **kwargs):
        if isinstance(ctx, Nodes):
            z = op(None, *args, **kwargs)
            return ctx.perturb(z, op(ctx.dtype, *_detached(args), **kwargs).e)
        return op(ctx, *args, **kwargs)
    wrapped.__name__, wrapped.__doc__ = op.__name__, op.__doc__
    return wrapped


def _b(x, ctx):
    return x if isinstance(x, Bounded) else Bounded.exact(x, ctx)


def value(x):
    return x.v if isinstance(x, Bounded) else x


def part(x, fn):
    """A rearrangement of a Bounded or of a plain tensor."""
    return x.map(fn) if isinstance(x, Bounded) else fn(x)


def exact(ctx, t):
    """Shared data as the mode wants it: Bounded without error, or the plain tensor."""
    return Bounded.exact(t, ctx) if _is_bounded(ctx) else t


def chunk(ctx, a, k):
    return [part(a, lambda t, i=i: t.chunk(k, -1)[i]) for i in range(k)]


def cat(ctx, parts, dim=-1):
    if not _is_bounded(ctx):
        return torch.cat(parts, dim)
    parts = [_b(p, ctx) for p in parts]
    return Bounded(torch.cat([p.v for p in parts], dim), torch.cat([p.e for p in parts], dim), ctx)


def stack(ctx, parts, dim=0):
    if not _is_bounded(ctx):
        return torch.stack(parts, dim)
    parts = [_b(p, ctx) for p in parts]
    return Bounded(torch.stack([p.v for p in parts], dim), torch.stack([p.e for p in parts], dim), ctx)


@_arithmetic
def dot(ctx, products=(), terms=()):
    """sum_k A_k @ B_k + sum_j c_j as ONE sum of N terms, in any order: error <= gamma_N sum |terms|.

    N = the inner sizes plus the number of added terms (a term meets at most N roundings: its
    multiplication and N - 1 additions), or k - 1 for k terms and no products. The inputs' errors
    propagate exactly: A'B' - AB = (A' - A) B + A (B' - B) + (A' - A)(B' - B).
    """
    if not ctx:
        return sum((a @ b for a, b in products), torch.zeros((), dtype=F64)) + sum(terms, torch.zeros((), dtype=F64))
    products = [(_b(a, ctx), _b(b, ctx)) for a, b in products]
    terms = [_b(c, ctx) for c in terms]
    zero = torch.zeros((), dtype=F64)
    v = sum((a.v @ b.v for a, b in products), zero) + sum((c.v for c in terms), zero)
    e = sum((c.e for c in terms), zero)
    size = sum((a.big @ b.big for a, b in products), zero) + sum((c.big for c in terms), zero)
    for a, b in products:
        if a.e.any() or b.e.any():
            e = e + a.e @ b.mag + a.mag @ b.e + a.e @ b.e
    n = sum(a.shape[-1] for a, _ in products) + len(terms)
    N = n if products else max(n - 1, 0)
    e = e + gamma(N, ctx) * size + (n * LAM[ctx] if products else 0.0)
    return Bounded(v, torch.broadcast_to(e, v.shape).clone(), ctx)


def add(ctx, *terms):
    """An elementwise sum of k terms in any order: gamma_{k-1} sum |terms|."""
    return dot(ctx, terms=terms)


def sub(ctx, a, b):
    return add(ctx, a, -b if isinstance(b, Bounded) or torch.is_tensor(b) else -torch.as_tensor(b, dtype=F64))


@_arithmetic
def prod(ctx, *factors):
    """A product of m factors in any association: gamma_{m-1} prod |f| from rounding; the inputs' errors
    propagate without linearising: |prod f' - prod f| <= prod (|f| + e_f) - prod |f|."""
    if not ctx:
        out = factors[0]
        for f in factors[1:]:
            out = out * f
        return out
    fs = [_b(f, ctx) for f in factors]
    v, upper, low, big = fs[0].v, fs[0].mag + fs[0].e, fs[0].mag, fs[0].big
    for f in fs[1:]:
        v, upper, low, big = v * f.v, upper * (f.mag + f.e), low * f.mag, big * f.big
    m = len(fs) - 1
    tiny = (m * LAM[ctx]) * torch.ones_like(v)
    for f in fs:
        tiny = tiny * f.big.clamp(min=1.0)
    return Bounded(v, (upper - low) + gamma(m, ctx) * big + tiny, ctx)


def mul(ctx, a, b):
    return prod(ctx, a, b)


@_arithmetic
def pairwise(ctx, a, b, c, d):
    """a b + c d as a dot product of 2 (ATen's (f * c).add_(i * g), fused or not): gamma_2 (|ab| + |cd|)."""
    if not ctx:
        return a * b + c * d
    a, b, c, d = (_b(t, ctx) for t in (a, b, c, d))
    prop = lambda p, q: p.e * q.mag + p.mag * q.e + p.e * q.e
    e = prop(a, b) + prop(c, d) + gamma(2, ctx) * (a.big * b.big + c.big * d.big) + 2 * LAM[ctx]
    return Bounded(a.v * b.v + c.v * d.v, e, ctx)


def _function(ctx, a, fn, slope_at, ulps):
    """f(a): the input error times the largest |f'| on [v - 2e, v + 2e] (where the exact input and any
    implementation's computed one lie), plus `ulps` ulps of the result."""
    if not ctx:
        return fn(a)
    a = _b(a, ctx)
    v = fn(a.v)
    e = slope_at(a.v, 2 * a.e) * a.e
    return Bounded(v, e + ulps * (2 * a.u * (v.abs() + 2 * e) + a.lam), ctx)


@_arithmetic
def tanh(ctx, a):
    # tanh' = 1 - tanh^2 is largest nearest 0
    return _function(ctx, a, torch.tanh, lambda v, r: 1 - torch.tanh((v.abs() - r).clamp(min=0)) ** 2, TANH_ULPS)


@_arithmetic
def sigmoid(ctx, a):
    if ctx:
        low = float(value(a).min()) if value(a).numel() else 0.0
        if low < -80.0:
            raise AssertionError(f"a sigmoid input of {low:.3g}: ATen's 1 / (1 + exp(-x)) has no relative error bound "
                                 "below -88 in float32 (exp overflows), so tests/tolerances.py's bound does not apply")

    def slope(v, r):
        s = torch.sigmoid((v.abs() - r).clamp(min=0))
        return s * (1 - s)
    return _function(ctx, a, torch.sigmoid, slope, SIGMOID_ULPS)


@_arithmetic
def softmax(ctx, s, dim=-1):
    """softmax over `dim`; entries at -inf (masked) are exactly 0 on every implementation.

    With D the largest input error along `dim`, the inputs move each weight by a factor within exp(+-2D)
    (softmax is shift invariant). Rounding, relative, for an implementation that subtracts the row
    maximum, exponentiates, sums and divides (or multiplies by the reciprocal): u |d_i| from the
    subtraction fed to exp (d_i = s_i - max, |d_i| <= |v_i - max v| + 4D), EXP_ULPS ulps of exp, the sum
    of n positive terms (gamma_{n-1} plus the terms' largest relative error) and 2 roundings for the
    division. A numerator's relative error a over a denominator's b is within exp(a + 2b) - 1.
    """
    if not ctx:
        return torch.softmax(s, dim)
    s, u = _b(s, ctx), U[ctx]
    live = torch.isfinite(s.v)
    v = torch.softmax(s.v, dim)
    D = torch.where(live, s.e, torch.zeros_like(s.e)).amax(dim, keepdim=True)
    top = torch.where(live, s.v, torch.full_like(s.v, -math.inf)).amax(dim, keepdim=True)
    d = torch.where(live, (s.v - top).abs() + 4 * D, torch.zeros_like(s.v))
    own = u * d + 2 * EXP_ULPS[ctx] * u
    total = gamma(max(s.shape[dim] - 1, 0), ctx) + own.amax(dim, keepdim=True)
    R = torch.expm1(2 * D + own + 2 * total + 2 * u)
    e = torch.where(live, v * R * (1 + 2 * R) + 2 * EXP_ULPS[ctx] * LAM[ctx], torch.zeros_like(v))
    return Bounded(v, e, ctx)


def vector_norm(ctx, a, dim=-1, dtype=F64):
    """`norm` for every mode: helpers take gradient norms in `dtype` (float64) whatever the computation's dtype."""
    if isinstance(ctx, Nodes):
        z = torch.linalg.vector_norm(a, dim=dim)
        return ctx.perturb(z, (gamma(a.shape[dim], dtype) / 2 + 2 * U[dtype]) * z.detach() + a.shape[dim] * LAM[dtype])
    return norm(a, dim, dtype) if _is_bounded(ctx) else torch.linalg.vector_norm(a, dim=dim)


def norm(a, dim=-1, dtype=F64):
    """The 2-norm, computed in `dtype` (helpers take gradient norms in float64): | ||x'|| - ||x|| | <= ||x' - x||,
    then sqrt(a sum of n squares in any order) errs by at most gamma_n / 2 + 2 u relative (the terms are
    nonnegative, so the sum's relative error is gamma_n; the square root halves it and adds a rounding)."""
    y = torch.linalg.vector_norm(a.v, dim=dim)
    prop = torch.linalg.vector_norm(a.e, dim=dim)
    rel = gamma(a.shape[dim], dtype) / 2 + 2 * U[dtype]
    return Bounded(y, prop + rel * (y + 2 * prop) + a.shape[dim] * LAM[dtype], dtype)


# --- recurrences ------------------------------------------------------------------------------------

def _jacobians(step, state, t):
    """d step(state)_b / d state_b for every sequence b of the batch (they are independent): (B, n, n)."""
    s = state.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = step(None, s, t)[0]
        B, n_out = out.shape
        basis = torch.eye(n_out, dtype=F64).unsqueeze(1).expand(n_out, B, n_out)
        try:   # all rows in one vectorised backward pass
            rows = torch.autograd.grad(out, s, basis, is_grads_batched=True, allow_unused=True)[0]
        except RuntimeError:   # an operation without a batching rule: one pass per row
            rows = torch.stack([torch.autograd.grad(out, s, basis[i], retain_graph=True, allow_unused=True)[0]
                                for i in range(n_out)])
    return torch.zeros(B, n_out, s.shape[1], dtype=F64) if rows is None else rows.transpose(0, 1)


def recurrence(step, state0, steps, ctx):
    """Run step(ctx, state, t) -> (new_state, extras) for t in `steps`; the state is a (B, n) tensor or None.

    Returns (states, extras): the Bounded state after each step and what each step returned besides it,
    both indexed by t. The state's bound is the smaller of (a) the one-step rigorous propagation of the
    previous bound and (b) the first-order bound sum_k |J_t ... J_{k+1}| eps_k, where eps_k is the bound
    step k's own rounding gives on an exact incoming state (see the module docstring).
    """
    states, extras = {}, {}
    if not _is_bounded(ctx):   # values (and Nodes): just run it
        state = state0
        for t in steps:
            state, extras[t] = step(ctx, state, t)
            states[t] = state
        return states, extras
    state = None if state0 is None else _b(state0, ctx)
    products, eps = None, []
    if state is not None:      # an incoming state with an error of its own enters the first-order sum as eps_{-1}
        B, n = state.shape
        products, eps = torch.eye(n, dtype=F64).expand(1, B, n, n), [state.e]
    for t in steps:
        exact_in = None if state is None else Bounded.exact(state.v, ctx)
        local = step(ctx, exact_in, t)[0].e
        new, extra = step(ctx, state, t)
        B, n = new.shape
        eye = torch.eye(n, dtype=F64).expand(1, B, n, n)
        if state is None:
            products, eps = eye, [local]
        else:
            J = _jacobians(step, state.v, t)
            products = torch.cat([J.unsqueeze(0) @ products, eye])
            eps.append(local)
        first_order = FIRST_ORDER_MARGIN * (products.abs() @ torch.stack(eps).unsqueeze(-1)).squeeze(-1).sum(0)
        e = torch.minimum(new.e, first_order)
        scale = new.v.abs().amax(-1, keepdim=True).clamp(min=1e-300)
        worst = float((e / scale).max())
        if worst > FIRST_ORDER_LIMIT:
            raise AssertionError(f"step {t}: the error bound reached {worst:.3g} of the state's size, above "
                                 f"{FIRST_ORDER_LIMIT:g}: the first-order bound of tests/tolerances.py no longer applies")
        state = Bounded(new.v, e, ctx)
        states[t], extras[t] = state, extra
    return states, extras


def _grad_sums(ctx, rows_for, columns_for, T):
    """sum_t rows_t^T columns_t over every step and sequence: T B products each, in any order (autograd's
    accumulation over steps is one order of that sum)."""
    R, C = cat(ctx, [rows_for(t) for t in range(T)], 0), cat(ctx, [columns_for(t) for t in range(T)], 0)
    return dot(ctx, [(R.T, C)])


def _bias_sum(ctx, rows_for, T):
    R = cat(ctx, [rows_for(t) for t in range(T)], 0)
    return dot(ctx, [(torch.ones(1, R.shape[0], dtype=F64), R)])[0]


def _pick(ctx, saved):
    if _is_bounded(ctx):
        return saved
    return tuple(value(s) for s in saved) if isinstance(saved, tuple) else value(saved)


# --- the models of helpers/models, forwards and backwards ------------------------------------------

def tanh_rnn(x, weights, dtype, h0=None, grad_out=None):
    """A tanh RNN layer on time-major x (T, B, I) and, with grad_out (T, B, H), the backward pass of
    sum(out * grad_out), as autograd evaluates it.

    Forward: a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh, one sum of I + H + 2 terms in any order (torch
    precomputes x W_ih^T + b_ih for all steps, helpers write the four terms out: both are orders of the
    same sum); h_t = tanh(a_t). Backward: v_t = g_t (1 - h_t h_t) (ATen's tanh_backward),
    g_{t-1} = grad_out_{t-1} + v_t W_hh (H + 1 terms), dx_t = v_t W_ih; the weight gradients sum over
    every step and sequence. Returns a dict of Bounded: out (T, B, H), h, and with grad_out: x, h_grad
    (dL/dh_t, T, B, H), weight_ih, weight_hh, bias_ih, bias_hh, h0.
    """
    w_ih, w_hh, b_ih, b_hh = (w.detach().to(F64) for w in weights)
    x = x.detach().to(F64)
    T = x.shape[0]

    def forward(ctx, h, t):
        products = [(x[t], w_ih.T)] + ([] if h is None else [(h, w_hh.T)])
        return tanh(ctx, dot(ctx, products, [b_ih, b_hh])), None
    hs, _ = recurrence(forward, h0, range(T), dtype)
    result = {"out": stack(dtype, [hs[t] for t in range(T)]), "h": hs[T - 1]}
    if grad_out is None:
        return result
    grad_out = grad_out.detach().to(F64)

    def backward(ctx, g, t):
        h = _pick(ctx, hs[t])
        v = mul(ctx, g, sub(ctx, 1.0, mul(ctx, h, h)))
        return dot(ctx, [(v, w_hh)], [grad_out[t - 1]] if t > 0 else []), (v, dot(ctx, [(v, w_ih)]))
    gs, extra = recurrence(backward, grad_out[T - 1], range(T - 1, -1, -1), dtype)
    v = lambda t: extra[t][0]
    before = lambda t: hs[t - 1] if t > 0 else (torch.zeros_like(value(hs[0])) if h0 is None else h0)
    into = [gs[t + 1] if t + 1 < T else exact(dtype, grad_out[T - 1]) for t in range(T)]   # dL/dh_t
    result.update(x=stack(dtype, [extra[t][1] for t in range(T)]), h_grad=stack(dtype, into),
                  weight_ih=_grad_sums(dtype, v, lambda t: x[t], T), weight_hh=_grad_sums(dtype, v, before, T),
                  bias_ih=_bias_sum(dtype, v, T), bias_hh=_bias_sum(dtype, v, T), h0=gs[0])
    return result


def lstm(x, weights, dtype, state=None, grad_out=None, grad_c=None):
    """An LSTM layer (gates [i, f, g, o]) and, with grad_out, the backward pass of sum(out * grad_out) + sum(c_T * grad_c).

    Forward as ATen's LSTMCell and helpers.lstm_step: a = one sum of I + H + 2 terms; i, f, o = sigmoid, g = tanh;
    c = f c_prev + i g (a dot product of 2); h = o tanh(c). Backward as autograd: dc = dc_next + (dh o)(1 - tc tc),
    da_i = (dc g)(1 - i) i, da_f = (dc c_prev)(1 - f) f, da_g = (dc i)(1 - g g), da_o = (dh tc)(1 - o) o;
    dc_prev = dc f; dh_prev = grad_out + da W_hh (4H + 1 terms). The recurrence's state is [h, c] and [dh, dc].
    """
    w_ih, w_hh, b_ih, b_hh = (w.detach().to(F64) for w in weights)
    x = x.detach().to(F64)
    T, B = x.shape[:2]
    H = w_hh.shape[1]
    saved = {}

    def forward(ctx, s, t):
        h, c = (None, None) if s is None else chunk(ctx, s, 2)
        products = [(x[t], w_ih.T)] + ([] if h is None else [(h, w_hh.T)])
        i, f, g, o = chunk(ctx, dot(ctx, products, [b_ih, b_hh]), 4)
        i, f, g, o = sigmoid(ctx, i), sigmoid(ctx, f), tanh(ctx, g), sigmoid(ctx, o)
        c_new = mul(ctx, i, g) if c is None else pairwise(ctx, f, c, i, g)
        tc = tanh(ctx, c_new)
        h_new = mul(ctx, o, tc)
        return cat(ctx, [h_new, c_new]), (i, f, g, o, tc)
    s0 = None if state is None else torch.cat([state[0].detach(), state[1].detach()], -1).to(F64)
    ss, saved = recurrence(forward, s0, range(T), dtype)
    hc = lambda t: (part(ss[t], lambda v: v[..., :H]), part(ss[t], lambda v: v[..., H:]))
    result = {"out": stack(dtype, [hc(t)[0] for t in range(T)]), "h": hc(T - 1)[0], "c": hc(T - 1)[1]}
    if grad_out is None:
        return result
    grad_out = grad_out.detach().to(F64)
    zero = torch.zeros(B, H, dtype=F64)
    c_before = lambda t: hc(t - 1)[1] if t > 0 else (zero if state is None else state[1].detach().to(F64))
    h_before = lambda t: hc(t - 1)[0] if t > 0 else (zero if state is None else state[0].detach().to(F64))

    def backward(ctx, s, t):
        dh, dc_next = chunk(ctx, s, 2)
        i, f, g, o, tc = _pick(ctx, saved[t])
        c_prev = _pick(ctx, c_before(t))
        dc = add(ctx, dc_next, mul(ctx, mul(ctx, dh, o), sub(ctx, 1.0, mul(ctx, tc, tc))))
        da = cat(ctx, [prod(ctx, mul(ctx, dc, g), sub(ctx, 1.0, i), i),
                       prod(ctx, mul(ctx, dc, c_prev), sub(ctx, 1.0, f), f),
                       mul(ctx, mul(ctx, dc, i), sub(ctx, 1.0, mul(ctx, g, g))),
                       prod(ctx, mul(ctx, dh, tc), sub(ctx, 1.0, o), o)])
        dh_prev = dot(ctx, [(da, w_hh)], [grad_out[t - 1]] if t > 0 else [])
        return cat(ctx, [dh_prev, mul(ctx, dc, f)]), (da, dot(ctx, [(da, w_ih)]))
    last = torch.cat([grad_out[T - 1], zero if grad_c is None else grad_c.detach().to(F64)], -1)
    gs, extra = recurrence(backward, last, range(T - 1, -1, -1), dtype)
    da = lambda t: extra[t][0]
    result.update(x=stack(dtype, [extra[t][1] for t in range(T)]),
                  weight_ih=_grad_sums(dtype, da, lambda t: x[t], T), weight_hh=_grad_sums(dtype, da, h_before, T),
                  bias_ih=_bias_sum(dtype, da, T), bias_hh=_bias_sum(dtype, da, T),
                  h0=part(gs[0], lambda v: v[..., :H]), c0=part(gs[0], lambda v: v[..., H:]))
    return result


GRU_FORMS = ("helpers", "torch")   # (1 - z) n + z h, as helpers.gru_step; (h - n) z + n, as ATen's GRUCell


def gru_cell(ctx, x_t, h, weights, form):
    """One GRU step, returns (h_new, saved). xg = x W_ih^T + b_ih (I + 1 terms) and hg = h W_hh^T + b_hh
    (H + 1), each rounded on its own as helpers and ATen both do; r, z = sigmoid(xg + hg); n = tanh(xn + r hn);
    then the blend in `form`."""
    w_ih, w_hh, b_ih, b_hh = weights
    xr, xz, xn = chunk(ctx, dot(ctx, [(x_t, w_ih.T)], [b_ih]), 3)
    hg = dot(ctx, [(h, w_hh.T)], [b_hh]) if h is not None else dot(ctx, terms=[b_hh.expand(x_t.shape[0], -1)])
    hr, hz, hn = chunk(ctx, hg, 3)
    r, z = sigmoid(ctx, add(ctx, xr, hr)), sigmoid(ctx, add(ctx, xz, hz))
    n = tanh(ctx, add(ctx, xn, mul(ctx, r, hn)))
    if h is None:
        h = torch.zeros_like(value(n))
    if form == "helpers":
        return add(ctx, mul(ctx, sub(ctx, 1.0, z), n), mul(ctx, z, h)), (r, z, n, hn, None)
    diff = sub(ctx, h, n)
    return add(ctx, mul(ctx, diff, z), n), (r, z, n, hn, diff)


def gru(x, weights, dtype, form, h0=None, grad_out=None):
    """A GRU layer in one of GRU_FORMS and, with grad_out, the backward pass of sum(out * grad_out).

    Backward as autograd differentiates each form. helpers: dn = dh (1 - z), dz = dh h - dh n; torch: dn = dh - dh z,
    dz = dh (h - n) with h - n saved from the forward; both: dh_prev gets dh z. Then da_n = dn (1 - n n),
    da_r = (da_n hn)(1 - r) r, da_z = dz (1 - z) z, dx = [da_r, da_z, da_n] W_ih and
    dh_prev = dh z + grad_out + [da_r, da_z, da_n r] W_hh (3H + 2 terms).
    """
    weights = tuple(w.detach().to(F64) for w in weights)
    w_ih, w_hh = weights[:2]
    x = x.detach().to(F64)
    T, B = x.shape[:2]
    h0 = h0 if h0 is None or isinstance(h0, Bounded) else h0.detach().to(F64)
    hs, saved = recurrence(lambda ctx, h, t: gru_cell(ctx, x[t], h, weights, form), h0, range(T), dtype)
    result = {"out": stack(dtype, [hs[t] for t in range(T)]), "h": hs[T - 1]}
    if grad_out is None:
        return result
    grad_out = grad_out.detach().to(F64)
    zero = torch.zeros(B, w_hh.shape[1], dtype=F64)
    before = lambda t: hs[t - 1] if t > 0 else (zero if h0 is None else h0)

    def backward(ctx, dh, t):
        r, z, n, hn, diff = _pick(ctx, saved[t])
        h_prev = _pick(ctx, before(t))
        if form == "helpers":
            dn, dz = mul(ctx, dh, sub(ctx, 1.0, z)), sub(ctx, mul(ctx, dh, h_prev), mul(ctx, dh, n))
        else:
            dn, dz = sub(ctx, dh, mul(ctx, dh, z)), mul(ctx, dh, diff)
        dan = mul(ctx, dn, sub(ctx, 1.0, mul(ctx, n, n)))
        dar = prod(ctx, mul(ctx, dan, hn), sub(ctx, 1.0, r), r)
        daz = prod(ctx, dz, sub(ctx, 1.0, z), z)
        d_ih, d_hh = cat(ctx, [dar, daz, dan]), cat(ctx, [dar, daz, mul(ctx, dan, r)])
        dh_prev = dot(ctx, [(d_hh, w_hh)], [mul(ctx, dh, z)] + ([grad_out[t - 1]] if t > 0 else []))
        return dh_prev, (d_ih, d_hh, dot(ctx, [(d_ih, w_ih)]))
    gs, extra = recurrence(backward, grad_out[T - 1], range(T - 1, -1, -1), dtype)
    result.update(x=stack(dtype, [extra[t][2] for t in range(T)]),
                  weight_ih=_grad_sums(dtype, lambda t: extra[t][0], lambda t: x[t], T),
                  weight_hh=_grad_sums(dtype, lambda t: extra[t][1], before, T),
                  bias_ih=_bias_sum(dtype, lambda t: extra[t][0], T), bias_hh=_bias_sum(dtype, lambda t: extra[t][1], T),
                  h0=gs[0])
    return result


def module_weights(module, suffix="_l0"):
    """(weight_ih, weight_hh, bias_ih, bias_hh) of a torch.nn recurrent module or of a helpers model, in float64."""
    return tuple(getattr(module, n + suffix if hasattr(module, n + suffix) else n).detach().to(F64)
                 for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


# --- eigenvalues -------------------------------------------------------------------------------------

def eig_backward_error(W, dtype=F64):
    """A bound on ||E||_2 where LAPACK's eigenvalues of W are the exact ones of W + E: its QR algorithm is
    backward stable, ||E||_2 <= p(n) u ||W||_2 with p(n) a modest polynomial (Golub & Van Loan 7.5.6);
    p(n) = n^2 here (about n Householder steps of n roundings each), with ||W||_F >= ||W||_2."""
    n = W.shape[-1]
    return n * n * U[dtype] * float(torch.linalg.matrix_norm(W.detach().to(F64)))


def eigenvector_condition(W):
    """kappa_2(V) for W = V diag(lambda) V^-1: Bauer-Fike moves every eigenvalue of W + E by at most kappa_2(V) ||E||_2."""
    _, V = torch.linalg.eig(W.detach().to(F64))
    return float(torch.linalg.cond(V))


def rescaled_radius_allowance(W, target, dtype):
    """How far spectral_radius(W) may lie from `target` when W = rescale_to_radius(W0, target) was stored in `dtype`.

    rescale_to_radius multiplies W0 by s = target / rho(W0): rho(W0) comes from LAPACK in float64 (within
    kappa eig_backward_error, relative to rho), s is rounded to `dtype` (relative u, scaling every eigenvalue
    alike), and every product rounds (W = W0 s + E, |E| <= u |W| entrywise, ||E||_2 <= u ||W||_F), which moves
    the spectral radius by at most kappa_2(V) ||E||_2 (Bauer-Fike). The measurement's own eigvals call adds
    one more kappa eig_backward_error.
    """
    kappa = eigenvector_condition(W)
    u = U[dtype]
    stored = u * float(torch.linalg.matrix_norm(W.detach().to(F64)))
    lapack = eig_backward_error(W)
    return target * (u + u + kappa * lapack / target) + kappa * (stored + lapack)


def radius_within_singular_values(W, target):
    """|spectral_radius(W) - target| allowed when every eigenvalue of W has modulus `target` up to W's own
    rounding (the identity, an orthogonal Q from QR, scaled): every |lambda| lies in [sigma_min, sigma_max];
    LAPACK's singular values move by at most its backward error (Weyl) and its eigenvalues by kappa_2(V) times it."""
    sv = torch.linalg.svdvals(W.detach().to(F64))
    err = eig_backward_error(W)
    spread = max(float(sv.max()) - target, target - float(sv.min()), 0.0)
    return spread + err + eigenvector_condition(W) * err


# --- attention ---------------------------------------------------------------------------------------

def extra_roundings(b, k):
    """b computed with up to k more roundings than its bound counts (another implementation's extra steps):
    e + gamma_k |b|."""
    return Bounded(b.v, b.e + gamma(k, b.dtype) * b.big, b.dtype)


def normalize(ctx, a):
    """a / ||a|| on the last dim (F.normalize, cosine_similarity): the norm within gamma_n / 2 + 2u relative
    (see `norm`), the division one more rounding; the input's error moves a unit vector by at most 2 e / ||a||."""
    a = _b(a, ctx)
    n = torch.linalg.vector_norm(a.v, dim=-1, keepdim=True)
    y = a.v / n
    prop = 2 * torch.linalg.vector_norm(a.e, dim=-1, keepdim=True) / (n - torch.linalg.vector_norm(a.e, dim=-1, keepdim=True))
    rel = gamma(a.shape[-1], ctx) / 2 + 3 * U[ctx]
    return Bounded(y, prop + rel * (y.abs() + prop), ctx)


def score(ctx, kind, q, k, module):
    """The attention scores of helpers.models.attention (batch, tgt, src) for weights held by `module`.

    dot: q k^T (H terms). general: q (k W^T)^T, two nested sums. additive and concat: one sum of 2H terms
    W_q q + W_k k (helpers round the two halves apart, a hand-written W [q; k] does not: both are orders of
    it), tanh, then the dot with v (A terms).
    """
    q, k = (t if isinstance(t, Bounded) else t.detach().to(F64) for t in (q, k))
    trans = lambda t: part(t, lambda v: v.transpose(-1, -2))
    if kind == "dot":
        return dot(ctx, [(q, trans(k))])
    if kind == "general":
        keys = dot(ctx, [(k, module.W.weight.detach().to(F64).T)])
        return dot(ctx, [(q, trans(keys))])
    if kind == "additive":
        W_q, W_k = module.W_query.weight, module.W_key.weight
    else:
        W_q, W_k = module.W.weight.split(q.shape[-1], dim=1)
    W_q, W_k, v = (w.detach().to(F64) for w in (W_q, W_k, module.v.weight))
    pre = dot(ctx, [(part(q, lambda t: t.unsqueeze(-2)), W_q.T), (part(k, lambda t: t.unsqueeze(-3)), W_k.T)])
    return part(dot(ctx, [(tanh(ctx, pre), v.T)]), lambda t: t.squeeze(-1))


def simplex_allowance(weights, scores, dtype):
    """|sum_j w_j - 1| for computed softmax weights: softmax of any scores sums to 1 exactly, so only the
    softmax's own rounding counts (its bound on exact scores) plus the float sum of the n weights (gamma_{n-1})."""
    w = softmax(dtype, Bounded.exact(scores, dtype), -1)
    n = w.shape[-1]
    return w.e.sum(-1) + gamma(max(n - 1, 0), dtype) * w.big.sum(-1)
