"""The explorer framework: every interactive figure of the course is built on it.

- controls: the declarations of an explorer's controls (Range, Choice, Text), with ranges and units;
  they check a caller's values and build the widgets.
- live: LiveExplorer, the live face built from those declarations, with the recompute line that
  says what is recomputed, on which device, and how long it took.
- faces: DualExplorer, which shows the static face on the website and the live face in a kernel,
  under ipywidgets 7 (Colab) and 8.

Used by: 9 modules of helpers.
"""
from .controls import Choice, Range, Text
from .faces import DualExplorer, widget_bundle
from .live import LiveExplorer, RecomputeLine

__all__ = ["Choice", "DualExplorer", "LiveExplorer", "Range", "RecomputeLine", "Text", "widget_bundle"]
