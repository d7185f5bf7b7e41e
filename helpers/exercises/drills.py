"""The summary chapter's three drills: reference solutions, and self-checks that say what is wrong.

Each self-check runs the learner's function next to PyTorch's own computation on the same weights
(nn.RNN, clip_grad_norm_, helpers.attention.AttentionScore). When the two disagree it replays the
typical mistakes one by one, so the message names the mistake instead of only saying "wrong".
A check prints its verdict and returns True or False: a wrong answer is not a traceback.

Used in: the summary.
"""
import textwrap

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_callable, check_float, check_int, check_seed
from helpers.core.seeding import seeded
from helpers.models.attention import AttentionScore

ATOL = 1e-8


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


def _close(a, b):
    return a.shape == b.shape and torch.allclose(a, b, atol=1e-6)


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


def _two_layer_variant(x, p, mistake):
    act = (lambda a: a) if mistake == "no tanh" else torch.tanh
    W = (lambda name: p[name].T) if mistake == "transposed" else (lambda name: p[name])
    b_hh = (lambda name: 0.0) if mistake == "one bias" else (lambda name: p[name])
    zero = x.new_zeros(p["weight_hh_l0"].shape[0])
    h1 = h2 = zero
    out1, out2 = [], []
    for x_t in x:
        h1_prev, h2_prev = (zero, zero) if mistake == "no recurrence" else (h1, h2)
        rec1 = h2_prev if mistake == "layer 1 recurs on h2" else h1_prev
        h1 = act(W("weight_ih_l0") @ x_t + p["bias_ih_l0"] + W("weight_hh_l0") @ rec1 + b_hh("bias_hh_l0"))
        into2 = {"x into layer 2": x_t, "old h1 into layer 2": h1_prev}.get(mistake, h1)
        rec2 = h1_prev if mistake == "layer 2 recurs on h1" else h2_prev
        h2 = act(W("weight_ih_l1") @ into2 + p["bias_ih_l1"] + W("weight_hh_l1") @ rec2 + b_hh("bias_hh_l1"))
        out1.append(h1)
        out2.append(h2)
    return torch.stack(out1), torch.stack(out2)


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
    h1, h2 = (_as_tensor(v) for v in result)
    if _close(h1, h1_ref) and _close(h2, h2_ref):
        return None
    if _close(h1, h2_ref) and _close(h2, h1_ref):
        return "the two layers are returned in the wrong order: first layer 1, then layer 2"
    for mistake, message in RNN_MISTAKES.items():
        v1, v2 = _two_layer_variant(x, params, mistake)
        if _close(h1, v1) and _close(h2, v2):
            return message
    for layer, ours, ref in ((1, h1, h1_ref), (2, h2, h2_ref)):
        wrong = (ours - ref).abs().amax(dim=1) > 1e-6
        if wrong.any():
            t = int(wrong.nonzero()[0])
            where = ("at step 0 the previous states are zero, so the input term is wrong"
                     if t == 0 else "the first steps are right, so look at the recurrent term")
            prefix = "layer 1 matches nn.RNN, but " if layer == 2 else ""
            return (f"{prefix}layer {layer}'s states differ from nn.RNN from step {t} on (largest difference "
                    f"{(ours - ref).abs().max():.3g}): {where}")
    return None


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
    per_parameter = [min(p.grad.norm().item(), max_norm) for p in _clip_case(big)]
    if all(abs(p.grad.norm().item() - n) < 1e-6 for p, n in zip(ours, per_parameter)):
        return (f"each parameter was clipped on its own: the joint norm after clipping is {after.norm():.3g}, "
                f"not max_norm = {max_norm:g}. Compute ONE norm over all gradients together and scale all "
                "of them by the same factor")
    if torch.allclose(after, before.clamp(-max_norm, max_norm)):
        return ("each entry was clamped to [-max_norm, max_norm] (that is clip_grad_value_): it changes the "
                "gradient's direction. Rescale the whole gradient vector instead")
    cosine = torch.dot(after, before) / (after.norm() * before.norm())
    if cosine < 1 - 1e-9:
        return f"the gradient's direction changed (cosine {cosine:.4f} with the original): scale, do not reshape"
    if abs(after.norm().item() - max_norm) > 1e-4:
        return (f"a gradient of norm {big:g} was rescaled to norm {after.norm():.4g}, not to max_norm = "
                f"{max_norm:g}: the factor is max_norm / total_norm")
    returned = float(_as_tensor(returned)) if returned is not None else None
    if returned is None or abs(returned - expected_norm) > 1e-4:
        hint = " (that is the norm after clipping)" if returned is not None and abs(returned - max_norm) < 1e-3 else ""
        got = "nothing" if returned is None else f"{returned:.4g}"
        return f"return the joint norm before clipping, {expected_norm:.4g}, as clip_grad_norm_ does; got {got}{hint}"
    if not torch.allclose(after, reference, atol=1e-6):
        return "the clipped gradients differ from torch.nn.utils.clip_grad_norm_'s"
    small = _clip_case(max_norm / 5)
    _, problem = _call(fn, small, max_norm)
    if problem or not torch.allclose(_flat(small), _flat(_clip_case(max_norm / 5))):
        return problem or (f"a gradient of norm {max_norm / 5:g}, already below max_norm = {max_norm:g}, was "
                           f"changed to norm {_flat(small).norm():.4g}: leave small gradients alone (factor min(1, ...))")
    generator_case = _clip_case(big)
    _, problem = _call(fn, (p for p in generator_case), max_norm)
    if problem or not torch.allclose(_flat(generator_case), reference, atol=1e-6):
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
    weights, contexts, states = (_as_tensor(v) for v in result)
    rows, columns = weights.sum(dim=1), weights.sum(dim=0)
    if not torch.allclose(rows, torch.ones_like(rows), atol=1e-6):
        if torch.allclose(columns, torch.ones_like(columns), atol=1e-6):
            return ("the weights sum to 1 over the target steps (columns), not over the source positions: "
                    "the softmax runs over j, the source positions, for each target step i")
        return (f"the weights of each target step must sum to 1 (a softmax over the source positions); "
                f"yours sum to {', '.join(f'{r:.3g}' for r in rows)}")
    score = _additive(params)
    previous = torch.cat([s0[None], states[:-1]])           # s_{i-1} for every i, from the learner's own states
    with torch.no_grad():
        from_previous = torch.softmax(score(previous[None], H[None])[0], dim=-1)
        from_current = torch.softmax(score(states[None], H[None])[0], dim=-1)
        swapped = torch.softmax(_additive({**params, "W": params["U"], "U": params["W"]})(previous[None], H[None])[0], -1)
    for i in range(tgt_len):
        if not torch.allclose(weights[i], from_previous[i], atol=1e-6):
            if torch.allclose(weights[i], from_current[i], atol=1e-6):
                return (f"at target step {i + 1} the score used s_{i + 1}, the state after the update: Bahdanau "
                        f"scores with the previous state s_{i} (e_ij = v^T tanh(W s_{{i-1}} + U h_j))")
            if torch.allclose(weights[i], swapped[i], atol=1e-6):
                return "W and U are swapped: W multiplies the decoder state s_{i-1}, U the encoder state h_j"
            return (f"the weights at target step {i + 1} differ from softmax_j(v^T tanh(W s_{{i-1}} + U h_j)) "
                    f"computed from your previous state: expected {_row(from_previous[i])}, got {_row(weights[i])}")
        if not torch.allclose(contexts[i], weights[i] @ H, atol=1e-6):
            if torch.allclose(contexts[i], H.mean(dim=0), atol=1e-6):
                return f"context c_{i + 1} is the plain average of the h_j: weight each h_j by alpha_ij"
            return f"context c_{i + 1} is not the weighted sum sum_j alpha_ij h_j of the encoder states"
        with torch.no_grad():
            gru = lambda first, second: params["gru"](torch.cat([first, second])[None], previous[i][None])[0]
            right, reversed_input = gru(y_prev[i], contexts[i]), gru(contexts[i], y_prev[i])
            stale = gru(y_prev[i], contexts[i - 1] if i else torch.zeros_like(contexts[i]))
        if not torch.allclose(states[i], right, atol=1e-6):
            if torch.allclose(states[i], reversed_input, atol=1e-6):
                return "the GRU input is [c_i; y_{i-1}]: concatenate in the order [y_{i-1}; c_i]"
            if torch.allclose(states[i], stale, atol=1e-6):
                return (f"state s_{i + 1} was updated with the previous step's context: feed c_{i + 1}, computed "
                        f"at this step, to the GRU")
            return (f"state s_{i + 1} is not GRUCell([y_{i}; c_{i + 1}], s_{i}): check what goes into the GRU cell "
                    f"and which state it updates")
    return None


def _row(values):
    return "[" + ", ".join(f"{v:.3f}" for v in values.tolist()) + "]"
