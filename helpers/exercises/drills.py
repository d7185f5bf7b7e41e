"""The summary chapter's three drills: reference solutions, and self-checks that say what is wrong.

Each self-check runs the learner's function next to PyTorch's own computation on the same weights
(nn.RNN, clip_grad_norm_, helpers.attention.AttentionScore). When the two disagree it replays the
typical mistakes one by one, so the message names the mistake instead of only saying "wrong".
A check prints its verdict and returns True or False: a wrong answer is not a traceback.

"Disagree" is measured against the rounding either side may commit, never a fixed tolerance: a learner's
loop sums in another order than PyTorch's kernels, with or without fused multiply-adds, and calls tanh and
exp from another library. Each comparison allows the two sides' a-priori error bounds (Higham, Accuracy and
Stability of Numerical Algorithms, ch. 3): a sum of n terms in any order errs by at most gamma_n = n u / (1 - n u)
times the sum of the terms' magnitudes, an elementwise operation by u, tanh, sigmoid and exp by 2 ulps
(SLEEF's and glibc's documented accuracy), with u the unit roundoff of the precision the learner's answer
came in (float64 for the drills' inputs). The bounds are computed from the case's own numbers; a correct
answer computed in any order passes, and the typical mistakes miss by orders of magnitude more.

Used in: the summary.
"""
import textwrap

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_callable, check_float, check_int, check_seed
from helpers.core.seeding import seeded
from helpers.models.attention import AttentionScore

FUNCTION_ULPS = 2        # tanh, sigmoid, exp: SLEEF u10 (1 ulp), glibc (<= 2 ulps), ATen's sigmoid 1 / (1 + exp(-x))
CLIP_EPS = 1e-6          # torch.nn.utils.clip_grad_norm_ divides by total_norm + 1e-6; an answer may add it or not


def _verdict(problem, ok_message):
    message = f"NOT YET: {problem}" if problem else f"OK: {ok_message}"
    print(textwrap.fill(message, width=68, subsequent_indent="  ", break_long_words=False,
                        break_on_hyphens=False))
    return problem is None


def _call(fn, *args):
    """The learner's result, or the message that explains the exception it raised."""
    try:
        return fn(*args), None
    except Exception as exc:   # a learner's bug: report it, do not crash the check
        return None, f"your function raised {type(exc).__name__}: {exc}"


def _as_tensor(value):
    return torch.as_tensor(np.asarray(value.detach() if torch.is_tensor(value) else value), dtype=torch.float64)


def _unit_roundoff(*values):
    """u of the least precise floating dtype among the learner's values (float64 for lists and integers)."""
    u = 2.0 ** -53
    for value in values:
        dtype = value.dtype if torch.is_tensor(value) else getattr(np.asarray(value), "dtype", None)
        if dtype is not None and (torch.is_tensor(value) and dtype.is_floating_point or
                                  not torch.is_tensor(value) and np.issubdtype(dtype, np.floating)):
            u = max(u, float(torch.finfo(dtype).eps if torch.is_tensor(value) else np.finfo(dtype).eps) / 2)
    return u


def _gamma(n, u):
    """gamma_n = n u / (1 - n u): n roundings in a row (a sum of n terms in any order); no bound once n u >= 1."""
    return n * u / (1 - n * u) if n * u < 1 else float("inf")


def _close(a, b, allowance):
    """Same shape and |a - b| <= allowance everywhere (the two sides' rounding bounds added)."""
    return a.shape == b.shape and bool(((a - b).abs() <= allowance).all())


def _layer_step(W_ih, inputs, b_ih, W_hh, recurrent, b_hh, act, u):
    """act(W_ih in + b_ih + W_hh rec + b_hh) and a bound on its error, for an evaluation with unit roundoff u.

    inputs and recurrent are (value, error bound) pairs. The pre-activation is one sum of I + H + 2 terms in
    any order (gamma_n times the terms' magnitudes, with |in| + e for the inexact inputs), the inputs' errors
    propagate through |W|; tanh's slope is at most 1 and its result within 2 ulps (2 u |h| each).
    """
    (x, ex), (h, eh) = inputs, recurrent
    n = W_ih.shape[1] + W_hh.shape[1] + 2
    pre = W_ih @ x + b_ih + W_hh @ h + b_hh
    size = W_ih.abs() @ (x.abs() + 2 * ex) + b_ih.abs() + W_hh.abs() @ (h.abs() + 2 * eh) + torch.as_tensor(b_hh).abs()
    e = W_ih.abs() @ ex + W_hh.abs() @ eh + _gamma(n, u) * size
    out = act(pre)
    return out, (e + FUNCTION_ULPS * 2 * u * (out.abs() + e) if act is torch.tanh else e)


def _shape_problem(name, value, expected, hints=()):
    shape = tuple(_as_tensor(value).shape)
    if shape == expected:
        return None
    hint = dict(hints).get(shape, "")
    return f"{name} has shape {shape}, expected {expected}" + (f": {hint}" if hint else "")


# --- drill 1: a two-layer tanh RNN ---------------------------------------------------------------

def two_layer_rnn(x, params):
    """Reference: x (seq_len, input_size), params named as in nn.RNN (weight_ih_l0 ... bias_hh_l1).

    Returns (h1_states, h2_states), each (seq_len, hidden_size): layer 1 reads x_t, layer 2 reads
    layer 1's state of the same step, and each layer carries its own previous state.
    """
    p = params
    h1 = h2 = x.new_zeros(p["weight_hh_l0"].shape[0])
    h1_states, h2_states = [], []
    for x_t in x:
        h1 = torch.tanh(p["weight_ih_l0"] @ x_t + p["bias_ih_l0"] + p["weight_hh_l0"] @ h1 + p["bias_hh_l0"])
        h2 = torch.tanh(p["weight_ih_l1"] @ h1 + p["bias_ih_l1"] + p["weight_hh_l1"] @ h2 + p["bias_hh_l1"])
        h1_states.append(h1)
        h2_states.append(h2)
    return torch.stack(h1_states), torch.stack(h2_states)


# Typical mistakes, replayed to name what went wrong. Input and hidden size are equal in the check,
# so that feeding x_t to layer 2 gives wrong numbers instead of a shape error.
RNN_MISTAKES = {
    "x into layer 2": "layer 2 reads x_t: it must read layer 1's state of the same step, h1_t "
                      "(h2_t = tanh(W_ih^(2) h1_t + b_ih^(2) + W_hh^(2) h2_{t-1} + b_hh^(2)))",
    "old h1 into layer 2": "layer 2 reads layer 1's state from the previous step, h1_{t-1}: update layer 1 "
                           "first and feed its new state h1_t to layer 2",
    "layer 1 recurs on h2": "step t uses h_{t-1} of the wrong layer: layer 1's recurrent term uses h2_{t-1} "
                            "(one state variable shared by both layers?); each layer keeps its own state",
    "layer 2 recurs on h1": "step t uses h_{t-1} of the wrong layer: layer 2's recurrent term uses h1_{t-1}; "
                            "it must use its own previous state h2_{t-1}",
    "transposed": "the weights are applied transposed: nn.RNN computes W_ih @ x_t and W_hh @ h_{t-1} "
                  "(in row-vector code: x_t @ W_ih.T)",
    "no tanh": "no tanh: each layer's new state is tanh of the sum, not the sum itself",
    "one bias": "bias_hh is missing: nn.RNN adds two biases, b_ih and b_hh",
    "no recurrence": "the states never depend on the previous step: h1 and h2 must be updated inside the loop "
                     "and fed back at the next step",
}


def _two_layer_variant(x, p, mistake=None, u=2.0 ** -53):
    """The two layers' states computed with `mistake` (None: the right formula), and their rounding bounds:
    (h1, h2, e1, e2), any evaluation of the same formula with unit roundoff u lies within e of the exact value."""
    act = (lambda a: a) if mistake == "no tanh" else torch.tanh
    W = (lambda name: p[name].T) if mistake == "transposed" else (lambda name: p[name])
    b_hh = (lambda name: 0.0) if mistake == "one bias" else (lambda name: p[name])
    zero = x.new_zeros(p["weight_hh_l0"].shape[0])
    h1 = h2 = (zero, zero)
    out1, out2 = [], []
    for x_t in x:
        x_t = (x_t, torch.zeros_like(x_t))
        h1_prev, h2_prev = ((zero, zero), (zero, zero)) if mistake == "no recurrence" else (h1, h2)
        rec1 = h2_prev if mistake == "layer 1 recurs on h2" else h1_prev
        h1 = _layer_step(W("weight_ih_l0"), x_t, p["bias_ih_l0"], W("weight_hh_l0"), rec1, b_hh("bias_hh_l0"), act, u)
        into2 = {"x into layer 2": x_t, "old h1 into layer 2": h1_prev}.get(mistake, h1)
        rec2 = h1_prev if mistake == "layer 2 recurs on h1" else h2_prev
        h2 = _layer_step(W("weight_ih_l1"), into2, p["bias_ih_l1"], W("weight_hh_l1"), rec2, b_hh("bias_hh_l1"), act, u)
        out1.append(h1)
        out2.append(h2)
    return tuple(torch.stack([s[i] for s in out]) for i in (0, 1) for out in (out1, out2))


def _rnn_case(seq_len=6, size=4, seed=0):
    with seeded(seed):   # leave the learner's random state alone
        rnn = nn.RNN(size, size, num_layers=2, nonlinearity="tanh").double()
        x = torch.randn(seq_len, size, dtype=torch.float64)
    layer1 = nn.RNN(size, size, num_layers=1, nonlinearity="tanh").double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer1, name + "_l0").copy_(getattr(rnn, name + "_l0"))
        h2_ref, _ = rnn(x)
        h1_ref, _ = layer1(x)
    params = {name: value.detach().clone() for name, value in rnn.named_parameters()}
    return x, params, h1_ref, h2_ref


def check_two_layer_rnn(fn):
    """Compare fn(x, params) -> (h1_states, h2_states) with nn.RNN(num_layers=2) on the same weights."""
    check_callable("fn", fn, "(x, params) -> (h1_states, h2_states)")
    x, params, h1_ref, h2_ref = _rnn_case()
    result, problem = _call(fn, x.clone(), {k: v.clone() for k, v in params.items()})
    if problem is None:
        problem = _two_layer_problem(result, x, params, h1_ref, h2_ref)
    return _verdict(problem, "both layers match torch.nn.RNN(num_layers=2, nonlinearity='tanh') at every step")


def _two_layer_problem(result, x, params, h1_ref, h2_ref):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return "return a pair (h1_states, h2_states), one array of states per layer"
    seq_len, hidden = h1_ref.shape
    hints = {(hidden, seq_len): "transposed: one row per time step", (seq_len + 1, hidden):
             "one row too many: leave out the initial state h_0 = 0", (seq_len, 1, hidden):
             "drop the batch dimension", (hidden,): "only the last state: return the state of every step"}
    for name, value in zip(("h1_states", "h2_states"), result):
        shape_problem = _shape_problem(name, value, (seq_len, hidden), hints)
        if shape_problem:
            return shape_problem
    u = _unit_roundoff(*result)
    h1, h2 = (_as_tensor(v) for v in result)
    a1, a2 = _rnn_allowance(x, params, u)
    if _close(h1, h1_ref, a1) and _close(h2, h2_ref, a2):
        return None
    if _close(h1, h2_ref, a2) and _close(h2, h1_ref, a1):
        return "the two layers are returned in the wrong order: first layer 1, then layer 2"
    for mistake, message in RNN_MISTAKES.items():
        v1, v2, _, _ = _two_layer_variant(x, params, mistake)
        m1, m2 = _rnn_allowance(x, params, u, mistake)
        if _close(h1, v1, m1) and _close(h2, v2, m2):
            return message
    for layer, ours, ref, allowed in ((1, h1, h1_ref, a1), (2, h2, h2_ref, a2)):
        wrong = ((ours - ref).abs() > allowed).any(dim=1)
        if wrong.any():
            t = int(wrong.nonzero()[0])
            where = ("at step 0 the previous states are zero, so the input term is wrong"
                     if t == 0 else "the first steps are right, so look at the recurrent term")
            prefix = "layer 1 matches nn.RNN, but " if layer == 2 else ""
            largest = f"largest difference {(ours - ref).abs().max():.3g}, float64 rounding allows {allowed.max():.2g}"
            if u < 2.0 ** -24 and bool(((ours - ref).abs() <= _rnn_allowance(x, params, 2.0 ** -24)[layer - 1]).all()):
                return (f"{prefix}layer {layer}'s states match nn.RNN only to float32 precision ({largest}): compute in "
                        "float64, as the inputs are")
            return f"{prefix}layer {layer}'s states differ from nn.RNN from step {t} on ({largest}): {where}"
    return None


def _rnn_allowance(x, params, u, mistake=None):
    """Both sides' rounding bounds (layer 1, layer 2): the learner's at its unit roundoff u, the other side's
    (nn.RNN, or the replayed mistake) in float64; the same formula, so the same bound at each side's u."""
    _, _, e1, e2 = _two_layer_variant(x, params, mistake, u)
    _, _, f1, f2 = _two_layer_variant(x, params, mistake)
    return e1 + f1, e2 + f2


def first_input_influence(fn, params, x):
    """How much of the first input each state still holds: ||h_t(x) - h_t(x')|| per layer and step,
    where x' differs from x only in x_0 (negated). Returns two arrays of length seq_len."""
    check_callable("fn", fn, "(x, params) -> (h1_states, h2_states)")
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a (seq_len, input_size) tensor, got {shape}")
    changed = x.clone()
    changed[0] = -x[0]
    states, other = fn(x, params), fn(changed, params)
    return tuple((_as_tensor(a) - _as_tensor(b)).norm(dim=1).numpy() for a, b in zip(states, other))


# --- drill 2: gradient clipping ------------------------------------------------------------------

def clip_total_norm(parameters, max_norm):
    """Reference: scale all gradients by one factor so that their joint norm is at most max_norm.

    Returns the joint norm before clipping, as torch.nn.utils.clip_grad_norm_ does (with its 1e-6).
    """
    max_norm = check_float("max_norm", max_norm, low=0.0, low_inclusive=False)
    grads = [p.grad for p in parameters if p.grad is not None]   # list(): parameters may be a generator
    total = torch.sqrt(sum((g.double() ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / (total.item() + 1e-6))
    for g in grads:
        g.mul_(scale)
    return total


def _clip_case(total_norm, seed=0):
    """Three parameters whose gradients have joint norm `total_norm`; the first holds most of it."""
    g = torch.Generator().manual_seed(seed)
    params = [nn.Parameter(torch.zeros(shape, dtype=torch.float64)) for shape in ((3, 4), (4,), (2, 2))]
    grads = [torch.randn(p.shape, generator=g, dtype=torch.float64) for p in params]
    grads = [grad / grad.norm() * share for grad, share in zip(grads, (0.8, 0.36, 0.48))]   # joint norm 1
    for p, grad in zip(params, grads):
        p.grad = grad * total_norm
    return params


def _flat(params):
    return torch.cat([p.grad.flatten() for p in params if p.grad is not None])


def _norm_rounding(params):
    """A relative bound for a float64 clipping answer's own rounding: any norm of the N gradient entries (squares
    summed in any order, nested per parameter or not: at most N + P roundings on a path, P parameters), its square
    root, the scale max_norm / (total + eps) and min(1, .) (3), each entry's product (1), and the measurement's
    own norm or dot product afterwards (N + 2): gamma_{2N + P + 8}."""
    n = sum(p.numel() for p in params)
    return _gamma(2 * n + len(params) + 8, 2.0 ** -53)


def check_clipping(fn, max_norm=2.5):
    """Check fn(parameters, max_norm) -> norm before clipping against torch.nn.utils.clip_grad_norm_."""
    check_callable("fn", fn, "(parameters, max_norm) -> the norm before clipping")
    max_norm = check_float("max_norm", max_norm, low=0.0, low_inclusive=False)
    problem = _clipping_problem(fn, max_norm)
    return _verdict(problem, "one joint norm over all parameters, rescaled to max_norm, small gradients left "
                             "alone, same gradients and return value as torch.nn.utils.clip_grad_norm_")


def _clipping_problem(fn, max_norm):
    big = 4 * max_norm
    ours, theirs, before = _clip_case(big), _clip_case(big), _flat(_clip_case(big))
    returned, problem = _call(fn, ours, max_norm)
    if problem:
        return problem
    expected_norm = nn.utils.clip_grad_norm_(theirs, max_norm).item()
    after, reference = _flat(ours), _flat(theirs)
    if torch.equal(after, before):
        return ("the gradients are unchanged: scale each p.grad in place (p.grad.mul_(scale)), "
                "a new tensor that is not stored in p.grad is lost")
    rounding = _norm_rounding(ours)
    # clip_grad_norm_'s eps moves a clipped norm by max_norm eps / total; an answer may leave it out
    off = lambda value, total: value * (CLIP_EPS / total + rounding)
    per_parameter = [(min(p.grad.norm().item(), max_norm), p.grad.norm().item()) for p in _clip_case(big)]
    if all(abs(p.grad.norm().item() - n) <= off(n, total) for p, (n, total) in zip(ours, per_parameter)):
        return (f"each parameter was clipped on its own: the joint norm after clipping is {after.norm():.3g}, "
                f"not max_norm = {max_norm:g}. Compute ONE norm over all gradients together and scale all "
                "of them by the same factor")
    clamped = before.clamp(-max_norm, max_norm)
    if bool(((after - clamped).abs() <= rounding * clamped.abs()).all()):
        return ("each entry was clamped to [-max_norm, max_norm] (that is clip_grad_value_): it changes the "
                "gradient's direction. Rescale the whole gradient vector instead")
    cosine = torch.dot(after, before) / (after.norm() * before.norm())
    if cosine < 1 - rounding:   # a uniform scaling keeps the cosine at 1 up to the rounding of scale, dot and norms
        return f"the gradient's direction changed (cosine {cosine:.4f} with the original): scale, do not reshape"
    if abs(after.norm().item() - max_norm) > off(max_norm, big):
        return (f"a gradient of norm {big:g} was rescaled to norm {after.norm():.4g}, not to max_norm = "
                f"{max_norm:g}: the factor is max_norm / total_norm")
    returned = float(_as_tensor(returned)) if returned is not None else None
    if returned is None or abs(returned - expected_norm) > 2 * rounding * expected_norm:
        after_clipping = returned is not None and abs(returned - max_norm) <= off(max_norm, big)
        hint = " (that is the norm after clipping)" if after_clipping else ""
        got = "nothing" if returned is None else f"{returned:.4g}"
        return f"return the joint norm before clipping, {expected_norm:.4g}, as clip_grad_norm_ does; got {got}{hint}"
    same = lambda ours, theirs: bool(((ours - theirs).abs() <= off(theirs.abs(), big)).all())
    if not same(after, reference):
        return "the clipped gradients differ from torch.nn.utils.clip_grad_norm_'s"
    small = _clip_case(max_norm / 5)
    _, problem = _call(fn, small, max_norm)
    untouched = _flat(_clip_case(max_norm / 5))
    if problem or not bool(((_flat(small) - untouched).abs() <= rounding * untouched.abs()).all()):
        return problem or (f"a gradient of norm {max_norm / 5:g}, already below max_norm = {max_norm:g}, was "
                           f"changed to norm {_flat(small).norm():.4g}: leave small gradients alone (factor min(1, ...))")
    generator_case = _clip_case(big)
    _, problem = _call(fn, (p for p in generator_case), max_norm)
    if problem or not same(_flat(generator_case), reference):
        return problem or ("given model.parameters(), a generator, your function left the gradients wrong: it "
                           "goes over `parameters` twice and the second pass finds it empty. Start with "
                           "parameters = list(parameters)")
    with_frozen = _clip_case(big) + [nn.Parameter(torch.zeros(2, dtype=torch.float64))]
    _, problem = _call(fn, with_frozen, max_norm)
    if problem:
        return f"{problem}. A parameter that got no gradient has p.grad = None: skip it"
    return None


# --- drill 3: Bahdanau attention -----------------------------------------------------------------

def bahdanau_decoder(encoder_states, s0, y_prev, params):
    """Reference: Bahdanau's decoder over one source sentence.

    encoder_states (src_len, hidden): h_j; s0 (hidden,); y_prev (tgt_len, emb): the embedded previous
    outputs y_{i-1}; params: W, U (attention, hidden), v (attention,), gru: nn.GRUCell(emb + hidden, hidden).
    At step i: e_ij = v . tanh(W s_{i-1} + U h_j); alpha_i = softmax_j(e_i); c_i = sum_j alpha_ij h_j;
    s_i = GRUCell([y_{i-1}; c_i], s_{i-1}). Returns weights (tgt_len, src_len), contexts and states
    (tgt_len, hidden).
    """
    s, weights, contexts, states = s0, [], [], []
    for y in y_prev:
        scores = params["v"] @ torch.tanh((params["W"] @ s)[:, None] + params["U"] @ encoder_states.T)
        alpha = torch.softmax(scores, dim=0)        # over source positions j
        c = alpha @ encoder_states
        s = params["gru"](torch.cat([y, c])[None], s[None])[0]
        weights.append(alpha)
        contexts.append(c)
        states.append(s)
    return torch.stack(weights), torch.stack(contexts), torch.stack(states)


def bahdanau_case(src_len=3, tgt_len=2, hidden_size=4, emb_size=3, attention_size=5, seed=0):
    """A seeded example: encoder states, s0, embedded previous outputs and the parameters."""
    for name, value in (("src_len", src_len), ("tgt_len", tgt_len), ("hidden_size", hidden_size),
                        ("emb_size", emb_size), ("attention_size", attention_size)):
        check_int(name, value, 1)
    seed = check_seed(seed)
    with seeded(seed):
        H = torch.randn(src_len, hidden_size, dtype=torch.float64)
        s0 = torch.randn(hidden_size, dtype=torch.float64)
        y_prev = torch.randn(tgt_len, emb_size, dtype=torch.float64)
        params = {"W": torch.randn(attention_size, hidden_size, dtype=torch.float64),
                  "U": torch.randn(attention_size, hidden_size, dtype=torch.float64),
                  "v": torch.randn(attention_size, dtype=torch.float64),
                  "gru": nn.GRUCell(emb_size + hidden_size, hidden_size).double()}
    return H, s0, y_prev, params


def _additive(params):
    """helpers.attention's additive score holding the learner's W, U and v."""
    score = AttentionScore("additive", params["W"].shape[1], params["W"].shape[0]).double()
    with torch.no_grad():
        score.W_query.weight.copy_(params["W"])
        score.W_key.weight.copy_(params["U"])
        score.v.weight.copy_(params["v"][None])
    return score


def check_bahdanau(fn):
    """Check fn(encoder_states, s0, y_prev, params) -> (weights, contexts, states) step by step."""
    check_callable("fn", fn, "(encoder_states, s0, y_prev, params) -> (weights, contexts, states)")
    H, s0, y_prev, params = bahdanau_case()
    result, problem = _call(fn, H.clone(), s0.clone(), y_prev.clone(), params)
    if problem is None:
        problem = _bahdanau_problem(result, H, s0, y_prev, params)
    return _verdict(problem, "attention weights, contexts and decoder states match helpers.attention's additive "
                             "score with s_{i-1} as the query, and nn.GRUCell([y_{i-1}; c_i], s_{i-1})")


def _softmax_rounding(weights, u, dim):
    """The relative rounding of each weight of a softmax evaluated with unit roundoff u, from the weights alone:
    u |d_j| from subtracting the maximum (d_j = s_j - max: |d_j| <= log(1 / w_j), the normaliser being >= 1),
    exp's ulps, the sum of n positive terms (gamma_{n-1} plus the terms' largest error) and the division (u)."""
    n = weights.shape[dim]
    own = u * torch.log(1 / weights.clamp(min=1e-300)).clamp(min=0) + 2 * FUNCTION_ULPS * u
    total = _gamma(max(n - 1, 0), u) + own.amax(dim, keepdim=True)
    return torch.expm1(own + 2 * total + 2 * u)


def _simplex_allowance(weights, u, dim):
    """|sum of one softmax's weights - 1|: the learner's softmax rounding at u, and the check's float64 sum."""
    n = weights.shape[dim]
    return (weights.abs() * _softmax_rounding(weights.abs(), u, dim)).sum(dim) + _gamma(n, 2.0 ** -53) * weights.abs().sum(dim)


def _attention_weights(s_prev, H, W, U, v, u):
    """softmax_j(v . tanh(W s + U h_j)) and its error bound with unit roundoff u, for exact inputs: W s + U h_j is one
    sum of 2 hidden terms (gamma), tanh within 2 ulps with slope <= 1, the dot with v (gamma over the attention
    size), then the softmax: its inputs' error D moves every weight by a factor within exp(+-2D), its own rounding
    as in _softmax_rounding."""
    pre = (W @ s_prev.T).T[:, None, :] + H @ U.T                               # (tgt, src, attention)
    size = (W.abs() @ s_prev.abs().T).T[:, None, :] + H.abs() @ U.abs().T
    t = torch.tanh(pre)
    e_t = _gamma(2 * H.shape[1], u) * size + 2 * FUNCTION_ULPS * u * t.abs()
    e_scores = e_t @ v.abs() + _gamma(v.shape[0], u) * ((t.abs() + e_t) @ v.abs())
    weights = torch.softmax(t @ v, dim=-1)
    relative = torch.expm1(2 * e_scores.amax(-1, keepdim=True) + torch.log1p(_softmax_rounding(weights, u, -1)))
    return weights, weights * relative * (1 + 2 * relative)


def _gru_bound(x, h, cell, u):
    """nn.GRUCell(x, h)'s error bound with unit roundoff u, for exact inputs, in ATen's form (h - n) z + n or a
    learner's (1 - z) n + z h: the gate sums (gamma over I + 1 and H + 1 terms) and their addition, sigmoid
    (slope <= 1/4) and tanh (slope <= 1) within 2 ulps, r hn and its addition, then the blend, whose 3 or 4
    roundings gamma_4 (|n| + |h|) covers in either form, with the gates' errors through |1 - z|, |h - n| and z."""
    W_ih, W_hh, b_ih, b_hh = cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh
    xg, hg = W_ih @ x + b_ih, W_hh @ h + b_hh
    e_xg = _gamma(x.shape[0] + 1, u) * (W_ih.abs() @ x.abs() + b_ih.abs())
    e_hg = _gamma(h.shape[0] + 1, u) * (W_hh.abs() @ h.abs() + b_hh.abs())
    (xr, xz, xn), (hr, hz, hn) = xg.chunk(3), hg.chunk(3)
    (e_xr, e_xz, e_xn), (e_hr, e_hz, e_hn) = e_xg.chunk(3), e_hg.chunk(3)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    e_r = (e_xr + e_hr + u * (xr + hr).abs()) / 4 + 2 * FUNCTION_ULPS * u * r
    e_z = (e_xz + e_hz + u * (xz + hz).abs()) / 4 + 2 * FUNCTION_ULPS * u * z
    e_rhn = r * e_hn + hn.abs() * e_r + e_r * e_hn + u * (r * hn).abs()
    n = torch.tanh(xn + r * hn)
    e_n = e_xn + e_rhn + u * (xn + r * hn).abs() + 2 * FUNCTION_ULPS * u * n.abs()
    return (1 - z) * e_n + (h - n).abs() * e_z + e_z * e_n + _gamma(4, u) * (n.abs() + h.abs())


def _bahdanau_problem(result, H, s0, y_prev, params):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return "return three arrays: (weights, contexts, states)"
    (src_len, hidden), tgt_len = H.shape, y_prev.shape[0]
    expected = {"weights": (tgt_len, src_len), "contexts": (tgt_len, hidden), "states": (tgt_len, hidden)}
    hints = {(src_len, tgt_len): "transposed: one row per target step i, one column per source position j",
             (tgt_len, src_len, 1): "drop the trailing dimension of size 1"}
    for (name, shape), value in zip(expected.items(), result):
        shape_problem = _shape_problem(name, value, shape, hints)
        if shape_problem:
            return shape_problem
    u, u64 = _unit_roundoff(*result), 2.0 ** -53
    weights, contexts, states = (_as_tensor(v) for v in result)
    rows, columns = weights.sum(dim=1), weights.sum(dim=0)
    if not bool(((rows - 1).abs() <= _simplex_allowance(weights, u, 1)).all()):
        if bool(((columns - 1).abs() <= _simplex_allowance(weights, u, 0)).all()):
            return ("the weights sum to 1 over the target steps (columns), not over the source positions: "
                    "the softmax runs over j, the source positions, for each target step i")
        return (f"the weights of each target step must sum to 1 (a softmax over the source positions); "
                f"yours sum to {', '.join(f'{r:.3g}' for r in rows)}")
    previous = torch.cat([s0[None], states[:-1]])           # s_{i-1} for every i, from the learner's own states
    W, U, v = params["W"], params["U"], params["v"]

    def attention(queries, first, second):
        """helpers.attention's additive weights and both sides' bounds (the learner's at u, this check's in float64)."""
        with torch.no_grad():
            w = torch.softmax(_additive({**params, "W": first, "U": second})(queries[None], H[None])[0], dim=-1)
        bound = lambda at: _attention_weights(queries, H, first, second, v, at)[1]
        return w, bound(u) + bound(u64)
    (from_previous, a_previous), (from_current, a_current), (swapped, a_swapped) = (
        attention(previous, W, U), attention(states, W, U), attention(previous, U, W))
    for i in range(tgt_len):
        if not _close(weights[i], from_previous[i], a_previous[i]):
            if _close(weights[i], from_current[i], a_current[i]):
                return (f"at target step {i + 1} the score used s_{i + 1}, the state after the update: Bahdanau "
                        f"scores with the previous state s_{i} (e_ij = v^T tanh(W s_{{i-1}} + U h_j))")
            if _close(weights[i], swapped[i], a_swapped[i]):
                return "W and U are swapped: W multiplies the decoder state s_{i-1}, U the encoder state h_j"
            return (f"the weights at target step {i + 1} differ from softmax_j(v^T tanh(W s_{{i-1}} + U h_j)) "
                    f"computed from your previous state: expected {_row(from_previous[i])}, got {_row(weights[i])}")
        # a sum of src_len products in any order, at the learner's u and in float64
        sums = (_gamma(src_len, u) + _gamma(src_len, u64))
        if not _close(contexts[i], weights[i] @ H, sums * (weights[i].abs() @ H.abs())):
            if _close(contexts[i], H.mean(dim=0), sums * H.abs().mean(dim=0)):
                return f"context c_{i + 1} is the plain average of the h_j: weight each h_j by alpha_ij"
            return f"context c_{i + 1} is not the weighted sum sum_j alpha_ij h_j of the encoder states"
        with torch.no_grad():
            inputs = {"right": (y_prev[i], contexts[i]), "reversed": (contexts[i], y_prev[i]),
                      "stale": (y_prev[i], contexts[i - 1] if i else torch.zeros_like(contexts[i]))}
            step = {name: params["gru"](torch.cat(pair)[None], previous[i][None])[0] for name, pair in inputs.items()}
            allowed = {name: _gru_bound(torch.cat(pair), previous[i], params["gru"], u) +
                       _gru_bound(torch.cat(pair), previous[i], params["gru"], u64) for name, pair in inputs.items()}
        if not _close(states[i], step["right"], allowed["right"]):
            if _close(states[i], step["reversed"], allowed["reversed"]):
                return "the GRU input is [c_i; y_{i-1}]: concatenate in the order [y_{i-1}; c_i]"
            if _close(states[i], step["stale"], allowed["stale"]):
                return (f"state s_{i + 1} was updated with the previous step's context: feed c_{i + 1}, computed "
                        f"at this step, to the GRU")
            return (f"state s_{i + 1} is not GRUCell([y_{i}; c_{i + 1}], s_{i}): check what goes into the GRU cell "
                    f"and which state it updates")
    return None


def _row(values):
    return "[" + ", ".join(f"{v:.3f}" for v in values.tolist()) + "]"
