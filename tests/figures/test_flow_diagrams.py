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
    assert len(leaving) == 1 and abs(leaving[0].x - c_box.x0) < 1e-9
    assert "caption" in fig.layout.meta and "alt" in fig.layout.meta


def test_attention_diagram_draws_the_softmax_of_its_scores():
    scores = (2.1, 0.2, 0.1)
    fig = attention_flow_diagram(scores, ("river", "flowing", "fast"))
    expected = torch.softmax(torch.tensor(scores, dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(attention_weights(scores), expected)
    bars = [s for s in fig.layout.shapes if s.type == "rect" and s.opacity == 0.7]
    np.testing.assert_allclose([b.y1 - b.y0 for b in bars], 0.9 * expected)
    texts = [a.text for a in fig.layout.annotations]
    assert [t for t in texts if t.startswith("α")] == [f"α<sub>{j}</sub> = {w:.2f}" for j, w in
                                                        enumerate(expected, start=1)]
    assert "0.78" in fig.layout.meta["alt"] and "river" in fig.layout.meta["alt"]


@pytest.mark.parametrize("call, message", [
    (lambda: bottleneck_diagram(1, 2), "src_len must be an integer in"),
    (lambda: bottleneck_diagram(4, 9), "tgt_len must be an integer in"),
    (lambda: attention_weights([1.0]), "scores must be a list of 2 or more numbers"),
    (lambda: attention_flow_diagram((1.0, 2.0), ("a",)), "keys must be 2 strings"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match="^" + message):
        call()
