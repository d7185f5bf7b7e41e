"""The numbers in the chapter's tables are right, not just well formatted.

The tables are shown as text, so these tests read the text back (as a reader would) and check it
against the mathematics: tanh'(x) = 1 - tanh(x)^2, and a constant factor m applied s times is m^s.
"""
import math

import pytest

from helpers.experiments.tables import multiplier_table, tanh_derivative_table
from tests import tolerances as tol


def parse(table):
    """The table's rows as lists of floats, read from the strings the reader sees."""
    return [[float(cell) for cell in row] for row in table.rows]


def shown(decimals):
    """How far a value shown to `decimals` decimals may lie from the number it shows: half a unit of the last
    decimal, plus the binary rounding of the parsed decimal and of the value (below 8: 2^-50 covers both)."""
    return 0.5 * 10.0 ** -decimals + 2.0 ** -50


# float64 rounding of the quantities themselves, below 8 in size: atanh and tanh within 2 ulps each, and the
# round trip tanh(atanh(w)) = w within 4 ulps even at w = 0.999 (atanh's condition, 131, meets tanh's, 0.0076),
# so 1 - y^2 from autograd moves by at most 2 |w| 8 u + 2 u: 1e-14 covers every such term here
ROUNDING = 1e-14


@pytest.mark.parametrize("activations", [(0.99, 0.80, 0.20), (-0.5, 0.0, 0.37, 0.999)])
def test_tanh_derivative_is_one_minus_tanh_squared(activations):
    table = tanh_derivative_table(activations)
    assert table.columns == ("x", "tanh(x)", "tanh'(x)")
    rows = parse(table)
    assert len(rows) == len(activations)
    for (x, a, derivative), wanted in zip(rows, activations):
        tol.assert_within(a, wanted, shown(2), "half a unit of the 2 decimals shown", "tanh(x)")
        tol.assert_within(derivative, 1 - wanted ** 2, shown(4) + ROUNDING, "half a unit of the 4 decimals shown, and rounding",
                          "tanh'(x)")
        tol.assert_within(x, math.atanh(wanted), shown(3) + ROUNDING, "half a unit of the 3 decimals shown, and rounding", "x")
        tol.assert_within(math.tanh(x), wanted, shown(3) + ROUNDING, "x's 3 decimals through tanh's slope (<= 1), and rounding",
                          "tanh of the shown x")


def test_tanh_derivative_shrinks_as_the_unit_saturates():
    """The chapter's point: the closer |tanh| is to 1, the less gradient passes."""
    rows = parse(tanh_derivative_table((0.2, 0.8, 0.99)))
    derivatives = [d for _, _, d in rows]
    assert derivatives == sorted(derivatives, reverse=True)
    assert derivatives[-1] < 0.02 < 0.9 < derivatives[0]


@pytest.mark.parametrize("multipliers, steps", [((0.9, 0.95, 1.05, 1.1), (30, 50, 100)),
                                                ((0.5, 1.0, 2.0), (1, 7, 200))])
def test_multiplier_table_is_m_to_the_s(multipliers, steps):
    table = multiplier_table(multipliers, steps)
    assert len(table.columns) == 1 + len(steps)
    for s, header in zip(steps, table.columns[1:]):
        assert str(s) in header
    rows = parse(table)
    assert [row[0] for row in rows] == list(multipliers)     # %g keeps 6 digits: these parse back to the same double
    for m, row in zip(multipliers, rows):
        for s, shown in zip(steps, row[1:]):
            # 4 significant digits: relative error at most half a unit in the 4th digit
            assert shown == pytest.approx(m ** s, rel=5.0001e-4), f"{m}**{s}"


def test_multiplier_table_shows_vanishing_and_exploding():
    rows = parse(multiplier_table((0.9, 1.1), (100,)))
    assert rows[0][1] < 1e-4 and rows[1][1] > 1e4
