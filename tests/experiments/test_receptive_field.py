"""The receptive-field formula matches a real stack of causal convolutions, and the layer counts follow."""
import pytest

from helpers.experiments.receptive_field import CausalConvStack, layers_needed, layers_table, measured_receptive_field, receptive_field


@pytest.mark.parametrize("num_layers", [0, 1, 2, 3, 5, 7])
@pytest.mark.parametrize("kernel_size", [2, 3, 5])
@pytest.mark.parametrize("dilation_growth", [1, 2])
def test_formula_equals_the_inputs_a_real_conv_stack_depends_on(num_layers, kernel_size, dilation_growth):
    assert measured_receptive_field(num_layers, kernel_size, dilation_growth) == \
        receptive_field(num_layers, kernel_size, dilation_growth)


def test_closed_forms_exponential_when_dilated_linear_when_plain():
    for L in range(12):
        for k in (2, 3, 4):
            assert receptive_field(L, k) == 1 + (k - 1) * (2 ** L - 1)
            assert receptive_field(L, k, dilation_growth=1) == 1 + L * (k - 1)


def test_published_examples():
    assert receptive_field(10, 2) == 1024           # WaveNet: one block of dilations 1..512 sees 1024 samples
    assert receptive_field(6, 5, dilation_growth=1) == 25   # ConvS2S: six layers of width 5 see 25 tokens


def test_the_stack_is_causal_and_keeps_the_length():
    import torch
    stack = CausalConvStack(3, 3)
    x = torch.randn(1, 1, 20)
    y = stack(x)
    assert y.shape[-1] == 20
    x2 = x.clone()
    x2[..., 10:] += 1.0                             # change the future: outputs before 10 must not move
    assert torch.equal(stack(x2)[..., :10], y[..., :10])


def test_layers_needed_is_the_smallest_sufficient_depth():
    assert layers_needed(512, 2) == 9               # the common "~9 layers for 512 tokens" (k = 2)
    assert layers_needed(512, 3) == 9               # k = 3 with 8 layers sees 511 tokens: one short
    assert receptive_field(8, 3) == 511
    assert layers_needed(512, 2, dilated=False) == 511
    assert layers_needed(512, 3, dilated=False) == 256
    assert layers_needed(1, 2) == 0
    for n in (2, 17, 100, 513, 5000):
        for k in (2, 3, 7):
            for dilated in (True, False):
                L, g = layers_needed(n, k, dilated), 2 if dilated else 1
                assert receptive_field(L, k, g) >= n > receptive_field(L - 1, k, g)


@pytest.mark.parametrize("call, message", [
    (lambda: receptive_field(-1, 2), "num_layers"),
    (lambda: receptive_field(3, 0), "kernel_size"),
    (lambda: receptive_field(3, 2, dilation_growth=0), "dilation_growth"),
    (lambda: layers_needed(0, 2), "distance"),
    (lambda: layers_needed(512, 1), "kernel_size"),
    (lambda: layers_needed(512.0, 2), "distance"),
    (lambda: layers_table((), (2,)), "distances"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
