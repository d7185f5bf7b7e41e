"""The six milestones on the road to the Transformer, as data and as a hover-able timeline.

The facts live here once, as data, so the introduction's figure, its table and its prose cannot
disagree with each other. Each entry records the limitation of the earlier models that the paper
set out to remove: the story the course follows, one chapter per step.

Used in: the introduction.
"""
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go

from helpers.core.table import Table
from helpers.figures.plots import PALETTE, describe


@dataclass(frozen=True)
class Milestone:
    name: str
    year: int          # year the paper first appeared (arXiv preprint or journal)
    authors: str
    venue: str         # NIPS until 2017: the conference became NeurIPS in 2018
    arxiv: str         # arXiv identifier of the first public version, "" when there was none
    posted: date | None  # the day that first version appeared on arXiv, None when there was none
    idea: str          # what the paper introduced
    addressed: str     # the limitation of earlier models it removed
    cite: str          # key in book/references.bib


MILESTONES = (
    Milestone("LSTM", 1997, "Hochreiter & Schmidhuber", "Neural Computation", "", None,
              "a memory cell guarded by multiplicative gates",
              "plain RNNs cannot learn dependencies that span many steps: their gradients vanish",
              "hochreiter1997lstm"),
    Milestone("Seq2Seq", 2014, "Sutskever, Vinyals & Le", "NIPS 2014", "1409.3215", date(2014, 9, 10),
              "an encoder LSTM reads the input into one vector, a decoder LSTM writes the output from it",
              "fixed-size networks cannot map a sequence to a sequence of a different length",
              "sutskever2014sequence"),
    Milestone("GRU", 2014, "Cho et al.", "EMNLP 2014", "1406.1078", date(2014, 6, 3),
              "a gated unit with two gates and no separate cell state",
              "the LSTM's gating costs many parameters and computations per step",
              "cho2014learning"),
    Milestone("Bahdanau attention", 2014, "Bahdanau, Cho & Bengio", "ICLR 2015", "1409.0473", date(2014, 9, 1),
              "the decoder looks back at every encoder state, weighted by a learned alignment score",
              "squeezing a whole input sentence into one fixed-length vector loses information on long inputs",
              "bahdanau2015neural"),
    Milestone("Luong attention", 2015, "Luong, Pham & Manning", "EMNLP 2015", "1508.04025", date(2015, 8, 17),
              "simpler multiplicative (dot-product) scores; global and local attention",
              "attending to every source word at every step is costly for long inputs, and simpler scoring functions were untested",
              "luong2015effective"),
    Milestone("Transformer", 2017, "Vaswani et al.", "NIPS 2017", "1706.03762", date(2017, 6, 12),
              "self-attention and feed-forward layers only: no recurrence at all",
              "recurrence forces one step after another: training cannot run in parallel over positions",
              "vaswani2017attention"),
)


def check_milestones(milestones):
    """Return the milestones as a tuple if they are Milestone objects in non-decreasing year order."""
    milestones = tuple(milestones)
    if not milestones:
        raise ValueError("milestones must hold at least one Milestone, got none")
    for m in milestones:
        if not isinstance(m, Milestone):
            raise ValueError(f"milestones must hold Milestone objects, got {m!r}")
    years = [m.year for m in milestones]
    if years != sorted(years):
        raise ValueError(f"milestones must be in order of year, got years {years}")
    return milestones


def span_in_years(milestones=MILESTONES):
    """Years from the first milestone to the last (1997 -> 2017: the "20 years" of the introduction)."""
    milestones = check_milestones(milestones)
    return milestones[-1].year - milestones[0].year


def milestone(name, milestones=MILESTONES):
    """The milestone called `name` ("GRU")."""
    for m in check_milestones(milestones):
        if m.name == name:
            return m
    raise ValueError(f"name must be one of {[m.name for m in milestones]}, got {name!r}")


def days_apart(first, second, milestones=MILESTONES):
    """Days from the first arXiv version of milestone `first` to that of `second` (negative if earlier)."""
    a, b = milestone(first, milestones), milestone(second, milestones)
    for m in (a, b):
        if m.posted is None:
            raise ValueError(f"milestone {m.name!r} has no arXiv version to date it by")
    return (b.posted - a.posted).days


def posted_text(m):
    """'10 Sep 2014' for a milestone with an arXiv version, '' without one."""
    return f"{m.posted.day} {m.posted:%b %Y}" if m.posted else ""


def milestone_table(milestones=MILESTONES):
    """Year, paper and the limitation each milestone removed, as a Markdown table."""
    rows = tuple((str(m.year), m.name, m.authors, posted_text(m) or "none", m.venue, m.addressed)
                 for m in check_milestones(milestones))
    return Table(("year", "milestone", "authors", "first on arXiv", "published in", "limitation it addressed"), rows)


def _hover(m):
    first = f"<br>first on arXiv: {m.arxiv}, {posted_text(m)}" if m.arxiv else ""
    return (f"<b>{m.name}</b> ({m.year})<br>{m.authors}, {m.venue}{first}"
            f"<br><i>idea:</i> {m.idea}<br><i>addressed:</i> {m.addressed}")


def row_label(m):
    """The milestone's name as its row's label, one word a line ("Bahdanau<br>attention"): short enough for a phone."""
    return "<br>".join(m.name.split())


def timeline_figure(milestones=MILESTONES):
    """One row per milestone at its year; hover a point for the authors, the idea and what it fixed.

    Rows, not a single line: three of the six papers appeared in 2014-2015 and would sit on top
    of each other.
    """
    milestones = check_milestones(milestones)
    names = [row_label(m) for m in milestones]
    midpoint = (milestones[0].year + milestones[-1].year) / 2
    fig = go.Figure()
    fig.add_scatter(x=[m.year for m in milestones], y=names, mode="lines", showlegend=False, hoverinfo="skip",
                    line=dict(color="#BBBBBB", dash="dot"))
    fig.add_scatter(x=[m.year for m in milestones], y=names, mode="markers+text", showlegend=False,
                    text=[str(m.year) for m in milestones],      # authors: in the hover text and the table
                    textposition=["middle right" if m.year < midpoint else "middle left" for m in milestones],
                    marker=dict(size=16, color=[PALETTE[i % len(PALETTE)] for i in range(len(milestones))],
                                line=dict(width=1, color="white")),
                    hovertext=[_hover(m) for m in milestones], hoverinfo="text",
                    hoverlabel=dict(align="left"))
    first, last = milestones[0].year, milestones[-1].year
    fig.update_layout(title=f"The road to transformers, {first}–{last} (hover a point)", height=430,
                      hovermode="closest", margin=dict(l=90, r=20, t=60, b=50))
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title="year of publication", range=[first - 3, last + 3], dtick=4, tickangle=0)
    return describe(fig, caption=(f"Six milestones from {first} to {last}. Hover a point for its authors, its idea and "
                                  "the limitation of its predecessor that it addressed."),
                    alt=f"Timeline of six milestones in sequence modelling from {first} to {last}, one row each.")
