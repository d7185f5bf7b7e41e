"""gradient_health tells vanishing, healthy and exploding gradients apart, as the chapter claims, and
never reads a NaN as vanishing.

The three regimes are produced the way the chapter produces them: an orthogonal W_hh rescaled to
spectral radius 0.5, 1.0 and 3.0, run over 100 steps, with the loss at the last step. The thresholds
the regimes are checked against are gradient_health's own defaults (1e-6 along time, 1e3 for a
parameter), not values fitted to a run; why each run clears them by orders of magnitude is written
beside each check.
"""
import math

import pytest
import torch

from helpers.experiments.monitor import gradient_health
from helpers.models.tanh_rnn import TanhRNN


def run(radius, seed, seq_len=100, hidden_size=32):
    g = torch.Generator().manual_seed(seed)
    model = TanhRNN(1, hidden_size, init="orthogonal", radius=radius, generator=g)
    inputs = torch.randn(seq_len, 4, 1, generator=g).requires_grad_()
    _, h_last = model(inputs)
    h_last.sum().backward()
    return model, inputs


@pytest.mark.parametrize("seed", [0, 1])
def test_radius_half_vanishes_along_time(seed):
    report = gradient_health(*run(0.5, seed))
    assert report.vanishing and not report.healthy
    # ||W_hh||_2 = 0.5 and tanh' <= 1: ||dL/dx_1|| <= 0.5**99 ||W_ih|| ||g|| = 1.6e-30 ||W_ih|| ||g|| (g = dL/dh_T),
    # while ||dL/dx_T|| = ||W_ih^T D_T g||: the ratio reaches 1e-6 only if that is 6e23 times below ||W_ih|| ||g||
    assert report.time_ratio < 1e-6, f"ratio {report.time_ratio:.3e}, at most 1e-6 (the default vanish_below)"
    assert not report.exploding and not report.nonfinite, "vanishing is not visible in parameter norms"
    assert "VANISHING" in str(report) and "needs attention" in str(report)


@pytest.mark.parametrize("seed", [0, 1])
def test_radius_one_is_healthy(seed):
    report = gradient_health(*run(1.0, seed))
    assert report.healthy, str(report)
    assert not report.vanishing and not report.exploding and not report.nonfinite
    # measured 4.5e-4 (seed 0) and 9.6e-5 (seed 1) on x86: 96 times above 1e-6 or more. An estimate (first order,
    # not a bound) of what rounding could move: each float32 backward step through an orthogonal W_hh adds a
    # relative gamma_32 sqrt(32) < 1.1e-5 to its vector, about 1e-3 over 100 steps: a factor 1.001, not 96
    assert 1e-6 <= report.time_ratio, f"ratio {report.time_ratio:.3e}, at least 1e-6 (the default vanish_below)"
    assert str(report).endswith("healthy")


@pytest.mark.parametrize("seed", [0, 1])
def test_radius_three_explodes(seed):
    model, inputs = run(3.0, seed)
    report = gradient_health(model, inputs)
    assert not report.healthy and not report.vanishing
    assert "weight_hh" in report.exploding
    # the default explode_above; measured 1e14 and above (radius 3 grows the gradient ~3x a step until tanh saturates)
    assert report.total_norm > 1e3, f"total norm {report.total_norm:.3e}, above 1e3 (the default explode_above)"
    assert "EXPLODING" in str(report)


def test_time_ratio_is_first_over_last_input_gradient_and_norms_add_up():
    model, inputs = run(0.9, 3, seq_len=20)
    report = gradient_health(model, inputs)
    # computed the same way, in the same order, on the same tensors: equal exactly
    per_step = inputs.grad.to(torch.float64).flatten(1).norm(dim=1)
    assert report.time_ratio == per_step[0].item() / per_step[-1].item()
    assert set(report.param_norms) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert report.param_norms["weight_hh"] == model.weight_hh.grad.to(torch.float64).norm().item()
    assert report.total_norm == math.sqrt(sum(n * n for n in report.param_norms.values()))


def test_parameter_norms_alone_miss_vanishing():
    """The module's point: without the inputs, the radius-0.5 run looks healthy."""
    report = gradient_health(run(0.5, 0)[0])
    assert report.time_ratio is None and not report.vanishing and report.healthy


def test_non_finite_gradients_are_flagged():
    model, inputs = run(1.0, 0, seq_len=10)
    with torch.no_grad():
        model.bias_hh.grad[0] = float("nan")
    report = gradient_health(model, inputs)
    assert report.nonfinite == ["bias_hh"] and "bias_hh" not in report.exploding
    assert not report.healthy and "NON-FINITE" in str(report)


def _with_input_gradient(edit):
    """A healthy radius-1 run whose input gradient is then edited in place by edit(grad)."""
    model, inputs = run(1.0, 0, seq_len=10)
    with torch.no_grad():
        edit(inputs.grad)
    return gradient_health(model, inputs)


@pytest.mark.parametrize("step", [0, -1, 4])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_input_gradient_is_non_finite_never_vanishing(step, bad):
    """NaN < threshold and NaN > threshold are both False: a NaN ratio must not fall into `vanishing`,
    and an inf at the last step must not make the ratio 0."""
    report = _with_input_gradient(lambda grad: grad[step].fill_(bad))
    assert not report.vanishing, f"a {bad} input gradient at step {step} was called vanishing"
    assert report.nonfinite == ["inputs"] and not report.healthy and math.isnan(report.time_ratio)
    text = str(report)
    assert "NON-FINITE gradients (inf/NaN) in: inputs" in text and "VANISHING" not in text
    assert "UNDEFINED" in text and text.endswith("needs attention")


def test_no_gradient_at_either_end_is_undefined_not_vanishing():
    """0 / 0: nothing reaches the first step, but nothing reaches the last either."""
    report = _with_input_gradient(lambda grad: (grad[0].zero_(), grad[-1].zero_()))
    assert math.isnan(report.time_ratio) and report.ratio_undefined
    assert not report.vanishing and not report.nonfinite and not report.healthy
    assert "UNDEFINED" in str(report) and "VANISHING" not in str(report)


def test_a_first_step_gradient_of_exactly_zero_has_vanished():
    """The chapter's length-1000 case: the first steps' gradient underflows to 0, the last one's does not."""
    report = _with_input_gradient(lambda grad: grad[0].zero_())
    assert report.time_ratio == 0.0 and report.vanishing and not report.nonfinite
    assert "VANISHING along time" in str(report)


def test_a_last_step_gradient_of_exactly_zero_is_not_vanishing():
    report = _with_input_gradient(lambda grad: grad[-1].zero_())
    assert report.time_ratio == float("inf") and not report.vanishing and not report.ratio_undefined


def test_thresholds_are_respected():
    model, inputs = run(1.0, 0)
    report = gradient_health(model, inputs)
    stricter = gradient_health(model, inputs, explode_above=report.total_norm / 10, vanish_below=1.0)
    assert stricter.exploding and stricter.vanishing


def test_calling_before_backward_raises():
    model = TanhRNN(1, 8)
    with pytest.raises(ValueError, match=r"backward"):
        gradient_health(model)


def test_inputs_without_requires_grad_raise():
    model = TanhRNN(1, 8)
    inputs = torch.randn(5, 2, 1)
    model(inputs)[1].sum().backward()
    with pytest.raises(ValueError, match=r"inputs.*requires_grad"):
        gradient_health(model, inputs)


@pytest.mark.parametrize("kwargs, name", [({"explode_above": 0.0}, "explode_above"),
                                          ({"vanish_below": -1.0}, "vanish_below"),
                                          ({"vanish_below": float("nan")}, "vanish_below")])
def test_bad_thresholds_name_the_parameter(kwargs, name):
    model, inputs = run(1.0, 0, seq_len=5)
    with pytest.raises(ValueError, match=name):
        gradient_health(model, inputs, **kwargs)
