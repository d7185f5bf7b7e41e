"""The explorer framework (helpers.explorers): declared controls, one validation, one live-face plumbing.

Every explorer's live face is a LiveExplorer built from its declarations; these tests check what a
declaration promises (the range a control accepts is the range its widget offers and its label
states, and a value outside it is refused in the house style) and what the framework does for every
explorer (recompute on a change or a button, say so, keep the last drawing when a value is refused).
"""
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import helpers
from helpers.explorers import Choice, LiveExplorer, Range, Text

pytest.importorskip("ipywidgets")
ROOT = Path(__file__).resolve().parents[1]


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


class Doubler(LiveExplorer):
    """A live face whose compute is cheap and visible: twice the control's value, refused above 8."""

    def __init__(self, button=None, first=None):
        import plotly.graph_objects as go
        self.go, self.computed = go, []
        super().__init__((Range("n", "n", 1, 10, 1, integer=True),), {"n": 2}, "cpu", button=button, first=first)

    def what(self, values):
        return f"twice {values['n']}"

    def recompute(self, values):
        if values["n"] > 8:
            raise ValueError(f"n must be at most 8 here, got {values['n']}")
        self.computed.append(values["n"])
        return 2 * values["n"]

    def first_figure(self, result, values):
        return self.go.FigureWidget(self.go.Scatter(y=[0]))

    def draw(self, result, values):
        self.figure.data[0].y = [result]


def test_a_change_recomputes_says_so_and_redraws():
    face = Doubler()
    assert face.computed == [2] and list(face.figure.data[0].y) == [4]
    face.controls["n"].value = 3
    assert face.computed == [2, 3] and list(face.figure.data[0].y) == [6]
    assert face.status.widget.value.startswith("Recomputed twice 3 with PyTorch on cpu in ")
    assert face.view.children[-1] is face.figure and face.status.widget in face.view.children


def test_a_refused_setting_is_said_and_the_last_drawing_stays():
    face = Doubler()
    face.controls["n"].value = 9
    assert face.status.widget.value == "<b>Could not recompute twice 9</b>: n must be at most 8 here, got 9"
    assert list(face.figure.data[0].y) == [4]


def test_a_button_explorer_computes_only_when_pressed():
    face = Doubler(button="double it")
    assert face.computed == [] and "Press “double it” to compute twice 2" in face.status.widget.value
    face.controls["n"].value = 5
    assert face.computed == []
    face.button.click()
    assert face.computed == [5] and list(face.figure.data[0].y) == [10] and not face.button.disabled


def test_a_measurement_at_hand_is_drawn_without_measuring_again():
    face = Doubler(first=4)
    assert face.computed == [] and list(face.figure.data[0].y) == [4]
    assert face.status.widget.value.startswith("Showing the measurement taken above, on cpu")


def test_a_missing_starting_value_is_named():
    class Forgetful(Doubler):
        def __init__(self):
            LiveExplorer.__init__(self, (Range("n", "n", 1, 10, 1, integer=True),), {}, "cpu")
    with pytest.raises(TypeError, match=r"no starting value for the controls \['n'\]"):
        Forgetful()


def live_faces():
    """Every class of helpers that has a live face: it defines _repr_mimebundle_ and a view of widgets."""
    found = {}
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and name.endswith("Widget"):
                found[f"{info.name}.{name}"] = cls
    return found


def test_every_live_face_is_built_by_the_framework():
    faces = live_faces()
    assert len(faces) >= 9, sorted(faces)          # the scan finds the nine explorers
    assert [n for n, cls in faces.items() if not issubclass(cls, LiveExplorer)] == []


def test_no_explorer_wires_its_own_observers_or_labels():
    """The plumbing the framework owns appears nowhere else in helpers."""
    for path in sorted((ROOT / "helpers").rglob("*.py")):
        if path.parent.name == "explorers":
            continue
        source = path.read_text()
        for plumbing in (".observe(", "description_width", "on_click("):
            assert plumbing not in source, f"{path.relative_to(ROOT)} does its own {plumbing!r}"


def test_every_explorer_module_names_its_chapter():
    """Each module with a live face says which chapter shows it (tests/test_module_docs.py keeps that true)."""
    for qualified in live_faces():
        module = importlib.import_module(qualified.rsplit(".", 1)[0])
        assert re.search(r"^Used in: .+\.$", module.__doc__, re.M), module.__name__
