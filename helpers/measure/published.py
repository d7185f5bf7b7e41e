"""Published GPU measurements the course sets beside its own: cuDNN LSTM steps and large matrix products.

Source: Baidu Research's DeepBench, results/train/DeepBench_NV_P100.xlsx and DeepBench_NV_V100.xlsx
(sheet "Results FP32"), float32 throughout:

- P100: NVIDIA Tesla P100, CUDA 8.0.88, cuDNN 6.0.21 (the GPU of the Transformer paper's runs);
- V100: NVIDIA V100 in a DGX-1, CUDA 10.1.243, cuDNN 7.6.2.24.

LSTM rows: hidden units h, batch N, time steps, and the forward time of one cuDNN LSTM layer in
milliseconds. DeepBench leaves the input products out of both the time and the FLOPs (they can be one
large product before the recurrence), so one step's work is its recurrent product: 4 gates x 2 FLOPs
x h x h x N. Peak rows: the fastest dense matrix product DeepBench lists for each GPU (M, N, K, ms).

Lanes: the GPUs' FP32 cores, from NVIDIA's architecture whitepapers: P100 56 multiprocessors x 64,
V100 80 x 64.

Used by: helpers.explorers.lanes, helpers.measure.lanes.
"""
import numpy as np

from helpers.core.checks import check_choice

DEEPBENCH_LSTM = {      # (hidden, batch, time steps, forward ms)
    "P100": ((512, 16, 25, 1.478), (512, 32, 25, 2.978), (512, 64, 25, 3.034), (512, 128, 25, 3.125),
             (1024, 16, 25, 3.559), (1024, 32, 25, 4.927), (1024, 64, 25, 4.744), (1024, 128, 25, 7.241),
             (2048, 16, 25, 12.832), (2048, 32, 25, 9.43), (2048, 64, 25, 11.724), (2048, 128, 25, 23.26),
             (4096, 16, 25, 50.246), (4096, 32, 25, 22.579), (4096, 64, 25, 34.923), (4096, 128, 25, 67.5),
             (1536, 8, 50, 7.829), (1536, 16, 50, 13.769), (1536, 32, 50, 13.527),
             (256, 16, 150, 4.311), (256, 32, 150, 8.744), (256, 64, 150, 9.522)),
    "V100": ((512, 16, 25, 1.095), (512, 32, 25, 1.144), (512, 64, 25, 1.341), (512, 128, 25, 1.559),
             (1024, 16, 25, 1.923), (1024, 32, 25, 1.978), (1024, 64, 25, 2.205), (1024, 128, 25, 3.249),
             (2048, 16, 25, 3.609), (2048, 32, 25, 3.684), (2048, 64, 25, 5.57), (2048, 128, 25, 9.294),
             (4096, 16, 25, 10.009), (4096, 32, 25, 10.512), (4096, 64, 25, 16.598), (4096, 128, 25, 31.169),
             (1536, 8, 50, 5.097), (1536, 16, 50, 5.372), (1536, 32, 50, 5.574),
             (256, 16, 150, 4.542), (256, 32, 150, 4.899), (256, 64, 150, 6.7)),
}
DEEPBENCH_PEAK = {"P100": (7680, 48000, 2560, 206.884), "V100": (4096, 7000, 4096, 15.894)}   # M, N, K, ms
GPU_LANES = {"P100": 3584, "V100": 5120}
SOFTWARE = {"P100": "CUDA 8.0.88, cuDNN 6.0.21", "V100": "CUDA 10.1.243, cuDNN 7.6.2.24, in a DGX-1"}
GPUS = tuple(GPU_LANES)


def lstm_steps(gpu):
    """(work, seconds, rows): FLOPs and seconds of one dependent LSTM step for each published row."""
    rows = DEEPBENCH_LSTM[check_choice("gpu", gpu, GPUS)]
    work = np.array([8.0 * h * h * n for h, n, _, _ in rows])
    seconds = np.array([ms / 1e3 / steps for _, _, steps, ms in rows])
    return work, seconds, rows


def peak_rate(gpu):
    """FLOP/s of the fastest float32 matrix product DeepBench lists for `gpu`."""
    m, n, k, ms = DEEPBENCH_PEAK[check_choice("gpu", gpu, GPUS)]
    return 2.0 * m * n * k / (ms / 1e3)


def published_lanes(gpu):
    """(P, r, t) of `gpu`: its FP32 cores; its fastest product's FLOP/s over them; its quickest LSTM
    step (an upper estimate of t: that step's own arithmetic is in it, a few percent of it)."""
    lanes = GPU_LANES[check_choice("gpu", gpu, GPUS)]
    return lanes, peak_rate(gpu) / lanes, float(lstm_steps(gpu)[1].min())


def describe(gpu):
    """'V100 (DeepBench, CUDA 10.1.243, cuDNN 7.6.2.24, in a DGX-1)': where the numbers come from."""
    return f"{check_choice('gpu', gpu, GPUS)} (DeepBench, {SOFTWARE[gpu]})"
