"""Content-based addressing of an external memory (Neural Turing Machine, Differentiable Neural Computer).

A head emits a key k and a sharpness beta >= 0; every memory row M(i) gets the weight

    w(i) = exp(beta * cos(k, M(i))) / sum_j exp(beta * cos(k, M(j)))

and a read returns sum_i w(i) M(i). That is attention: a softmax over query-key similarities, then a
weighted sum of values, with cosine for the similarity, beta for the temperature, and the memory
rows serving as keys and values at once. `content_read` is cross-checked against
torch.nn.functional.scaled_dot_product_attention in the tests.

Used in: 1.7.
"""
import torch

from helpers.core.checks import check_float


def content_weights(key, memory, beta):
    """Softmax over rows of beta * cosine(key, row). key: (..., width); memory: (..., rows, width)."""
    beta = check_float("beta", beta, low=0.0)
    if key.shape[-1] != memory.shape[-1] or memory.dim() < 2:
        raise ValueError(f"key (..., width) and memory (..., rows, width) must share the width, got shapes "
                         f"{tuple(key.shape)} and {tuple(memory.shape)}")
    cosine = torch.nn.functional.cosine_similarity(key.unsqueeze(-2), memory, dim=-1, eps=1e-8)   # (..., rows)
    return torch.softmax(beta * cosine, dim=-1)


def content_read(key, memory, beta):
    """The read vector sum_i w(i) M(i) and the weights w."""
    weights = content_weights(key, memory, beta)
    return (weights.unsqueeze(-1) * memory).sum(-2), weights
