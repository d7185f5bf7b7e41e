"""The small library behind "The Road to Transformers", in layers, each importing only those above it:

- core: argument checks, device, seeds, progress bars, tables, the glued values of the prose;
- models: what the chapters write out and check against torch.nn;
- experiments: the runs whose numbers the prose quotes; measure: counted work and timed speed;
- exercises: the drills and their training runs;
- figures: plotly only; explorers: the framework and every interactive figure.

A chapter's first cell needs only what this file defines: `start_notebook`, `glue` and `glued`.
Every other name is imported from the module that defines it, so the page names the file.
tests/test_layers.py keeps the layers one-way.
"""
import os
import re

import torch

from helpers.core.checks import check_int, check_seed
from helpers.core.device import describe_device, pick_device
from helpers.core.glued_values import glue, glued
from helpers.core.seeding import seed_everything
from helpers.figures.plots import record_provenance, use_course_style

__all__ = ["glue", "glued", "start_notebook"]


def start_notebook(seed=1234, chapter=None):
    """The ritual at the top of every chapter: seed, plot style, and a line saying the device.

    chapter: the notebook's name without .ipynb ("04_lstm_gru"); when given, the numbers the chapter
    glues are saved for the summary's live prose as well (helpers/core/glued_values.py).

    A reader gets every core PyTorch would use. The book's build and its tests set
    $TORCH_NUM_THREADS=1, and then PyTorch runs on that many threads: the order of a multi-threaded
    sum depends on the thread count, so the checked outputs are stored and compared on one thread.
    """
    check_seed(seed)
    if chapter is not None:
        if not isinstance(chapter, str) or not re.fullmatch(r"\d\d_\w+", chapter):
            raise ValueError(f"chapter must be a chapter's notebook name without .ipynb, like '04_lstm_gru', "
                             f"got {chapter!r}")
        glued.save_as(chapter)
    threads = os.environ.get("TORCH_NUM_THREADS")
    if threads is not None:
        try:
            threads = int(threads)
        except ValueError:
            raise ValueError(f"$TORCH_NUM_THREADS must be an integer >= 1, got {threads!r}") from None
        torch.set_num_threads(check_int("$TORCH_NUM_THREADS", threads, 1))
    seed_everything(seed)
    use_course_style()
    device = pick_device()
    line = describe_device(device)
    record_provenance(line, seed)
    print(line)
    return device
