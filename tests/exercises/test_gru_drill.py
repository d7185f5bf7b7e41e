"""The GRU drill's self-check: the reference is nn.GRUCell, and each typical mistake gets its own message.

The wrong answers below are written the way a learner would write them, not generated from the
check's own list of variants, so a check that stopped recognising one of them fails here.
"""
import pytest
import torch
from torch import nn

from helpers.exercises import gru_drill
from helpers.models.gated import gru_step as model_gru_step


def verdict(fn, capsys):
    passed = gru_drill.check_gru_step(fn)
    return passed, " ".join(capsys.readouterr().out.split())


def test_reference_matches_grucell_and_the_chapters_gru_step_on_other_sizes():
    torch.manual_seed(4)
    cell = nn.GRUCell(5, 7).double()
    p = {k: v.detach() for k, v in cell.named_parameters()}
    x, h = torch.randn(5, dtype=torch.float64), torch.randn(7, dtype=torch.float64)
    ours = gru_drill.gru_step(x, h, p)
    # float64, the same few operations in a different order: agreement to a few ulps of O(1) numbers
    assert torch.allclose(ours, cell(x[None], h[None])[0], atol=1e-14, rtol=0)
    assert torch.allclose(ours, model_gru_step(x[None], h[None], p["weight_ih"], p["weight_hh"], p["bias_ih"],
                                               p["bias_hh"])[0], atol=1e-14, rtol=0)


def test_every_variant_differs_from_the_reference_by_far_more_than_the_tolerance():
    cell, params, pairs = gru_drill.gru_case()
    for variant in [dict(mistake=m) for m in gru_drill.MISTAKES] + [dict(order=o) for o in gru_drill.ORDERS]:
        gap = max((gru_drill._variant(x, h, params, **variant) - cell(x[None], h[None])[0]).abs().max().item()
                  for x, h in pairs)
        assert gap > 1e3 * gru_drill.ATOL, variant
    assert all(torch.allclose(gru_drill._variant(x, h, params), cell(x[None], h[None])[0], atol=1e-14)
               for x, h in pairs)


def answer(cho=False, swap_z=False, order=("r", "z", "n"), bias_hh=True, b_hn_inside=True, dtype=None, returns="h"):
    """A learner's gru_step, with one optional mistake."""
    def fn(x_t, h, p):
        if dtype is not None:
            x_t, h, p = x_t.to(dtype), h.to(dtype), {k: v.to(dtype) for k, v in p.items()}
        W_i = dict(zip(order, p["weight_ih"].chunk(3)))
        W_h = dict(zip(order, p["weight_hh"].chunk(3)))
        b_i = dict(zip(order, p["bias_ih"].chunk(3)))
        b_h = dict(zip(order, (p["bias_hh"] if bias_hh else torch.zeros_like(p["bias_hh"])).chunk(3)))
        r = torch.sigmoid(W_i["r"] @ x_t + b_i["r"] + W_h["r"] @ h + b_h["r"])
        z = torch.sigmoid(W_i["z"] @ x_t + b_i["z"] + W_h["z"] @ h + b_h["z"])
        if cho:
            n = torch.tanh(W_i["n"] @ x_t + b_i["n"] + W_h["n"] @ (r * h) + b_h["n"])
        elif not b_hn_inside:
            n = torch.tanh(W_i["n"] @ x_t + b_i["n"] + r * (W_h["n"] @ h) + b_h["n"])
        else:
            n = torch.tanh(W_i["n"] @ x_t + b_i["n"] + r * (W_h["n"] @ h + b_h["n"]))
        if returns == "n":
            return n
        return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h
    return fn


def test_the_reference_a_float32_answer_and_a_numpy_answer_pass(capsys):
    assert verdict(answer(), capsys)[0]
    assert verdict(answer(dtype=torch.float32), capsys)[0]
    assert verdict(lambda x, h, p: answer()(x, h, p).numpy(), capsys)[0]


@pytest.mark.parametrize("kwargs, words", [
    (dict(cho=True), "Cho et al.'s original GRU"),
    (dict(swap_z=True), "z_t and 1 - z_t are swapped"),
    (dict(order=("z", "r", "n")), "wrong order"),
    (dict(order=("n", "z", "r")), "wrong order"),
    (dict(bias_hh=False), "bias_hh is missing"),
    (dict(b_hn_inside=False), "b_hn is added outside the reset gate"),
    (dict(returns="n"), "you returned the candidate n_t"),
])
def test_each_typical_mistake_is_named(kwargs, words, capsys):
    passed, text = verdict(answer(**kwargs), capsys)
    assert not passed and text.startswith("NOT YET:") and words in text


def test_a_wrong_shape_and_an_exception_give_messages_not_tracebacks(capsys):
    passed, text = verdict(lambda x, h, p: answer()(x, h, p)[None], capsys)
    assert not passed and "shape (1, 4), expected (4,)" in text
    passed, text = verdict(lambda x, h, p: x @ p["weight_ih"], capsys)
    assert not passed and "raised RuntimeError" in text and "weight_ih @ x_t" in text
    passed, text = verdict(lambda x, h, p: 2 * answer()(x, h, p), capsys)
    assert not passed and "matches none of the typical mistakes" in text


def test_the_check_leaves_the_learners_random_stream_alone():
    torch.manual_seed(7)
    before = torch.get_rng_state()
    gru_drill.gru_case(seed=3)
    assert torch.equal(before, torch.get_rng_state())


@pytest.mark.parametrize("call, name", [
    (lambda: gru_drill.check_gru_step(None), "fn"),
    (lambda: gru_drill.gru_case(input_size=0), "input_size"),
    (lambda: gru_drill.gru_case(cases=0), "cases"),
    (lambda: gru_drill.gru_case(seed=-1), "seed"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        call()
