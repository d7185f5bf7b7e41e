"""The small library behind "The Road to Transformers": models, experiments and explorers."""
import os
import re

from . import plots, training
from .bottleneck_explorer import explore_bottleneck
from .device import describe_device, pick_device, seed_everything
from .gradient_explorer import explore_gradient_flow
from .glued_values import glue, glued
from .gradient_flow import gradient_flow
from .inits import INITS, recurrent_matrix, rescale_to_radius, spectral_radius
from .models import TanhRNN
from .monitor import gradient_health
from .plots import use_course_style
from .tables import multiplier_table, tanh_derivative_table, value_range
from .timeline import MILESTONES, milestone_table, span_in_years, timeline_figure
from .context_vectors import BANK_SENTENCES, cosine_matrix, word_similarities
from .bottleneck import sequential_bottleneck
from .sequence_figures import bottleneck_figure, similarity_heatmaps, unrolled_rnn_figure

from . import birnn, costs, gated, gated_flow, long_range
from .birnn import BiRNN
from .gated import GRU, LSTM, parameter_count
from .gated_explorer import explore_gated_flow

# chapters 1.6 to 1.8, and the exercises
from . import attention, drill_runs, drills, local_attention, memory_addressing, receptive_field
from . import score_costs, seq2seq, seq2seq_training, throughput
from .attention_explorer import explore_attention
from .cliff_explorer import explore_cliff
from .decay_explorer import explore_first_input_decay
from .flow_diagrams import attention_flow_diagram, bottleneck_diagram
from .local_attention import explore_local_attention, local_attention_figure
from .memory_addressing import content_read, content_weights
from .receptive_field import layers_needed, layers_table, measured_receptive_field, receptive_field_figure
from .score_costs import dot_product_spread, explore_score_times, measure_score_times, score_multiply_adds
from .throughput import count_parameters, measure_throughput, measure_widths, parameter_table
from .throughput_explorer import explore_throughput


def start_notebook(seed=1234, chapter=None):
    """The ritual at the top of every chapter: seed, plot style, and a line saying the device.

    chapter: the notebook's name without .ipynb ("04_lstm_gru"); when given, the numbers the chapter
    glues are saved for the summary's live prose as well (helpers/glued_values.py).

    A reader gets every core PyTorch would use. The book's build and its tests set
    $TORCH_NUM_THREADS=1, and then PyTorch runs on that many threads: the order of a multi-threaded
    sum depends on the thread count, so the checked outputs are stored and compared on one thread.
    """
    import torch
    from .checks import check_int, check_seed
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
    plots.record_provenance(line, seed)
    print(line)
    return device
