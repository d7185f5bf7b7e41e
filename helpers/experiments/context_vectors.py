"""Static versus contextual word vectors: the "bank" problem, computed rather than asserted.

A static embedding (one-hot, Word2Vec, GloVe, FastText) is a lookup table: a word gets the same
row of the table in every sentence. An RNN's hidden state at a word is a function of the words
that came before it (and, run in both directions, of the words after it), so the same word gets a
different vector in a different sentence. Everything here is tiny and built in code: a vocabulary
from the sentences themselves, a seeded nn.Embedding and a seeded nn.RNN, in float64 so that
"identical" means identical.

Used in: 1.1.
"""
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from helpers.core.checks import check_int, check_seed
from helpers.core.seeding import seeded

BANK_SENTENCES = ("I went to the bank to deposit money", "The river bank was steep", "Bank left in the turn")


def tokenize(sentence):
    """Lower-case words (letters and apostrophes); punctuation is dropped."""
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {sentence!r}")
    tokens = re.findall(r"[a-z']+", sentence.lower())
    if not tokens:
        raise ValueError(f"sentence must contain at least one word, got {sentence!r}")
    return tokens


def build_vocab(sentences):
    """{word: index} over every word of `sentences`, in alphabetical order (so it is repeatable)."""
    sentences = _check_sentences(sentences)
    words = sorted({w for s in sentences for w in tokenize(s)})
    return {w: i for i, w in enumerate(words)}


def word_position(sentence, word):
    """Index of the first occurrence of `word` in the tokenized sentence."""
    tokens = tokenize(sentence)
    word = word.lower() if isinstance(word, str) else word
    if word not in tokens:
        raise ValueError(f"word {word!r} does not occur in sentence {sentence!r}")
    return tokens.index(word)


def encode(sentence, vocab):
    """The sentence as a LongTensor of vocabulary indices, shape (seq_len,)."""
    tokens = tokenize(sentence)
    unknown = [t for t in tokens if t not in vocab]
    if unknown:
        raise ValueError(f"sentence has words missing from vocab: {unknown}")
    return torch.tensor([vocab[t] for t in tokens])


def _check_sentences(sentences):
    if isinstance(sentences, str):
        raise ValueError("sentences must be a list of strings, got a single string")
    sentences = tuple(sentences)
    if not sentences:
        raise ValueError("sentences must hold at least one sentence, got none")
    for s in sentences:
        tokenize(s)
    return sentences


def cosine_matrix(vectors):
    """Pairwise cosine similarity of the rows of a (n, dim) array, computed in float64."""
    v = torch.as_tensor(np.asarray(vectors), dtype=torch.float64)
    if v.dim() != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"vectors must be a 2-D array (n, dim) with n, dim >= 1, got shape {tuple(v.shape)}")
    norms = v.norm(dim=1, keepdim=True)
    if (norms == 0).any():
        raise ValueError("vectors must all be nonzero: the cosine of a zero vector is undefined")
    unit = v / norms
    return (unit @ unit.T).clamp(-1.0, 1.0).numpy()


class ContextModel(nn.Module):
    """A lookup table followed by a tanh RNN, forwards only or in both directions.

    static(): the table's row for each token (the same row wherever the word appears).
    contextual(): the RNN's hidden state at each token, (seq_len, hidden) or (seq_len, 2 * hidden)
    when bidirectional (forward state, then backward state, as torch.nn.RNN concatenates them).
    """

    def __init__(self, vocab_size, embedding_dim, hidden_size, bidirectional=False, seed=0):
        super().__init__()
        check_int("vocab_size", vocab_size, 1)
        check_int("embedding_dim", embedding_dim, 1)
        check_int("hidden_size", hidden_size, 1)
        check_seed(seed)
        with seeded(seed):   # draw from `seed` without touching the global stream
            self.embedding = nn.Embedding(vocab_size, embedding_dim, dtype=torch.float64)
            self.rnn = nn.RNN(embedding_dim, hidden_size, bidirectional=bidirectional, dtype=torch.float64)

    def static(self, ids):
        return self.embedding(ids)

    def contextual(self, ids):
        outputs, _ = self.rnn(self.embedding(ids).unsqueeze(1))   # (seq_len, 1, directions * hidden)
        return outputs.squeeze(1)


@dataclass
class WordSimilarities:
    """Cosine similarity of one word's vectors across sentences: [i, j] compares sentence i and j."""
    sentences: tuple
    word: str
    static: np.ndarray          # lookup table
    forward: np.ndarray         # hidden state of a left-to-right RNN
    bidirectional: np.ndarray   # forward and backward hidden states, concatenated

    def off_diagonal(self, kind):
        """The similarities between different sentences (each pair once) for one representation."""
        matrix = getattr(self, kind)
        return matrix[np.triu_indices(len(self.sentences), k=1)]


def word_similarities(sentences=BANK_SENTENCES, word="bank", embedding_dim=16, hidden_size=16, seed=0):
    """The same word in several sentences: cosine similarities of its static and contextual vectors.

    The vocabulary comes from the sentences; the table and the RNNs are untrained, drawn from
    `seed`. Untrained is enough for the point made here: a lookup cannot depend on context, a
    recurrent state cannot help depending on it.
    """
    sentences = _check_sentences(sentences)
    if not isinstance(word, str):
        raise ValueError(f"word must be a string, got {word!r}")
    check_int("embedding_dim", embedding_dim, 1)
    check_int("hidden_size", hidden_size, 1)
    check_seed(seed)
    positions = [word_position(s, word) for s in sentences]
    vocab = build_vocab(sentences)
    forward = ContextModel(len(vocab), embedding_dim, hidden_size, bidirectional=False, seed=seed)
    both = ContextModel(len(vocab), embedding_dim, hidden_size, bidirectional=True, seed=seed)
    both.embedding.load_state_dict(forward.embedding.state_dict())   # one lookup table for all three
    with torch.no_grad():
        ids = [encode(s, vocab) for s in sentences]
        static = torch.stack([forward.static(x)[p] for x, p in zip(ids, positions)])
        fwd = torch.stack([forward.contextual(x)[p] for x, p in zip(ids, positions)])
        bi = torch.stack([both.contextual(x)[p] for x, p in zip(ids, positions)])
    return WordSimilarities(sentences, word.lower(), cosine_matrix(static), cosine_matrix(fwd), cosine_matrix(bi))
