"""Score costs: the hoisted counts are what PyTorch actually computes; figures and explorer are wired up."""
import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from helpers.attention import SCORES, AttentionScore
from helpers.local_attention import (LocalAttentionWidget, explore_local_attention, local_attention_figure,
                                     local_example, predicted_position)
from helpers.score_costs import (ScoreTimeWidget, cost_table, dot_product_spread, explore_score_times,
                                 measure_score_times, score_multiply_adds, score_tanh_count, score_time_figure)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


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
        assert per_pair[1] / per_pair[0] == pytest.approx(4, rel=0.02)      # O(d^2) per pair
        assert score_multiply_adds(kind, n, m, 1000, hoisted=True) < score_multiply_adds(kind, n, m, 1000, hoisted=False) / 40
    assert score_multiply_adds("dot", n, m, 64, hoisted=True) == score_multiply_adds("dot", n, m, 64, hoisted=False)
    assert score_multiply_adds("additive", 3, 4, 10, 6) == (3 + 4) * 10 * 6 + 3 * 4 * 6
    assert score_tanh_count("additive", 3, 4, 6) == 72 and score_tanh_count("general", 3, 4, 6) == 0


def test_cost_table_has_one_row_per_score():
    table = cost_table(50, 50, 1000, 1000)
    assert [r[0] for r in table.rows] == list(SCORES)
    assert dict((r[0], r[5]) for r in table.rows)["dot"] == "1"


def test_scaling_keeps_the_spread_of_dot_products_at_one():
    table = dot_product_spread(dims=(16, 1024), num_keys=32, samples=50)
    stds = [float(r[1]) for r in table.rows]
    assert stds[0] == pytest.approx(4, rel=0.1) and stds[1] == pytest.approx(32, rel=0.1)   # std ~ sqrt(d)
    unscaled, scaled = [float(r[3]) for r in table.rows], [float(r[4]) for r in table.rows]
    assert unscaled[1] > unscaled[0] and unscaled[1] > 0.8                # the softmax saturates as d grows
    assert abs(scaled[1] - scaled[0]) < 0.05                              # scaled: the same at every d


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
    from helpers.score_costs import compare_scores
    assert compare_scores(3.04, "additive", "dot") == "the additive score took 3.0 times as long as the dot score"
    assert compare_scores(0.5, "additive", "dot") == "the additive score was 2.0 times faster than the dot score"


def test_explorer_slider_moves_every_curve(timings):
    fig = explore_score_times(timings, hidden_sizes=(8, 32)).static_figure
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["8", "16", "32"] and fig.layout.sliders[0].active == 1
    assert len(fig.data) == 4 and len(steps[0].args[0]["y"]) == 4
    assert list(fig.data[0].y) == steps[1].args[0]["y"][0]
    assert "hidden size 32" in steps[2].args[1]["title.text"]
    reused = explore_score_times(timings, hidden_sizes=(), measured={8: timings}).static_figure
    assert [s.label for s in reused.layout.sliders[0].steps] == ["8", "16"]


def test_live_widget_remeasures(timings):
    widget = ScoreTimeWidget(timings)
    widget.controls["hidden_size"].value = 64
    assert "hidden size 64" in widget.figure.layout.title.text
    assert WIDGET_VIEW in widget._repr_mimebundle_()


def test_local_p_scores_only_its_window():
    global_w, local_w, p_t = local_example(src_len=30, half_width=3, seed=1)
    assert global_w.sum() == pytest.approx(1) and (global_w > 0).all()
    inside = np.abs(np.arange(30) - p_t) <= 3
    assert (local_w[~inside] == 0).all() and (local_w[inside] > 0).all()
    assert 0 < p_t < 30
    assert len(local_attention_figure(src_len=30, half_width=3).data) == 2


def test_local_explorer_slider_moves_the_window_and_the_weights():
    fig = explore_local_attention(src_len=30, half_width=3).static_figure
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [str(D) for D in range(1, 11)] and fig.layout.sliders[0].active == 2
    assert list(fig.data[1].y) == steps[2].args[0]["y"][1]                 # the shown curve is D = 3's
    assert steps[0].args[0]["y"][0] == steps[-1].args[0]["y"][0]          # global weights do not depend on D
    assert steps[0].args[0]["y"][1] != steps[-1].args[0]["y"][1]
    widths = [s.args[1]["shapes"][0]["x1"] - s.args[1]["shapes"][0]["x0"] for s in steps]
    assert widths == pytest.approx([2 * D for D in range(1, 11)])          # the shaded window is [p - D, p + D]


def test_local_widget_recomputes():
    widget = LocalAttentionWidget(src_len=30, half_width=3)
    widget.controls["half_width"].value = 6
    assert "D = 6" in widget.figure.data[1].name
    widget.controls["src_len"].value = 60
    assert len(widget.figure.data[0].y) == 60 and len(widget.figure.data[1].x) == 60
    assert WIDGET_VIEW in widget._repr_mimebundle_()


def test_predicted_position_matches_the_formula():
    g = torch.Generator().manual_seed(0)
    h, W, v = torch.randn(5, generator=g), torch.randn(3, 5, generator=g), torch.randn(3, generator=g)
    assert predicted_position(h, W, v, 20).item() == pytest.approx(20 / (1 + np.exp(-(v @ torch.tanh(W @ h)).item())))


@pytest.mark.parametrize("call, message", [
    (lambda: score_multiply_adds("cosine", 2, 2, 2), "kind"),
    (lambda: score_multiply_adds("dot", 0, 2, 2), "tgt_len"),
    (lambda: score_multiply_adds("dot", 2, 2, -1), "hidden_size"),
    (lambda: measure_score_times((16, 8)), "lengths"),
    (lambda: measure_score_times((8,), repeats=0), "repeats"),
    (lambda: dot_product_spread(num_keys=1), "num_keys"),
    (lambda: explore_score_times(None, hidden_sizes=(0,)), "hidden_sizes"),
    (lambda: local_example(src_len=1), "src_len"),
    (lambda: explore_local_attention(src_len=20, half_width=0), "half_width"),
    (lambda: predicted_position(torch.zeros(4), torch.zeros(3, 5), torch.zeros(3), 10), "W_p"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _fake_scores(samples):
    """ScoreTimings at one source length from {kind: per-round seconds}."""
    from helpers.score_costs import ScoreTimings
    from helpers.timing import Timing
    timings = {k: (Timing(tuple(v)),) for k, v in samples.items()}
    return ScoreTimings((64,), {k: np.array([t[0].median]) for k, t in timings.items()}, "cpu", 32, 8, 1,
                        len(next(iter(samples.values()))), timings)


def test_identical_arithmetic_sets_the_noise_floor_below_which_nothing_is_ranked():
    noisy = _fake_scores({"dot": [1.0, 1.0, 1.0], "general": [1.5, 1.5, 1.5],
                          "additive": [3.0, 3.0, 3.0], "concat": [5.8, 5.8, 5.8]})     # concat 93% above additive
    s = noisy.summary()
    assert s["additive_concat_gap"] == "93%" and noisy.noise_margin() == pytest.approx(5.8 / 3)
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
