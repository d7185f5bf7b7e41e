"""The LSTM and GRU diagrams of chapter 1.4 name every gate of their equations, carry a caption and
alt text, and draw their wires in colours that read on the site's light and dark backgrounds."""
import pytest

from helpers.figures.cell_diagrams import HIGHWAY, WIRE, gru_cell_figure, lstm_cell_figure

DIAGRAMS = {
    lstm_cell_figure: ("forget f<sub>t</sub>", "input i<sub>t</sub>", "candidate g<sub>t</sub>", "output o<sub>t</sub>",
                       "c<sub>t−1</sub>", "c<sub>t</sub>", "h<sub>t−1</sub>", "h<sub>t</sub>", "x<sub>t</sub>"),
    gru_cell_figure: ("update z<sub>t</sub>", "reset r<sub>t</sub>", "candidate n<sub>t</sub>",
                      "h<sub>t−1</sub>", "h<sub>t</sub>", "x<sub>t</sub>"),
}


def _luminance(hex_colour):
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("build, labels", DIAGRAMS.items(), ids=lambda v: getattr(v, "__name__", ""))
def test_every_gate_and_state_is_labelled(build, labels):
    texts = [a.text for a in build().layout.annotations]
    for label in labels:
        assert label in texts, f"{label!r} missing from {build.__name__}"


@pytest.mark.parametrize("build", DIAGRAMS)
def test_caption_and_alt_text(build):
    meta = build().layout.meta
    assert len(meta["caption"]) > 80 and len(meta["alt"]) > 80
    assert meta["caption"] != meta["alt"]


@pytest.mark.parametrize("build", DIAGRAMS)
def test_wires_and_arrows_read_in_light_and_dark_mode(build):
    fig = build()
    colours = {s.line.color for s in fig.layout.shapes} | {a.arrowcolor for a in fig.layout.annotations if a.showarrow}
    assert colours <= {WIRE, HIGHWAY} | {s.line.color for s in fig.layout.shapes if s.type == "rect"}
    for colour in {WIRE, HIGHWAY}:
        assert 0.25 < _luminance(colour) < 0.75, f"{colour} would vanish on white or on the dark background"
    assert fig.layout.paper_bgcolor in (None, "rgba(0,0,0,0)")   # transparent: the page's colour shows


def test_lstm_has_four_gate_boxes_and_gru_three():
    def boxes(fig):
        return sum(1 for s in fig.layout.shapes if s.type == "rect" and s.fillcolor)
    assert boxes(lstm_cell_figure()) == 4
    assert boxes(gru_cell_figure()) == 3


def test_the_state_path_is_the_highlighted_one():
    for build in DIAGRAMS:
        fig = build()
        highlighted = [a for a in fig.layout.annotations if a.showarrow and a.arrowcolor == HIGHWAY]
        assert highlighted, f"{build.__name__} draws no state highway"
        assert all(a.y == highlighted[0].y for a in highlighted), "the highway is one horizontal line"


def test_gru_reset_gate_scales_w_hn_h_not_h_itself():
    """PyTorch's form, r_t * (W_hn h_{t-1} + b_hn): the old state enters a linear box W_hn, and the reset
    product reads that box's output. A wire from the h_{t-1} bus straight into the product would be
    Cho et al.'s form, r_t * h_{t-1} before the matrix."""
    fig = gru_cell_figure()
    linear = [s for s in fig.layout.shapes if s.type == "rect" and not s.fillcolor and s.line.dash != "dot"]
    assert len(linear) == 1, "one unfilled box: the linear layer W_hn"
    box = linear[0]
    x_box = (box.x0 + box.x1) / 2
    assert any(a.text == "W<sub>hn</sub>" and a.x == x_box for a in fig.layout.annotations)
    products = [s for s in fig.layout.shapes if s.type == "circle"
                and any(a.text == "×" and a.x == (s.x0 + s.x1) / 2 and a.y == (s.y0 + s.y1) / 2
                        for a in fig.layout.annotations)]
    above = [c for c in products if (c.x0 + c.x1) / 2 == x_box and c.y0 > box.y1]
    assert len(above) == 1, "the reset product sits directly above W_hn"
    product = above[0]
    into = [a for a in fig.layout.annotations if a.showarrow and a.x == x_box and a.y == product.y0]
    assert [(a.ax, a.ay) for a in into] == [(x_box, box.y1)], "the product's input from below is W_hn's output"
    bus_y = box.y0 - 1.0 + (box.y1 - box.y0) / 2          # the h_{t-1} bus runs one unit below the gates' centres
    assert not any(a.showarrow and a.ay == bus_y and a.y == product.y0 for a in fig.layout.annotations)
