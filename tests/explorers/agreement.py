"""When an explorer's live face agrees with its static face: the curves of the website's face at the same
setting.

The static face is computed once for a grid of values (its slider restyles the curves); the live face
recomputes one value with PyTorch when a control moves. Each face draws encode_for_log_axis of its own
computation (three significant figures; 0 on the floor, inf on the ceiling), so the tests recompute both
calls and require each face's drawing to be exactly that (the same arithmetic on the same machine). The
two calls run the same formulas on the same data but in batches of other sizes, where a matrix product
may sum in another order: wherever their values differ, they must agree within the sum of their a-priori
rounding bounds (tests/tolerances.py, computed only then). A bound is first order, so points where it
exceeds a tenth of the value (tolerances.first_order_holds) are left out: there the float32 computation is
too ill-conditioned for any bound to certify agreement (an exploding or chaotic gradient), and what remains
is that the two calls are the same arithmetic up to the batch, which tests/experiments/test_gradient_flow.py
and test_gated_flow.py check in float64 within derived bounds.
"""
import numpy as np

from helpers.figures.plots import encode_for_log_axis
from tests import tolerances as tol


def slider_curves(figure, step):
    """The y of every trace once the static face's slider is moved to `step`."""
    return figure.layout.sliders[0].steps[step].args[0]["y"]


def assert_draws(drawn, raw, what, dtype="float32"):
    """A face draws exactly encode_for_log_axis of its computation."""
    assert list(drawn) == encode_for_log_axis(raw, dtype), what


def assert_same_values(static_raw, live_raw, bounds, what):
    """Two computations of one curve: equal, or within the sum of their bounds where they differ.

    bounds(mask) -> Bounded of the curve at the points in `mask` (evaluated only when some point differs).
    """
    static_raw, live_raw = np.asarray(static_raw, dtype=float), np.asarray(live_raw, dtype=float)
    assert static_raw.shape == live_raw.shape, what
    differ = ~((static_raw == live_raw) | (np.isnan(static_raw) & np.isnan(live_raw)))
    if not differ.any():
        return
    bound = bounds(differ)
    allowance = np.full(static_raw.shape, np.inf)        # left out where the first-order bound does not hold
    allowance[np.flatnonzero(differ)] = np.where(tol.first_order_holds(bound).numpy(), 2 * bound.e.numpy(), np.inf)
    tol.assert_within(np.where(differ, static_raw, 0.0), np.where(differ, live_raw, 0.0), allowance,
                      "twice the a-priori float32 bound of the curve (tests/tolerances.py): the two faces' calls differ only "
                      "in the batch around this setting", what)
