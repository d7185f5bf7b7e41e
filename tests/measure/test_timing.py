"""The shared timing function (helpers/measure/timing.py): interleaving, warm-up, synchronisation,
spread, and the phrases that compare two timings.

No test asserts how long anything took: timings depend on the machine and its load. The tests check
the bookkeeping: who ran when, what was kept, and what the phrases say for given samples.
"""
import pytest
import torch

import helpers.measure.timing as timing
from helpers.measure.timing import (Comparison, Timing, compare, describe_comparison, format_ms, growth_range, lead_by_length,
                                    time_call, time_calls)


def test_time_calls_warms_up_then_interleaves_in_rotating_order():
    order = []
    calls = {name: (lambda name=name: order.append(name)) for name in "abc"}
    result = time_calls(calls, repeats=3, warmup=2)
    assert order[:6] == list("abcabc")                        # two warm-up rounds, untimed
    assert order[6:] == list("abc" "bca" "cab")                # each round starts one place later
    assert set(result) == set("abc")
    assert all(isinstance(t, Timing) and len(t.samples) == 3 and all(s >= 0 for s in t.samples)
               for t in result.values())


def test_time_calls_synchronises_the_device_around_every_timed_call(monkeypatch):
    events = []
    monkeypatch.setattr(timing, "synchronize", lambda device=None: events.append(("sync", device)))
    time_calls({"f": lambda: events.append("f"), "g": lambda: events.append("g")}, repeats=2, warmup=1, device="cpu")
    timed = events[events.index(("sync", "cpu")):]             # after the warm-up
    assert timed[0] == ("sync", "cpu")
    for i, e in enumerate(timed):
        if e in ("f", "g"):                                   # the clock reads only after the device is done
            assert timed[i - 1] == ("sync", "cpu") and timed[i + 1] == ("sync", "cpu")
    assert [e for e in timed if e in ("f", "g")] == ["f", "g", "g", "f"]


def test_synchronize_is_a_no_op_on_the_cpu():
    timing.synchronize("cpu")
    timing.synchronize(torch.device("cpu"))
    timing.synchronize()


def test_timing_reports_median_quartiles_and_relative_spread():
    t = Timing((1.0, 2.0, 3.0, 4.0, 5.0))
    assert (t.median, t.low, t.high) == (3.0, 2.0, 4.0)
    assert t.spread == 2 / 3          # (4 - 2) / 3: the percentiles of 1..5 are exact, one division
    assert format_ms(Timing((1e-3, 2e-3, 3e-3))) == "2 ms (1.5–2.5)"
    assert format_ms(Timing((9.0, 9.5, 10.0))) == "9,500 ms (9,250–9,750)"
    assert str(t) == format_ms(t)
    assert time_call(lambda: None, repeats=4, warmup=0).samples.__len__() == 4


def test_compare_takes_ratios_round_by_round_when_the_rounds_match():
    # b was hit by load in round 3; a in round 4: round by round the ratio stays near 2
    a = Timing((2.0, 2.0, 2.2, 20.0))
    b = Timing((1.0, 1.0, 10.0, 10.0))
    paired = compare(a, b)
    assert paired.paired and paired.ratio == 2.0    # the median of 2, 2, 0.22, 2: the mean of the two middle 2s, exact
    unpaired = compare(Timing((2.0, 2.0, 2.0)), Timing((1.0, 1.0)))
    assert not unpaired.paired and unpaired.ratio == 2.0
    with pytest.raises(ValueError, match="Timing"):
        compare(1.0, b)


@pytest.mark.parametrize("comparison, margin, verdict", [
    (Comparison(2.0, 1.8, 2.2, True), 1.0, "slower"),
    (Comparison(0.5, 0.45, 0.55, True), 1.0, "faster"),
    (Comparison(1.05, 0.9, 1.2, True), 1.0, "tie"),        # the middle half straddles 1
    (Comparison(1.3, 1.2, 1.4, True), 1.5, "tie"),         # outside 1, inside the margin
    (Comparison(1.93, 1.9, 1.95, True), 1.0, "slower"),
])
def test_verdict_ranks_only_outside_the_spread_and_the_margin(comparison, margin, verdict):
    assert comparison.verdict(margin) == verdict


def test_describe_comparison_names_the_slower_first_and_says_when_it_cannot_rank():
    assert describe_comparison("the RNN", "attention", Comparison(2.4, 2.2, 2.6, True)) == (
        "the RNN took 2.4 times as long as attention (middle half of the rounds: 2.2 to 2.6)")
    assert describe_comparison("the RNN", "attention", Comparison(0.5, 0.4, 0.625, True)) == (
        "attention took 2.0 times as long as the RNN (middle half of the rounds: 1.60 to 2.5)")
    tie = describe_comparison("additive", "concat", Comparison(1.03, 0.97, 1.1, True))
    assert tie.startswith("additive and concat were too close to rank (ratio 1.03")
    with pytest.raises(ValueError, match="margin"):
        Comparison(1.0, 1.0, 1.0, True).verdict(0.5)


def test_lead_by_length_groups_neighbouring_lengths_with_the_same_verdict():
    assert lead_by_length((16, 32, 64, 128), ["slower"] * 4, "A", "B") == "A took longer than B at every length measured"
    assert lead_by_length((16, 32, 64, 128), ["slower", "slower", "tie", "faster"], "A", "B") == (
        "A took longer than B at lengths 16 and 32; the two were too close to rank at length 64; "
        "B took longer than A at length 128")


@pytest.mark.parametrize("kwargs, message", [
    (dict(calls={}), "calls must map"),
    (dict(calls={"a": 3}), "calls must map"),
    (dict(calls={"a": lambda: None}, repeats=0), "repeats must be"),
    (dict(calls={"a": lambda: None}, warmup=-1), "warmup must be"),
])
def test_time_calls_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match="^" + message):
        time_calls(**kwargs)


def test_growth_is_quoted_as_the_range_the_quartiles_allow():
    first, last = Timing((1.0, 2.0, 3.0)), Timing((10.0, 20.0, 30.0))     # quartiles 1.5-2.5 and 15-25
    assert growth_range(first, last) == "6.0 to 17"                       # 15 / 2.5 and 25 / 1.5
    steady = Timing((1.0, 1.0, 1.0)), Timing((6.0, 6.0, 6.0))
    assert growth_range(*steady) == "6.0"
