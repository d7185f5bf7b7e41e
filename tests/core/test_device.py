"""Where a chapter computes (helpers/core/device.py): pick_device honours the caller and
$COURSE_DEVICE, and refuses, naming the choices, a device this machine lacks."""
import pytest
import torch

from helpers.core.device import pick_device


def test_pick_device_tpu_lists_the_valid_choices():
    with pytest.raises(ValueError, match=r"prefer must be one of 'cpu', 'cuda', 'mps', got 'tpu'"):
        pick_device("tpu")


def test_pick_device_honours_cpu_and_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="tpu"):
        pick_device()


def test_pick_device_refuses_a_device_this_machine_lacks(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"prefer='cuda'.*no cuda device"):
        pick_device("cuda")
