"""Every interactive figure of the course, and the framework they are built on.

The framework:

- controls: the declarations of an explorer's controls (Range, Choice, Text), with ranges and units;
  they check a caller's values and build the widgets.
- live: LiveExplorer, the live face built from those declarations, with the recompute line that
  says what is recomputed, on which device, and how long it took.
- faces: DualExplorer, which shows the static face on the website and the live face in a kernel,
  under ipywidgets 7 (Colab) and 8.

The explorers, one module each: gradient_flow (1.3), gated_flow (1.4), bottleneck (1.2), throughput
(1.8), lanes (1.8), attention, cliff, score_times and local_attention (1.6, 1.7), first_input_decay (the summary).
The in-page faces of 1.3 and 1.4 compute in the reader's browser (book/_static/flow_engine.js) from
the data that flow_export writes when the site is built; 1.6's trains new models there
(book/_static/copy_trainer.js) from the weights cliff_page writes.
"""
from helpers.explorers.controls import Choice, Range, Text
from helpers.explorers.faces import DualExplorer, widget_bundle
from helpers.explorers.live import LiveExplorer, RecomputeLine

__all__ = ["Choice", "DualExplorer", "LiveExplorer", "Range", "RecomputeLine", "Text", "widget_bundle"]
