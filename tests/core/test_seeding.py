"""Seeds (helpers/core/seeding.py): seed_everything makes torch repeatable, and seeded(seed) gives
torch's global generator back as it found it."""
import pytest
import torch

from helpers.core.seeding import seed_everything, seeded
from helpers.figures.plots import round_sig


def test_seed_everything_makes_torch_repeatable():
    g1 = seed_everything(123)
    a, a_global = torch.rand(5, generator=g1), torch.rand(5)
    g2 = seed_everything(123)
    b, b_global = torch.rand(5, generator=g2), torch.rand(5)
    assert torch.equal(a, b) and torch.equal(a_global, b_global)
    assert not torch.equal(torch.rand(5, generator=seed_everything(124)), a)


def test_round_sig_and_seeded():
    assert round_sig([1234.5, 0.0012345, None]) == [1230.0, 0.00123, None]
    state = torch.get_rng_state()
    with seeded(3):
        a = torch.randn(3)
    with seeded(3):
        b = torch.randn(3)
    assert torch.equal(a, b) and torch.equal(torch.get_rng_state(), state)
    with pytest.raises(ValueError, match="^seed"):
        with seeded(-1):
            pass
