"""Score costs (helpers/measure/score_costs.py): the hoisted counts are what PyTorch actually computes,
and the timings keep every round and rank nothing below the noise floor."""
import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from helpers.explorers.score_times import explore_score_times
from helpers.figures.score_times import score_time_figure
from helpers.measure.score_costs import cost_table, measure_score_times, score_multiply_adds, score_tanh_count
from helpers.models.attention import SCORES, AttentionScore


@pytest.mark.parametrize("kind", SCORES)
@pytest.mark.parametrize("n, m, d, a", [(5, 7, 16, 8), (1, 30, 12, 12), (9, 3, 8, 20)])
def test_hoisted_count_is_what_attention_score_computes(kind, n, m, d, a):
    scorer = AttentionScore(kind, d, a)
    queries, keys = torch.randn(2, n, d), torch.randn(2, m, d)
    with FlopCounterMode(display=False) as counter:
        scorer(queries, keys)
    # FlopCounterMode counts 2 flops per multiply-add, for each of the 2 sequences of the batch
    assert counter.get_total_flops() == 2 * 2 * score_multiply_adds(kind, n, m, d, a)


def test_naive_counts_grow_with_d_squared_per_pair_and_hoisting_removes_it():
    n = m = 50
    for kind in ("additive", "general", "concat"):
        per_pair = [score_multiply_adds(kind, n, m, d, hoisted=False) / (n * m) for d in (100, 200)]
        # O(d^2) per pair: c2 d^2 + c1 d with c1 <= c2, so doubling d from 100 gives 4 - 2 c1 / (c2 d + c1),
        # within 2 / (d + 1) of 4 (exact integer counts; the division and the subtraction round: 2 u 4)
        ratio = per_pair[1] / per_pair[0]
        assert abs(ratio - 4) <= 2 / (100 + 1) + 8 * 2.0 ** -53, f"{kind}: ratio {ratio}, allowed 4 +- 2 / 101 (lower-order term)"
        assert score_multiply_adds(kind, n, m, 1000, hoisted=True) < score_multiply_adds(kind, n, m, 1000, hoisted=False) / 40
    assert score_multiply_adds("dot", n, m, 64, hoisted=True) == score_multiply_adds("dot", n, m, 64, hoisted=False)
    assert score_multiply_adds("additive", 3, 4, 10, 6) == (3 + 4) * 10 * 6 + 3 * 4 * 6
    assert score_tanh_count("additive", 3, 4, 6) == 72 and score_tanh_count("general", 3, 4, 6) == 0


def test_cost_table_has_one_row_per_score():
    table = cost_table(50, 50, 1000, 1000)
    assert [r[0] for r in table.rows] == list(SCORES)
    assert dict((r[0], r[5]) for r in table.rows)["dot"] == "1"


@pytest.fixture(scope="module")
def timings():
    return measure_score_times((8, 16), hidden_size=16, tgt_len=4, repeats=1, device="cpu")


def test_timings_cover_every_score_and_length(timings):
    assert set(timings.seconds) == set(SCORES)
    assert all(len(v) == 2 and (v > 0).all() for v in timings.seconds.values())
    assert sorted(timings.ordering()) == sorted(SCORES)
    assert timings.ratio() > 0
    assert len(score_time_figure(timings).data) == 4
    summary = timings.summary()
    assert all(kind in summary["order"] for kind in SCORES) and summary["longest"] == "16"
    assert "additive score" in summary["additive_vs_dot"] and summary["additive_concat_gap"].endswith("%")


def test_comparison_reads_right_both_ways():
    from helpers.measure.score_costs import compare_scores
    assert compare_scores(3.04, "additive", "dot") == "the additive score took 3.0 times as long as the dot score"
    assert compare_scores(0.5, "additive", "dot") == "the additive score was 2.0 times faster than the dot score"


@pytest.mark.parametrize("call, message", [
    (lambda: score_multiply_adds("cosine", 2, 2, 2), "kind"),
    (lambda: score_multiply_adds("dot", 0, 2, 2), "tgt_len"),
    (lambda: score_multiply_adds("dot", 2, 2, -1), "hidden_size"),
    (lambda: measure_score_times((16, 8)), "lengths"),
    (lambda: measure_score_times((8,), repeats=0), "repeats"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _fake_scores(samples):
    """ScoreTimings at one source length from {kind: per-round seconds}."""
    from helpers.measure.score_costs import ScoreTimings
    from helpers.measure.timing import Timing
    timings = {k: (Timing(tuple(v)),) for k, v in samples.items()}
    return ScoreTimings((64,), {k: np.array([t[0].median]) for k, t in timings.items()}, "cpu", 32, 8, 1,
                        len(next(iter(samples.values()))), timings)


def test_identical_arithmetic_sets_the_noise_floor_below_which_nothing_is_ranked():
    noisy = _fake_scores({"dot": [1.0, 1.0, 1.0], "general": [1.5, 1.5, 1.5],
                          "additive": [3.0, 3.0, 3.0], "concat": [5.8, 5.8, 5.8]})     # concat 93% above additive
    s = noisy.summary()
    # the margin is 5.8 / 3 or 1 / (3 / 5.8): the same number within 3 roundings (u = 2^-53)
    assert s["additive_concat_gap"] == "93%"
    assert abs(noisy.noise_margin() - 5.8 / 3) <= 3 * 2.0 ** -53 * (5.8 / 3), f"{noisy.noise_margin()!r}, 3 roundings from 5.8 / 3"
    assert s["general_vs_dot"].startswith("the general score and the dot score were too close to rank")
    assert "even additive and concat, identical arithmetic" in s["general_vs_dot"]
    assert s["additive_vs_dot"].startswith("the additive score took 3.0 times as long as the dot score")
    assert "could not resolve differences smaller than a factor of 1.93" in s["precision"]
    assert noisy.ranking() == "dot and general, then additive, then concat"
    precise = _fake_scores({"dot": [1.0, 1.1, 0.9], "general": [1.5, 1.6, 1.4],
                            "additive": [3.0, 3.2, 2.9], "concat": [3.1, 3.0, 3.0]})
    p = precise.summary()
    assert p["order"] == "dot, then general, then additive and concat"
    assert p["precision"].startswith("so identical work timed the same")
    assert p["dot_verdict"] == "the dot score was measurably the fastest"


def test_measured_timings_keep_every_round_and_the_figure_draws_their_spread(timings):
    assert all(len(ts) == 2 and len(ts[0].samples) == 1 for ts in timings.samples.values())
    fig = score_time_figure(timings)
    assert all(t.error_y.visible for t in fig.data)
    step = explore_score_times(timings, hidden_sizes=(8,)).static_figure.layout.sliders[0].steps[0]
    assert len(step.args[0]["error_y"]) == 4
