"""Single trajectories through the generated kernel against docs/reference_values.md §1, mpmath and closed forms."""
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eoscope.derivations import InputError, get_loss, single_neuron
from eoscope.dynamics import compile, trajectory

REFERENCE_TABLE = {
    ("sqrt1p", 0.3): 6.351917,
    ("sqrt1p", 0.1): 19.899495,
    ("sqrt1p", 0.03): 66.636653,
    ("logcosh", 0.3): 6.201692,
    ("logcosh", 0.1): 19.849536,
    ("logcosh", 0.03): 66.621654,
}
REFERENCE_STEPS = {0.3: 274, 0.1: 2601, 0.03: 28468}


def model(name):
    return single_neuron(get_loss(name))


@pytest.mark.parametrize("loss, eta", list(REFERENCE_TABLE))
def test_reference_table(loss, eta):
    run = trajectory(model(loss), eta, {"x": 0.1, "y": math.sqrt(3 / eta)})
    assert run.status == "converged"
    assert run.final["y"] ** 2 == pytest.approx(REFERENCE_TABLE[(loss, eta)], rel=1e-5)
    assert abs(run.final["x"]) < 1e-12
    assert run.eta_sharpness_half < 1  # settles just below the edge
    if loss == "sqrt1p":
        assert abs(run.steps - REFERENCE_STEPS[eta]) <= 0.01 * REFERENCE_STEPS[eta]


def test_stable_regime_reaches_the_gradient_flow_limit():
    run = trajectory(model("sqrt1p"), 0.1, {"x": 1e-3, "y": math.sqrt(15)})
    assert run.converged
    assert 0.1 * run.final["y"] ** 2 / 2 == pytest.approx(0.75, abs=1e-4)
    assert run.eta_sharpness_half == pytest.approx(0.75, abs=1e-4)


def test_large_step_overshoots_far_below_the_edge():
    run = trajectory(model("sqrt1p"), 1.0, {"x": 0.1, "y": 2.0})
    assert run.converged
    assert run.final["y"] ** 2 == pytest.approx(0.5587, abs=1e-4)


def test_square_loss_diverges_at_the_overshoot_point():
    run = trajectory(model("square"), 1.0, {"x": 0.1, "y": 2.0})
    assert run.status == "diverged"
    assert math.isnan(run.eta_sharpness_half)


def _mpmath_sqrt1p_limit(eta, x, y, digits=40):
    """Independent oracle: iterate x' = x − η y·s/√(1+s²) at high precision until |x| < 1e-12."""
    with mpmath.workdps(digits):
        eta, x, y = mpmath.mpf(eta), mpmath.mpf(x), mpmath.mpf(y)
        steps = 0
        while abs(x) >= mpmath.mpf("1e-12"):
            g = (x * y) / mpmath.sqrt(1 + (x * y) ** 2)
            x, y = x - eta * g * y, y - eta * g * x
            steps += 1
        return float(y * y), steps


@pytest.mark.parametrize("eta", [0.3, 0.1])
def test_float64_kernel_agrees_with_high_precision_iteration(eta):
    run = trajectory(model("sqrt1p"), eta, {"x": 0.1, "y": math.sqrt(3 / eta)})
    y_sq, steps = _mpmath_sqrt1p_limit(eta, 0.1, math.sqrt(3 / eta))
    assert run.final["y"] ** 2 == pytest.approx(y_sq, rel=1e-9)
    assert abs(run.steps - steps) <= 2


def test_kernel_follows_the_symbolic_loss():
    """Change the symbolic loss and the generated kernel's behaviour follows.

    GD on c·ℓ with step η is GD on ℓ with step c·η, so ℓ = c·√(1+s²) must end where sqrt1p ends at
    step c·η (and y∞² moves like 1/c); the square loss (a different expression) diverges where √(1+s²)
    converges.
    """
    eta = 0.05
    init = {"x": 0.1, "y": math.sqrt(3 / 0.2)}
    limits = {}
    for c in (1, 2, 4):
        custom = single_neuron(get_loss(expression=f"{c}*sqrt(1 + s**2)"))
        run = trajectory(custom, eta, init)
        reference = trajectory(model("sqrt1p"), c * eta, init)
        assert run.converged and reference.converged
        limits[c] = run.final["y"] ** 2
        assert limits[c] == pytest.approx(reference.final["y"] ** 2, rel=1e-9)
    assert limits[1] > limits[2] > limits[4]
    custom_square = single_neuron(get_loss(expression="s**2/2"))
    custom_root = single_neuron(get_loss(expression="sqrt(1 + s**2)"))
    assert trajectory(custom_square, 1.0, {"x": 0.1, "y": 2.0}).status == "diverged"
    assert trajectory(custom_root, 1.0, {"x": 0.1, "y": 2.0}).converged
    assert compile(custom_square).spine.path != compile(custom_root).spine.path


def test_generated_source_is_a_real_file_with_derived_expressions():
    compiled = compile(model("logcosh")).spine
    source = open(compiled.path).read()
    assert "math.tanh" in source and '@njit(cache=True, error_model="numpy")' in source  # IEEE x/0: inf, not an exception
    assert compiled.path.endswith(".py")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-3, 3, allow_subnormal=False),
    st.floats(-3, 3, allow_subnormal=False),
    st.floats(1e-3, 1.0),
    st.sampled_from(["sqrt1p", "logcosh", "symlogistic"]),
)
def test_compiled_map_obeys_invariant_evolution_and_symmetries(x, y, eta, loss):
    compiled = compile(model(loss)).spine
    g = compiled.gradient(x, y)[0] / y if y != 0 else None
    xn, yn = compiled.gd_map(x, y, eta)
    if g is not None:
        expected = (1 - eta**2 * g**2) * (x**2 - y**2)
        assert xn**2 - yn**2 == pytest.approx(expected, rel=1e-9, abs=1e-9 * (1 + x * x + y * y))
    swapped = compiled.gd_map(y, x, eta)
    assert swapped == pytest.approx((yn, xn), rel=1e-14, abs=1e-300)
    negated = compiled.gd_map(-x, -y, eta)
    assert negated == pytest.approx((-xn, -yn), rel=1e-14, abs=1e-300)


def test_jacobian_and_hessian_match_finite_differences():
    compiled = compile(model("logcosh")).spine
    x, y, eta, h = 0.7, -1.3, 0.2, 1e-6
    jac = np.array(compiled.jacobian(x, y, eta)).reshape(2, 2)
    fd = np.empty((2, 2))
    for j, (dx, dy) in enumerate([(h, 0), (0, h)]):
        plus = np.array(compiled.gd_map(x + dx, y + dy, eta))
        minus = np.array(compiled.gd_map(x - dx, y - dy, eta))
        fd[:, j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-7, atol=1e-8)
    hess = np.array(compiled.hessian(x, y)).reshape(2, 2)
    np.testing.assert_allclose(jac, np.eye(2) - eta * hess, rtol=1e-13, atol=1e-14)
    assert compiled.sharpness(x, y) == pytest.approx(np.linalg.eigvalsh(hess)[-1], rel=1e-13)


def test_history_records_loss_sharpness_and_state():
    run = trajectory(model("sqrt1p"), 0.1, {"x": 0.1, "y": math.sqrt(30)}, stride=1)
    assert run.history_step[0] == 0 and run.history_step[-1] == run.steps
    assert run.history_state.shape == (run.steps + 1, 2)
    assert np.all(np.diff(run.history_loss[:5]) != 0)
    assert run.history_sharpness[-1] == pytest.approx(run.sharpness)
    record = run.to_dict()
    assert record["final"] == run.final and record["two_over_eta"] == pytest.approx(20)


def test_max_steps_status_and_stride():
    run = trajectory(model("sqrt1p"), 0.03, {"x": 0.1, "y": 10.0}, max_steps=100, stride=7)
    assert run.status == "max_steps" and run.steps == 100
    assert list(run.history_step[:3]) == [0, 7, 14] and run.history_step[-1] == 100


@pytest.mark.parametrize(
    "eta, init",
    [(0.0, {"x": 0.1, "y": 1}), (-1, {"x": 0.1, "y": 1}), (float("nan"), {"x": 0.1, "y": 1}), (0.1, {"x": 0.1}),
     (0.1, {"x": 0.1, "y": float("inf")}), (0.1, {"x": 0.1, "y": 1, "z": 2})],
)
def test_bad_input_raises_input_error(eta, init):
    with pytest.raises(InputError):
        trajectory(model("sqrt1p"), eta, init)
