"""The summary's GRU drill: the learner writes one GRU step, and a self-check names what is wrong.

`check_gru_step(fn)` runs the learner's `gru_step(x_t, h, params)` next to torch.nn.GRUCell holding
the same weights, on several random inputs and states. When the two disagree it replays the
typical mistakes one at a time (Cho et al.'s reset-before-product form, z and 1 - z swapped, the
gates read in another order, a missing bias, ...) and names the one that reproduces the learner's
numbers. It prints "OK: ..." or "NOT YET: ..." and returns True or False: a wrong answer is not a
traceback.

Used in: the summary.
"""
import itertools
import textwrap

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_callable, check_int, check_seed
from helpers.core.seeding import seeded

GATES = ("r", "z", "n")            # PyTorch's order of the stacked rows: reset, update, new
# The learner may compute in float32: a few roundings of unit 6e-8 on O(1) numbers in dot products
# of length <= 4 and one tanh stay below 1e-6, while every mistake below moves the state by more
# than 1e-3 on the check's case (tests/exercises/test_gru_drill.py checks both sides).
ATOL = 1e-6


def gru_step(x_t, h, params):
    """Reference: one step of torch.nn.GRUCell. x_t (input_size,), h (hidden_size,) -> the new h.

    params are named as in nn.GRUCell: weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh (3H,),
    each stacked as [reset, update, new]. The reset gate scales W_hn h + b_hn, after the product.
    """
    x_r, x_z, x_n = (params["weight_ih"] @ x_t + params["bias_ih"]).chunk(3)
    h_r, h_z, h_n = (params["weight_hh"] @ h + params["bias_hh"]).chunk(3)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def _variant(x_t, h, p, mistake=None, order=GATES):
    """gru_step with one mistake switched on; `order` is the order the learner read the stacked gates in."""
    def rows(matrix_or_bias):
        parts = dict(zip(order, matrix_or_bias.chunk(3)))
        return parts["r"], parts["z"], parts["n"]

    zero = torch.zeros_like(p["bias_ih"])
    b_ih = zero if mistake in ("no bias_ih", "no biases") else p["bias_ih"]
    b_hh = zero if mistake in ("no bias_hh", "no biases") else p["bias_hh"]
    (W_ir, W_iz, W_in), (W_hr, W_hz, W_hn) = rows(p["weight_ih"]), rows(p["weight_hh"])
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = rows(b_ih), rows(b_hh)
    r = torch.sigmoid(W_ir @ x_t + b_ir + W_hr @ h + b_hr)
    z = torch.sigmoid(W_iz @ x_t + b_iz + W_hz @ h + b_hz)
    squash = torch.sigmoid if mistake == "sigmoid candidate" else torch.tanh
    if mistake == "cho":
        n = squash(W_in @ x_t + b_in + W_hn @ (r * h) + b_hn)
    elif mistake == "b_hn outside":
        n = squash(W_in @ x_t + b_in + r * (W_hn @ h) + b_hn)
    elif mistake == "reset on input":
        n = squash(r * (W_in @ x_t + b_in + W_hn @ h + b_hn))
    else:
        n = squash(W_in @ x_t + b_in + r * (W_hn @ h + b_hn))
    if mistake == "candidate returned":
        return n
    if mistake == "z swapped":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


MISTAKES = {
    "cho": "the reset gate multiplies h_{t-1} before the product: tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) "
           "+ b_hn) is Cho et al.'s original GRU. PyTorch's GRU applies r_t after it: "
           "n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))",
    "b_hn outside": "b_hn is added outside the reset gate: PyTorch multiplies r_t by the whole "
                    "(W_hn h_{t-1} + b_hn), bias included",
    "reset on input": "the reset gate also scales the input's term: r_t multiplies only the recurrent part, "
                      "W_hn h_{t-1} + b_hn, not W_in x_t + b_in",
    "z swapped": "z_t and 1 - z_t are swapped: in PyTorch's GRU z_t keeps the old state, "
                 "h_t = (1 - z_t) * n_t + z_t * h_{t-1} (some papers write the other convention: "
                 "check which one a text uses)",
    "no bias_hh": "bias_hh is missing: PyTorch adds two bias vectors, bias_ih and bias_hh, and b_hn (the "
                  "last third of bias_hh) sits inside the reset gate's product",
    "no bias_ih": "bias_ih is missing: PyTorch adds two bias vectors, bias_ih and bias_hh",
    "no biases": "no biases at all: add bias_ih to the input products and bias_hh to the recurrent ones",
    "sigmoid candidate": "the candidate n_t uses a sigmoid: it is tanh (the gates r_t and z_t use sigmoids)",
    "candidate returned": "you returned the candidate n_t: the new state mixes it with the old one, "
                          "h_t = (1 - z_t) * n_t + z_t * h_{t-1}",
}
ORDERS = [order for order in itertools.permutations(GATES) if order != GATES]


def _order_message(order):
    names = {"r": "reset", "z": "update", "n": "new"}
    return ("the gates are read in the wrong order: PyTorch stacks the rows of weight_ih, weight_hh and both "
            f"biases as reset, update, new (r, z, n); your numbers match ({', '.join(order)}), that is "
            f"{', '.join(names[g] for g in order)}")


def gru_case(input_size=3, hidden_size=4, cases=5, seed=0):
    """A seeded example: nn.GRUCell's parameters (float64, named as in nn.GRUCell) and `cases` pairs (x_t, h)."""
    input_size = check_int("input_size", input_size, 1)
    hidden_size = check_int("hidden_size", hidden_size, 1)
    cases = check_int("cases", cases, 1)
    seed = check_seed(seed)
    with seeded(seed):   # leave the learner's random state alone
        cell = nn.GRUCell(input_size, hidden_size).double()
        pairs = [(torch.randn(input_size, dtype=torch.float64), torch.tanh(torch.randn(hidden_size, dtype=torch.float64)))
                 for _ in range(cases)]
    params = {name: value.detach().clone() for name, value in cell.named_parameters()}
    return cell, params, pairs


def _verdict(problem, ok_message):
    message = f"NOT YET: {problem}" if problem else f"OK: {ok_message}"
    print(textwrap.fill(message, width=68, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False))
    return problem is None


def _as_tensor(value):
    return torch.as_tensor(np.asarray(value.detach() if torch.is_tensor(value) else value), dtype=torch.float64)


def check_gru_step(fn):
    """Compare fn(x_t, h, params) -> new h with torch.nn.GRUCell on the same weights; name the mistake."""
    check_callable("fn", fn, "(x_t, h, params) -> the new hidden state")
    cell, params, pairs = gru_case()
    return _verdict(_problem(fn, cell, params, pairs),
                    f"matches torch.nn.GRUCell on {len(pairs)} random inputs and states: the reset gate "
                    "scales W_hn h + b_hn, z keeps the old state, gates in the order r, z, n")


def _problem(fn, cell, params, pairs):
    hidden = params["weight_hh"].shape[1]
    answers = []
    for x_t, h in pairs:
        try:
            answer = fn(x_t.clone(), h.clone(), {k: v.clone() for k, v in params.items()})
        except Exception as exc:   # a learner's bug: report it, do not crash the check
            hint = (": check the order of each product, PyTorch computes weight_ih @ x_t and weight_hh @ h"
                    if "shape" in str(exc) else "")
            return f"your function raised {type(exc).__name__}: {exc}{hint}"
        try:
            answer = _as_tensor(answer)
        except (TypeError, ValueError, RuntimeError):
            return f"return the new state as a tensor of shape ({hidden},), got {type(answer).__name__}"
        if tuple(answer.shape) != (hidden,):
            extra = (": return h_t alone, not a tuple or a batch" if answer.numel() != hidden
                     else ": drop the extra dimensions")
            return f"the new state has shape {tuple(answer.shape)}, expected ({hidden},){extra}"
        answers.append(answer)
    with torch.no_grad():
        reference = [cell(x_t[None], h[None])[0] for x_t, h in pairs]
    if all(torch.allclose(a, r, atol=ATOL, rtol=0) for a, r in zip(answers, reference)):
        return None

    def matches(**variant):
        return all(torch.allclose(a, _variant(x_t, h, params, **variant), atol=ATOL, rtol=0)
                   for a, (x_t, h) in zip(answers, pairs))

    for mistake, message in MISTAKES.items():
        if matches(mistake=mistake):
            return message
    for order in ORDERS:
        if matches(order=order):
            return _order_message(order)
    worst = max((a - r).abs().max().item() for a, r in zip(answers, reference))
    return (f"the new state differs from torch.nn.GRUCell's by up to {worst:.3g}, and matches none of the "
            "typical mistakes: compare your code with the four equations line by line")
