"""Initial recurrent matrices W_hh, and rescaling them to a chosen spectral radius.

|W_h| in this course is the spectral radius rho(W_hh) = max |eigenvalue|. It sets the long-run
growth rate of a product of Jacobians in the linear regime. The spectral norm (largest singular
value) bounds the growth of any single step; for orthogonal and identity matrices the two agree.

Used in: 1.3, the summary.
"""
import math

import torch

from helpers.core.checks import check_choice, check_dtype, check_float, check_generator, check_int

INITS = ("default", "xavier", "orthogonal", "identity")


def recurrent_matrix(hidden_size, init, generator=None, dtype=torch.float32):
    """A (hidden_size, hidden_size) matrix drawn the way `init` prescribes, at its natural scale."""
    hidden_size = check_int("hidden_size", hidden_size, 1)
    check_choice("init", init, INITS)
    check_generator(generator)
    check_dtype(dtype)
    shape = (hidden_size, hidden_size)
    if init == "default":  # torch.nn.RNN: U(-1/sqrt(H), 1/sqrt(H))
        bound = 1 / math.sqrt(hidden_size)
        return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).mul(bound).to(dtype)
    if init == "xavier":  # Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))
        bound = math.sqrt(6 / (2 * hidden_size))
        return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).mul(bound).to(dtype)
    if init == "orthogonal":  # QR of a Gaussian matrix, signs fixed so Q is uniformly distributed
        q, r = torch.linalg.qr(torch.randn(shape, generator=generator, dtype=torch.float64))
        return (q * torch.sign(torch.diagonal(r))).to(dtype)
    return torch.eye(hidden_size, dtype=dtype)


def spectral_radius(weight):
    """max |eigenvalue| of a square matrix, or of each matrix in a batch (..., H, H)."""
    if not isinstance(weight, torch.Tensor) or weight.dim() < 2 or weight.shape[-1] != weight.shape[-2]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight must be a square matrix (..., H, H) tensor, got {shape}")
    eigenvalues = torch.linalg.eigvals(weight.detach().to(torch.float64).cpu())
    return eigenvalues.abs().amax(dim=-1)


def rescale_to_radius(weight, radius):
    """Scale `weight` so that its spectral radius equals `radius` (its eigenvectors are unchanged)."""
    radius = check_float("radius", radius, low=0.0)
    current = spectral_radius(weight).item()
    if current == 0.0:
        raise ValueError("cannot rescale a matrix whose spectral radius is 0 (all eigenvalues are zero)")
    return weight * (radius / current)
