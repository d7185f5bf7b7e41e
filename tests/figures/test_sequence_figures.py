"""The figures of chapters 1.1 and 1.2 draw what they claim to draw."""
import numpy as np
import pytest

from helpers.experiments.context_vectors import word_similarities
from helpers.figures.sequence_figures import bottleneck_figure, short_label, similarity_heatmaps, unrolled_rnn_figure
from helpers.measure.bottleneck import BottleneckTimings


def test_heatmaps_show_each_representation():
    sims = word_similarities()
    fig = similarity_heatmaps(sims)
    assert len(fig.data) == 3
    # the figure draws np.round(similarities, 3) of the same object: bit for bit; the static ones are within
    # gamma_{2n+8} ~ 5e-15 of 1 (tests/experiments/test_context_vectors.py), so they round to 1 exactly
    np.testing.assert_array_equal(fig.data[0].z, 1.0)
    np.testing.assert_array_equal(fig.data[1].z, np.round(sims.forward, 3))
    np.testing.assert_array_equal(fig.data[2].z, np.round(sims.bidirectional, 3))


@pytest.mark.parametrize("steps", [1, 4, 8])
def test_unrolled_rnn_has_three_boxes_per_step_and_a_chain_of_arrows(steps):
    fig = unrolled_rnn_figure(steps)
    assert len(fig.layout.shapes) == 3 * steps + 1          # x_t, h_t, y_t per step, and h_0
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 3 * steps                          # x->h, h->y, h_{t-1}->h_t
    labels = {a.text for a in fig.layout.annotations}
    assert f"h<sub>{steps}</sub>" in labels and "h<sub>0</sub>" in labels


def test_bottleneck_figure_plots_milliseconds_on_log_axes():
    t = BottleneckTimings((8, 16), np.array([0.002, 0.004]), np.array([0.001, 0.0011]), "cpu", 8, 1, 3)
    fig = bottleneck_figure(t)
    assert list(fig.data[0].y) == [2.0, 4.0] and list(fig.data[1].y) == [1.0, 1.1]
    assert fig.layout.xaxis.type == fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("call, message", [
    (lambda: unrolled_rnn_figure(0), "steps must be an integer in"),
    (lambda: unrolled_rnn_figure(9), "steps must be an integer in"),
    (lambda: short_label("a sentence", width=2), "width must be"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match="^" + message):
        call()


def test_heatmaps_number_the_sentences_and_the_caption_names_them():
    """Long sentence labels squeezed the panels on a phone: the axes number them, the caption says which is which."""
    sims = word_similarities()
    fig = similarity_heatmaps(sims)
    numbers = [str(i + 1) for i in range(len(sims.sentences))]
    for trace in fig.data:
        assert list(trace.x) == numbers and list(trace.y) == numbers
    caption = fig.layout.meta["caption"]
    for i, sentence in enumerate(sims.sentences, start=1):
        assert f"{i} “{sentence}”" in caption
    assert fig.data[0].customdata[0][1] == [sims.sentences[0], sims.sentences[1]]   # hover keeps both sentences
