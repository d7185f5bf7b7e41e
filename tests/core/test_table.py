"""How the course prints computed numbers (helpers/core/table.py): a Table aligned as text and as
Markdown, and value_range's "low to high"."""
import pytest

from helpers.core.table import Table


def test_table_renders_as_aligned_text_and_markdown():
    table = Table(("a", "long header"), (("1", "2"), ("333", "4")))
    text = repr(table).splitlines()
    assert len(text) == 3 and len({len(line) for line in text}) == 1      # every line aligned
    markdown = table._repr_markdown_().splitlines()
    assert markdown[0] == "| a | long header |"
    assert set(markdown[1]) <= set("|-") and markdown[1].count("|") == 3
    assert markdown[2:] == ["| 1 | 2 |", "| 333 | 4 |"]


def test_value_range_states_the_spread_or_the_one_value():
    from helpers.core.table import value_range
    assert value_range([0.31, 0.17, 0.2], "{:.0%}") == "17% to 31%"
    assert value_range([1.0, 0.999], "{:.0%}") == "100%"      # they print alike
    assert value_range([4, 2, 3]) == "2 to 4"
    with pytest.raises(ValueError, match="values"):
        value_range([])
