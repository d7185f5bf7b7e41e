"""An explorer's controls, declared once (helpers/explorers/controls.py): the range a control accepts
is the range its widget offers and its label states, and a value outside it is refused in the house
style."""
import pytest

from helpers.explorers import Choice, Range, Text

pytest.importorskip("ipywidgets")


def test_a_range_refuses_a_value_outside_it_and_never_clamps():
    radius = Range("radius", "|W_h| = ρ", 0.05, 2.0, 0.05)
    assert radius.check(1.5) == 1.5
    with pytest.raises(ValueError, match=r"^radius must be a finite number >= 0.05 and <= 2.0, got 5.0$"):
        radius.check(5.0)
    with pytest.raises(ValueError, match=r"^seq_len must be an integer in \[10, 1000\], got 5$"):
        Range("seq_len", "length", 10, 1000, 10, unit="steps", integer=True).check(5)


def test_a_choice_and_a_text_refuse_in_the_same_style():
    with pytest.raises(ValueError, match=r"^hidden_size must be one of 16, 32, got 48$"):
        Choice("hidden_size", "hidden size", (16, 32), unit="units").check(48)
    with pytest.raises(ValueError, match=r"^source must be a string \(symbols 0–9\), got 3$"):
        Text("source", "source", "symbols 0–9").check(3)
    with pytest.raises(ValueError, match="look must be one of"):
        Choice("x", "x", (1, 2), look="wheel")


@pytest.mark.parametrize("spec, value", [
    (Range("radius", "|W_h| = ρ", 0.05, 2.0, 0.05, while_dragging=True), 1.0),
    (Range("seq_len", "length", 10, 1000, 10, unit="steps", integer=True), 100),
    (Range("seed", "seed", 0, 2**32 - 1, 1, integer=True, box=True), 3),
])
def test_a_range_widget_offers_exactly_the_declared_range_and_says_it(spec, value):
    widget = spec.widget(value)
    assert (widget.min, widget.max, widget.step, widget.value) == (spec.low, spec.high, spec.step, value)
    assert f"({spec.low:g}–{spec.high:g}" in widget.description and widget.description.startswith(spec.label)
    assert widget.style.description_width == "initial"
    assert widget.continuous_update == spec.while_dragging


def test_a_range_label_states_its_unit_and_a_negative_low_end_plainly():
    assert Range("seq_len", "length", 10, 1000, 10, unit="steps", integer=True).description == "length (10–1000 steps)"
    assert Range("forget_bias", "gate bias", -4.0, 8.0, 0.25).description == "gate bias (−4 to 8)"


@pytest.mark.parametrize("look, kind", [("dropdown", "Dropdown"), ("buttons", "ToggleButtons")])
def test_a_choice_widget_offers_exactly_the_declared_options(look, kind):
    widget = Choice("batch", "batch", (1, 8, 32), unit="sequences", look=look).widget(8)
    assert type(widget).__name__ == kind and tuple(widget.options) == (1, 8, 32) and widget.value == 8
    assert widget.description == "batch (sequences)"
