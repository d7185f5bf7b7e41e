"""How the gradient of a loss at the last step reaches every earlier step of a tanh RNN.

BPTT written as the product of Jacobians it is:
    dL/dh_{t-1} = W_hh^T [ (1 - h_t^2) * dL/dh_t ],     dL/dx_t = W_ih^T [ (1 - h_t^2) * dL/dh_t ]
The recursion runs on a whole batch of recurrent matrices at once (every init and every |W_h| of a
grid in one pass), on the GPU when there is one. tests/test_gradient_flow.py checks it against
autograd through torch.nn.RNN.

Numbers are computed in `dtype` (float32, as training would) so that a gradient that overflows to
inf or underflows to exactly 0 does so here too; each is reported with the step where it began.
Norms are accumulated in float64, so a float32 vector of tiny entries keeps a nonzero norm.

Used in: 1.3.
"""
import contextlib
import functools
from dataclasses import dataclass, field

import numpy as np
import torch

from helpers.core.checks import check_choice, check_device, check_dtype, check_float, check_int, check_seed
from helpers.models.inits import INITS, recurrent_matrix, spectral_radius

MAX_SEQ_LEN = 100_000
MAX_HIDDEN = 4096
SMALL_HIDDEN = 128   # below this, the CPU recursion runs on one thread


@dataclass
class GradientFlow:
    """Per-step gradient norms for a grid of inits x radii. Arrays are indexed [init, radius, t]."""
    inits: tuple
    radii: np.ndarray
    seq_len: int
    hidden_size: int
    dtype: str
    grad_h: np.ndarray          # ||dL/dh_t||, float64
    grad_x: np.ndarray          # ||dL/dx_t||, float64
    overflow_step: np.ndarray   # [init, radius]: latest t whose norm is inf or NaN, -1 if none
    underflow_step: np.ndarray  # [init, radius]: latest t whose norm is exactly 0, -1 if none
    natural_radius: dict = field(default_factory=dict)  # spectral radius of each init before rescaling

    def curve(self, init, radius):
        """The ||dL/dh_t|| curve for one init and the grid radius closest to `radius`."""
        i = self.inits.index(check_choice("init", init, self.inits))
        return self.grad_h[i, int(np.abs(self.radii - radius).argmin())]


def _first_bad_step(norms, bad):
    """Latest step t where `bad` holds (the gradient flows backwards, so trouble begins there)."""
    seq_len = norms.shape[-1]
    mask = bad(norms)
    latest = seq_len - 1 - np.argmax(mask[..., ::-1], axis=-1)
    return np.where(mask.any(axis=-1), latest, -1)


def bptt_gradients(w_hh, w_ih, inputs, readout, bias=None):
    """dL/dh_t and dL/dx_t for L = readout . h_T, for a batch of recurrent matrices.

    w_hh: (B, H, H); w_ih: (H, I); inputs: (T, I), shared by the batch; readout: (H,).
    Returns two tensors of shape (T, B, H) and (T, B, I).
    """
    batch, hidden, _ = w_hh.shape
    if w_hh.device.type == "cpu" and hidden < SMALL_HIDDEN:
        # each step is a tiny matrix product: splitting it over threads costs more than it saves,
        # and on a busy machine every step then waits for all cores (10 ms became 150 ms)
        with _torch_threads(1):
            return _bptt(w_hh, w_ih, inputs, readout, bias)
    return _bptt(w_hh, w_ih, inputs, readout, bias)


@contextlib.contextmanager
def _torch_threads(n):
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _bptt(w_hh, w_ih, inputs, readout, bias):
    seq_len = inputs.shape[0]
    batch, hidden, _ = w_hh.shape
    drive = inputs @ w_ih.T + (0 if bias is None else bias)   # (T, H): the input's share of each step
    w_hh_t = w_hh.transpose(1, 2)
    h = w_hh.new_zeros(batch, 1, hidden)
    states = w_hh.new_empty(seq_len, batch, hidden)
    with torch.no_grad():
        for t in range(seq_len):
            h = torch.tanh(torch.baddbmm(drive[t].expand(batch, 1, hidden), h, w_hh_t))
            states[t] = h.squeeze(1)
        local = 1 - states * states                           # tanh'(a_t) = 1 - h_t^2
        grad_h = w_hh.new_empty(seq_len, batch, hidden)
        g = readout.expand(batch, hidden).clone()              # dL/dh_T
        grad_h[-1] = g
        for t in range(seq_len - 1, 0, -1):
            g = torch.bmm((g * local[t]).unsqueeze(1), w_hh).squeeze(1)   # one Jacobian transposed
            grad_h[t - 1] = g
        grad_x = (grad_h * local) @ w_ih
    return grad_h, grad_x


@functools.lru_cache(maxsize=32)
def _recurrent_bases(hidden_size, inits, seed):
    """Each init's W_hh at its natural scale, and its spectral radius (cached: the explorer asks
    for the same matrices at every slider move, and eigvals of a 256 x 256 matrix is not free)."""
    bases = [recurrent_matrix(hidden_size, init, torch.Generator().manual_seed(seed + k), torch.float64)
             for k, init in enumerate(INITS) if init in inits]
    return bases, {init: float(spectral_radius(b)) for init, b in zip(inits, bases)}


def _input_side(hidden_size, input_size, seq_len, seed):
    """Input weights, inputs x_t ~ N(0, 1) and a unit read-out vector, shared by every W_hh."""
    g = torch.Generator().manual_seed(seed + len(INITS))
    bound = 1 / np.sqrt(hidden_size)
    w_ih = (torch.rand(hidden_size, input_size, generator=g, dtype=torch.float64) * 2 - 1) * bound
    readout = torch.randn(hidden_size, generator=g, dtype=torch.float64)
    inputs = torch.randn(seq_len, input_size, generator=g, dtype=torch.float64)
    return w_ih, inputs, readout / readout.norm()


def gradient_flow(radii, inits=INITS, seq_len=100, hidden_size=64, input_size=1, seed=0,
                  dtype=torch.float32, device="cpu"):
    """Gradient norms at every step for each init in `inits` rescaled to each spectral radius.

    The inputs x_t ~ N(0, 1), the input weights and the readout are drawn from `seed`, shared by
    every configuration, so the grid differs only in W_hh. The loss is L = v . h_T with |v| = 1.
    """
    seq_len = check_int("seq_len", seq_len, 1, MAX_SEQ_LEN)
    hidden_size = check_int("hidden_size", hidden_size, 1, MAX_HIDDEN)
    input_size = check_int("input_size", input_size, 1, MAX_HIDDEN)
    radii = np.atleast_1d(np.asarray(radii, dtype=float))
    if radii.size == 0:
        raise ValueError("radii must hold at least one spectral radius")
    for r in radii:
        check_float("radius |W_h|", r, low=0.0)
    inits = tuple(check_choice("init", i, INITS) for i in ([inits] if isinstance(inits, str) else inits))
    inits = tuple(i for i in INITS if i in inits)   # canonical order, duplicates dropped
    check_dtype(dtype)
    seed = check_seed(seed)
    device = check_device(device)

    bases, natural = _recurrent_bases(hidden_size, inits, seed)
    w_hh = torch.stack([b * (r / natural[init]) for init, b in zip(inits, bases) for r in radii])
    w_hh = w_hh.to(device=device, dtype=dtype)
    w_ih, inputs, readout = _input_side(hidden_size, input_size, seq_len, seed)
    to = dict(device=device, dtype=dtype)
    grad_h, grad_x = bptt_gradients(w_hh, w_ih.to(**to), inputs.to(**to), readout.to(**to))

    shape = (len(inits), len(radii), seq_len)
    norm_h = grad_h.to(torch.float64).norm(dim=-1).T.reshape(shape).cpu().numpy()
    norm_x = grad_x.to(torch.float64).norm(dim=-1).T.reshape(shape).cpu().numpy()
    return GradientFlow(
        inits=inits, radii=radii, seq_len=seq_len, hidden_size=hidden_size,
        dtype=str(dtype).replace("torch.", ""), grad_h=norm_h, grad_x=norm_x,
        overflow_step=_first_bad_step(norm_h, lambda n: ~np.isfinite(n)),
        underflow_step=_first_bad_step(norm_h, lambda n: n == 0.0),
        natural_radius=natural,
    )


def input_gradient_profile(model, seq_len, input_size=1, seed=0):
    """||dL/dx_t|| at every step for a recurrent module called as model(x) -> (outputs, state).

    x: (seq_len, 1, input_size) drawn from N(0, 1) with `seed`; the loss is the sum of the last
    step's output. Works for torch.nn.RNN / LSTM / GRU and for the step-by-step models here.
    Norms are taken in float64, so tiny float32 gradients do not round to zero.
    """
    seq_len = check_int("seq_len", seq_len, 1, MAX_SEQ_LEN)
    input_size = check_int("input_size", input_size, 1, MAX_HIDDEN)
    generator = torch.Generator().manual_seed(check_seed(seed))
    weight = next(model.parameters())
    x = torch.randn(seq_len, 1, input_size, generator=generator).to(weight).requires_grad_()
    outputs, _ = model(x)
    outputs[-1].sum().backward()
    return x.grad.to(torch.float64).flatten(1).norm(dim=1).cpu().numpy()
