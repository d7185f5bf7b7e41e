"""The inits mean what they say (helpers/models/inits.py): a rescaled W_hh has the spectral radius
asked for, identity and orthogonal start at radius one, and a generator makes every init repeatable."""
import re

import pytest
import torch

from helpers.models.inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius


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


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -3.0])
def test_radius_message_reports_the_bad_value(value):
    with pytest.raises(ValueError, match=r"^radius must be a finite number >= 0.*got " + re.escape(str(value))):
        rescale_to_radius(torch.eye(2), value)


def test_rescaling_a_nilpotent_matrix_is_refused():
    nilpotent = torch.tensor([[0.0, 1.0], [0.0, 0.0]])   # spectral radius 0: no scale reaches 1.0
    with pytest.raises(ValueError, match="spectral radius is 0"):
        rescale_to_radius(nilpotent, 1.0)
