"""The receptive-field figure (helpers/figures/receptive_field.py), and the layer table beside it: dilated
against plain on a log axis."""
import pytest

from helpers.experiments.receptive_field import layers_table
from helpers.figures.receptive_field import receptive_field_figure


def test_table_and_figure_shapes():
    table = layers_table((16, 512), (2, 3))
    assert table.columns[-1] == "self-attention" and len(table.columns) == 6
    assert [r[0] for r in table.rows] == ["16", "512"] and table.rows[1][1] == "9"
    fig = receptive_field_figure(max_layers=10, kernel_sizes=(2, 3))
    assert len(fig.data) == 4
    assert fig.layout.yaxis.type == "log"
    assert fig.data[0].y[-1] == 1024 and fig.data[1].y[-1] == 11   # k=2 dilated vs plain after 10 layers
    assert fig.layout.meta["caption"] and fig.layout.meta["alt"]


@pytest.mark.parametrize("call, message", [
    (lambda: receptive_field_figure(max_layers=0), "max_layers"),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
