"""Plotting values a float cannot hold (helpers/figures/plots.py): encode_for_log_axis draws 0 below
and inf and NaN above every value a gradient norm of that dtype can take."""
import numpy as np
import plotly.graph_objects as go

from helpers.figures.plots import LIMITS, encode_for_log_axis, gradient_axes


def test_encode_for_log_axis_float32():
    floor, ceiling = LIMITS["float32"]
    encoded = encode_for_log_axis([0.0, np.inf, np.nan, -np.inf, 1.23456e-20, 3.0])
    assert encoded[:4] == [floor, ceiling, ceiling, ceiling]
    assert encoded[4:] == [1.23e-20, 3.0]
    # the floor and ceiling sit outside every value a float32 gradient norm can take
    assert 0 < floor < float(np.finfo(np.float32).smallest_subnormal)
    assert float(np.finfo(np.float32).max) < ceiling < np.inf


def test_encode_for_log_axis_float64_has_drawable_floor_and_ceiling():
    floor, ceiling = LIMITS["float64"]
    encoded = encode_for_log_axis([0.0, np.inf, np.nan, 2.5e-300], "float64")
    assert encoded == [floor, ceiling, ceiling, 2.5e-300]
    assert 0 < floor <= float(np.finfo(np.float64).smallest_subnormal) and np.isfinite(ceiling)
    gradient_axes(go.Figure(), "float64")
