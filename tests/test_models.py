"""The step-by-step TanhRNN is the same function as torch.nn.RNN, and the inits mean what they say.

The course writes the recurrence out by hand so a reader can see every step; these tests make
sure that hand-written loop computes exactly what PyTorch's fused nn.RNN computes, forwards and
backwards, whatever init drew W_hh.
"""
import pytest
import torch

from helpers.inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius
from helpers.models import TanhRNN


def _pair(init, radius=None, input_size=3, hidden_size=8, seed=0):
    """A TanhRNN and the nn.RNN built from it, both moved to float64 after the copy."""
    model = TanhRNN(input_size, hidden_size, init=init, radius=radius,
                    generator=torch.Generator().manual_seed(seed))
    reference = model.to_torch()
    return model.double(), reference.double()


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("with_h0", [False, True])
def test_tanh_rnn_matches_nn_rnn_forward_and_backward(init, with_h0):
    model, reference = _pair(init, radius=1.2 if init != "default" else None)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(25, 4, 3, generator=g, dtype=torch.float64)
    h0 = torch.randn(4, 8, generator=g, dtype=torch.float64) if with_h0 else None
    probe = torch.randn(25, 4, 8, generator=g, dtype=torch.float64)   # a loss that weighs every step

    x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, h_last = model(x_ours, h0)
    out_ref, h_ref = reference(x_ref, None if h0 is None else h0.unsqueeze(0))
    torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_last, h_ref.squeeze(0), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_last, out[-1], rtol=0, atol=0)

    (out * probe).sum().backward()
    (out_ref * probe).sum().backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-10, atol=1e-12)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        ours, theirs = getattr(model, name).grad, getattr(reference, name + "_l0").grad
        assert ours is not None and ours.abs().sum() > 0, f"{name} got no gradient"
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12, msg=f"gradient of {name} differs")


def test_tanh_rnn_float32_matches_nn_rnn():
    model = TanhRNN(2, 16, init="orthogonal", radius=0.9, generator=torch.Generator().manual_seed(5))
    reference = model.to_torch()
    x = torch.randn(50, 3, 2, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(model(x)[0], reference(x)[0], rtol=1e-5, atol=1e-6)


def test_to_torch_copies_rather_than_shares_weights():
    model = TanhRNN(1, 4)
    reference = model.to_torch()
    with torch.no_grad():
        model.weight_hh.zero_()
    assert reference.weight_hh_l0.abs().sum() > 0


def test_tanh_rnn_radius_sets_spectral_radius_and_generator_makes_it_repeatable():
    a = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(3))
    b = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(3))
    c = TanhRNN(1, 12, init="xavier", radius=0.75, generator=torch.Generator().manual_seed(4))
    assert spectral_radius(a.weight_hh).item() == pytest.approx(0.75, rel=1e-6)
    for name, p in a.named_parameters():
        assert torch.equal(p, dict(b.named_parameters())[name])
    assert not torch.equal(a.weight_hh, c.weight_hh)


# --- inits and the spectral radius ------------------------------------------------------------

@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("target", [0.05, 0.5, 1.0, 1.7, 3.0])
def test_rescale_to_radius_hits_the_target(init, target):
    w = recurrent_matrix(20, init, torch.Generator().manual_seed(11), torch.float64)
    rescaled = rescale_to_radius(w, target)
    assert spectral_radius(rescaled).item() == pytest.approx(target, rel=1e-10)
    # only the scale changes: the rescaled matrix is a multiple of the original
    ratio = rescaled[w != 0] / w[w != 0]
    torch.testing.assert_close(ratio, torch.full_like(ratio, ratio[0].item()))


def test_rescale_to_radius_zero_gives_the_zero_matrix():
    w = recurrent_matrix(6, "orthogonal", torch.Generator().manual_seed(0))
    assert torch.count_nonzero(rescale_to_radius(w, 0.0)) == 0


@pytest.mark.parametrize("init", ["identity", "orthogonal"])
@pytest.mark.parametrize("hidden_size", [1, 7, 64])
def test_identity_and_orthogonal_have_natural_radius_one(init, hidden_size):
    w = recurrent_matrix(hidden_size, init, torch.Generator().manual_seed(2), torch.float64)
    assert spectral_radius(w).item() == pytest.approx(1.0, abs=1e-12)
    # and their spectral norm (largest singular value) is 1 too, so no single step can grow h
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=1e-12)


def test_orthogonal_is_orthogonal_and_default_xavier_respect_their_bounds():
    g = torch.Generator().manual_seed(9)
    q = recurrent_matrix(32, "orthogonal", g, torch.float64)
    torch.testing.assert_close(q.T @ q, torch.eye(32, dtype=torch.float64))
    d = recurrent_matrix(32, "default", g)
    x = recurrent_matrix(32, "xavier", g)
    assert d.abs().max() <= 1 / 32 ** 0.5 and x.abs().max() <= (6 / 64) ** 0.5
    # both fill their range rather than collapsing to a constant
    assert d.abs().max() > 0.9 / 32 ** 0.5 and x.abs().max() > 0.9 * (6 / 64) ** 0.5
    assert d.dtype == torch.float32 and q.dtype == torch.float64


def test_spectral_radius_works_on_a_batch():
    g = torch.Generator().manual_seed(4)
    batch = torch.stack([rescale_to_radius(recurrent_matrix(10, init, g, torch.float64), r)
                         for init, r in zip(INITS, (0.3, 0.9, 1.4, 2.0))])
    torch.testing.assert_close(spectral_radius(batch), torch.tensor([0.3, 0.9, 1.4, 2.0], dtype=torch.float64))


def test_recurrent_matrix_is_repeatable_from_a_generator():
    for init in INITS:
        a = recurrent_matrix(8, init, torch.Generator().manual_seed(1))
        b = recurrent_matrix(8, init, torch.Generator().manual_seed(1))
        assert torch.equal(a, b)
        if init != "identity":
            assert not torch.equal(a, recurrent_matrix(8, init, torch.Generator().manual_seed(2)))
