"""The ritual at the top of every chapter (helpers/__init__.py, start_notebook): a reader keeps every
core while the build gets its thread count, and a chapter name that is not a notebook's is refused."""
import pytest
import torch

import helpers


def test_a_reader_keeps_every_core_and_the_build_gets_its_thread_count(monkeypatch):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        monkeypatch.delenv("TORCH_NUM_THREADS", raising=False)
        helpers.start_notebook()
        assert torch.get_num_threads() == 2, "with no $TORCH_NUM_THREADS the reader's threads are left alone"
        monkeypatch.setenv("TORCH_NUM_THREADS", "1")
        helpers.start_notebook()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("chapter", ["lstm", "04_lstm_gru.ipynb", 4])
def test_start_notebook_names_a_bad_chapter(chapter):
    with pytest.raises(ValueError, match="chapter must be .* like '04_lstm_gru', got"):
        helpers.start_notebook(chapter=chapter)
