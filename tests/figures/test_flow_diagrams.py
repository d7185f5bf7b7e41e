"""The diagrams of chapters 1.6 and 1.7 draw what their captions say."""
import numpy as np
import pytest
import torch

from helpers.figures.flow_diagrams import attention_flow_diagram, attention_weights, bottleneck_diagram


@pytest.mark.parametrize("src_len, tgt_len", [(2, 1), (4, 4), (6, 3)])
def test_bottleneck_has_one_context_between_the_two_chains(src_len, tgt_len):
    fig = bottleneck_diagram(src_len, tgt_len)
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("c = h<sub>S</sub>") == 1
    assert all(f"h<sub>{j}</sub>" in texts for j in range(1, src_len + 1))
    assert all(f"s<sub>{i}</sub>" in texts and f"y<sub>{i}</sub>" in texts for i in range(1, tgt_len + 1))
    boxes = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(boxes) == 2 * src_len + 1 + 3 * tgt_len      # x_j, h_j; c; y_{i-1}, s_i, y_i
    # the encoder's only way out is c: the single arrow leaving the encoder row ends at c's box
    c_box = next(s for s in boxes if s.x1 - s.x0 > 0.8)
    leaving = [a for a in fig.layout.annotations if a.showarrow and a.ax <= src_len + 0.5 < a.x]
    assert len(leaving) == 1 and leaving[0].x == c_box.x0   # both are c_x - 0.45: the same float
    assert "caption" in fig.layout.meta and "alt" in fig.layout.meta


def test_bottleneck_says_both_ways_the_decoder_is_fed():
    """Training feeds the true previous symbol (teacher forcing), testing the model's own (greedy decoding)."""
    fig = bottleneck_diagram(4, 4)
    words = " ".join(a.text for a in fig.layout.annotations) + fig.layout.meta["caption"]
    assert "teacher forcing" in words and "greedy decoding" in words
    # one dotted feedback arrow from output y_{i-1} to the next input, for each step after the first
    dotted = [s for s in fig.layout.shapes if s.type == "line" and s.line.dash == "dot"]
    assert len(dotted) == 4 - 1


def test_attention_diagram_draws_the_softmax_of_its_scores():
    scores = (2.1, 0.2, 0.1)
    fig = attention_flow_diagram(scores, ("river", "flowing", "fast"))
    expected = torch.softmax(torch.tensor(scores, dtype=torch.float64), 0).numpy()
    np.testing.assert_array_equal(attention_weights(scores), expected)   # the same torch.softmax call in float64
    bars = [s for s in fig.layout.shapes if s.type == "rect" and s.opacity == 0.7]
    # a bar spans [base, base + 0.9 w]: the top rounds once and the height read back once more, 2 u (|y0| + |y1|)
    heights = np.array([b.y1 - b.y0 for b in bars])
    allowed = 2 * 2.0 ** -53 * np.array([abs(b.y0) + abs(b.y1) for b in bars])
    assert (np.abs(heights - 0.9 * expected) <= allowed).all(), f"heights {heights}, 0.9 w {0.9 * expected}, allowed {allowed}"
    texts = [a.text for a in fig.layout.annotations]
    assert [t for t in texts if t.startswith("α")] == [f"α<sub>i{j}</sub> = {w:.2f}" for j, w in
                                                        enumerate(expected, start=1)]
    assert "0.78" in fig.layout.meta["alt"] and "river" in fig.layout.meta["alt"]


def test_attention_diagram_asks_with_the_previous_decoder_state():
    """Bahdanau et al. (2015) score e_ij = a(s_{i-1}, h_j): the query is the state before step i."""
    texts = [a.text for a in attention_flow_diagram().layout.annotations]
    assert "s<sub>i−1</sub>" in texts and "s<sub>i</sub>" not in texts


@pytest.mark.parametrize("call, message", [
    (lambda: bottleneck_diagram(1, 2), "src_len must be an integer in"),
    (lambda: bottleneck_diagram(4, 9), "tgt_len must be an integer in"),
    (lambda: attention_weights([1.0]), "scores must be a list of 2 or more numbers"),
    (lambda: attention_flow_diagram((1.0, 2.0), ("a",)), "keys must be 2 strings"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match="^" + message):
        call()


def _plain(text):
    return text.replace("<sub>", "").replace("</sub>", "")


@pytest.mark.parametrize("figure", [attention_flow_diagram, bottleneck_diagram])
def test_every_label_lies_in_the_drawing_not_in_a_margin(figure):
    """Text in a margin outside the plot is cut off on a phone; inside the axes it scales with the drawing."""
    fig = figure()
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for a in fig.layout.annotations:
        assert a.xref in (None, "x") and a.yref in (None, "y"), a.text
        assert x0 <= a.x <= x1 and y0 <= a.y <= y1, a.text


def test_attention_row_names_sit_in_a_column_of_the_drawing():
    fig = attention_flow_diagram()
    side = [a for a in fig.layout.annotations if a.xanchor == "left" and a.text.split(":")[0] in
            ("keys, values", "scores", "weights", "context")]
    assert len(side) == 4
    x1 = fig.layout.xaxis.range[1]
    for a in side:
        assert a.x + 2.0 <= x1 + 1e-12                                # the column is part of the x range
        assert all(len(_plain(line)) <= 14 for line in a.text.split("<br>")), a.text   # narrow enough for a phone
