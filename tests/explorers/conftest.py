"""What several explorers' tests share: small trained encoder-decoders, one per context size.

tests/explorers/test_throughput.py has a fixture of its own by the same name: its measured widths.
"""
import pytest

from helpers.experiments.seq2seq_training import train_seq2seq


@pytest.fixture(scope="module")
def runs():
    return {h: train_seq2seq(h, None, max_len=5, steps=20, batch=16, progress=False) for h in (8, 16)}
