"""Interactive figures that work twice: on the static website and in a live kernel.

An explorer is one object with two faces. Its text/html face is a plotly figure whose sliders
and buttons move over values precomputed when the book was built; it needs no kernel, so the
website shows it. Its widget face is a set of ipywidgets controls and a plotly FigureWidget that
recompute with PyTorch on every change, for any value, on the GPU when there is one; Jupyter
shows that one. While the website is built (COURSE_SITE_BUILD is set by book/_ext) only the
static face is emitted.

Used in: 1.3.
"""
import math
import os

import numpy as np
import plotly.graph_objects as go
import torch

from .checks import check_choice, check_device, check_float, check_int, check_seed
from .device import pick_device
from .gradient_flow import gradient_flow
from .inits import INITS
from .plots import PALETTE, describe, encode_for_log_axis, figure_html, gradient_axes, live_figure, value_slider
from .widget_faces import RecomputeLine, widget_bundle

STATIC_RADII = np.round(np.arange(0.1, 2.0001, 0.1), 2)   # the website's |W_h| slider: 20 values
STATIC_LENGTHS = (20, 100, 1000)
STATIC_HIDDEN = 64
MAX_POINTS = 200          # a long curve is drawn at every k-th step to keep the page light
RADIUS_LABEL = "|W_h| = spectral radius ρ(W_hh)"
COLORS = dict(zip(INITS, PALETTE))
DTYPES = {"float32": torch.float32, "float64": torch.float64}
HIDDEN_CHOICES = (16, 32, 64, 128, 256)   # the live widget's hidden sizes


class DualExplorer:
    """Shows `static_figure` on the website and the widget built by `make_widget` in a kernel."""

    def __init__(self, static_figure, make_widget):
        self.static_figure = static_figure
        self._make_widget = make_widget
        self.widget = None

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": "(interactive figure: open the chapter live to recompute it)"}
        if not os.environ.get("COURSE_SITE_BUILD"):
            self.widget = self.widget or self._make_widget()
            bundle.update(self.widget._repr_mimebundle_())
        bundle["text/html"] = figure_html(self.static_figure)
        return bundle


def trace_label(init, flow, i, j):
    """Legend entry for one curve: the init, and where float arithmetic gave up, if it did."""
    label = init
    if flow.overflow_step[i, j] >= 0:
        label += f" · inf from t={flow.overflow_step[i, j]} back"
    if flow.underflow_step[i, j] >= 0:
        label += f" · 0 from t={flow.underflow_step[i, j]} back"
    return label


def _stride(seq_len):
    return max(1, math.ceil(seq_len / MAX_POINTS))


def static_gradient_figure(flows, active_radius=1.0):
    """The website's figure: |W_h| slider (restyles y), length buttons (toggle visible traces).

    flows: {seq_len: GradientFlow} over the same radii and inits. The two controls touch
    different trace properties, so each keeps working whatever the other is set to.
    """
    if not flows:
        raise ValueError("flows must hold at least one {seq_len: GradientFlow}, got none")
    check_float("active_radius", active_radius, low=0.0)
    lengths = sorted(flows)
    first = flows[lengths[0]]
    radii, inits = first.radii, first.inits
    active = int(np.abs(radii - active_radius).argmin())
    fig = go.Figure()
    for seq_len in lengths:
        flow, step = flows[seq_len], _stride(seq_len)
        for i, init in enumerate(inits):
            fig.add_scatter(y=encode_for_log_axis(flow.grad_h[i, active, ::step], flow.dtype), x0=0, dx=step,
                            name=trace_label(init, flow, i, active), line=dict(color=COLORS[init]),
                            visible=seq_len == lengths[-1], hovertemplate="%{y:.3g}")

    def all_traces(j):
        ys, names = [], []
        for seq_len in lengths:
            flow, step = flows[seq_len], _stride(seq_len)
            for i, init in enumerate(inits):
                ys.append(encode_for_log_axis(flow.grad_h[i, j, ::step], flow.dtype))
                names.append(trace_label(init, flow, i, j))
        return {"y": ys, "name": names}

    steps = [dict(method="restyle", label=f"{r:.1f}", args=[all_traces(j)]) for j, r in enumerate(radii)]
    buttons = [dict(method="update", label=f"length {L}",
                    args=[{"visible": [L == other for other in lengths for _ in inits]},
                          {"xaxis.range": [0, L - 1]}]) for L in lengths]
    fig.update_layout(
        title=dict(text=f"How much gradient reaches step t (tanh RNN, hidden {first.hidden_size}, {first.dtype})",
                   y=0.98, yanchor="top"),
        height=600, xaxis_range=[0, lengths[-1] - 1], margin=dict(t=150, b=150),
        legend=dict(orientation="h", x=0, y=1.02, xanchor="left", yanchor="bottom"),
        sliders=[value_slider(steps, active, RADIUS_LABEL + " = ", -0.2, pad=dict(t=10))],
        updatemenus=[dict(type="buttons", direction="right", buttons=buttons, active=len(lengths) - 1,
                          x=1.0, xanchor="right", y=1.2, yanchor="bottom", showactive=True)])
    describe(fig, caption=("The gradient of a loss at the last step, measured at every earlier step t, for four "
                           "initialisations of W_hh rescaled to the spectral radius on the slider. Look at the slope: "
                           "below 1 every curve falls exponentially towards the floor (exactly 0 in "
                           f"{first.dtype}); near 2 some curves hit the ceiling (inf)."),
             alt=("Line chart, log scale: gradient norm against position in the sequence for the default, Xavier, "
                  "orthogonal and identity initialisations, with a slider for the spectral radius and buttons "
                  f"for sequence lengths {', '.join(map(str, lengths))}."))
    return gradient_axes(fig, first.dtype)


class GradientFlowWidget:
    """The live face: controls for |W_h|, length, init, hidden size and precision."""

    def __init__(self, radius=1.0, seq_len=100, init="all", hidden_size=64, dtype="float32", seed=0,
                 device=None):
        import ipywidgets as w
        check_float("radius", radius, low=0.05, high=2.0)       # each control's range, as the slider shows it
        check_int("seq_len", seq_len, 10, 1000)
        check_choice("init", init, ("all",) + INITS)
        check_choice("hidden_size", hidden_size, HIDDEN_CHOICES)
        check_choice("dtype", dtype, tuple(DTYPES))
        self.seed, self.device = check_seed(seed), pick_device() if device is None else check_device(device)
        self.controls = dict(
            radius=w.FloatSlider(value=radius, min=0.05, max=2.0, step=0.05, description="|W_h| = ρ (0.05–2)",
                                 continuous_update=True, readout_format=".2f"),
            seq_len=w.IntSlider(value=seq_len, min=10, max=1000, step=10, description="length (10–1000 steps)",
                                continuous_update=False),
            init=w.Dropdown(options=("all",) + INITS, value=init, description="init of W_hh"),
            hidden_size=w.Dropdown(options=HIDDEN_CHOICES, value=hidden_size, description="hidden size (units)"),
            dtype=w.Dropdown(options=("float32", "float64"), value=dtype, description="precision (dtype)"),
        )
        self.status = RecomputeLine(self.device)
        # one trace per init, always: the init control shows or hides them
        all_inits = self._compute(INITS)
        self.figure = live_figure(static_gradient_figure(all_inits, radius), height=520)
        self.update(all_inits if init == "all" else None)
        for control in self.controls.values():
            control.style.description_width = "initial"   # room for labels with units and ranges
            control.observe(lambda change: self.update(), names="value")
        self.view = w.VBox([w.HBox([self.controls[k] for k in ("radius", "seq_len", "init")]),
                            w.HBox([self.controls[k] for k in ("hidden_size", "dtype")]), self.status.widget,
                            self.figure])

    def _compute(self, inits=None):
        c = {k: v.value for k, v in self.controls.items()}
        inits = inits or (INITS if c["init"] == "all" else (c["init"],))
        with self.status.running(f"{len(inits)} curve{'s' * (len(inits) > 1)} of length {c['seq_len']}"):
            flow = gradient_flow([c["radius"]], inits, c["seq_len"], c["hidden_size"], seed=self.seed,
                                 dtype=DTYPES[c["dtype"]], device=self.device)
        return {c["seq_len"]: flow}

    def update(self, flows=None):
        """Redraw the figure in place for the current controls (recomputed unless `flows` holds them)."""
        (seq_len, flow), = (flows or self._compute()).items()
        step = _stride(seq_len)
        with self.figure.batch_update():
            for trace, init in zip(self.figure.data, INITS):
                trace.visible = init in flow.inits
                if init in flow.inits:
                    i = flow.inits.index(init)
                    trace.y = encode_for_log_axis(flow.grad_h[i, 0, ::step], flow.dtype)
                    trace.dx = step
                    trace.name = trace_label(init, flow, i, 0)
            self.figure.layout.xaxis.range = [0, seq_len - 1]
            self.figure.layout.title.text = (f"How much gradient reaches step t (tanh RNN)<br>hidden {flow.hidden_size}, "
                                             f"{flow.dtype}, |W_h| = {flow.radii[0]:.2f}, length {seq_len}, on {self.device}")
            gradient_axes(self.figure, flow.dtype)

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.view)


def explore_gradient_flow(seed=0, device=None):
    """The chapter's explorer: gradient norm at every step as |W_h|, length, init and size change."""
    check_seed(seed)
    if device is not None:
        check_device(device)
    flows = {L: gradient_flow(STATIC_RADII, INITS, L, STATIC_HIDDEN, seed=seed) for L in STATIC_LENGTHS}
    return DualExplorer(static_gradient_figure(flows), lambda: GradientFlowWidget(seed=seed, device=device))
