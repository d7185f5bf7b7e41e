"""A GRU encoder-decoder, with or without attention, and the toy tasks it learns.

The tasks are generated, so any length can be asked for: a source is a run of random symbols and
the target is the same run copied or reversed, then an end-of-sequence token. Token ids:
PAD = 0, BOS = 1 (starts the decoder), EOS = 2, symbols 3 .. 3 + vocab_size - 1.

Without attention the decoder sees the source only through the encoder's last hidden state, a
single vector of hidden_size numbers (Sutskever et al. 2014; Cho et al. 2014). With attention
(Luong et al. 2015's arrangement) each decoder state h_t also reads a context vector, a weighted
sum of all encoder states, and the output comes from tanh(W_c [c_t; h_t]).

Used in: 1.6.
"""
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from helpers.core.checks import check_choice, check_generator, check_int
from helpers.models.attention import SCORES, AttentionScore, attend

PAD, BOS, EOS, FIRST_SYMBOL = 0, 1, 2, 3
TASKS = ("copy", "reverse")


@dataclass
class Seq2SeqBatch:
    source: torch.Tensor          # (batch, max_src_len), PAD after each sequence
    source_lengths: torch.Tensor  # (batch,)
    decoder_input: torch.Tensor   # (batch, max_src_len + 1): BOS, then the target shifted right
    target: torch.Tensor          # (batch, max_src_len + 1): the target, EOS, then PAD

    def to(self, device):
        return Seq2SeqBatch(*(t.to(device) for t in (self.source, self.source_lengths,
                                                     self.decoder_input, self.target)))


def make_batch(n, min_len, max_len, task="copy", vocab_size=10, generator=None):
    """n random sources with lengths uniform in [min_len, max_len], and their targets."""
    n = check_int("n", n, 1)
    min_len, max_len, task, vocab_size = check_task(min_len, max_len, task, vocab_size)
    check_generator(generator)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=generator)
    symbols = torch.randint(FIRST_SYMBOL, FIRST_SYMBOL + vocab_size, (n, max_len), generator=generator)
    source = torch.full((n, max_len), PAD)
    target = torch.full((n, max_len + 1), PAD)
    for i, length in enumerate(lengths.tolist()):
        run = symbols[i, :length]
        source[i, :length] = run
        target[i, :length] = run if task == "copy" else run.flip(0)
        target[i, length] = EOS
    decoder_input = torch.cat([torch.full((n, 1), BOS), target[:, :-1]], dim=1)
    decoder_input[decoder_input == EOS] = PAD      # the decoder is never fed EOS
    return Seq2SeqBatch(source, lengths, decoder_input, target)


def check_task(min_len, max_len, task="copy", vocab_size=10):
    """The task's arguments, checked: lengths 1 <= min_len <= max_len, one of TASKS, vocab_size >= 2."""
    min_len = check_int("min_len", min_len, 1)
    max_len = check_int("max_len", max_len, min_len)
    return min_len, max_len, check_choice("task", task, TASKS), check_int("vocab_size", vocab_size, 2)


class Seq2Seq(nn.Module):
    """GRU encoder and GRU decoder sharing one embedding; attention is None or one of SCORES."""

    def __init__(self, vocab_size=10, hidden_size=64, attention=None, embedding_dim=32):
        super().__init__()
        self.vocab_size = check_int("vocab_size", vocab_size, 2)
        self.hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
        self.attention = None if attention is None else check_choice("attention", attention, SCORES)
        check_int("embedding_dim", embedding_dim, 1)
        num_tokens = FIRST_SYMBOL + vocab_size
        self.embed = nn.Embedding(num_tokens, embedding_dim, padding_idx=PAD)
        self.encoder = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.decoder = nn.GRU(embedding_dim, hidden_size, batch_first=True)
        self.score = AttentionScore(attention, hidden_size) if attention else None
        self.combine = nn.Linear((2 if attention else 1) * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, num_tokens)

    def encode(self, source, source_lengths):
        """All states (batch, src_len, hidden), last real one (1, batch, hidden)."""
        packed = pack_padded_sequence(self.embed(source), source_lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        states, last = self.encoder(packed)
        states, _ = pad_packed_sequence(states, batch_first=True,
                                        total_length=source.shape[1])
        return states, last

    def read_out(self, decoder_states, encoder_states, source_mask):
        """Logits for each decoder state, and the attention weights (or None)."""
        if self.score is None:          # chapter 1.6: W_o tanh(W_c s_i + b_c) + b_o
            return self.out(torch.tanh(self.combine(decoder_states))), None
        scores = self.score(decoder_states, encoder_states)   # (batch, tgt, src)
        context, weights = attend(scores, encoder_states, source_mask)
        combined = torch.tanh(self.combine(torch.cat([context, decoder_states], -1)))
        return self.out(combined), weights

    def forward(self, source, source_lengths, decoder_input):
        """Teacher forcing: logits (batch, tgt, tokens), weights (batch, tgt, src)."""
        encoder_states, last = self.encode(source, source_lengths)
        decoder_states, _ = self.decoder(self.embed(decoder_input), last)
        return self.read_out(decoder_states, encoder_states, source != PAD)

    @torch.no_grad()
    def generate(self, source, source_lengths, steps):
        """Greedy decoding for `steps` tokens, each fed back as the next input."""
        steps = check_int("steps", steps, 1)
        encoder_states, h = self.encode(source, source_lengths)
        mask = source != PAD
        token = torch.full((source.shape[0], 1), BOS, device=source.device)
        tokens, weights = [], []
        for _ in range(steps):
            state, h = self.decoder(self.embed(token), h)
            logits, w = self.read_out(state, encoder_states, mask)
            token = logits.argmax(-1)
            tokens.append(token)
            weights.append(w)
        if self.score is None:
            return torch.cat(tokens, 1), None
        return torch.cat(tokens, 1), torch.cat(weights, 1)


def encode_symbols(text, vocab_size=10):
    """A reader's example '3 1 4 1 5' (symbols 0 .. vocab_size-1) as a one-sequence batch."""
    vocab_size = check_int("vocab_size", vocab_size, 2)
    try:
        values = [int(s) for s in str(text).replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"write the source as whole numbers separated by spaces, got {text!r}") from None
    if not values or any(v < 0 or v >= vocab_size for v in values):
        raise ValueError(f"the source must hold 1 or more symbols in [0, {vocab_size - 1}], got {text!r}")
    source = torch.tensor([values]) + FIRST_SYMBOL
    return source, torch.tensor([len(values)])
