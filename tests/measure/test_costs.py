"""Chapter 1.5's cost comparison: like-for-like models, exact work and chains, timing bookkeeping.

No test asserts a time: only what was timed, what was kept, and what the phrases say for given samples.
"""
import pytest
import torch

from helpers.figures.speed_figures import cost_figure
from helpers.measure.costs import (
    COMPLEXITY,
    HALF_WIDTH_BIRNN,
    CostTimings,
    cost_models,
    cost_table,
    expected_work,
    measure_costs,
    time_forward,
    training_step_time,
    work_table,
)
from helpers.measure.hardware import count_work
from helpers.measure.timing import Timing


def test_models_read_the_same_input_and_the_birnn_runs_the_forward_cell_both_ways():
    x = torch.randn(10, 2, 16)
    models = cost_models(d_model=16, nhead=4)
    widths = {"forward RNN": 16, "BiRNN": 32, "Transformer layer": 16}      # BiRNN: d per direction, output 2d
    for name, model in models.items():
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        assert out.shape == (10, 2, widths[name]), name
    assert models["BiRNN"].hidden_size == models["forward RNN"].hidden_size


@pytest.mark.parametrize("name", list(COMPLEXITY) + [HALF_WIDTH_BIRNN])
def test_expected_work_is_what_flop_counter_mode_counts(name):
    from helpers.measure.costs import _models
    model = _models(16, 4, half_width=True)[name]
    work = count_work(model, torch.randn(12, 3, 16))
    assert (work.flops, work.dependent) == expected_work(name, 12, 16, 3)


def test_birnn_is_twice_the_forward_rnn_and_the_half_width_one_three_quarters():
    rnn, bi, half = (expected_work(n, 100, 64, 8)[0] for n in ("forward RNN", "BiRNN", HALF_WIDTH_BIRNN))
    assert bi == 2 * rnn and 4 * half == 3 * rnn
    assert expected_work("BiRNN", 100, 64)[1] == expected_work("forward RNN", 100, 64)[1] == 100
    assert expected_work("Transformer layer", 100, 64)[1] == expected_work("Transformer layer", 5, 64)[1] == 6


def test_work_table_rows_and_ratios():
    table = work_table(lengths=(4, 16), d_model=8, batch=2)
    rows = {r[0]: r for r in table.rows}
    assert list(rows) == ["forward RNN", "BiRNN, d per direction", HALF_WIDTH_BIRNN, "Transformer layer"]
    assert rows["BiRNN, d per direction"][1] == "16" and rows[HALF_WIDTH_BIRNN][1] == "8"
    assert rows["BiRNN, d per direction"][4] == "2.00" and rows[HALF_WIDTH_BIRNN][4] == "0.75"
    assert rows["forward RNN"][5] == "4 / 16" and rows["Transformer layer"][5] == "6 / 6"


def test_complexities_say_n_sequential_steps_for_both_rnns_and_constant_for_attention():
    assert COMPLEXITY["forward RNN"][1] == COMPLEXITY["BiRNN"][1] == "n"
    assert COMPLEXITY["Transformer layer"][1] == "O(1)" and "n²" in COMPLEXITY["Transformer layer"][0]
    assert "2n" not in "".join(sum(COMPLEXITY.values(), ()))


def test_measure_costs_keeps_every_sample_and_cost_table_keeps_its_old_shape():
    result = measure_costs((8, 32), d_model=16, batch=2, repeats=2, device="cpu")
    assert set(result.timings) == set(COMPLEXITY)
    assert all(len(ts) == 2 and all(len(t.samples) == 2 for t in ts) for ts in result.timings.values())
    assert result.table().columns[3:5] == ("ms at n=8", "ms at n=32") and len(result.table().rows) == 3
    assert len(cost_figure(result).data) == 6                       # three times above, three fractions below
    table, times = cost_table((8, 32), d_model=16, batch=2, repeats=1)
    assert [r[0] for r in table.rows] == list(COMPLEXITY)
    assert all(len(ts) == 2 and all(t > 0 for t in ts) for ts in times.values())


def test_summary_ranks_only_outside_the_spread():
    same = tuple(Timing((1.0, 1.1, 0.9)) for _ in range(2))
    slow = (Timing((1.0, 1.0, 1.0)), Timing((5.0, 5.0, 5.0)))
    result = CostTimings((64, 128), {"forward RNN": same, "BiRNN": same, "Transformer layer": slow}, 64, 8, 3, "cpu")
    s = result.summary()
    assert s["birnn_vs_rnn"].startswith("the BiRNN and the forward RNN were too close to rank")
    assert s["transformer_vs_rnn"].startswith("the Transformer layer took 5.0 times as long as the forward RNN")
    assert s["slowest_long"] == "the Transformer layer was the slowest"
    tied = CostTimings((64,), {"forward RNN": same[:1], "BiRNN": same[:1], "Transformer layer": same[:1]}, 64, 8, 3, "cpu")
    assert tied.summary()["slowest_long"].startswith("no single model was the slowest")


def test_growth_is_quoted_as_the_range_the_quartiles_allow():
    slow = (Timing((1.0, 1.0, 1.0)), Timing((5.0, 5.0, 5.0)))
    result = CostTimings((64, 128), {"forward RNN": slow, "BiRNN": slow, "Transformer layer": slow}, 64, 8, 3, "cpu")
    s = result.summary()
    assert s["growth_forward"] == "5.0" and s["growth_forward_median"] == "5.0"


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
    (lambda: expected_work("CNN", 4, 8), "name"),
    (lambda: measure_costs((4,), repeats=0, device="cpu"), "repeats"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_training_step_timings_interleave_the_cells_and_keep_every_round():
    from helpers.measure.costs import training_step_timings
    t = training_step_timings(("rnn", "lstm"), seq_len=4, hidden_size=8, input_size=3, batch=2, repeats=3)
    assert list(t) == ["rnn", "lstm"] and all(len(x.samples) == 3 for x in t.values())
    with pytest.raises(ValueError, match="cell"):
        training_step_timings(("rnn", "cnn"))
