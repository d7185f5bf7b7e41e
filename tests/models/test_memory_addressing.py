"""NTM content addressing is scaled dot-product attention on unit vectors with scale beta."""
import pytest
import torch
import torch.nn.functional as F

from helpers.models.memory_addressing import content_read, content_weights


def test_content_read_equals_sdpa_on_normalised_keys():
    g = torch.Generator().manual_seed(0)
    memory, key = torch.randn(2, 10, 6, generator=g, dtype=torch.float64), torch.randn(2, 6, generator=g, dtype=torch.float64)
    read, weights = content_read(key, memory, beta=5.0)
    q, k = F.normalize(key, dim=-1).unsqueeze(1), F.normalize(memory, dim=-1)
    expected = F.scaled_dot_product_attention(q, k, memory, scale=5.0)[:, 0]
    assert torch.allclose(read, expected, atol=1e-12)
    assert torch.allclose(weights.sum(-1), torch.ones(2, dtype=torch.float64))


def test_beta_sharpens_the_weights():
    g = torch.Generator().manual_seed(1)
    memory, key = torch.randn(8, 4, generator=g), torch.randn(4, generator=g)
    flat, sharp = content_weights(key, memory, 0.0), content_weights(key, memory, 50.0)
    assert torch.allclose(flat, torch.full((8,), 1 / 8))
    assert sharp.max() > 0.9
    assert sharp.argmax() == F.cosine_similarity(key.unsqueeze(0), memory).argmax()


@pytest.mark.parametrize("call, message", [
    (lambda: content_weights(torch.zeros(3), torch.zeros(5, 3), -1.0), "beta"),
    (lambda: content_weights(torch.zeros(4), torch.zeros(5, 3), 1.0), "width"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
