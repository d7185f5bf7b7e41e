"""Published GPU measurements (helpers/measure/published.py): the transcription of DeepBench's rows.

Each row's time is checked against the TERAFLOPS DeepBench printed beside it (results/train/
DeepBench_NV_<gpu>.xlsx, sheet "Results FP32", column "TERAFLOPS FWD"), copied here a second time: a
mistyped time or size fails.
"""
import pytest

from helpers.measure.published import DEEPBENCH_LSTM, GPU_LANES, GPUS, describe, lstm_steps, peak_rate, published_lanes
from tests.messages import names

TERAFLOPS_FWD = {
    "P100": (0.56756481732070374, 0.56337192746809939, 1.1059470006591958, 2.1474836480000001, 0.94280505760044964,
             1.3620634057235639, 2.8292101180438447, 3.7071600055240985, 1.0459610972568578, 2.8466114103923652,
             4.5792469464346643, 4.6162589165950125, 1.0684848783982805, 4.7554888347579611, 6.149195796466512,
             6.3629145125925914, 0.9643309745816836, 1.0966297044084536, 2.2324971390552233, 0.29187919276270008,
             0.28780677035681612, 0.52858273471959671),
    "V100": (0.76608292237442921, 1.4665398601398603, 2.5021947800149147, 4.3046096215522773, 1.7449002600104004,
             3.392763599595551, 6.0869717913832195, 8.2620946752847022, 3.7189727902466059, 7.286521606948968,
             9.6386160143626558, 11.553064600817732, 5.3638816265361173, 10.214438964992389, 12.93820730208459,
             13.779612101767784, 1.4812138905238375, 2.8107770662695457, 5.4178307857911738, 0.27703461030383092,
             0.51369308022045324, 0.75121862686567165),
}
PEAK_TERAFLOPS = {"P100": 9.1231646719901, "V100": 14.77796803825343}


@pytest.mark.parametrize("gpu", GPUS)
def test_every_row_gives_the_teraflops_deepbench_printed(gpu):
    work, seconds, rows = lstm_steps(gpu)
    assert len(rows) == len(TERAFLOPS_FWD[gpu]) == 22
    for w, s, expected in zip(work, seconds, TERAFLOPS_FWD[gpu]):
        assert w / s / 1e12 == pytest.approx(expected, rel=1e-12)     # both per step: FLOPs / seconds


@pytest.mark.parametrize("gpu", GPUS)
def test_the_fastest_product_and_the_lane_model(gpu):
    assert peak_rate(gpu) / 1e12 == pytest.approx(PEAK_TERAFLOPS[gpu], rel=1e-12)
    lanes, rate, latency = published_lanes(gpu)
    assert lanes == GPU_LANES[gpu] and rate == peak_rate(gpu) / lanes
    quickest = min(ms / steps for _, _, steps, ms in DEEPBENCH_LSTM[gpu]) / 1e3
    assert latency == pytest.approx(quickest, rel=1e-15)
    assert gpu in describe(gpu) and "cuDNN" in describe(gpu)


def test_an_unknown_gpu_is_named():
    with pytest.raises(ValueError, match=names("gpu")):
        lstm_steps("H100")


@pytest.mark.parametrize("gpu", GPUS)
def test_every_published_step_lies_on_or_above_the_model_with_the_gpus_own_numbers(gpu):
    from helpers.measure.lanes import step_bound
    work, seconds, _ = lstm_steps(gpu)
    lanes, rate, latency = published_lanes(gpu)
    assert (seconds >= step_bound(work, lanes, rate, latency)).all()
