"""The local-attention explorer (helpers/explorers/local_attention.py): the slider moves the window and
the weights, and the live face recomputes and agrees with the static one."""
import pytest

from helpers.explorers.local_attention import LocalAttentionWidget, explore_local_attention

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_local_explorer_slider_moves_the_window_and_the_weights():
    fig = explore_local_attention(src_len=30, half_width=3).static_figure
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == [str(D) for D in range(1, 11)] and fig.layout.sliders[0].active == 2
    assert list(fig.data[1].y) == steps[2].args[0]["y"][1]                 # the shown curve is D = 3's
    assert steps[0].args[0]["y"][0] == steps[-1].args[0]["y"][0]          # global weights do not depend on D
    assert steps[0].args[0]["y"][1] != steps[-1].args[0]["y"][1]
    # the shaded window is [p - D, p + D]: p + D and p - D each round once and their difference once more, so the
    # width is 2D within 3 u (|p| + D) <= 3 u (|x0| + |x1|), u = 2^-53
    shapes = [s.args[1]["shapes"][0] for s in steps]
    for D, shape in zip(range(1, 11), shapes):
        assert abs((shape["x1"] - shape["x0"]) - 2 * D) <= 3 * 2.0 ** -53 * (abs(shape["x0"]) + abs(shape["x1"])), (D, shape)


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
    static = static_local_figure(src_len=40, half_width=4, seed=0, half_widths=(2, 4, 8))
    step = [int(s.label) for s in static.layout.sliders[0].steps].index(half_width)
    traces, layout = static.layout.sliders[0].steps[step].args
    live = LocalAttentionWidget(src_len=40, half_width=half_width, seed=0)
    assert [list(t.y) for t in live.figure.data] == [list(y) for y in traces["y"]]
    assert [s.to_plotly_json() for s in live.figure.layout.shapes] == layout["shapes"]


@pytest.mark.parametrize("call, message", [
    (lambda: explore_local_attention(src_len=20, half_width=0), "half_width"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
