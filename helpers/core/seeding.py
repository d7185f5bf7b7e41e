"""Seeds: the chapter's ritual seeds every generator once (`seed_everything`); everything else in
the library draws from a generator it is given, or builds its models inside `seeded(seed)`, which
gives torch's global generator back as it found it. So a reader's own random stream is never
reseeded behind their back, and the same seed gives the same numbers in every build.

Used by: 19 modules of helpers.
"""
import contextlib
import random

import numpy as np
import torch

from helpers.core.checks import check_seed


def seed_everything(seed):
    """Seed Python, NumPy and torch; return a torch.Generator so experiments own their randomness.

    Called once, by helpers.start_notebook at the top of a chapter: the reader asked for it.
    """
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def seeded(seed):
    """Draw from torch's global generator seeded with `seed`, then give it back as it was.

    `with seeded(0): model = nn.LSTM(8, 8)` gives the same weights every time and leaves the
    reader's random stream alone.
    """
    seed = check_seed(seed)
    # torch.manual_seed seeds every CUDA device too, so their states are given back as well
    cuda = range(torch.cuda.device_count()) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield
