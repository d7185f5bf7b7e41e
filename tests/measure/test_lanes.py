"""The lanes model (helpers/measure/lanes.py): the work law, the span law and Brent's bound, the
length where an LSTM layer and a Transformer layer change places, and the measurement of r and t.

No test asserts a time or a speed: those depend on the machine and its load.
"""
import math

import numpy as np
import pytest
import torch

from helpers.measure.lanes import (
    Lanes,
    cpu_vector_lanes,
    crossover_length,
    device_lanes,
    here_phrases,
    lanes_to_change_places,
    layer_costs,
    measure_lanes,
    published_phrases,
    step_bound,
    time_bounds,
)
from helpers.measure.throughput import dependent_products, layer_flops
from helpers.measure.timing import Timing, format_ratio
from tests.messages import names


def test_bounds_are_the_larger_and_the_sum_of_work_over_lanes_and_chain_times_latency():
    lower, upper = time_bounds([800.0, 100.0], [1, 50], lanes=4, lane_rate=100.0, latency=0.1)
    assert lower.tolist() == [2.0, 5.0] and upper.tolist() == [2.1, 5.25]      # 800/400 vs 0.1; 100/400 vs 5


def test_step_bound_is_flat_at_the_latency_then_the_work_spread_over_the_lanes():
    assert step_bound([1.0, 1e6], lanes=10, lane_rate=1e3, latency=0.5).tolist() == [0.5, 100.0]


def test_layer_costs_are_the_counted_formulas_of_chapter_1_8():
    costs = layer_costs((16, 2048), d_model=128, batch=2)
    for name, (work, depth) in costs.items():
        assert work.tolist() == [layer_flops(n, 128, 2)[name] for n in (16, 2048)]
        assert depth.tolist() == [dependent_products(n)[name] for n in (16, 2048)]
    # per token: 16 b d^2 for the LSTM, 16 b d^2 + 4 b n d for the Transformer layer
    assert costs["LSTM"][0][1] == 2048 * 16 * 2 * 128 ** 2
    assert costs["Transformer layer"][0][1] == 2048 * (16 * 2 * 128 ** 2 + 4 * 2 * 2048 * 128)


@pytest.mark.parametrize("lanes, rate, latency", [(16, 2e9, 1.3e-6), (5120, 2.9e9, 3e-5), (300, 2e9, 1.3e-6),
                                                  (65536, 4e9, 1e-6), (1, 1e9, 1e-3)])
@pytest.mark.parametrize("d_model, batch", [(128, 2), (64, 8)])
def test_the_transformer_layer_is_faster_exactly_between_6_and_the_crossover(lanes, rate, latency, d_model, batch):
    nstar = crossover_length(lanes, rate, latency, d_model, batch)
    near = range(max(1, int(nstar) - 50), int(nstar) + 50) if nstar > 0 else ()
    n = np.array(sorted({*range(1, 300), *np.geomspace(300, 1e7, 400).astype(int).tolist(), *near}))
    costs = layer_costs(n.tolist(), d_model, batch)
    lstm, _ = time_bounds(*costs["LSTM"], lanes, rate, latency)
    transformer, _ = time_bounds(*costs["Transformer layer"], lanes, rate, latency)
    faster = n[transformer < lstm]
    # away from the two edges (where rounding could decide a tie) the closed form says which is faster
    margin = 1e-9 * max(nstar, 1.0)
    expected = (n > 6) & (n < nstar - margin)
    unsure = (np.abs(n - nstar) <= margin) | (n == 6)
    assert np.array_equal((transformer < lstm)[~unsure], expected[~unsure]), (faster[:3], nstar)


def test_the_fewest_lanes_to_change_places_opens_the_window():
    rate, latency = 2e9, 1.3e-6
    p0 = lanes_to_change_places(rate, latency, d_model=128, batch=2)
    assert crossover_length(p0, rate, latency) > 6 >= crossover_length(p0 - 1, rate, latency)
    # P r t > 16 b d^2 + 24 b d, written out
    assert p0 == math.floor(2 * 128 * (16 * 128 + 24) / (rate * latency)) + 1


def test_vector_lanes_follow_the_widest_instruction_set():
    assert cpu_vector_lanes({"sse2", "avx", "avx2", "avx512f"}) == 16
    assert cpu_vector_lanes({"sse2", "avx2"}) == 8 and cpu_vector_lanes({"asimd"}) == 4 and cpu_vector_lanes(set()) == 4
    lanes, counted = device_lanes("cpu")
    assert lanes == torch.get_num_threads() * cpu_vector_lanes() and "vector lanes" in counted


@pytest.fixture(scope="module")
def measured():
    return measure_lanes("cpu", batch=2, steps=64, repeats=3, peak_size=64)


def test_measurement_derives_r_and_t_from_its_timings(measured):
    assert isinstance(measured, Lanes) and measured.device == "cpu"
    assert measured.lane_rate == pytest.approx(2 * 64 ** 3 / measured.peak_timing.median / measured.lanes, rel=1e-15)
    assert measured.latency == pytest.approx(measured.step_timing.median / 64, rel=1e-15)
    spread = measured.spread()
    assert spread["lane_rate"][0] <= measured.lane_rate <= spread["lane_rate"][1]
    assert spread["latency"][0] <= measured.latency <= spread["latency"][1]
    summary = measured.summary()
    assert summary["lanes"] == f"{measured.lanes:,}" and summary["steps"] == "64"
    assert summary["to_change_places"] == f"{lanes_to_change_places(measured.lane_rate, measured.latency):,}"


def test_summary_quotes_the_spread_from_the_samples():
    lanes = Lanes(16, "test", 100, Timing((1.0, 2.0, 3.0)), Timing((4e-4, 5e-4, 6e-4)), 100, 2, "cpu")
    assert lanes.latency == 5e-6 and lanes.lane_rate == 2e6 / 2.0 / 16
    s = lanes.summary()
    assert s["latency_us"] == "5" and s["latency_range"] == "4.5 to 5.5"


def test_measuring_leaves_the_readers_random_stream_alone():
    state = torch.get_rng_state()
    measure_lanes("cpu", steps=16, repeats=1, peak_size=16)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("call, parameter", [
    (lambda: time_bounds([1.0], [1], lanes=0, lane_rate=1.0, latency=1.0), "lanes"),
    (lambda: time_bounds([1.0], [1], lanes=2**21, lane_rate=1.0, latency=1.0), "lanes"),
    (lambda: time_bounds([1.0], [1], lanes=4, lane_rate=-1.0, latency=1.0), "lane_rate"),
    (lambda: time_bounds([1.0], [1], lanes=4, lane_rate=1.0, latency=float("nan")), "latency"),
    (lambda: crossover_length(4, 1.0, 1.0, d_model=0), "d_model"),
    (lambda: crossover_length(4, 1.0, 1.0, batch=0), "batch"),
    (lambda: lanes_to_change_places(0.0, 1.0), "lane_rate"),
    (lambda: layer_costs((0, 4)), "seq_len"),
    (lambda: layer_costs("16"), "lengths"),
    (lambda: measure_lanes("cpu", steps=1), "steps"),
    (lambda: measure_lanes("cpu", batch=0), "batch"),
    (lambda: measure_lanes("tpu"), "device"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=names(parameter)):
        call()


def _run(lstm_seconds, transformer_seconds):
    """A Throughput at lengths 16 and 2048, width 128, batch 2, whose rounds all took the given times."""
    from helpers.measure.throughput import Throughput
    lengths = (16, 2048)
    lstm = tuple(Timing((s, s, s)) for s in lstm_seconds)
    transformer = tuple(Timing((s, s, s)) for s in transformer_seconds)
    rates = [np.array([2 * n / t.median for n, t in zip(lengths, ts)]) for ts in (lstm, transformer)]
    return Throughput(lengths, rates[0], rates[1], 128, 4, 2, "forward", 3, "cpu", {}, lstm, transformer)


def test_here_phrases_say_which_layer_was_faster_and_why_in_the_models_terms(monkeypatch):
    # 16 lanes of 2 GFLOP/s, t = 1.3 us: P r t is far below one LSTM step's 524,288 FLOPs
    few = Lanes(16, "test", 100, Timing((2 * 100 ** 3 / (16 * 2e9),) * 3), Timing((1.3e-4,) * 3), 100, 2, "cpu")
    assert few.lane_rate == pytest.approx(2e9) and crossover_length(16, 2e9, 1.3e-6) < 6
    s = here_phrases(_run((0.01, 0.1), (0.01, 1.0)), few)
    assert s["here_short"] == ("the LSTM was the faster layer at length 2048, 10 times faster: with this few lanes the "
                               "work decides, and the Transformer layer does more of it")
    assert "the Transformer layer took 10 times as long as the LSTM" in s["here_sentence"]
    assert "does 5 times as much of it" in s["here_sentence"] and s["nstar_here"].startswith("none")
    assert s["measured_by"].startswith("No GPU measured this page")          # built on a CPU
    assert s["who_decides"].endswith("the Transformer layer does 5 times as much of it.")
    assert s["price"].startswith("on a device with few lanes, like the one that built this page")
    many = Lanes(100_000, "test", 100, Timing((2 * 100 ** 3 / (100_000 * 2e9),) * 3), Timing((1.3e-4,) * 3), 100, 2,
                 "cuda")
    gpu_run = _run((0.01, 0.1), (0.01, 1.0))
    gpu_run.device = "cuda"
    monkeypatch.setattr("helpers.measure.lanes.device_phrase", lambda device: "a test GPU")   # no CUDA here
    s = here_phrases(gpu_run, many)
    assert s["measured_by"].startswith("This page was measured on a test GPU")
    assert s["who_decides"].startswith("On this device, with 100,000 lanes, the LSTM's chain already decides up to")
    assert "like the one that built this page" not in s["price"]
    s = here_phrases(_run((0.01, 1.0), (0.01, 0.1)), few)
    assert s["here_short"] == "the Transformer layer was the faster layer at length 2048, 10 times faster"
    s = here_phrases(_run((0.01, 1.0), (0.01, 1.0)), few)
    assert s["here_short"] == "the two layers were too close to rank at length 2048"


def test_published_phrases_are_the_model_with_each_gpus_own_numbers():
    from helpers.measure.published import published_lanes
    s = published_phrases(d_model=128, batch=2, length=2048)
    P, r, t = published_lanes("V100")
    assert s["V100_lanes"] == "5,120" and s["V100_latency_us"] == f"{1e6 * t:.2g}"
    assert s["V100_nstar"] == f"{float(f'{crossover_length(P, r, t):.2g}'):,.0f}"
    lstm_chain, transformer_work = 2048 * t, layer_flops(2048, 128, 2)["Transformer layer"] / (P * r)
    assert lstm_chain > layer_flops(2048, 128, 2)["LSTM"] / (P * r)          # the chain binds the LSTM there
    assert s["V100_ratio"] == format_ratio(lstm_chain / max(transformer_work, 6 * t))
