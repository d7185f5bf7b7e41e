"""The small library behind "The Road to Transformers": models, experiments and explorers."""
from . import plots, training
from .device import describe_device, pick_device, seed_everything
from .explorers import explore_gradient_flow
from .gradient_flow import gradient_flow
from .inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius
from .models import TanhRNN
from .monitor import gradient_health
from .plots import use_course_style
from .tables import multiplier_table, tanh_derivative_table
from . import birnn, costs, gated, gated_flow, long_range
from .birnn import BiRNN
from .gated import GRU, LSTM, parameter_count
from .gated_explorer import explore_gated_flow


def start_notebook(seed=1234):
    """The ritual at the top of every chapter: seed, plot style, and a line saying the device."""
    import torch
    torch.set_num_threads(int(__import__("os").environ.get("TORCH_NUM_THREADS", torch.get_num_threads())))
    seed_everything(seed)
    use_course_style()
    device = pick_device()
    print(describe_device(device))
    return device
