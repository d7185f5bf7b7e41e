"""The cost table compares the models it names, with the right complexities, and times are sane."""
import pytest
import torch

from helpers.costs import COMPLEXITY, cost_models, cost_table, time_forward, training_step_time


def test_models_take_and_give_the_same_shapes():
    x = torch.randn(10, 2, 16)
    for name, model in cost_models(d_model=16, nhead=4).items():
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        assert out.shape == (10, 2, 16), name


def test_complexities_say_n_sequential_steps_for_both_rnns_and_constant_for_attention():
    assert COMPLEXITY["forward RNN"][1] == COMPLEXITY["BiRNN"][1] == "n"
    assert COMPLEXITY["Transformer layer"][1] == "O(1)" and "n²" in COMPLEXITY["Transformer layer"][0]
    assert "2n" not in "".join(sum(COMPLEXITY.values(), ()))


def test_cost_table_has_a_row_per_model_and_a_column_per_length():
    table, times = cost_table((8, 32), d_model=16, batch=2, repeats=1)
    assert [r[0] for r in table.rows] == list(COMPLEXITY)
    assert table.columns[-2:] == ("ms at n=8", "ms at n=32")
    assert all(len(ts) == 2 and all(t > 0 for t in ts) for ts in times.values())


def test_timings_are_positive():
    assert time_forward(torch.nn.RNN(8, 8), 5, batch=1, d_model=8, repeats=2) > 0
    assert training_step_time("gru", seq_len=5, hidden_size=8, input_size=4, batch=2, repeats=2) > 0


@pytest.mark.parametrize("call, message", [
    (lambda: cost_models(d_model=10, nhead=4), "d_model"),
    (lambda: cost_models(d_model=0), "d_model"),
    (lambda: cost_table(()), "lengths"),
    (lambda: cost_table((0,)), "seq_len"),
    (lambda: time_forward(torch.nn.RNN(2, 2), 3, d_model=2, repeats=0), "repeats"),
    (lambda: training_step_time("transformer"), "cell"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
