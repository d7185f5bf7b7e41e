"""What every benchmark prints first: the PyTorch version, threads, load, and the devices it runs on."""
import os

import torch


def start(threads):
    """Set the thread count, print the header, and return the devices to measure on."""
    torch.set_num_threads(threads)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} CPU threads, load average {load[0]:.2f}")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if "cuda" in devices:
        print(f"CUDA: {torch.cuda.get_device_name(0)}")
    return devices
