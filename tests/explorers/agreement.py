"""When an explorer's live face agrees with its static face: the curves of the website's face at the same
setting.

The static face is computed once for a grid of values (its slider restyles the curves); the live
face recomputes one value with PyTorch when a control moves. Both draw values rounded to three
significant figures (helpers.figures.plots.encode_for_log_axis), so they agree to within one unit in the
third figure; the floor (an exact 0) and the ceiling (inf) must coincide exactly.
"""
import numpy as np

DRAWN_DIGITS = 1.01e-2      # one unit in the third significant figure, relative


def slider_curves(figure, step):
    """The y of every trace once the static face's slider is moved to `step`."""
    return figure.layout.sliders[0].steps[step].args[0]["y"]


def assert_same_curves(live, static, what):
    live, static = np.asarray(live, dtype=float), np.asarray(static, dtype=float)
    assert live.shape == static.shape, what
    floor, ceiling = static.min(), static.max()
    assert np.array_equal(live == floor, static == floor) and np.array_equal(live == ceiling, static == ceiling), what
    assert np.allclose(live, static, rtol=DRAWN_DIGITS, atol=0), what
