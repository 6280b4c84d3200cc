"""Issue 3: grid runs reproduce docs/reference_values.md §1 and agree with the single-trajectory path."""
import math

import numpy as np
import pytest

from eoscope.derivations import InputError, get_loss, single_neuron
from eoscope.dynamics import GRID_STATUS_CODES, grid_run, trajectory

REFERENCE_Y_INF_SQ = {  # docs/reference_values.md §1: x0 = 0.1, y0 = √(3/η), run until |x| < 1e-12; 1e-5 relative
    "sqrt1p": {0.3: 6.351917, 0.1: 19.899495, 0.03: 66.636653},
    "logcosh": {0.3: 6.201692, 0.1: 19.849536, 0.03: 66.621654},
}


@pytest.mark.parametrize("loss", ["sqrt1p", "logcosh"])
def test_reference_limits_from_a_grid_run_agree_with_trajectory(loss):
    model = single_neuron(get_loss(loss))
    etas = np.array(sorted(REFERENCE_Y_INF_SQ[loss]))
    theta0 = np.column_stack([np.full(3, 0.1), np.sqrt(3 / etas)])
    result = grid_run(model, etas, theta0, max_steps=1_000_000)
    assert np.all(result.status == GRID_STATUS_CODES["converged"])
    for i, eta in enumerate(etas):
        y_sq = result.state[i, 1] ** 2
        assert y_sq == pytest.approx(REFERENCE_Y_INF_SQ[loss][eta], rel=1e-5)
        single = trajectory(model, eta, {"x": 0.1, "y": math.sqrt(3 / eta)}, max_steps=1_000_000)
        assert y_sq == pytest.approx(single.final["y"] ** 2, rel=1e-12, abs=0)
        assert result.sharpness[i] == pytest.approx(single.sharpness, rel=1e-12)
        assert result.eta_sharpness_half[i] == pytest.approx(eta * single.sharpness / 2, rel=1e-12)
        if loss == "sqrt1p":  # the same IEEE operations as run_trajectory: identical orbit
            assert result.steps[i] == single.steps
            assert result.state[i].tolist() == [single.final["x"], single.final["y"]]
        # the catapult height: the largest loss on the orbit (the spike is in the densely sampled start)
        full = trajectory(model, eta, {"x": 0.1, "y": math.sqrt(3 / eta)}, max_steps=1_000_000, stride=1)
        assert result.max_loss[i] == pytest.approx(full.history_loss.max(), rel=1e-12)
        assert result.loss_rises[i] >= 1  # EoS: the loss is not monotone
        assert result.sign_flips[i] == np.count_nonzero(np.diff(np.sign(full.history_state[:, 0])) != 0)


def test_stable_overshoot_and_divergent_reference_points():
    sqrt1p = single_neuron(get_loss("sqrt1p"))
    result = grid_run(sqrt1p, np.array([0.1, 1.0]), np.array([[1e-3, math.sqrt(15.0)], [0.1, 2.0]]), max_steps=1_000_000)
    assert result.status.tolist() == [0, 0]
    assert 0.1 * result.state[0, 1] ** 2 / 2 == pytest.approx(0.75, abs=1e-4)  # stable regime (ref)
    assert result.loss_rises[0] == 0
    assert result.state[1, 1] ** 2 == pytest.approx(0.5587, abs=1e-4)  # large η overshoots far below 2/η
    assert result.eta_sharpness_half[1] < 0.9 and result.max_loss[1] > result.loss0[1]
    square = grid_run(single_neuron(get_loss("square")), np.array([1.0]), np.array([[0.1, 2.0]]))
    assert square.status.tolist() == [GRID_STATUS_CODES["diverged"]]
    assert math.isnan(square.sharpness[0])


def test_periodic_orbits_are_detected_and_are_periodic_along_the_trajectory():
    """Scalar factorisation (1 − xy)²/2 (docs/reference_values.md §4) period-doubles at large η."""
    model = single_neuron(get_loss(expression="(1 - s)**2/2"))
    etas = np.array([1.1218487394957983, 1.265546218487395, 1.2974789915966387])
    theta0 = np.array([[0.1, 0.3277310924369748], [0.1, 1.030252100840336], [0.1, 0.8067226890756303]])
    result = grid_run(model, etas, theta0, max_steps=20_000, tail=40)
    assert result.status.tolist() == [GRID_STATUS_CODES["periodic"]] * 3
    assert result.period.tolist() == [2, 4, 8]
    for i, eta in enumerate(etas):
        start = dict(zip("xy", theta0[i]))
        orbit = trajectory(model, eta, start, max_steps=20_000 + 39, stride=1, tol=1e-300).history_state
        tail = orbit[20_000:]
        assert np.array_equal(result.tail[i], tail)  # the tail continues the orbit (same arithmetic)
        k = int(result.period[i])
        assert np.allclose(tail[k:], tail[:-k], rtol=1e-12, atol=1e-12)
        for smaller in range(1, k):
            assert not np.allclose(tail[smaller:], tail[:-smaller], rtol=1e-6, atol=1e-6)


def test_grid_input_errors():
    model = single_neuron(get_loss("sqrt1p"))
    with pytest.raises(InputError):
        grid_run(model, np.array([0.0]), np.array([[0.1, 1.0]]))
    with pytest.raises(InputError):
        grid_run(model, np.array([0.1]), np.array([[np.nan, 1.0]]))
    with pytest.raises(InputError):
        grid_run(model, np.array([0.1]), np.array([[0.1, 1.0]]), max_steps=-1)
    with pytest.raises(InputError):
        grid_run(model, np.array([0.1, 0.2]), np.array([[0.1, 1.0]]))


def test_mean_model_reference_from_a_grid_run():
    """docs/reference_values.md §3: b∞ for d = 200, A0 = 1/d (a₋ = a₊), b0 = 0."""
    from eoscope.derivations import build_model

    model = build_model("mean-model", params={"d": 200})
    eta_c = 8 * math.pi / 200**2
    ratios = np.array([0.5, 0.9, 1.1, 2, 3, 8])
    theta0 = np.tile([0.0025, 0.0025, 0.0], (6, 1))
    result = grid_run(model, ratios * eta_c, theta0, max_steps=2_000_000)
    assert np.all(result.status == GRID_STATUS_CODES["converged"])
    expected = [-1.5e-5, -7.3e-5, -0.03836, -0.26198, -0.40244, -0.71414]
    assert result.state[:, 2] == pytest.approx(expected, abs=2e-3)
    single = trajectory(model, 2 * eta_c, {"a_minus": 0.0025, "a_plus": 0.0025, "b": 0.0}, max_steps=2_000_000)
    assert result.state[3, 2] == pytest.approx(single.final["b"], rel=1e-12)
