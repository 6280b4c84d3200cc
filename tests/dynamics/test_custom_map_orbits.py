"""trajectory and grid_run on maps given directly (custom_map): converged means a fixed point, |F(θ) − θ| < tol.

Closed forms: the logistic map x ↦ ηx(1 − x) has the fixed point x* = 1 − 1/η, stable for 1 < η < 3, and for
3 < η < 1 + √6 the stable 2-cycle x± = (η + 1 ± √((η + 1)(η − 3)))/(2η). The Hénon map (x, y) ↦ (1 − ηx² + y, 0.3x)
has the fixed point x* = (−0.7 + √(0.49 + 4η))/(2η), y* = 0.3x*. (Before issue 11 both verbs reported "converged
at step 0" for every custom map, and a 1-D map crashed the trajectory kernel.)
"""
import math

import numpy as np
import pytest

from eoscope.derivations import custom_map
from eoscope.dynamics import GRID_STATUS_CODES, grid_run, trajectory

LOGISTIC = custom_map("eta*x*(1-x)", "x")
HENON = custom_map(["1 - eta*x**2 + y", "0.3*x"], ["x", "y"])


@pytest.mark.parametrize("eta", [1.5, 2.5, 2.9])
def test_logistic_trajectory_reaches_its_fixed_point(eta):
    run = trajectory(LOGISTIC, eta, {"x": 0.3}, max_steps=200_000)
    assert run.status == "converged" and run.steps > 0
    assert run.final["x"] == pytest.approx(1 - 1 / eta, abs=1e-10)
    assert "|F(θ) − θ|" in run.message


def test_henon_trajectory_reaches_its_fixed_point():
    eta = 0.2
    run = trajectory(HENON, eta, {"x": 0.1, "y": 0.1})
    x_star = (-0.7 + math.sqrt(0.49 + 4 * eta)) / (2 * eta)
    assert run.status == "converged"
    assert run.final["x"] == pytest.approx(x_star, abs=1e-10) and run.final["y"] == pytest.approx(0.3 * x_star, abs=1e-10)


def test_logistic_grid_labels_fixed_points_and_two_cycles():
    etas = np.array([2.5, 3.2, 3.3])
    result = grid_run(LOGISTIC, etas, np.full((3, 1), 0.3), max_steps=20_000)
    assert result.status[0] == GRID_STATUS_CODES["converged"]
    assert result.state[0, 0] == pytest.approx(0.6, abs=1e-10)
    for i in (1, 2):
        assert result.status[i] == GRID_STATUS_CODES["periodic"] and result.period[i] == 2
        eta = etas[i]
        cycle = sorted((eta + 1 + s * math.sqrt((eta + 1) * (eta - 3))) / (2 * eta) for s in (-1, 1))
        assert min(abs(result.state[i, 0] - c) for c in cycle) < 1e-8


def test_a_custom_map_parameter_may_be_negative():
    run = trajectory(LOGISTIC, -0.5, {"x": 0.3})
    assert run.status == "converged" and run.final["x"] == pytest.approx(0.0, abs=1e-10)
    assert run.to_dict()["two_over_eta"] is None
