"""A real text for the course's one real-data run: Tiny Shakespeare, shipped inside helpers.

The file is Andrej Karpathy's `data/tinyshakespeare/input.txt` from github.com/karpathy/char-rnn
(commit 6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e, MIT licence): 1,115,394 characters of speeches
from Shakespeare's plays, whose text is in the public domain. It is stored whole, gzip-compressed
(434 KB), as package data (pyproject.toml), so a chapter that runs alone on Colab, with helpers
installed by pip, finds it too. `load_text` checks the SHA-256 of what it decompressed.

The split is by position, never shuffled: the first 90% of the characters train, the last 10% are
held out, so no held-out passage has been seen in any form.

Used in: 1.4.
"""
import gzip
import hashlib
from importlib import resources

import torch

from helpers.core.checks import check_float

FILE = "tinyshakespeare.txt.gz"
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"   # of the decompressed text
SOURCE = ("Tiny Shakespeare, data/tinyshakespeare/input.txt of github.com/karpathy/char-rnn "
          "(MIT licence); Shakespeare's text is in the public domain")


def load_text():
    """The whole text, as one string of 1,115,394 characters."""
    data = gzip.decompress(resources.files("helpers.experiments").joinpath(FILE).read_bytes())
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise RuntimeError(f"helpers/experiments/{FILE} is not the file this course ships: reinstall helpers")
    return data.decode("utf-8")


class CharVocabulary:
    """Every distinct character of a text, sorted, numbered from 0: `encode` and `decode` between them."""

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty string, got {type(text).__name__} of length "
                             f"{len(text) if hasattr(text, '__len__') else 'none'}")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """A string -> a 1-D tensor of character ids (int64)."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {''.join(unknown)!r}")
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids):
        """A sequence of character ids -> the string."""
        return "".join(self.chars[int(i)] for i in ids)


def split_ids(ids, held_out=0.1):
    """(train, test): the first 1 - held_out of `ids` and the rest, in order."""
    held_out = check_float("held_out", held_out, low=0.0, high=0.5, low_inclusive=False)
    if not isinstance(ids, torch.Tensor) or ids.dim() != 1:
        raise ValueError(f"ids must be a 1-D tensor of character ids, got {type(ids).__name__}")
    cut = round(len(ids) * (1 - held_out))
    return ids[:cut], ids[cut:]
