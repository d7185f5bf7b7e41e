"""The introduction's timeline: the facts the issue asks for, and a figure that shows all of them."""
import dataclasses
from datetime import date
from pathlib import Path

import pytest

from helpers.figures.timeline import (MILESTONES, Milestone, days_apart, milestone, milestone_table, posted_text,
                                     span_in_years, timeline_figure)

EXPECTED = [("LSTM", 1997, "Hochreiter"), ("Seq2Seq", 2014, "Sutskever"), ("GRU", 2014, "Cho"),
            ("Bahdanau attention", 2014, "Bahdanau"), ("Luong attention", 2015, "Luong"),
            ("Transformer", 2017, "Vaswani")]


def test_six_milestones_in_order_with_checked_years_and_authors():
    assert [(m.name, m.year) for m in MILESTONES] == [(n, y) for n, y, _ in EXPECTED]
    for m, (_, _, author) in zip(MILESTONES, EXPECTED):
        assert m.authors.startswith(author)
    assert MILESTONES[3].venue == "ICLR 2015"        # Bahdanau: arXiv 2014, published at ICLR 2015


def test_the_conference_was_nips_until_2017():
    """NeurIPS took that name in 2018: the 2014 and 2017 papers appeared at NIPS."""
    assert milestone("Seq2Seq").venue == "NIPS 2014" and milestone("Transformer").venue == "NIPS 2017"
    assert not any("NeurIPS" in m.venue and m.year < 2018 for m in MILESTONES)


def test_the_three_2014_papers_are_dated_by_their_first_arxiv_version():
    # arXiv's listings: 1406.1078 on 3 June, 1409.0473 on 1 September, 1409.3215 on 10 September 2014
    assert [milestone(n).posted for n in ("GRU", "Bahdanau attention", "Seq2Seq")] == \
        [date(2014, 6, 3), date(2014, 9, 1), date(2014, 9, 10)]
    assert days_apart("Bahdanau attention", "Seq2Seq") == 9
    assert days_apart("GRU", "Seq2Seq") == 27 + 31 + 31 + 10     # the rest of June, July, August, 10 September
    assert days_apart("Seq2Seq", "GRU") == -99
    assert posted_text(milestone("Seq2Seq")) == "10 Sep 2014" and posted_text(milestone("LSTM")) == ""


def test_twenty_years_from_lstm_to_transformer():
    assert span_in_years() == 20


def test_every_milestone_says_what_it_fixed_and_has_a_citation():
    bib = (Path(__file__).resolve().parents[2] / "book" / "references.bib").read_text()
    for m in MILESTONES:
        assert m.addressed and m.idea
        assert f"{{{m.cite}," in bib, f"{m.cite} missing from references.bib"


def test_table_has_one_row_per_milestone():
    table = milestone_table()
    assert len(table.rows) == 6 and table.columns[-1] == "limitation it addressed"
    assert "| 2017 | Transformer |" in table._repr_markdown_()
    assert "| NIPS 2017 |" in table._repr_markdown_() and "| 12 Jun 2017 |" in table._repr_markdown_()


def test_figure_hover_names_authors_and_limitation():
    fig = timeline_figure()
    points = fig.data[1]
    assert list(points.x) == [m.year for m in MILESTONES]
    for text, m in zip(points.hovertext, MILESTONES):
        assert m.authors in text and m.addressed in text and str(m.year) in text


@pytest.mark.parametrize("bad, message", [
    ((), "at least one"),
    (("LSTM",), "Milestone objects"),
    ((MILESTONES[5], MILESTONES[0]), "order of year"),
])
def test_bad_milestones_raise_value_error(bad, message):
    for fn in (timeline_figure, milestone_table, span_in_years):
        with pytest.raises(ValueError, match=r"^milestones must .*" + message):
            fn(bad)


def test_a_name_or_a_date_that_is_not_there_raises_value_error():
    with pytest.raises(ValueError, match=r"^name must be one of"):
        milestone("ELMo")
    with pytest.raises(ValueError, match="LSTM.*no arXiv version"):
        days_apart("LSTM", "GRU")


def test_milestones_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MILESTONES[0].year = 1998
    assert isinstance(MILESTONES[0], Milestone)


def test_points_are_labelled_with_their_year_inside_the_plot():
    """On a phone a label "1997 · Hochreiter & Schmidhuber" ran off the plot: the authors are in the hover and the table."""
    fig = timeline_figure()
    points = fig.data[1]
    assert list(points.text) == [str(m.year) for m in MILESTONES]
    low, high = fig.layout.xaxis.range
    # a year label sits beside its point, towards the middle: the outermost points keep room on their outer side
    assert low <= MILESTONES[0].year - 2 and MILESTONES[-1].year + 2 <= high
    assert points.textposition[0] == "middle right" and points.textposition[-1] == "middle left"
    for label in points.y:          # row labels of a word a line, short enough to leave the plot its width
        assert all(len(line) <= 12 for line in label.split("<br>")), label
