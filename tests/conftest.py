"""Shared test setup: import `helpers` from the project root, and keep torch to one thread.

The tensors in these tests are tiny (hidden sizes up to 64), so a second thread buys nothing;
on a busy 2-core runner it costs a great deal, because every small batched matmul then waits
at an OpenMP barrier for a core another process holds (a 1000-step gradient_flow call went
from 0.03 s to 23 s that way while a book build ran alongside).
"""
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# tests/ is a package (two layers may each have a test file of the same name), so pytest no longer puts
# it on sys.path; the scripts beside this file (store_checked_outputs, checked_outputs) are imported by name
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

torch.set_num_threads(1)

