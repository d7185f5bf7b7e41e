"""The shipped text: the whole Tiny Shakespeare file, found as package data, split by position."""
import gzip
import hashlib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import torch

from helpers.experiments import corpus

ROOT = Path(__file__).resolve().parents[2]


def test_the_text_is_karpathys_file_whole():
    text = corpus.load_text()
    assert len(text) == 1_115_394                      # input.txt of karpathy/char-rnn, 1,115,394 bytes of ASCII
    assert hashlib.sha256(text.encode()).hexdigest() == corpus.SHA256
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")


def test_the_shipped_file_stays_within_1_mb():
    assert (ROOT / "helpers" / "experiments" / corpus.FILE).stat().st_size <= 1_000_000


def test_pyproject_declares_the_file_as_package_data():
    """pip install (Colab's path) copies only declared package data: without the entry the loader fails there."""
    tomllib = pytest.importorskip("tomllib")     # Python 3.11 and later
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["helpers.experiments"]
    assert "helpers.experiments" in config["packages"]
    assert any(fnmatch(corpus.FILE, pattern) for pattern in patterns)


def test_a_changed_file_is_refused(monkeypatch):
    real = corpus.gzip.decompress
    monkeypatch.setattr(corpus.gzip, "decompress", lambda data: real(data)[:-1])
    with pytest.raises(RuntimeError, match="reinstall"):
        corpus.load_text()


def test_vocabulary_round_trip_and_order():
    vocab = corpus.CharVocabulary("banana\n")
    assert vocab.chars == ["\n", "a", "b", "n"] and len(vocab) == 4
    ids = vocab.encode("nab\n")
    assert ids.tolist() == [3, 1, 2, 0] and ids.dtype == torch.long
    assert vocab.decode(ids) == "nab\n"


def test_whole_text_has_65_characters():
    assert len(corpus.CharVocabulary(corpus.load_text())) == 65


def test_split_is_by_position_not_shuffled():
    ids = torch.arange(1000)
    train, test = corpus.split_ids(ids, held_out=0.1)
    assert train.tolist() == list(range(900)) and test.tolist() == list(range(900, 1000))


@pytest.mark.parametrize("call, name", [
    (lambda: corpus.CharVocabulary(""), "text"),
    (lambda: corpus.CharVocabulary("ab").encode("abc"), "text"),
    (lambda: corpus.split_ids(torch.arange(10), held_out=0.0), "held_out"),
    (lambda: corpus.split_ids(torch.arange(10), held_out=0.9), "held_out"),
    (lambda: corpus.split_ids([1, 2, 3]), "ids"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=f"^{name} "):
        call()


def test_compressed_copy_decompresses_to_the_same_bytes_every_time():
    data = (ROOT / "helpers" / "experiments" / corpus.FILE).read_bytes()
    assert gzip.decompress(data) == gzip.decompress(data)
    assert data[4:8] == b"\0\0\0\0"                      # gzip header mtime 0: the file is reproducible
