"""Work and critical path, counted: FlopCounterMode and the chain counter against the formulas.

These counts are the machine-independent half of the hardware argument, so they are checked
exactly. The peak is measured, so only its bookkeeping is tested.
"""
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from helpers.measure.hardware import (
    ATTENTION_PRODUCT_DEPENDENT,
    TRANSFORMER_LAYER_DEPENDENT,
    Peak,
    Work,
    attention_product_flops,
    count_work,
    format_rate,
    fraction_of_peak,
    lstm_flops,
    matmul_peak,
    rnn_flops,
    transformer_layer_flops,
)
from helpers.measure.timing import Timing


@pytest.mark.parametrize("device", ["meta", "cpu"])
@pytest.mark.parametrize("n, d, b", [(1, 8, 1), (7, 16, 3)])
def test_rnn_and_lstm_counts_match_the_formulas_and_their_chain_is_n_long(device, n, d, b):
    x = torch.randn(n, b, d)
    assert count_work(nn.RNN(d, d), x, device=device).flops == rnn_flops(n, d, d, b)
    assert count_work(nn.RNN(d, d), x, device=device).dependent == n
    bi = count_work(nn.RNN(d, d, bidirectional=True), x, device=device)
    assert (bi.flops, bi.dependent) == (2 * rnn_flops(n, d, d, b), n)        # twice the work, the same chain
    lstm = count_work(nn.LSTM(d, 2 * d), x, device=device)
    assert (lstm.flops, lstm.dependent) == (lstm_flops(n, d, 2 * d, b), n)


def test_a_half_width_birnn_does_three_quarters_of_the_forward_rnns_work():
    n, d, b = 10, 16, 2
    x = torch.randn(n, b, d)
    half = count_work(nn.RNN(d, d // 2, bidirectional=True), x)
    assert half.flops * 4 == 3 * count_work(nn.RNN(d, d), x).flops and half.dependent == n


@pytest.mark.parametrize("n", [1, 5, 64])
def test_transformer_layer_count_matches_the_formula_and_its_chain_does_not_grow(n):
    d, b = 16, 2
    layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=3 * d, dropout=0.0, batch_first=True)
    for mode in ("train", "eval"):                 # eval would take PyTorch's fused fast path if run for real
        getattr(layer, mode)()
        work = count_work(layer, torch.randn(b, n, d))
        assert work.flops == transformer_layer_flops(n, d, 3 * d, b)
        assert work.dependent == TRANSFORMER_LAYER_DEPENDENT and work.products == 6


def test_counts_agree_with_flop_counter_mode_run_directly():
    d, n, b = 8, 6, 2
    lstm = nn.LSTM(d, d)
    x = torch.randn(n, b, d, dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:
        lstm.double()(x)                                          # float64: PyTorch's reference decomposition
    assert count_work(lstm, x).flops == counter.get_total_flops() == lstm_flops(n, d, d, b)


def test_attention_product_is_two_dependent_products():
    from helpers.measure.bottleneck import attention_product
    work = count_work(attention_product, torch.randn(3, 20, 8))
    assert work == Work(attention_product_flops(20, 8, 3), 2, ATTENTION_PRODUCT_DEPENDENT)


def long_chain_then_a_shallow_product(a, b):
    """Five products in a chain (a b b b b b), then one independent product a b, computed last."""
    chain = a
    for _ in range(5):
        chain = torch.tanh(chain @ b)            # element-wise steps between products add no depth
    shallow = a @ b
    return chain, shallow


def test_the_critical_path_is_the_longest_chain_not_the_last_product():
    """The last product computed is one deep; an earlier chain is five deep: the critical path is five."""
    n = 4
    work = count_work(long_chain_then_a_shallow_product, torch.randn(n, n), torch.randn(n, n))
    assert work == Work(6 * 2 * n ** 3, 6, 5), f"counted {work}: the longest chain is 5 products, the last is 1 deep"


def test_products_on_independent_branches_do_not_add_up():
    """Two chains of 3 from the same input, joined by an addition: the critical path is 3, not 6."""
    def two_branches(a, b):
        left, right = a, a
        for _ in range(3):
            left, right = left @ b, right @ b.T
        return left + right
    work = count_work(two_branches, torch.randn(5, 5), torch.randn(5, 5))
    assert (work.products, work.dependent) == (6, 3), f"counted {work}"


def test_backward_counts_more_work_and_a_longer_chain():
    d, n = 8, 5
    lstm = nn.LSTM(d, d)
    x = torch.randn(n, 1, d)
    forward, training = count_work(lstm, x), count_work(lstm, x, backward=True)
    assert training.flops > 2 * forward.flops and training.dependent == 2 * n


def test_counting_leaves_the_original_module_and_input_alone():
    rnn = nn.RNN(4, 4)
    before = [p.clone() for p in rnn.parameters()]
    x = torch.randn(3, 1, 4)
    count_work(rnn, x, device="cpu")
    assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in rnn.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, rnn.parameters()))


def test_a_fused_kernel_is_refused_rather_than_counted_as_nothing():
    from helpers.measure.hardware import _ProductChain
    lstm = nn.LSTM(4, 4)
    x = torch.randn(3, 1, 4)
    if not torch.backends.mkldnn.is_available():
        pytest.skip("no oneDNN: nn.LSTM in float32 is not fused on this build")
    with pytest.raises(RuntimeError, match="fused kernel"):
        with torch.no_grad(), _ProductChain():
            lstm(x)                                   # float32 on the CPU: oneDNN's fused LSTM


def test_peak_and_fraction_bookkeeping():
    # binary fractions: 2e9 / 0.25 = 8e9 and 1e9 / 0.5 / 8e9 = 0.25 are exact in floating point
    peak = Peak(1000, Timing((0.125, 0.25, 0.5)), "cpu")
    assert peak.flops_per_second == 8e9
    assert peak.describe() == "a 1000 × 1000 float32 matrix product: 8 GFLOP/s"
    assert fraction_of_peak(1e9, 0.5, peak) == 0.25 == fraction_of_peak(1e9, 0.5, 8e9)
    assert [format_rate(v) for v in (2.5e12, 9.24e10, 8.5e8, 12.0)] == ["2.5 TFLOP/s", "92.4 GFLOP/s",
                                                                        "850 MFLOP/s", "12 FLOP/s"]
    measured = matmul_peak("cpu", size=64, repeats=2)
    assert measured.size == 64 and len(measured.timing.samples) == 2 and measured.flops_per_second > 0


@pytest.mark.parametrize("call, message", [
    (lambda: count_work(nn.RNN(2, 2), torch.randn(1, 1, 2), device="cuda"), "device must be"),
    (lambda: rnn_flops(0, 2, 2), "seq_len"),
    (lambda: transformer_layer_flops(4, 8, 0), "dim_feedforward"),
    (lambda: matmul_peak("cpu", size=8), "size"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_peak_probe_is_timed_with_the_models_and_pooled():
    from helpers.measure.hardware import format_percent, fractions_by_length, peak_probe, pooled_peak
    size, probe = peak_probe("cpu", size=32)
    assert size == 32 and probe().shape == (32, 32)
    peak = pooled_peak(32, [Timing((1.0, 2.0)), Timing((3.0,))], "cpu")
    assert peak.timing.samples == (1.0, 2.0, 3.0) and peak.timing.median == 2.0
    # a model doing 2 * 32**3 FLOPs in twice the probe's time, length by length: half the peak
    fractions = fractions_by_length([2 * 32 ** 3] * 2, [2.0, 6.0], 32, [Timing((1.0,)), Timing((3.0,))])
    assert list(fractions) == [0.5, 0.5]
    assert [format_percent(f) for f in (0.0374, 0.74, 1.2)] == ["3.7%", "74%", "120%"]
