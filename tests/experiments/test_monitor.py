"""gradient_health tells vanishing, healthy and exploding gradients apart, as the chapter claims.

The three regimes are produced the way the chapter produces them: an orthogonal W_hh rescaled to
spectral radius 0.5, 1.0 and 3.0, run over 100 steps, with the loss at the last step.
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
    assert report.time_ratio < 1e-6
    assert not report.exploding and not report.nonfinite, "vanishing is not visible in parameter norms"
    assert "VANISHING" in str(report) and "needs attention" in str(report)


@pytest.mark.parametrize("seed", [0, 1])
def test_radius_one_is_healthy(seed):
    report = gradient_health(*run(1.0, seed))
    assert report.healthy, str(report)
    assert not report.vanishing and not report.exploding and not report.nonfinite
    assert 1e-6 <= report.time_ratio
    assert str(report).endswith("healthy")


@pytest.mark.parametrize("seed", [0, 1])
def test_radius_three_explodes(seed):
    model, inputs = run(3.0, seed)
    report = gradient_health(model, inputs)
    assert not report.healthy and not report.vanishing
    assert "weight_hh" in report.exploding
    assert report.total_norm > 1e3
    assert "EXPLODING" in str(report)


def test_time_ratio_is_first_over_last_input_gradient_and_norms_add_up():
    model, inputs = run(0.9, 3, seq_len=20)
    report = gradient_health(model, inputs)
    per_step = inputs.grad.flatten(1).norm(dim=1)
    assert report.time_ratio == pytest.approx((per_step[0] / per_step[-1]).item(), rel=1e-5)
    assert set(report.param_norms) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    assert report.param_norms["weight_hh"] == pytest.approx(model.weight_hh.grad.norm().item(), rel=1e-5)
    assert report.total_norm == pytest.approx(math.sqrt(sum(n * n for n in report.param_norms.values())))


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
