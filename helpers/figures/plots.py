"""One plot style for the whole course, and a plotly renderer that works on the site and live.

The renderer emits two versions of every figure: a bare <div> that draws with the plotly.js the
website loads once in every page (Jupyter Book shows this one), and plotly's own JSON, which
JupyterLab and VS Code draw natively in a live kernel. Div ids come from the figure's content,
so rebuilding the book gives identical HTML.

On the site each figure is a <figure> with its caption (what to look at), its alt text, and a line
saying where it was computed (device, PyTorch version, seed), so a figure computed on a GPU says so.
Backgrounds are transparent and book/_static/course.css recolours text and grid lines in dark mode.

Used in: 1.3.
"""
import hashlib
import html as html_text
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

from helpers.core.checks import check_choice, check_int, check_seed

# Okabe & Ito's palette: distinguishable under the common forms of colour blindness.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(colorway=PALETTE, font=dict(size=13), margin=dict(l=70, r=20, t=60, b=60),
                       hovermode="x unified", legend=dict(orientation="h", y=-0.22),
                       paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")

PROVENANCE = {}   # where this kernel computes: set by helpers.start_notebook


def record_provenance(device_line, seed):
    """Remember the device line and seed, to be printed under every figure."""
    if not isinstance(device_line, str):
        raise ValueError(f"device_line must be a string such as describe_device() returns, got {device_line!r}")
    check_seed(seed)
    PROVENANCE.update(device=device_line.removeprefix("Device: "), seed=seed)


def describe(fig, caption, alt):
    """Attach the caption shown under a figure (what to look at) and its alt text."""
    fig.update_layout(meta=dict(caption=caption, alt=alt))
    return fig


def _as_figure(plot_div, meta):
    """Wrap a plot <div> in a <figure> with alt text, caption and provenance, when it has a caption."""
    if not isinstance(meta, dict) or "caption" not in meta:
        return plot_div
    where = ""
    if PROVENANCE:
        where = (f' <span class="figure-provenance">Computed on {html_text.escape(PROVENANCE["device"])}, '
                 f'seed {PROVENANCE["seed"]}.</span>')
    if meta.get("code"):          # an explorer says where its code lives
        files = " and ".join(f"<code>{html_text.escape(f)}</code>" for f in meta["code"])
        where += f' <span class="figure-code">Code: {files}.</span>'
    # The alt text is an image of its own beside the plot, for a screen reader (course.css hides it and
    # course.js hides the drawing from screen readers): wrapped around the plot, role=img would
    # also hold plotly's toolbar buttons, and an image's content is not interactive.
    return (f'<figure class="course-figure"><div role="img" aria-label="{html_text.escape(meta.get("alt", ""))}" '
            f'class="course-figure-alt"></div>{plot_div}<figcaption>{html_text.escape(meta["caption"])}{where}'
            '</figcaption></figure>')


def _light(fig_dict):
    """The figure as the page draws it: the template's trace defaults only for the trace types it has."""
    layout = fig_dict.get("layout", {})
    template = layout.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("data"), dict):
        return fig_dict
    types = {t.get("type", "scatter") for t in fig_dict.get("data", []) if isinstance(t, dict)}
    template = dict(template, data={k: v for k, v in template["data"].items() if k in types})
    return dict(fig_dict, layout=dict(layout, template=template))


class CourseRenderer(MimetypeRenderer):
    def to_mimebundle(self, fig_dict):
        div_id = "fig-" + hashlib.sha1(json.dumps(fig_dict, sort_keys=True, default=str).encode()).hexdigest()[:12]
        plot_div = pio.to_html(_light(fig_dict), include_plotlyjs=False, full_html=False, div_id=div_id,
                               config={"displaylogo": False, "responsive": True}, validate=False)
        html = _as_figure(plot_div, fig_dict.get("layout", {}).get("meta"))
        return {"text/html": html, "application/vnd.plotly.v1+json": fig_dict}


def use_course_style():
    """Make every figure in this kernel use the course's template and renderer."""
    pio.templates["course"] = TEMPLATE
    pio.templates.default = "course"
    pio.renderers["course"] = CourseRenderer()
    try:
        import google.colab  # noqa: F401  Colab draws plotly with its own renderer
    except ImportError:
        pio.renderers.default = "course"


def figure_html(fig):
    """The site's version of a figure: a <div> and the script that draws it."""
    return CourseRenderer().to_mimebundle(fig.to_plotly_json())["text/html"]


# Values a float type cannot hold are drawn on the floor ("0") or the ceiling ("inf") of the axis.
# float32's floor and ceiling lie outside its range; float64 has nothing outside its own range
# (the browser draws in float64 too), so its floor and ceiling are its smallest and largest values.
def round_sig(values, digits=3):
    """Floats rounded to `digits` significant figures (a light figure); None stays None."""
    digits = check_int("digits", digits, 1, 17)
    return [None if v is None else float(f"{float(v):.{digits}g}") for v in values]


LIMITS = {"float32": (1e-47, 1e40),
          "float64": (float(np.finfo(np.float64).smallest_subnormal), float(np.finfo(np.float64).max))}


def encode_for_log_axis(values, dtype="float32", digits=3):
    """Finite positive values rounded to `digits` significant figures; 0 -> floor; inf/NaN -> ceiling."""
    floor, ceiling = LIMITS[check_choice("dtype", dtype, tuple(LIMITS))]
    digits = check_int("digits", digits, 1, 17)
    rounded = (float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float))
    return [floor if v == 0.0 else v if np.isfinite(v) else ceiling for v in rounded]


def gradient_axes(fig, dtype="float32"):
    """Log y axis over the whole range of `dtype`, with its floor and ceiling labelled."""
    floor, ceiling = LIMITS[check_choice("dtype", dtype, tuple(LIMITS))]
    lo, hi = int(np.log10(floor)), int(np.log10(ceiling))
    step = 10 if dtype == "float32" else 50
    inner = [10.0 ** k for k in range(lo - lo % step + step, hi, step)]
    fig.update_yaxes(type="log", range=[lo - 1, hi + 1], title="‖∂L/∂hₜ‖ (log scale)",
                     tickvals=[floor] + inner + [ceiling],
                     ticktext=["0 (underflow)"] + [f"1e{round(np.log10(v))}" for v in inner] + ["inf (overflow)"])
    fig.update_xaxes(title="position t in the sequence (the loss is taken at the last step)")
    return fig


def value_slider(steps, active, prefix, y, **extra):
    """The course's slider under a figure: full width, its current value printed after `prefix`."""
    if not steps:
        raise ValueError("steps must hold at least one slider step, got none")
    check_int("active", active, 0, len(steps) - 1)
    return dict(active=active, steps=steps, x=0, y=y, len=1.0, yanchor="top",
                currentvalue=dict(prefix=prefix), **extra)


def live_figure(figure, height=None):
    """The live face of a static figure: the widgets above it replace its slider and buttons.

    The room the static face kept for them goes too (above: the buttons over the legend; below: the
    slider), so no empty band sits between the title and the plot. Returns a FigureWidget.
    """
    live = go.FigureWidget(figure)
    live.layout.sliders, live.layout.updatemenus = (), ()
    above_legend = live.layout.legend.y is not None and live.layout.legend.y > 1
    live.layout.margin.t = 100 if above_legend else 60   # a two-line title, then the legend row
    live.layout.margin.b = 70
    if live.layout.title.y is not None and live.layout.title.yanchor == "top":
        live.layout.title.y = 0.95        # a two-line title's first line stays inside the figure
    if height is not None:
        live.layout.height = height
    return live


def loss_curves(curves, title, caption, alt, y_title="training loss (log scale)"):
    """Loss per update for several runs; a run that diverged simply ends where its loss went NaN."""
    fig = go.Figure()
    for name, losses in curves.items():
        losses = np.asarray(losses, dtype=float)
        finite = np.isfinite(losses)
        fig.add_scatter(x=np.flatnonzero(finite), y=np.round(losses[finite], 5), name=name, mode="lines")
        if not finite.all() and finite.any():
            last = np.flatnonzero(finite)[-1]
            fig.add_annotation(x=last, y=np.log10(losses[last]), text=f"{name}: NaN after update {last}",
                               showarrow=True, arrowhead=2)
    fig.update_yaxes(type="log", title=y_title, exponentformat="power")
    fig.update_xaxes(title="update")
    fig.update_layout(title=title, height=420)
    return describe(fig, caption, alt)
