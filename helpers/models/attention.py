"""Attention scores: Bahdanau's additive score and Luong's dot, general, concat and location scores.

Every score turns queries (decoder states, shape (batch, tgt_len, hidden)) and keys (encoder
states, shape (batch, src_len, hidden)) into a (batch, tgt_len, src_len) grid:

  additive (Bahdanau):  score(q, k) = v^T tanh(W_q q + W_k k)
  dot (Luong):          score(q, k) = q^T k
  general (Luong):      score(q, k) = q^T W k
  concat (Luong):       score(q, k) = v^T tanh(W [q; k])
  location (Luong):     scores(q) = W q, one score per source position, whatever the keys hold

The first four compare content (SCORES); the location score reads only the query, and W has one
row per source position up to a longest source, max_src_len (Luong et al. 2015, eq. 8:
a_t = softmax(W_a h_t)).

A softmax over the source positions turns one row of scores into attention weights, and the
weighted sum of the values (here the encoder states again) is the context vector. The concat
score is the additive score with W = [W_q  W_k] written as one matrix; the two papers differ in
which decoder state asks the question (Bahdanau: the previous one, Luong: the current one), not in
the arithmetic.

Used in: 1.7.
"""
import torch
from torch import nn

from helpers.core.checks import check_choice, check_int

SCORES = ("additive", "dot", "general", "concat")   # the scores that compare a query with each key
KINDS = SCORES + ("location",)


class AttentionScore(nn.Module):
    """score(queries, keys) -> (batch, tgt_len, src_len) for one of KINDS.

    max_src_len: the longest source the location score can score (its W has that many rows);
    only the location score takes it.
    """

    def __init__(self, kind, hidden_size, attention_size=None, max_src_len=None):
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        attention_size = check_int("attention_size", attention_size or hidden_size, 1)
        if (kind == "location") != (max_src_len is not None):
            raise ValueError(f"max_src_len must be given for the location score and only for it, got "
                             f"{max_src_len!r} for {kind!r}")
        if kind == "location":
            self.max_src_len = check_int("max_src_len", max_src_len, 1)
            self.W = nn.Linear(hidden_size, self.max_src_len, bias=False)
        elif kind == "general":
            self.W = nn.Linear(hidden_size, hidden_size, bias=False)
        elif kind == "additive":
            self.W_query = nn.Linear(hidden_size, attention_size, bias=False)
            self.W_key = nn.Linear(hidden_size, attention_size, bias=False)
            self.v = nn.Linear(attention_size, 1, bias=False)
        elif kind == "concat":
            self.W = nn.Linear(2 * hidden_size, attention_size, bias=False)
            self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, queries, keys):
        _check_states(queries, keys, self.hidden_size)
        if self.kind == "dot":
            return dot_score(queries, keys)
        if self.kind == "general":
            return general_score(queries, keys, self.W)
        if self.kind == "additive":
            return additive_score(queries, keys, self.W_query, self.W_key, self.v)
        if self.kind == "location":
            if keys.shape[1] > self.max_src_len:
                raise ValueError(f"keys must hold at most max_src_len = {self.max_src_len} source positions "
                                 f"for the location score, got {keys.shape[1]}")
            return location_score(queries, keys, self.W)
        return concat_score(queries, keys, self.W, self.v)


def additive_score(queries, keys, W_query, W_key, v):
    """Bahdanau: e_ij = v^T tanh(W_query s_i + W_key h_j), every i and j."""
    q, k = W_query(queries), W_key(keys)    # once per position, not per pair
    # (batch, tgt, 1, a) + (batch, 1, src, a): every query meets every key
    return v(torch.tanh(q.unsqueeze(2) + k.unsqueeze(1))).squeeze(-1)


def dot_score(queries, keys):
    """Luong's dot: s_i^T h_j for every pair, one matrix product S H^T."""
    return queries @ keys.transpose(1, 2)


def general_score(queries, keys, W):
    """Luong's general: s_i^T W h_j; W is applied once per key."""
    return queries @ W(keys).transpose(1, 2)


def concat_score(queries, keys, W, v):
    """Luong's concat: v^T tanh(W [s_i; h_j]) = v^T tanh(W_q s_i + W_k h_j)."""
    W_q, W_k = W.weight.split(queries.shape[-1], dim=1)
    q, k = queries @ W_q.T, keys @ W_k.T    # W's two halves, once per position
    return v(torch.tanh(q.unsqueeze(2) + k.unsqueeze(1))).squeeze(-1)


def location_score(queries, keys, W):
    """Luong's location: a_t = softmax(W h_t); the scores W s_i for the first src_len positions.

    The keys give only the source length: where the model looks is decided by the decoder state
    alone, not by what the source holds.
    """
    return W(queries)[..., :keys.shape[1]]


def _check_states(queries, keys, hidden_size):
    if queries.dim() != 3 or keys.dim() != 3:
        raise ValueError("queries and keys must be (batch, length, hidden) tensors, got shapes "
                         f"{tuple(queries.shape)} and {tuple(keys.shape)}")
    if queries.shape[0] != keys.shape[0] or queries.shape[2] != hidden_size or keys.shape[2] != hidden_size:
        raise ValueError(f"queries and keys must share the batch size and have hidden size {hidden_size}, "
                         f"got shapes {tuple(queries.shape)} and {tuple(keys.shape)}")


def attend(scores, values, mask=None):
    """Softmax over source positions, then the weighted sum of `values`.

    scores: (batch, tgt_len, src_len); values: (batch, src_len, dim);
    mask: (batch, src_len), True where a source position is real (padding gets
    weight 0). Returns (context, weights).
    """
    if mask is not None:
        if not mask.any(dim=-1).all():
            raise ValueError("mask leaves a sequence with no source position "
                             "to attend to")
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ values, weights


def local_window_weights(scores, centers, half_width, gaussian=True):
    """Luong's local attention: softmax inside [p - D, p + D], times a Gaussian.

    scores: (batch, tgt_len, src_len); centers: (batch, tgt_len) aligned
    positions p (reals: predicted for local-p, p_t = t for local-m); half_width: D.
    Positions outside the window get weight 0, so each query scores about 2D + 1
    positions, not all src_len. local-p multiplies by a Gaussian of sigma D/2
    around p (gaussian=True); local-m is the plain softmax in the window.
    """
    half_width = check_int("half_width", half_width, 0)
    positions = torch.arange(scores.shape[-1], dtype=scores.dtype,
                             device=scores.device)
    distance = positions - centers.unsqueeze(-1)          # (batch, tgt, src)
    inside = distance.abs() <= half_width
    if not inside.any(dim=-1).all():
        raise ValueError("a window [p - D, p + D] lies entirely outside the "
                         "source; move p or widen D")
    weights = torch.softmax(scores.masked_fill(~inside, float("-inf")), dim=-1)
    if not gaussian:
        return weights
    sigma = max(half_width, 1) / 2
    return weights * torch.exp(-distance ** 2 / (2 * sigma ** 2))
