"""Why the Transformer scales its dot products (helpers/experiments/score_scale.py): the spread of q.k
grows as sqrt(d), and scaled it stays the same at every d."""
import pytest

from helpers.experiments.score_scale import dot_product_spread


def test_scaling_keeps_the_spread_of_dot_products_at_one():
    table = dot_product_spread(dims=(16, 1024), num_keys=32, samples=50)
    stds = [float(r[1]) for r in table.rows]
    assert stds[0] == pytest.approx(4, rel=0.1) and stds[1] == pytest.approx(32, rel=0.1)   # std ~ sqrt(d)
    unscaled, scaled = [float(r[3]) for r in table.rows], [float(r[4]) for r in table.rows]
    assert unscaled[1] > unscaled[0] and unscaled[1] > 0.8                # the softmax saturates as d grows
    assert abs(scaled[1] - scaled[0]) < 0.05                              # scaled: the same at every d


@pytest.mark.parametrize("call, message", [
    (lambda: dot_product_spread(num_keys=1), "num_keys"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
