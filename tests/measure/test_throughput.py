"""Throughput of an LSTM and a Transformer layer (helpers/measure/throughput.py): the models, the work
counted, the measurement's bookkeeping and the phrases it writes.

No test asserts a time or a speed: those depend on the machine and its load.
"""
import numpy as np
import pytest
import torch

from helpers.measure.throughput import (
    MODES,
    Throughput,
    batch_phrases,
    count_parameters,
    expected_parameters,
    measure_throughput,
    measure_widths,
    parameter_table,
    throughput_models,
)


@pytest.fixture(scope="module")
def runs():
    return measure_widths(widths=(8, 16), lengths=(4, 16), nhead=2, batch=1, repeats=1, device="cpu")


@pytest.mark.parametrize("d_model", [8, 64, 128])
def test_both_layers_map_batch_seq_d_model_to_the_same_shape(d_model):
    x = torch.randn(3, 10, d_model)                                 # (batch, seq, d_model)
    models = throughput_models(d_model, nhead=4)
    lstm_out, (h, c) = models["LSTM"](x)
    assert lstm_out.shape == x.shape and h.shape == c.shape == (1, 3, d_model)
    assert models["Transformer layer"](x).shape == x.shape


@pytest.mark.parametrize("d_model", [8, 64, 256])
def test_parameter_counts_are_what_the_chapter_states(d_model):
    models = throughput_models(d_model, nhead=4)
    counted = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
    assert {name: count_parameters(m) for name, m in models.items()} == counted
    assert expected_parameters(d_model) == counted                 # 8d^2 + 8d and 8d^2 + 11d
    assert 1 < counted["Transformer layer"] / counted["LSTM"] < 1.1  # "comparable": within 10%


def test_parameter_table_rows_come_from_the_modules():
    table = parameter_table((64, 128), nhead=4)
    assert [row[0] for row in table.rows] == ["64", "128"]
    assert table.rows[0][1] == f"{8 * 64 * 64 + 8 * 64:,}" and table.rows[1][2] == f"{8 * 128 * 128 + 11 * 128:,}"


def test_the_same_seed_builds_the_same_weights_and_leaves_the_global_generator_alone():
    state = torch.get_rng_state()
    a, b = throughput_models(16, 4, seed=3), throughput_models(16, 4, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    for name in a:
        assert all(torch.equal(p, q) for p, q in zip(a[name].parameters(), b[name].parameters()))


@pytest.mark.parametrize("mode", MODES)
def test_measurement_has_one_positive_throughput_per_length_and_records_its_setting(mode):
    result = measure_throughput((4, 8, 16), d_model=8, nhead=2, batch=3, mode=mode, repeats=1, device="cpu")
    assert isinstance(result, Throughput) and result.lengths == (4, 8, 16) and result.mode == mode
    for values in (result.lstm, result.transformer):
        assert values.shape == (3,) and np.all(np.isfinite(values)) and np.all(values > 0)
    assert result.parameters == expected_parameters(8) and result.device == "cpu" and result.batch == 3
    assert len(result.table().rows) == 3


def test_summary_names_the_faster_layer_at_each_end():
    result = Throughput((32, 64, 128), np.array([100.0, 100.0, 100.0]), np.array([200.0, 90.0, 50.0]),
                        64, 4, 2, "forward", 3, "cpu", expected_parameters(64))
    s = result.summary()
    assert s["faster_shortest"] == "the Transformer layer" and s["faster_longest"] == "the LSTM"
    assert s["ratio_shortest"] == "2.00" and s["ratio_longest"] == "0.50"
    assert s["crossing"] == "the lead changed hands at length 64"
    flat = Throughput((32, 64), np.array([1.0, 1.0]), np.array([2.0, 3.0]), 64, 4, 2, "forward", 3, "cpu", {})
    assert flat.summary()["crossing"] == "the same layer led at every length measured"


def test_training_step_leaves_no_gradients_behind(monkeypatch):
    """The models the measurement itself builds and trains: each got gradients, and none kept them."""
    import helpers.measure.throughput as throughput
    built, accumulated = [], []

    def recording_models(*args, **kwargs):
        models = real_models(*args, **kwargs)
        built.append(models)
        for model in models.values():
            for p in model.parameters():
                p.register_post_accumulate_grad_hook(lambda p: accumulated.append(p))
        return models

    real_models = throughput.throughput_models
    monkeypatch.setattr(throughput, "throughput_models", recording_models)
    measure_throughput((4,), d_model=8, nhead=2, mode="training step", repeats=1, device="cpu")
    assert len(built) == 1
    parameters = [p for model in built[0].values() for p in model.parameters()]
    assert {id(p) for p in accumulated} == {id(p) for p in parameters}   # a backward pass reached every weight
    assert all(p.grad is None for p in parameters)                        # ... and its gradients were dropped


@pytest.mark.parametrize("kwargs, match", [
    (dict(lengths=(-4, 8)), "seq_len"),
    (dict(lengths=()), "lengths"),
    (dict(lengths=(16, 8)), "increasing"),
    (dict(d_model=30, nhead=4), "divisible by nhead"),
    (dict(d_model=0), "d_model"),
    (dict(batch=0), "batch"),
    (dict(mode="backward"), "mode"),
    (dict(repeats=0), "repeats"),
])
def test_bad_input_is_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        measure_throughput(**{"lengths": (4,), "d_model": 8, "nhead": 2, "repeats": 1, "device": "cpu", **kwargs})


def test_bad_widths_are_a_clear_error():
    with pytest.raises(ValueError, match="widths"):
        measure_widths(widths=())
    with pytest.raises(ValueError, match="divisible"):
        measure_widths(widths=(10,), nhead=4)


def test_work_per_token_counts_the_attention_term_that_grows_with_length():
    result = Throughput((32, 512), np.array([1.0, 1.0]), np.array([1.0, 1.0]), 64, 4, 2, "forward", 3, "cpu", {})
    lstm, transformer = result.macs_per_token()
    assert list(lstm) == [8 * 64 ** 2] * 2
    assert list(transformer) == [8 * 64 ** 2 + 2 * 32 * 64, 8 * 64 ** 2 + 2 * 512 * 64]
    assert result.summary()["work_ratio_longest"] == f"{1 + 512 / (4 * 64):.1f}"    # 1 + n / (4d)
    training = Throughput((32,), np.array([1.0]), np.array([1.0]), 64, 4, 2, "training step", 3, "cpu", {})
    assert training.flops()[0][0] == 8 * 2 * 64 ** 2 * (5 * 32 - 1)           # exact, see layer_flops
    assert list(result.flops()[0]) == [2 * 2 * n * 8 * 64 ** 2 for n in (32, 512)]
    assert result.fractions() is None                                           # no peak measured


def _fake(d, lstm, transformer, lengths=(32, 64, 128)):
    return Throughput(lengths, np.array(lstm, float), np.array(transformer, float), d, 4, 2, "forward", 3, "cpu", {})


def test_width_phrases_count_the_leaders_and_give_the_verdict_that_happened():
    from helpers.measure.throughput import width_phrases
    mixed = {64: _fake(64, [1, 1, 1], [2, 2, 0.5]), 128: _fake(128, [1, 1, 1], [2, 2, 2])}
    p = width_phrases(mixed, main=128, device="cpu")
    assert (p["led_transformer"], p["led_lstm"], p["led_all"]) == ("5", "1", "6")
    assert "does not hold" in p["verdict"] and p["w64_long"] == "the LSTM" and p["w128_long"] == "the Transformer layer"
    assert p["built_on"].startswith("a CPU with") and p["led_neither"] == "0"
    everywhere = width_phrases({128: mixed[128]}, main=128, device="cpu")
    assert everywhere["verdict"].startswith("as the picture")
    with pytest.raises(ValueError, match="main"):
        width_phrases(mixed, main=256, device="cpu")


def test_budget_phrases_name_the_cheaper_layer_and_the_factor():
    from helpers.measure.throughput import budget_phrases
    p = budget_phrases(_fake(64, [1e5, 1e5, 1e5], [2e5, 1e5, 2.5e4]), tokens=3.6e9)
    assert p["short_cheaper"] == "the Transformer layer" and p["short_cheap"] == "5.0" and p["short_dear"] == "10.0"
    assert p["long_cheaper"] == "the LSTM" and p["long_factor"] == "4.0"
    with pytest.raises(ValueError, match="tokens"):
        budget_phrases(_fake(64, [1, 1, 1], [1, 1, 1]), tokens=0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n, d, b", [(3, 8, 2), (12, 16, 1)])
def test_layer_flops_are_what_flop_counter_mode_counts(mode, n, d, b):
    from helpers.measure.hardware import count_work
    from helpers.measure.throughput import layer_flops
    x = torch.randn(b, n, d)
    for name, model in throughput_models(d, nhead=4).items():
        assert count_work(model, x, backward=mode != "forward").flops == layer_flops(n, d, b, mode)[name], name


def test_work_table_counts_n_dependent_products_for_the_lstm_and_six_for_the_transformer_layer():
    from helpers.measure.throughput import work_table
    table = work_table(lengths=(4, 32), d_model=8, nhead=2, batch=3)
    rows = {(r[0], r[1]): r for r in table.rows}
    assert rows[("LSTM", "32")][4] == "32" and rows[("LSTM", "4")][4] == "4"
    assert rows[("Transformer layer", "4")][4] == rows[("Transformer layer", "32")][4] == "6"
    assert rows[("LSTM", "32")][2] == f"{3 * 32 * 16 * 8 ** 2:,}" and rows[("LSTM", "32")][3] == f"{16 * 8 ** 2:,}"
    assert rows[("Transformer layer", "32")][3] == f"{16 * 8 ** 2 + 4 * 32 * 8:,}"


def test_measurement_keeps_every_round_and_the_peak(runs):
    result = runs[8]
    assert len(result.lstm_timings) == len(result.transformer_timings) == 2
    assert all(len(t.samples) == 1 for t in result.lstm_timings)
    assert len(result.peak_timings) == 2 and result.peak.flops_per_second > 0     # the probe took its turns too
    assert len(result.peak.timing.samples) == 2
    lstm, transformer = result.fractions()
    assert lstm.shape == transformer.shape == (2,) and (lstm > 0).all() and (transformer > 0).all()
    table = result.utilisation_table()
    assert [r[:2] for r in table.rows] == [("LSTM", "4"), ("Transformer layer", "4"), ("LSTM", "16"),
                                           ("Transformer layer", "16")]
    assert [r[3] for r in table.rows] == ["4", "6", "16", "6"]
    assert "peak" in result.summary() and result.summary()["lstm_peak_longest"].endswith("%")
    with pytest.raises(ValueError, match="lengths"):
        result.utilisation_table((5,))


def test_a_difference_inside_the_spread_is_not_ranked():
    from helpers.measure.throughput import budget_phrases
    from helpers.measure.timing import Timing
    noisy = (Timing((1.0, 1.2, 0.8)),)
    close = Throughput((64,), np.array([128.0]), np.array([128.0]), 64, 4, 2, "forward", 3, "cpu", {},
                       noisy, (Timing((1.1, 0.9, 1.0)),))
    assert close.faster(0) == "neither layer" and close.summary()["crossing"].startswith("neither layer")
    assert "too close to rank" in budget_phrases(close)["short"]
    clear = Throughput((64,), np.array([128.0]), np.array([64.0]), 64, 4, 2, "forward", 3, "cpu", {},
                       noisy, (Timing((2.0, 2.2, 1.8)),))
    assert clear.faster(0) == "the LSTM"
    assert budget_phrases(clear)["short"].endswith("(2.0 times as long)")


def test_batch_phrases_set_both_batches_side_by_side(runs):
    wide = measure_throughput((4, 16), 8, 2, batch=4, repeats=1, device="cpu")
    phrases = batch_phrases(runs[8], wide, 16)
    assert phrases["narrow_batch"] == "1" and phrases["wide_batch"] == "4" and phrases["length"] == "16"
    assert all(phrases[k].endswith("%") for k in ("narrow_lstm", "wide_lstm", "narrow_transformer", "wide_transformer"))
    assert "the LSTM" in phrases["wide_comparison"] and "the Transformer layer" in phrases["wide_comparison"]
    with pytest.raises(ValueError, match="^length"):
        batch_phrases(runs[8], wide, 8)
    with pytest.raises(ValueError, match="^narrow and wide"):
        batch_phrases(runs[16], wide, 16)
