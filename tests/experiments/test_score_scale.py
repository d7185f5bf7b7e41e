"""Why the Transformer scales its dot products (helpers/experiments/score_scale.py): the spread of q.k
grows as sqrt(d), and scaled it stays the same at every d."""
import pytest

from helpers.experiments.score_scale import dot_product_spread


def test_scaling_keeps_the_spread_of_dot_products_at_one():
    """Seeded random draws; each threshold sits at least 5 standard deviations of its statistic away from its
    expected value, after the display's rounding (normal approximation over the 200 independent samples; float64
    rounding, ~1e-15, aside), so a fresh seed crosses one with probability below 1e-6.

    std of q.k over S = 200 samples of K = 32 keys: Var(s^2) / d^2 = 2 (1 + 2/d) / (S K) + 2 / (S d) (the keys
    share their query), so the relative sd of s is 0.0156 at d = 16 and 0.0090 at d = 1024; the shown value
    (1 decimal) adds at most 0.05 / sqrt(d). Against 10%: 5.6 and 11 sd.
    The mean largest softmax weight, per sample (20 000 simulated draws per d): unscaled 0.629 (sd 0.226) at d = 16,
    0.955 (sd 0.107) at d = 1024; scaled 0.162 (sd 0.076) and 0.165 (sd 0.066). Over 200 samples: 0.955 stands
    20 sd above 0.8, the unscaled lead of 0.33 stands 18 sd above 0, and the scaled difference of 0.003 lies
    5.2 sd (0.0071) inside 0.05 once the two shown values' rounding (2 decimals, 0.005 each) is taken off.
    """
    table = dot_product_spread(dims=(16, 1024), num_keys=32, samples=200)
    stds = [float(r[1]) for r in table.rows]
    why = "more than 5 standard deviations from the statistic's expected value (see the docstring)"
    for std, d in zip(stds, (16, 1024)):   # std ~ sqrt(d)
        assert abs(std / d ** 0.5 - 1) < 0.1, f"std of q.k {std} at d = {d}: off sqrt(d) by more than 10%, {why}"
    unscaled, scaled = [float(r[3]) for r in table.rows], [float(r[4]) for r in table.rows]
    # the softmax saturates as d grows
    assert unscaled[1] > unscaled[0] and unscaled[1] > 0.8, f"unscaled largest weights {unscaled}: 0.8 and the order, {why}"
    # scaled: the same at every d
    assert abs(scaled[1] - scaled[0]) < 0.05, f"scaled largest weights {scaled} differ by 0.05 or more, {why}"


@pytest.mark.parametrize("call, message", [
    (lambda: dot_product_spread(num_keys=1), "num_keys"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
