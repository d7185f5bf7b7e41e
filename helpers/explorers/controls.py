"""An explorer's controls, declared once: name, label, range and unit.

A declaration does two jobs. It checks the value a caller starts the explorer with, in the one
message style of helpers.checks ("radius must be a finite number >= 0.05 and <= 2.0, got 5.0"),
so no control silently clamps a value and no traitlets error escapes. And it builds the live
face's ipywidgets control, labelled with its range and unit.

Used by: helpers.explorers.
"""
from dataclasses import dataclass

from helpers.core.checks import check_choice, check_float, check_int

LABEL_STYLE = {"description_width": "initial"}    # room for labels that carry a unit and a range
SLIDER_WIDTH = "440px"   # a slider's label, track and readout share this: at the default 300 px a
                         # long label left a track too short to drag


def _number(x):
    return f"{x:g}".replace("-", "−")      # a minus sign, not a hyphen


@dataclass(frozen=True)
class Range:
    """A number from `low` to `high` in steps of `step`: a slider (an integer one when `integer`).

    unit: what the number counts ("steps"), shown after the range. while_dragging: recompute at every
    position of a drag (cheap recomputes) or only where the reader lets go (costly ones). box: a
    number box instead of a slider, for a range too wide to drag (a seed).
    """
    name: str
    label: str
    low: float
    high: float
    step: float
    unit: str = ""
    integer: bool = False
    while_dragging: bool = False
    readout: str = ".2f"
    box: bool = False

    @property
    def description(self):
        joint = " to " if self.low < 0 else "–"     # "−4 to 8" reads better than "−4–8"
        span = f"{_number(self.low)}{joint}{_number(self.high)}"
        return f"{self.label} ({span} {self.unit})" if self.unit else f"{self.label} ({span})"

    def check(self, value):
        if self.integer:
            return check_int(self.name, value, int(self.low), int(self.high))
        return check_float(self.name, value, low=self.low, high=self.high)

    def widget(self, value):
        import ipywidgets as w
        common = dict(value=self.check(value), min=self.low, max=self.high, step=self.step,
                      description=self.description, continuous_update=self.while_dragging, style=LABEL_STYLE)
        if self.box:
            return (w.BoundedIntText if self.integer else w.BoundedFloatText)(**common)
        common["layout"] = w.Layout(width=SLIDER_WIDTH)
        if self.integer:
            return w.IntSlider(**common)
        return w.FloatSlider(readout_format=self.readout, **common)


@dataclass(frozen=True)
class Choice:
    """One of `options`: a dropdown, or a row of buttons ("buttons").

    (No slider over the options: ipywidgets 8's SelectionSlider showed no readout in JupyterLab 4.4,
    so the reader could not see which value was picked.)
    """
    name: str
    label: str
    options: tuple
    unit: str = ""
    look: str = "dropdown"

    def __post_init__(self):
        check_choice("look", self.look, ("dropdown", "buttons"))
        object.__setattr__(self, "options", tuple(self.options))

    @property
    def description(self):
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value):
        return check_choice(self.name, value, self.options)

    def widget(self, value):
        import ipywidgets as w
        kind = w.ToggleButtons if self.look == "buttons" else w.Dropdown
        return kind(options=self.options, value=self.check(value), description=self.description, style=LABEL_STYLE)


@dataclass(frozen=True)
class Text:
    """A line of text the reader types, read when they press Enter or leave the box; `hint` says its form."""
    name: str
    label: str
    hint: str

    @property
    def description(self):
        return f"{self.label} ({self.hint})"

    def check(self, value):
        if not isinstance(value, str):
            raise ValueError(f"{self.name} must be a string ({self.hint}), got {value!r}")
        return value

    def widget(self, value):
        import ipywidgets as w
        return w.Text(value=self.check(value), description=self.description, continuous_update=False,
                      style=LABEL_STYLE)
