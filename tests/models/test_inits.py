"""The inits mean what they say (helpers/models/inits.py): a rescaled W_hh has the spectral radius
asked for, identity and orthogonal start at radius one, the orthogonal init is uniformly (Haar)
distributed, and a generator makes every init repeatable.

Tolerances are derived, never fitted (u = 2**-53, float64 throughout):
- LAPACK's eigenvalues and singular values are exact for a matrix A + E with ||E||_2 <= p(n) u ||A||_2
  (LAPACK Users' Guide, 3rd ed., sections 4.8, nonsymmetric eigenproblem, and 4.9, singular values:
  p(n) "a modestly growing function of n", taken as 1 in its own error bounds; we take p(n) = n).
- Bauer-Fike: every eigenvalue of a diagonalizable A + E lies within kappa_2(V) ||E||_2 of one of
  A's (V: the eigenvectors), so the spectral radius moves by at most that much; kappa_2(V) is
  computed from the matrix at hand (1 for normal matrices: identity, orthogonal).
- Singular values move by at most ||E||_2 (Weyl).
"""
import math
import re

import pytest
import torch

from helpers.models.inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius

U = 2.0 ** -53              # unit roundoff of float64


def gamma(n):
    """Higham's gamma_n = n u / (1 - n u): the relative error bound of a sum or dot product of n terms."""
    return n * U / (1 - n * U)


def eigen_error(w):
    """Bound on |computed - exact| spectral radius of w: Bauer-Fike with LAPACK's backward error,
    kappa_2(V) * n u ||w||_2 (see the module docstring)."""
    n = w.shape[-1]
    kappa = torch.linalg.cond(torch.linalg.eig(w).eigenvectors).item()
    return kappa * n * U * torch.linalg.matrix_norm(w, ord=2).item()


def rescale_allowance(w, target):
    """Bound on |spectral_radius(rescale_to_radius(w, target)) - target|, first order in u:
    - spectral_radius(w) is rho (1 + a) with |a| <= eigen_error(w) / rho, so the scale
      c = target / computed rho is target / rho (1 - a) (1 + u): a relative error |a| + u on the target;
    - c * w is rounded entry by entry (|F| <= u |c w|, ||F||_2 <= u ||c w||_F), which moves the
      radius by at most kappa u ||c w||_F (Bauer-Fike, same eigenvectors as w);
    - the radius of the result is computed with error at most eigen_error(c w) = c eigen_error(w).
    Doubled to cover the second-order terms and kappa being itself computed."""
    rho = spectral_radius(w).item()
    kappa = torch.linalg.cond(torch.linalg.eig(w).eigenvectors).item()
    c = target / rho
    first_order = (target * (eigen_error(w) / rho + U) + kappa * U * c * torch.linalg.matrix_norm(w).item()
                   + c * eigen_error(w))
    return 2 * first_order


@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("target", [0.05, 0.5, 1.0, 1.7, 3.0])
def test_rescale_to_radius_hits_the_target(init, target):
    w = recurrent_matrix(20, init, torch.Generator().manual_seed(11), torch.float64)
    rescaled = rescale_to_radius(w, target)
    radius, allowance = spectral_radius(rescaled).item(), rescale_allowance(w, target)
    assert abs(radius - target) <= allowance, (f"radius {radius!r} for target {target}: off by {abs(radius - target):.3e}, "
                                               f"allowed {allowance:.3e} (rescale_allowance: Bauer-Fike + LAPACK)")
    # only the scale changes: every entry is w_ij c rounded once, so rescaled / w is c (1 + d1)(1 + d2),
    # |d| <= u: within (2u + u^2) c of c, and any two such ratios within 2 (2u + u^2) c <= 5u |ratio[0]|
    ratio = rescaled[w != 0] / w[w != 0]
    spread = (ratio - ratio[0]).abs().max().item()
    assert spread <= 5 * U * ratio[0].abs().item(), f"ratios spread by {spread:.3e}, allowed 5u |c| (two roundings each)"


def test_rescale_to_radius_zero_gives_the_zero_matrix():
    w = recurrent_matrix(6, "orthogonal", torch.Generator().manual_seed(0))
    assert torch.count_nonzero(rescale_to_radius(w, 0.0)) == 0


def orthogonality_defect(w):
    """Bound on ||W^T W - I||_2 for the exact product, from the computed one: each entry of the computed
    W^T W is off by at most gamma_n (|W|^T |W|)_ij <= gamma_n ||w_i|| ||w_j|| (a dot product of n terms,
    Cauchy-Schwarz), so the error matrix has ||.||_2 <= ||.||_F <= gamma_n sum_i ||w_i||^2."""
    n = w.shape[-1]
    computed = torch.linalg.matrix_norm(w.T @ w - torch.eye(n, dtype=w.dtype), ord=2).item()
    return computed * (1 + n * U) + gamma(n) * (w * w).sum().item()


@pytest.mark.parametrize("init", ["identity", "orthogonal"])
@pytest.mark.parametrize("hidden_size", [1, 7, 64])
def test_identity_and_orthogonal_have_natural_radius_one(init, hidden_size):
    w = recurrent_matrix(hidden_size, init, torch.Generator().manual_seed(2), torch.float64)
    # singular values s of W satisfy |s - 1| <= |s^2 - 1| <= ||W^T W - I||_2 = d, every eigenvalue lies
    # between the smallest and largest s, and LAPACK adds at most n u ||W||_2 (Bauer-Fike, kappa = 1
    # for a normal matrix; Weyl for the singular values); W is normal up to d, which moves kappa by O(d)
    d = orthogonality_defect(w)
    allowance = 2 * (d + hidden_size * U * (1 + d))       # doubled for the second-order terms
    radius = spectral_radius(w).item()
    assert abs(radius - 1) <= allowance, f"radius {radius!r}, allowed 1 ± {allowance:.3e} (||W^T W - I|| + LAPACK)"
    # and their spectral norm (largest singular value) is 1 too, so no single step can grow h
    norm = torch.linalg.matrix_norm(w, ord=2).item()
    assert abs(norm - 1) <= allowance, f"spectral norm {norm!r}, allowed 1 ± {allowance:.3e}"


def householder_orthogonality(n):
    """Bound on ||Q^T Q - I||_F for Q formed by Householder QR in float64 (Higham, Accuracy and Stability,
    2nd ed., Lemma 19.3 and Theorem 19.4): each column of the computed Q is within gamma~_{n^2} =
    c n^2 u / (1 - c n^2 u) of an exactly orthonormal one; Higham leaves c a small integer, we take c = 16.
    Q^T Q - I is then at most 2 sqrt(n) gamma~ + n gamma~^2 in Frobenius norm."""
    g = 16 * n * n * U / (1 - 16 * n * n * U)
    return 2 * math.sqrt(n) * g + n * g * g


def test_orthogonal_is_orthogonal_and_default_xavier_respect_their_bounds():
    g = torch.Generator().manual_seed(9)
    q = recurrent_matrix(32, "orthogonal", g, torch.float64)
    # the product q^T q adds gamma_32 ||q_i|| ||q_j|| per entry: at most gamma_32 sum ||q_i||^2 in Frobenius norm
    allowance = householder_orthogonality(32) + gamma(32) * (q * q).sum().item()
    defect = torch.linalg.matrix_norm(q.T @ q - torch.eye(32, dtype=torch.float64)).item()
    assert defect <= allowance, f"||q^T q - I||_F = {defect:.3e}, allowed {allowance:.3e} (Householder QR, Higham 19.4)"
    d = recurrent_matrix(32, "default", g)
    x = recurrent_matrix(32, "xavier", g)
    assert d.abs().max() <= 1 / 32 ** 0.5 and x.abs().max() <= (6 / 64) ** 0.5
    # both fill their range rather than collapsing to a constant: 1024 independent uniform entries all
    # inside 90% of the range has probability 0.9**1024 < 1e-46 (a draw of this seed, checked either way)
    assert d.abs().max() > 0.9 / 32 ** 0.5 and x.abs().max() > 0.9 * (6 / 64) ** 0.5
    assert d.dtype == torch.float32 and q.dtype == torch.float64


def test_orthogonal_is_the_gaussian_draws_q_with_a_positive_diagonal_r():
    """The Haar-distributed Q is the Q of the draw A = Q R whose R has a positive diagonal (the QR that
    is unique): so diag(Q^T A) = diag(R) > 0. LAPACK's Householder QR gives R_kk = -sign(pivot) |R_kk|,
    so without the sign fix about half of diag(Q^T A) is negative (the first whenever a_11 > 0)."""
    n, seed = 8, 5
    a = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)  # the init's draw
    q = recurrent_matrix(n, "orthogonal", torch.Generator().manual_seed(seed), torch.float64)
    # a sign means something only where |R_kk| is far above the rounding of QR and of Q^T A (about
    # n^2 u ||A|| = 1e-14 ||A||): this draw's smallest |R_kk| must clear 1e-6 ||A||
    smallest = torch.linalg.qr(a).R.diagonal().abs().min().item()
    assert smallest > 1e-6 * a.norm().item(), "this seed's draw has an |R_kk| too small to compare signs"
    diagonal = (q.T @ a).diagonal()
    assert (diagonal > 0).all(), f"diag(Q^T A) = {diagonal.tolist()}: R's diagonal must be positive"


def test_orthogonal_is_uniformly_distributed_its_first_entry_is_positive_half_the_time():
    """Haar-distributed Q: Q_11 has a symmetric distribution, so over m independent draws the number K of
    negative Q_11 is Binomial(m, 1/2). Hoeffding: P(|K/m - 1/2| >= t) <= 2 exp(-2 m t^2); with m = 400,
    t = 0.15 that is 2 exp(-18) < 3.1e-8, the chance that a correct init fails here for a random seed.
    Without the sign fix LAPACK's QR makes Q_11 = -|a_11| / ||a_1|| < 0 every time: K/m = 1."""
    m, t = 400, 0.15
    g = torch.Generator().manual_seed(0)
    negative = sum(recurrent_matrix(8, "orthogonal", g, torch.float64)[0, 0].item() < 0 for _ in range(m))
    assert abs(negative / m - 0.5) < t, (f"{negative} of {m} draws had Q_11 < 0; a Haar Q gives m/2 ± {t * m:.0f} "
                                         f"except with probability < 3.1e-8 (Hoeffding)")


def test_spectral_radius_works_on_a_batch():
    g = torch.Generator().manual_seed(4)
    targets = (0.3, 0.9, 1.4, 2.0)
    originals = [recurrent_matrix(10, init, g, torch.float64) for init in INITS]
    batch = torch.stack([rescale_to_radius(w, r) for w, r in zip(originals, targets)])
    radii = spectral_radius(batch)
    assert radii.shape == (4,) and radii.dtype == torch.float64
    for init, w, target, radius in zip(INITS, originals, targets, radii.tolist()):
        allowance = rescale_allowance(w, target)
        assert abs(radius - target) <= allowance, f"{init}: radius {radius!r}, target {target} ± {allowance:.3e}"


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
