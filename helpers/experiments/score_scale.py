"""Why the Transformer scales its dot products by 1/sqrt(d_k): the spread of q.k grows as sqrt(d),
and an unscaled softmax over wide vectors puts nearly all its weight on one key.

Used in: 1.7.
"""
import torch

from helpers.core.checks import check_int
from helpers.core.table import Table


def dot_product_spread(dims=(16, 64, 256, 1024), num_keys=64, samples=200, seed=0):
    """Why Transformers scale by 1/sqrt(d_k): the spread of q.k and what it does to the softmax.

    q and every key have independent N(0, 1) entries. Returns a Table: the measured standard
    deviation of q.k (theory: sqrt(d)), and the mean largest softmax weight over `num_keys` keys
    for unscaled and scaled scores (1/num_keys would be uniform; 1 is one-hot).
    """
    dims = [check_int("dim", d, 1, 8192) for d in dims]
    num_keys = check_int("num_keys", num_keys, 2, 4096)
    samples = check_int("samples", samples, 1, 100_000)
    g = torch.Generator().manual_seed(check_int("seed", seed, 0, 2**32 - 1))
    rows = []
    for d in dims:
        q = torch.randn(samples, 1, d, generator=g, dtype=torch.float64)
        k = torch.randn(samples, num_keys, d, generator=g, dtype=torch.float64)
        scores = (q * k).sum(-1)                                             # (samples, num_keys)
        top_unscaled = torch.softmax(scores, -1).max(-1).values.mean().item()
        top_scaled = torch.softmax(scores / d ** 0.5, -1).max(-1).values.mean().item()
        rows.append((str(d), f"{scores.std().item():.1f}", f"{d ** 0.5:.1f}", f"{top_unscaled:.2f}",
                     f"{top_scaled:.2f}"))
    return Table(("d", "std of q·k", "√d", f"largest weight, unscaled ({num_keys} keys)",
                  "largest weight, scaled by 1/√d"), tuple(rows))
