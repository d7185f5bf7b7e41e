"""The local-attention explorer (helpers/explorers/local_attention.py): the slider moves the window and
the weights, and the live face recomputes and agrees with the static one."""
import pytest

from helpers.explorers.local_attention import LocalAttentionWidget, explore_local_attention

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_local_explorer_starts_at_its_half_width_and_the_page_moves_it():
    explorer = explore_local_attention(src_len=30, half_width=3)
    fig, spec = explorer.static_figure, explorer.spec
    assert "D = 3" in fig.data[1].name and spec["start"] == 3 and len(spec["scores"]) == 30
    # the shaded window is [p - D, p + D]: p + D and p - D each round once and their difference once more, so the
    # width is 2D within 3 u (|p| + D) <= 3 u (|x0| + |x1|), u = 2^-53
    shape = fig.layout.shapes[0]
    assert abs((shape.x1 - shape.x0) - 6) <= 3 * 2.0 ** -53 * (abs(shape.x0) + abs(shape.x1))
    # the page's computation for every D is tests/explorers/test_local_attention_page.py's


def test_local_widget_recomputes():
    widget = LocalAttentionWidget(src_len=30, half_width=3)
    widget.controls["half_width"].value = 6
    assert "D = 6" in widget.figure.data[1].name
    widget.controls["src_len"].value = 60
    assert len(widget.figure.data[0].y) == 60 and len(widget.figure.data[1].x) == 60
    assert WIDGET_VIEW in widget._repr_mimebundle_()


@pytest.mark.parametrize("half_width", [2, 8])
def test_local_attention_faces_agree(half_width):
    from helpers.explorers.local_attention import LocalAttentionWidget, static_local_figure
    static = static_local_figure(src_len=40, half_width=half_width, seed=0)
    live = LocalAttentionWidget(src_len=40, half_width=half_width, seed=0)
    assert [list(t.y) for t in live.figure.data] == [list(t.y) for t in static.data]
    assert [s.to_plotly_json() for s in live.figure.layout.shapes] == [s.to_plotly_json() for s in static.layout.shapes]


@pytest.mark.parametrize("call, message", [
    (lambda: explore_local_attention(src_len=20, half_width=0), "half_width"),
    (lambda: explore_local_attention(src_len=20, half_width=21), "half_width"),
    (lambda: explore_local_attention(src_len=1), "src_len"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
