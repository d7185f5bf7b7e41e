"""An explorer's live face (helpers/explorers/live.py): one live-face plumbing for every explorer.

Every explorer's live face is a LiveExplorer built from its declarations (what a declaration
promises is tests/explorers/test_controls.py); these tests check what the framework does for every
explorer (recompute on a change or a button, say so, keep the last drawing when a value is refused),
the line that says what was recomputed, where and in how long, and that every live face in helpers
is built this way.
"""
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import helpers
from helpers.explorers import LiveExplorer, Range
from helpers.explorers.gated_flow import GatedFlowWidget
from helpers.explorers.gradient_flow import GradientFlowWidget

pytest.importorskip("ipywidgets")
ROOT = Path(__file__).resolve().parents[2]


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


def test_the_recompute_line_names_the_work_the_device_and_the_time():
    from helpers.explorers import RecomputeLine
    line = RecomputeLine("cpu")
    with line.running("4 curves of length 100"):
        assert line.widget.value == "<i>Recomputing 4 curves of length 100 on cpu…</i>"   # shown while it runs
    assert line.widget.value.startswith("Recomputed 4 curves of length 100 with PyTorch on cpu in ")
    assert line.last_s is not None and line.last_s >= 0
    with pytest.raises(ValueError, match="hidden_size"):
        with line.running("one curve"):
            raise ValueError("hidden_size must be one of (16, 32), got 7")
    assert line.widget.value == "<b>Could not recompute one curve</b>: hidden_size must be one of (16, 32), got 7"


def test_the_gradient_and_gated_explorers_say_what_they_recomputed():
    widget = GradientFlowWidget(device="cpu")
    assert "with PyTorch on cpu in" in widget.status.widget.value and widget.status.widget in widget.view.children
    widget.controls["seq_len"].value = 50
    assert "of length 50 with PyTorch on cpu" in widget.status.widget.value
    gated = GatedFlowWidget(device="cpu")
    assert "three cells over 100 steps with PyTorch on cpu" in gated.status.widget.value


@pytest.mark.parametrize("make", [lambda: GradientFlowWidget(device="cpu"), lambda: GatedFlowWidget(device="cpu")])
def test_live_faces_keep_no_room_for_the_static_controls(make):
    layout = make().figure.layout
    assert layout.sliders == () and layout.updatemenus == ()
    assert layout.margin.t <= 100 and layout.margin.b <= 70     # the static face's 150 px bands are gone


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
