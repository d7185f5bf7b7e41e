"""Chapter 1.2's sequential bottleneck (helpers/measure/bottleneck.py): the RNN against the attention
product, and three implementations of the same RNN, counted and timed.

No test asserts how long anything took: timings depend on the machine and its load. The tests check
the bookkeeping: what was kept, and what the phrases say for given samples.
"""
from functools import partial

import numpy as np
import pytest
import torch

import helpers.measure.bottleneck as bottleneck
import helpers.measure.timing as timing
from helpers.core.seeding import seeded
from helpers.measure.bottleneck import (
    BottleneckTimings,
    ImplementationTimings,
    attention_product,
    numpy_rnn,
    rnn_implementations,
    sequential_bottleneck,
    work_table,
)
from helpers.measure.hardware import ATTENTION_PRODUCT_DEPENDENT, attention_product_flops, count_work, rnn_flops
from helpers.measure.timing import Timing


def test_bottleneck_timings_keep_every_sample_and_the_peak():
    t = sequential_bottleneck(lengths=(4, 8, 16), hidden_size=8, repeats=2, device="cpu")
    assert t.lengths == (4, 8, 16) and t.device == "cpu"
    assert t.rnn_seconds.shape == t.attention_seconds.shape == (3,)
    assert len(t.rnn_timings) == 3 and all(len(x.samples) == 2 for x in t.rnn_timings + t.attention_timings)
    assert list(t.rnn_seconds) == [x.median for x in t.rnn_timings]
    assert t.peak is not None and t.peak.flops_per_second > 0
    assert t.ratio() == t.rnn_seconds[-1] / t.attention_seconds[-1]      # the same one division: exact
    assert t.flop_ratio() == 2.0 and t.flop_ratio(64) == 8.0
    rnn, attention = t.fractions()
    assert rnn.shape == attention.shape == (3,) and (rnn > 0).all()
    assert "RNN, % of peak" in t.table().columns and len(t.table().rows) == 3


def test_the_calls_timed_are_the_calls_counted(monkeypatch):
    """The fraction of peak divides the formula's FLOPs by the time of the calls timed: so the FLOPs of
    exactly those calls, on exactly the tensors they were given, must equal the formula (counted, exact).
    An attention product timed on the (seq, batch, hidden) tensor instead of its batch-first copy
    does 2 * 2 * seq * batch^2 * hidden FLOPs, not 2 * 2 * batch * seq^2 * hidden, and fails here."""
    timed = []

    def fake_time_calls(calls, repeats, device=None):      # keeps what would have been timed, times nothing
        timed.append(calls)
        return {name: Timing((1.0,) * repeats) for name in calls}

    monkeypatch.setattr(bottleneck, "time_calls", fake_time_calls)
    lengths, hidden, batch = (3, 7), 4, 2                  # batch != seq_len: a transposed layout counts differently
    sequential_bottleneck(lengths=lengths, hidden_size=hidden, batch=batch, repeats=1, device="cpu")
    assert len(timed) == len(lengths)
    for L, calls in zip(lengths, timed):
        assert set(calls) == {"rnn", "attention", "peak"}
        rnn, attention = calls["rnn"], calls["attention"]
        assert isinstance(rnn, partial) and isinstance(attention, partial), "timed as timed_calls' partials"
        assert not rnn.keywords and not attention.keywords, "the partials' args are the whole call"
        rnn_work, attention_work = count_work(rnn.func, *rnn.args), count_work(attention.func, *attention.args)
        assert rnn_work.flops == rnn_flops(L, hidden, hidden, batch), f"length {L}: RNN counted {rnn_work}"
        assert (attention_work.flops, attention_work.dependent) == \
            (attention_product_flops(L, hidden, batch), ATTENTION_PRODUCT_DEPENDENT), \
            f"length {L}: the timed attention call counts {attention_work}, the formula " \
            f"{attention_product_flops(L, hidden, batch)} FLOPs"
        (x,), (x_batch_first,) = rnn.args, attention.args
        assert x.shape == (L, batch, hidden) and x_batch_first.shape == (batch, L, hidden)
        assert x_batch_first.is_contiguous(), "attention is timed on a contiguous batch-first copy"
        assert torch.equal(x_batch_first, x.transpose(0, 1)), "the same values as the RNN's input"


U64 = 2.0 ** -53          # unit roundoff of float64


def gamma(n, u=U64):
    """Higham's gamma_n = n u / (1 - n u): the relative error of a sum or dot product of n terms."""
    return n * u / (1 - n * u)


def attention_error_bound(x):
    """An upper bound on |computed - exact| of softmax(x x^T / sqrt(d)) x, elementwise, in float64,
    for any order of summation (first order in u; derived here, not fitted):

    - scores: a dot product of d terms, then a scale 1/sqrt(d) applied by at most 4 roundings
      (sqrt, divide, or scaling q and k separately as SDPA does): |e| <= (gamma_d + 4u) S, where
      S = max_ij sum_k |x_ik x_jk| / sqrt(d);
    - softmax: a score error e moves each weight by a relative 2|e| at most (numerator and normaliser
      both); s - max is rounded once (exponent off by u |s - max| <= 2 u S), exp is accurate to 1 ulp
      (2u), the normaliser is a sum of T positive terms (gamma_T) and the division adds u:
      rho = 2 (E + 2 u S + 2 u) + gamma_T + u;
    - output: sum_j w_j x_j with weights off by rho relative and sum w = 1, a sum of T terms:
      |error| <= (rho + gamma_T) (1 + rho) max |x|.
    """
    T, d = x.shape[-2], x.shape[-1]
    S = ((x.abs() @ x.abs().transpose(-1, -2)) / d ** 0.5).max().item()
    E = (gamma(d) + 4 * U64) * S
    rho = 2 * (E + 2 * U64 * S + 2 * U64) + gamma(T) + U64
    return (rho + gamma(T)) * (1 + rho) * x.abs().max().item()


def test_attention_product_is_scaled_dot_product_attention():
    x = torch.randn(2, 7, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = torch.nn.functional.scaled_dot_product_attention(x, x, x)
    # each of the two is within attention_error_bound(x) of the exact value, so they differ by at most twice it
    allowance = 2 * attention_error_bound(x)
    difference = (attention_product(x) - expected).abs().max().item()
    assert difference <= allowance, (f"attention_product and SDPA differ by {difference:.3e}; allowed {allowance:.3e}, "
                                     "twice the float64 forward-error bound of attention_error_bound")


def test_the_old_import_path_still_works():
    from helpers.measure.bottleneck import BottleneckTimings as Old
    from helpers.measure.bottleneck import sequential_bottleneck as old
    assert Old is BottleneckTimings and old is sequential_bottleneck
    with pytest.raises(AttributeError):
        timing.not_a_name  # noqa: B018 (the attribute access itself must raise)


def test_ratio_needs_a_measured_length():
    t = BottleneckTimings((8, 16), np.array([2.0, 4.0]), np.array([1.0, 1.0]), "cpu", 8, 1, 1)
    assert t.ratio() == 4.0 and t.ratio(8) == 2.0
    with pytest.raises(ValueError, match=r"^seq_len must be one of the measured lengths \(8, 16\), got 12"):
        t.ratio(12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lengths=()), "lengths must hold"),
    (dict(lengths=(16, 8)), "lengths must be strictly increasing"),
    (dict(lengths=(8, 8)), "lengths must be strictly increasing"),
    (dict(lengths=(0, 8)), "seq_len must be an integer in"),
    (dict(lengths=(8.5,)), "seq_len must be an integer in"),
    (dict(hidden_size=0), "hidden_size must be"),
    (dict(batch=0), "batch must be"),
    (dict(repeats=0), "repeats must be"),
    (dict(seed=-1), "seed must be"),
])
def test_bad_input_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match="^" + message):
        sequential_bottleneck(**{"lengths": (4, 8), "repeats": 1, "device": "cpu", **kwargs})


def _timings(seconds):
    return tuple(Timing(tuple(s)) for s in seconds)


def test_summary_phrases_fit_either_outcome_and_rank_nothing_inside_the_spread():
    rnn = _timings([(1e-3, 1.1e-3, 0.9e-3), (4e-3, 4e-3, 4e-3), (16e-3, 15e-3, 17e-3)])
    attention = _timings([(1e-4, 1e-4, 1e-4), (4e-3, 4.4e-3, 3.6e-3), (8e-3, 8e-3, 8e-3)])
    t = BottleneckTimings((16, 64, 256), np.array([x.median for x in rnn]), np.array([x.median for x in attention]),
                          "cpu", 64, 1, 3, rnn, attention)
    s = t.summary()
    assert s["comparison_longest"].startswith("the RNN took 2.0 times as long as the attention product")
    assert s["comparison_shortest"].startswith("the RNN took 10 times as long")
    assert s["lead"] == ("the RNN took longer than the attention product at length 16; the two were too close "
                         "to rank at length 64; the RNN took longer than the attention product at length 256")
    assert s["length_growth"] == "16" and s["flop_ratio"] == "4"
    assert s["rnn_growth"] == "15 to 17"      # quartiles 15.5-16.5 ms over 0.95-1.05 ms, not the medians' 16
    assert s["dependent_rnn"] == "256" and s["dependent_attention"] == "2" and "peak" not in s
    fast_rnn = BottleneckTimings((16, 64), np.array([1e-3, 1e-3]), np.array([1e-4, 4e-3]), "cuda", 64, 1, 3)
    assert fast_rnn.summary()["comparison_longest"].startswith("the attention product took 4.0 times as long as the RNN")


def test_table_has_a_row_per_length():
    t = BottleneckTimings((8, 16), np.array([2e-3, 4e-3]), np.array([1e-3, 1e-3]), "cpu", 8, 1, 1)
    assert t.table().rows == (("8", "2.000", "1.000", "2.0", "", ""), ("16", "4.000", "1.000", "4.0", "", ""))


@pytest.mark.parametrize("ratio", [0.0, -1.0, float("nan")])
def test_describe_ratio_rejects_non_positive(ratio):
    from helpers.measure.bottleneck import describe_ratio
    with pytest.raises(ValueError, match="^ratio must be"):
        describe_ratio(ratio)


def test_work_table_counts_t_dependent_steps_for_both_rnns_and_two_for_attention():
    table = work_table(lengths=(4, 32), hidden_size=8, batch=2)
    rows = {(r[0], r[1]): r for r in table.rows}
    assert rows[("torch.nn.RNN", "32")][2] == f"{2 * 2 * 32 * (8 * 8 + 8 * 8):,}"
    assert rows[("torch.nn.RNN", "32")][4] == rows[("helpers.TanhRNN", "32")][4] == "32"
    assert rows[("torch.nn.RNN", "32")][3] == "33"                # one product for all inputs, then one per step
    assert rows[("helpers.TanhRNN", "32")][3] == "64"             # two products per step
    assert rows[("attention product", "4")][4] == rows[("attention product", "32")][4] == "2"


def rnn_error_bound(x, weight_ih, weight_hh, bias_ih, bias_hh, h):
    """Bound on |computed - exact| of every h_t of the tanh recurrence in float64, any summation order
    (first order in u; derived, not fitted). With the exact states h_t, the pre-activation
    a_t = W_ih x_t + W_hh h_{t-1} + b_ih + b_hh is a sum of n = input + hidden + 2 terms, so its rounding
    error is at most gamma_n (|W_ih| |x_t| + |W_hh| |h_{t-1}| + |b_ih| + |b_hh|); tanh is 1-Lipschitz and
    accurate to 1 ulp (2u |h_t|); an error e_{t-1} in h_{t-1} reaches a_t multiplied by at most
    ||W_hh||_inf. So e_t = max_i [gamma_n (...)_i + 2u |h_t,i|] + ||W_hh||_inf e_{t-1}, e_0 = 0.
    h: the states (seq, batch, hidden) of either run, standing in for the exact ones (first order).
    """
    n = weight_ih.shape[1] + weight_hh.shape[0] + 2
    bias = bias_ih.abs() + bias_hh.abs()
    growth = weight_hh.abs().sum(1).max().item()
    previous, bound, bounds = torch.zeros_like(h[0]), 0.0, []
    for t in range(x.shape[0]):
        magnitude = x[t].abs() @ weight_ih.abs().T + previous.abs() @ weight_hh.abs().T + bias
        bound = (gamma(n) * magnitude + 2 * U64 * h[t].abs()).max().item() + growth * bound
        bounds.append(bound)
        previous = h[t]
    return np.array(bounds)


def test_numpy_rnn_is_the_same_recurrence_as_nn_rnn():
    g = torch.Generator().manual_seed(0)
    with seeded(0):
        rnn = torch.nn.RNN(5, 6).double()
    x = torch.randn(9, 3, 5, generator=g, dtype=torch.float64)
    weights = [getattr(rnn, n + "_l0").detach() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    ours, theirs = numpy_rnn(x.numpy(), *(w.numpy() for w in weights)), rnn(x)[0].detach()
    # both within rnn_error_bound of the exact states: they differ by at most twice it, step by step
    allowance = 2 * rnn_error_bound(x, *weights, theirs)
    difference = np.abs(ours - theirs.numpy()).max(axis=(1, 2))
    assert (difference <= allowance).all(), (f"largest difference per step {difference}, allowed {allowance} "
                                             "(twice the float64 forward-error bound of rnn_error_bound)")


def test_rnn_implementations_time_all_three_on_the_cpu_and_phrase_the_result():
    result = rnn_implementations(seq_len=5, hidden_size=8, repeats=3, device="cpu")
    assert list(result.timings) == ["torch.nn.RNN", "Python loop (helpers.TanhRNN)", "NumPy loop"]
    assert len(result.table().rows) == 3 and result.table().rows[0][2].startswith("1.00")
    fake = ImplementationTimings(100, 64, 1, "cpu", 3, {
        "torch.nn.RNN": Timing((1.0, 1.0, 1.0)), "Python loop (helpers.TanhRNN)": Timing((0.5, 0.5, 0.5)),
        "NumPy loop": Timing((1.0, 1.02, 0.98))})
    s = fake.summary()
    assert s["loop_vs_rnn"].startswith("torch.nn.RNN took 2.0 times as long as the Python loop")
    assert s["numpy_vs_rnn"].startswith("the NumPy loop and torch.nn.RNN were too close to rank")
    assert s["fastest"] == "the Python loop was the fastest of the three" and s["nn_rnn_fastest"] == "was not"
