"""Luong's local attention for one query: where the window goes, and what the weights become.

Global attention scores all S source positions. Local attention first picks an aligned position
p_t, then scores only the 2D + 1 positions of the window [p_t - D, p_t + D]:

  local-m (monotonic):  p_t = t, a plain softmax inside the window
  local-p (predictive): p_t = S * sigmoid(v_p^T tanh(W_p h_t)), and the softmax is multiplied by a
                        Gaussian of width sigma = D / 2 centred on p_t

The weighting itself is helpers/models/attention.py's local_window_weights; this module predicts p_t,
counts the positions a window scores, and computes one query's weights both ways
(helpers/figures/local_attention.py draws them).

Used in: 1.7.
"""
import torch

from helpers.core.checks import check_float, check_int, check_seed
from helpers.models.attention import local_window_weights


def predicted_position(decoder_state, W_p, v_p, src_len):
    """local-p's aligned position S * sigmoid(v_p^T tanh(W_p h_t)), in (0, S).

    decoder_state: (..., hidden); W_p: (attention, hidden); v_p: (attention,).
    """
    src_len = check_int("src_len", src_len, 1)
    hidden = decoder_state.shape[-1]
    if W_p.dim() != 2 or v_p.dim() != 1 or W_p.shape != (v_p.shape[0], hidden):
        raise ValueError(f"W_p must be (attention, hidden) and v_p (attention,), matching "
                         f"the state's hidden size {hidden}; got W_p {tuple(W_p.shape)} "
                         f"and v_p {tuple(v_p.shape)}")
    return src_len * torch.sigmoid(torch.tanh(decoder_state @ W_p.T) @ v_p)


def positions_scored(p_t, half_width, src_len):
    """How many of the source positions 0, 1, ..., S - 1 lie in the window [p_t - D, p_t + D].

    The window is clipped by the source's ends, so the count is
    min(S - 1, floor(p_t + D)) - max(0, ceil(p_t - D)) + 1 (0 if that is negative): 2D + 1 when p_t
    is an integer far from both ends, 2D when it is not, fewer near an end, S when D covers the
    source. Counted the way local_window_weights tests membership, |s - p_t| <= D in float64, so for
    local_example's float64 weights it is exactly the number of positions that get a weight.
    """
    p_t = check_float("p_t", p_t)
    half_width = check_int("half_width", half_width, 0)
    src_len = check_int("src_len", src_len, 1)
    distance = torch.arange(src_len, dtype=torch.float64) - p_t
    return int((distance.abs() <= half_width).sum())


def local_example(src_len=40, half_width=4, hidden_size=16, seed=0):
    """One query against `src_len` random encoder states: global weights, local-p weights, p_t.

    The dot score is used for both, so the only difference is the window and its Gaussian.
    Returns (global_weights, local_weights, p_t) as numpy arrays / a float.
    """
    src_len, half_width, hidden_size, seed = check_example(src_len, half_width, hidden_size, seed, min_half_width=0)
    scores, p_t = example_scores(src_len, hidden_size, seed)
    local = local_window_weights(scores, p_t.reshape(1, 1), half_width)
    return torch.softmax(scores, -1)[0, 0].numpy(), local[0, 0].numpy(), float(p_t)


def example_scores(src_len=40, hidden_size=16, seed=0):
    """local_example's dot scores (1, 1, src_len) and predicted position p_t, in float64: what does not depend on D."""
    src_len, _, hidden_size, seed = check_example(src_len, 1, hidden_size, seed)
    g = torch.Generator().manual_seed(seed)
    keys = torch.randn(1, src_len, hidden_size, generator=g, dtype=torch.float64)
    query = torch.randn(1, 1, hidden_size, generator=g, dtype=torch.float64)
    W_p = torch.randn(hidden_size, hidden_size, generator=g, dtype=torch.float64) / hidden_size ** 0.5
    v_p = torch.randn(hidden_size, generator=g, dtype=torch.float64)
    scores = query @ keys.transpose(1, 2) / hidden_size ** 0.5          # (1, 1, src_len)
    return scores, predicted_position(query[0, 0], W_p, v_p, src_len)


def check_example(src_len, half_width, hidden_size, seed, min_half_width=1):
    src_len = check_int("src_len", src_len, 2, 10_000)
    half_width = check_int("half_width", half_width, min_half_width, src_len)
    return src_len, half_width, check_int("hidden_size", hidden_size, 1, 4096), check_seed(seed)
