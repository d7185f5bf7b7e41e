"""Every chapter's numbered sections run 1, 2, 3, ... with none missing, doubled or out of order.

A heading that starts with a number ("## 3. Fixed computation per step") is a numbered section; at
each heading level the numbers must count up from 1, and they start again under each heading of a
higher level. Chapter 1.5 once read 1, 2, 4 after an edit deleted a section's heading.
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
HEADING = re.compile(r"^(#{1,6})\s+(?:(\d+)\.\s)?")
FENCE = re.compile(r"^(```|~~~)")


def headings(markdown):
    """(level, number or None) of every heading in `markdown`, code fences skipped."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            found.append((len(match.group(1)), int(match.group(2)) if match.group(2) else None))
    return found


def numbering_problems(found):
    """Where the numbers of `found` (from headings) do not count 1, 2, 3 at their level."""
    problems, expected = [], {}
    for level, number in found:
        for deeper in [k for k in expected if k > level]:
            del expected[deeper]                    # a new parent section: its children count from 1 again
        if number is None:
            continue
        want = expected.get(level, 1)
        if number != want:
            problems.append(f"level {level}: section {number} where {want} was due")
        expected[level] = number + 1
    return problems


def chapter_headings(path):
    nb = nbformat.read(path, as_version=4)
    return headings("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_numbered_sections_are_consecutive(path):
    assert numbering_problems(chapter_headings(path)) == [], path.name


def test_the_check_sees_a_gap_a_repeat_and_a_restart():
    assert numbering_problems([(2, 1), (2, 2), (2, 4)]) == ["level 2: section 4 where 3 was due"]
    assert numbering_problems([(2, 1), (2, 1)]) == ["level 2: section 1 where 2 was due"]
    assert numbering_problems([(2, 1), (3, 1), (3, 2), (2, 2), (3, 1)]) == []      # subsections restart
    assert numbering_problems([(2, 2)]) == ["level 2: section 2 where 1 was due"]
    assert headings("## 1. A\n```\n## 7. not a heading\n```\n### Plain\n## 2. B") == [(2, 1), (3, None), (2, 2)]


def test_chapter_1_5_counts_its_four_limitations():
    numbered = [n for level, n in chapter_headings(ROOT / "book" / "05_limitations.ipynb") if n is not None]
    assert numbered == [1, 2, 3, 4]
