"""The drills' self-checks: the reference passes, and each typical mistake gets its own message.

The wrong answers below are written the way a learner would write them, not generated from the
check's own list of mistakes, so a check that stopped recognising one of them fails here.
"""
import pytest
import torch
from torch import nn

from helpers.exercises import drill_runs, drills
from helpers.models.attention import AttentionScore
from tests import tolerances as tol

F64 = torch.float64


def verdict(check, fn, capsys):
    """What the check returned, and what it printed with the line breaks undone."""
    passed = check(fn)
    return passed, " ".join(capsys.readouterr().out.split())


# --- drill 1: two-layer RNN ----------------------------------------------------------------------

def rnn_answer(x_into_layer2=False, shared_state=False, transposed=False, tanh=True, both_biases=True,
               keep_h0=False, order=(0, 1)):
    """A learner's two-layer RNN with one optional mistake switched on."""
    def fn(x, p):
        act = torch.tanh if tanh else (lambda a: a)
        W = (lambda n: p[n].T) if transposed else (lambda n: p[n])
        b = (lambda n: p[n]) if both_biases else (lambda n: 0.0)
        h1 = h2 = torch.zeros(p["weight_hh_l0"].shape[0], dtype=x.dtype)
        s1, s2 = ([h1], [h2]) if keep_h0 else ([], [])
        for x_t in x:
            h1 = act(W("weight_ih_l0") @ x_t + p["bias_ih_l0"] + W("weight_hh_l0") @ (h2 if shared_state else h1) + b("bias_hh_l0"))
            h2 = act(W("weight_ih_l1") @ (x_t if x_into_layer2 else h1) + p["bias_ih_l1"] + W("weight_hh_l1") @ h2
                     + b("bias_hh_l1"))
            s1.append(h1)
            s2.append(h2)
        states = (torch.stack(s1), torch.stack(s2))
        return states[order[0]], states[order[1]]
    return fn


def test_reference_two_layer_rnn_matches_nn_rnn_on_other_sizes():
    torch.manual_seed(3)
    rnn = nn.RNN(5, 7, num_layers=2).double()
    x = torch.randn(9, 5, dtype=torch.float64)
    params = {name: p.detach() for name, p in rnn.named_parameters()}
    _, h2 = drills.two_layer_rnn(x, params)
    # the drills' own derivation (helpers/exercises/drills.py): both sides' bounds, float64
    _, allowance = drills._rnn_allowance(x, params, 2.0 ** -53)
    tol.assert_within(h2.detach(), rnn(x)[0].detach(), allowance, "the two sides' a-priori bounds (drills._two_layer_variant)",
                      "layer 2 against nn.RNN(num_layers=2)")


def test_check_two_layer_rnn_passes_the_reference_and_numpy_answers(capsys):
    assert verdict(drills.check_two_layer_rnn, drills.two_layer_rnn, capsys) == (
        True, "OK: both layers match torch.nn.RNN(num_layers=2, nonlinearity='tanh') at every step")
    as_numpy = lambda x, p: tuple(s.detach().numpy() for s in drills.two_layer_rnn(x, p))
    assert drills.check_two_layer_rnn(as_numpy)


@pytest.mark.parametrize("mistake, expected", [
    (dict(x_into_layer2=True), "did you feed|layer 2 reads x_t: it must read layer 1's state of the same step, h1_t"),
    (dict(shared_state=True), "step t uses h_{t-1} of the wrong layer: layer 1's recurrent term uses h2_{t-1}"),
    (dict(transposed=True), "the weights are applied transposed"),
    (dict(tanh=False), "no tanh"),
    (dict(both_biases=False), "bias_hh is missing"),
    (dict(keep_h0=True), "h1_states has shape (7, 4), expected (6, 4): one row too many: leave out the initial state"),
    (dict(order=(1, 0)), "the two layers are returned in the wrong order"),
])
def test_check_two_layer_rnn_names_each_mistake(mistake, expected, capsys):
    passed, out = verdict(drills.check_two_layer_rnn, rnn_answer(**mistake), capsys)
    assert not passed and out.startswith("NOT YET: ")
    assert any(part in out for part in expected.split("|")), out


def test_check_two_layer_rnn_reports_old_h1_and_wrong_recurrence_of_layer_2(capsys):
    def old_h1(x, p):
        h1 = h2 = torch.zeros(4, dtype=x.dtype)
        s1, s2 = [], []
        for x_t in x:   # layer 2 first: it sees h1 from the previous step
            h2 = torch.tanh(p["weight_ih_l1"] @ h1 + p["bias_ih_l1"] + p["weight_hh_l1"] @ h2 + p["bias_hh_l1"])
            h1 = torch.tanh(p["weight_ih_l0"] @ x_t + p["bias_ih_l0"] + p["weight_hh_l0"] @ h1 + p["bias_hh_l0"])
            s1.append(h1)
            s2.append(h2)
        return torch.stack(s1), torch.stack(s2)
    assert "layer 2 reads layer 1's state from the previous step" in verdict(drills.check_two_layer_rnn, old_h1, capsys)[1]

    def layer2_on_h1(x, p):
        h1 = h2 = torch.zeros(4, dtype=x.dtype)
        s1, s2 = [], []
        for x_t in x:
            new_h1 = torch.tanh(p["weight_ih_l0"] @ x_t + p["bias_ih_l0"] + p["weight_hh_l0"] @ h1 + p["bias_hh_l0"])
            h2 = torch.tanh(p["weight_ih_l1"] @ new_h1 + p["bias_ih_l1"] + p["weight_hh_l1"] @ h1 + p["bias_hh_l1"])
            h1 = new_h1
            s1.append(h1)
            s2.append(h2)
        return torch.stack(s1), torch.stack(s2)
    out = verdict(drills.check_two_layer_rnn, layer2_on_h1, capsys)[1]
    assert "layer 2's recurrent term uses h1_{t-1}" in out


def test_check_two_layer_rnn_reports_crashes_shapes_and_the_first_wrong_step(capsys):
    out = verdict(drills.check_two_layer_rnn, lambda x, p: 1 / 0, capsys)[1]
    assert out == "NOT YET: your function raised ZeroDivisionError: division by zero"
    out = verdict(drills.check_two_layer_rnn, lambda x, p: drills.two_layer_rnn(x, p)[1], capsys)[1]
    assert "return a pair (h1_states, h2_states)" in out
    out = verdict(drills.check_two_layer_rnn, lambda x, p: tuple(s.T for s in drills.two_layer_rnn(x, p)), capsys)[1]
    assert "transposed: one row per time step" in out

    def late_error(x, p):   # right until step 3 of layer 2
        h1, h2 = drills.two_layer_rnn(x, p)
        h2 = h2.clone()
        h2[3:] += 0.1
        return h1, h2
    out = verdict(drills.check_two_layer_rnn, late_error, capsys)[1]
    assert "layer 1 matches nn.RNN, but layer 2's states differ from nn.RNN from step 3 on" in out


def test_first_input_influence_is_zero_only_where_x0_cannot_reach():
    torch.manual_seed(0)
    params = dict(nn.RNN(3, 5, num_layers=2).double().named_parameters())
    x = torch.randn(10, 3, dtype=torch.float64)
    d1, d2 = drills.first_input_influence(drills.two_layer_rnn, params, x)
    assert d1.shape == d2.shape == (10,) and (d1 > 0).all() and (d2 > 0).all()
    assert d1[-1] < d1[0], "a default-init RNN forgets the first input"


# --- drill 2: clipping ---------------------------------------------------------------------------

def per_parameter(parameters, max_norm):
    for p in parameters:
        nn.utils.clip_grad_norm_([p], max_norm)


def by_value(parameters, max_norm):
    parameters = list(parameters)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    for p in parameters:
        p.grad.clamp_(-max_norm, max_norm)
    return total


def always_normalise(parameters, max_norm):
    parameters = list(parameters)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    for p in parameters:
        p.grad.mul_(max_norm / total)
    return total


def twice_over_a_generator(parameters, max_norm):
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    for p in parameters:
        p.grad.mul_(min(1.0, max_norm / (total.item() + 1e-6)))
    return total


def not_in_place(parameters, max_norm):
    parameters = list(parameters)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    for p in parameters:
        g = p.grad * min(1.0, max_norm / total.item())   # noqa: F841  computed, never stored
    return total


def divides_only(parameters, max_norm):
    parameters = list(parameters)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    if total > max_norm:
        for p in parameters:
            p.grad.div_(total)
    return total


def returns_norm_after(parameters, max_norm):
    parameters = list(parameters)
    nn.utils.clip_grad_norm_(parameters, max_norm)
    return torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))


def no_none_guard(parameters, max_norm):
    parameters = list(parameters)
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    for p in parameters:
        p.grad.mul_(min(1.0, max_norm / (total.item() + 1e-6)))
    return total


def test_check_clipping_passes_the_reference_and_pytorch(capsys):
    for fn in (drills.clip_total_norm, nn.utils.clip_grad_norm_):
        passed, out = verdict(drills.check_clipping, fn, capsys)
        assert passed and out.startswith("OK: one joint norm over all parameters")


@pytest.mark.parametrize("fn, expected", [
    (per_parameter, "each parameter was clipped on its own: the joint norm after clipping is 4.33, not max_norm = 2.5"),
    (by_value, "each entry was clamped to [-max_norm, max_norm] (that is clip_grad_value_)"),
    (always_normalise, "a gradient of norm 0.5, already below max_norm = 2.5, was changed to norm 2.5"),
    (twice_over_a_generator, "it goes over `parameters` twice"),
    (not_in_place, "the gradients are unchanged: scale each p.grad in place"),
    (divides_only, "a gradient of norm 10 was rescaled to norm 1, not to max_norm = 2.5"),
    (returns_norm_after, "return the joint norm before clipping, 10, as clip_grad_norm_ does; got 2.5"),
    (no_none_guard, "A parameter that got no gradient has p.grad = None: skip it"),
])
def test_check_clipping_names_each_mistake(fn, expected, capsys):
    passed, out = verdict(drills.check_clipping, fn, capsys)
    assert not passed and expected in out, out


def test_check_clipping_rejects_a_bad_max_norm():
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        drills.check_clipping(drills.clip_total_norm, max_norm=0)


# --- drill 3: Bahdanau attention -----------------------------------------------------------------

def decoder_answer(query="previous", softmax_dim=0, order="y,c", weighted=True, swap_wu=False, normalise=True):
    """A learner's Bahdanau decoder with one optional mistake switched on."""
    def fn(H, s0, y_prev, p):
        W, U = (p["U"], p["W"]) if swap_wu else (p["W"], p["U"])
        s, c_prev, ws, cs, ss = s0, torch.zeros_like(s0), [], [], []
        for y in y_prev:
            if query == "current":   # Luong's order: update first, then score with the new state
                s = p["gru"](torch.cat([y, c_prev])[None], s[None])[0]
            scores = p["v"] @ torch.tanh((W @ s)[:, None] + U @ H.T)
            alpha = torch.softmax(scores, dim=0) if normalise else scores
            c = alpha @ H if weighted else H.mean(0)
            if query == "previous":
                pair = [y, c] if order == "y,c" else [c, y]
                s = p["gru"](torch.cat(pair)[None], s[None])[0]
            ws.append(alpha)
            cs.append(c)
            ss.append(s)
            c_prev = c
        weights = torch.stack(ws)
        if softmax_dim == 1:   # softmax over the target steps
            raw = torch.stack([p["v"] @ torch.tanh((W @ st)[:, None] + U @ H.T) for st in [s0] + ss[:-1]])
            weights = torch.softmax(raw, dim=0)
        return weights, torch.stack(cs), torch.stack(ss)
    return fn


def decoder_bound(H, s0, y_prev, score, gru):
    """Bahdanau's decoder as tests/tolerances.py bounds it: the additive score (one sum of 2H terms, tanh, v),
    the softmax, the context (src_len terms), then nn.GRUCell in ATen's form, step after step."""
    s, weights = tol.Bounded.exact(s0[None], F64), []
    gru_weights = tuple(w.detach().to(F64) for w in (gru.weight_ih, gru.weight_hh, gru.bias_ih, gru.bias_hh))
    for y in y_prev:
        w = tol.softmax(F64, tol.score(F64, "additive", s.map(lambda t: t[None]), H[None], score)).map(lambda t: t[0, 0])
        c = tol.dot(F64, [(w.map(lambda t: t[None]), H)])
        s, _ = tol.gru_cell(F64, tol.cat(F64, [tol.Bounded.exact(y[None], F64), c]), s, gru_weights, "torch")
        weights.append(w)
    return tol.stack(F64, weights)


def test_reference_decoder_matches_attention_score_and_the_batched_model():
    model = drill_runs.PickModel().double()       # correctness in float64: both sides within their bounds
    source, target = drill_runs.pick_task(4, generator=torch.Generator().manual_seed(1))
    _, batched = model(source, target)
    for k in range(4):
        H, s0, y_prev, params = model.drill_inputs(source[k], target[k])
        assert torch.equal(H, model.encode(source)[k].detach())   # elementwise: the same numbers in both
        weights, _, _ = drills.bahdanau_decoder(H, s0, y_prev, params)
        tol.assert_agree(weights, batched[k].detach(), decoder_bound(H, s0, y_prev, model.score, model.gru),
                         f"drill decoder against PickModel, sequence {k}")
    H, s0, y_prev, params = drills.bahdanau_case()
    score = AttentionScore("additive", 4, 5).double()
    with torch.no_grad():
        score.W_query.weight.copy_(params["W"]), score.W_key.weight.copy_(params["U"]), score.v.weight.copy_(params["v"][None])
        first = torch.softmax(score(s0[None, None], H[None])[0, 0], dim=-1)
        tol.assert_agree(drills.bahdanau_decoder(H, s0, y_prev, params)[0][0], first,
                         decoder_bound(H, s0, y_prev, score, params["gru"])[0], "first step's weights against AttentionScore")


def test_check_bahdanau_passes_the_reference(capsys):
    passed, out = verdict(drills.check_bahdanau, drills.bahdanau_decoder, capsys)
    assert passed and out.startswith("OK: attention weights, contexts and decoder states match")
    assert drills.check_bahdanau(decoder_answer())


@pytest.mark.parametrize("mistake, expected", [
    (dict(query="current"), "at target step 1 the score used s_1, the state after the update: Bahdanau scores "
                           "with the previous state s_0 (e_ij = v^T tanh(W s_{i-1} + U h_j))"),
    (dict(softmax_dim=1), "the weights sum to 1 over the target steps (columns), not over the source positions"),
    (dict(normalise=False), "the weights of each target step must sum to 1 (a softmax over the source positions); yours sum to"),
    (dict(weighted=False), "context c_1 is the plain average of the h_j"),
    (dict(order="c,y"), "concatenate in the order [y_{i-1}; c_i]"),
    (dict(swap_wu=True), "W and U are swapped"),
])
def test_check_bahdanau_names_each_mistake(mistake, expected, capsys):
    passed, out = verdict(drills.check_bahdanau, decoder_answer(**mistake), capsys)
    assert not passed and expected in out, out


def test_check_bahdanau_reports_shapes_and_a_context_that_is_not_a_weighted_sum(capsys):
    transposed = lambda *a: (drills.bahdanau_decoder(*a)[0].T,) + drills.bahdanau_decoder(*a)[1:]
    out = verdict(drills.check_bahdanau, transposed, capsys)[1]
    assert "weights has shape (3, 2), expected (2, 3): transposed" in out
    assert "return three arrays" in verdict(drills.check_bahdanau, lambda *a: drills.bahdanau_decoder(*a)[:2], capsys)[1]

    def scaled_context(*a):
        w, c, s = drills.bahdanau_decoder(*a)
        return w, 2 * c, s
    assert "context c_1 is not the weighted sum" in verdict(drills.check_bahdanau, scaled_context, capsys)[1]


def test_check_messages_fit_a_narrow_output_column(capsys):
    drills.check_clipping(per_parameter)
    drills.check_bahdanau(drills.bahdanau_decoder)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 2 and all(len(line) <= 68 for line in lines), lines
