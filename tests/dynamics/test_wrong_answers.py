"""Issue 10, part 3: three wrong answers, each checked against an independent reference.

1. Convergence is |∇L| < tol. |osc| < tol may stop a run only where the derivation proves that osc = 0 is a
   set of critical points (ℓ'(0) = 0 for ℓ(x·y)). For ℓ(s) = (1 − s)²/2, ℓ'(0) = −1: x = 0 is not a
   minimiser, and the old rule stopped GD at step 0 from (0, 2). Oracle: a plain numpy GD loop written
   here from the closed-form gradient ∇L = ((xy − 1)y, (xy − 1)x).
2. Lyapunov exponents of a periodic orbit are averaged over whole periods. Oracle: the multiplier of the
   logistic map's period-3 orbit at η = 3.83, found by mpmath (50 digits): λ = (1/3)·log|Π f'(x_i)|.
3. ``lyapunov_steps`` beyond keep + transient is refused (it used to be cut silently).
"""
import math

import mpmath
import numpy as np
import pytest

from eoscope.derivations import InputError, build_model, custom_map, derive, generate_grid_source, generate_source
from eoscope.dynamics import GRID_STATUS_CODES, grid_run, lyapunov_exponents, orbit_diagram, trajectory
from tests.conftest import run_cli

SQUARE_RESIDUAL = "(1-s)**2/2"
TOL, BOUND = 1e-12, 1e8


@pytest.fixture(scope="module")
def residual_model():
    return build_model("single-neuron", loss_expr=SQUARE_RESIDUAL)


def numpy_gd(x, y, eta, max_steps, tol=TOL, bound=BOUND):
    """GD on (1 − xy)²/2 from arrays x, y (η an array or scalar), the kernels' rules checked before each step
    in their order: diverged (non-finite or |θ_i| > bound), converged (|∇L|² < tol²), max_steps.
    Returns (status codes as GRID_STATUS_CODES converged/diverged/max_steps, steps, x, y)."""
    x = np.array(x, dtype=float, ndmin=1)
    y = np.array(y, dtype=float, ndmin=1)
    eta = np.broadcast_to(np.asarray(eta, dtype=float), x.shape)
    status = np.full(x.shape, -1)
    steps = np.zeros(x.shape, np.int64)
    running = np.arange(x.size)
    with np.errstate(all="ignore"):
        for k in range(max_steps + 1):
            xs, ys = x[running], y[running]
            diverged = ~((np.abs(xs) <= bound) & (np.abs(ys) <= bound))
            r = xs * ys - 1.0
            gx, gy = r * ys, r * xs
            converged = ~diverged & (gx * gx + gy * gy < tol * tol)
            stop = diverged | converged
            if k == max_steps:
                stop[:] = True
            done = running[stop]
            status[done] = np.where(diverged[stop], 1, np.where(converged[stop], 0, 2))
            steps[done] = k
            keep = ~stop
            running = running[keep]
            if running.size == 0:
                break
            x[running] = xs[keep] - eta[running] * gx[keep]
            y[running] = ys[keep] - eta[running] * gy[keep]
    return status, steps, x, y


# --- 1. the stopping rule ----------------------------------------------------------------------------------

def test_oscillation_stops_is_derived():
    for loss in ("sqrt1p", "logcosh", "symlogistic", "square", "huber"):
        assert derive(build_model("single-neuron", loss=loss)).oscillation_stops, loss  # ℓ'(0) = 0
    for expr in (SQUARE_RESIDUAL, "log(cosh(s-1))"):
        assert not derive(build_model("single-neuron", loss_expr=expr)).oscillation_stops, expr  # ℓ'(0) ≠ 0


def test_oscillation_stops_mean_model():
    # a₋ + a₊ = 0 makes the argument of ℓ_sym vanish, and ℓ_sym'(0) = 0: every such point is critical
    assert derive(build_model("mean-model", params={"d": 200})).oscillation_stops


def test_generated_kernels_use_the_osc_rule_only_where_derived(residual_model):
    sqrt1p = build_model("single-neuron", loss="sqrt1p")
    assert "OSCILLATION_STOPS = True" in generate_source(sqrt1p)
    assert "if grad_sq < tol * tol or abs(osc) < tol:" in generate_source(sqrt1p)
    source = generate_source(residual_model)
    assert "OSCILLATION_STOPS = False" in source
    assert "if grad_sq < tol * tol:" in source and "abs(osc) < tol" not in source
    grid = generate_grid_source(residual_model)
    assert "_stop = (_out[2] < tol2) | (not (" in grid
    assert "abs(_osc) < tol" not in grid
    assert "(abs(_osc) < tol)" in generate_grid_source(sqrt1p)


def test_residual_loss_trajectory_matches_numpy_gd(residual_model):
    """Was: 'converged after 0 steps' at (0, 2) with loss 0.5. GD goes to xy = 1."""
    eta, x0, y0, max_steps = 0.5, 0.0, 2.0, 1_000_000
    run = trajectory(residual_model, eta, {"x": x0, "y": y0}, tol=TOL, max_steps=max_steps)
    status, steps, x, y = numpy_gd(x0, y0, eta, max_steps)
    assert status[0] == GRID_STATUS_CODES["converged"]
    assert run.status == "converged"
    assert steps[0] > 0 and abs(run.steps - steps[0]) <= 1
    assert run.final["x"] == pytest.approx(x[0], abs=1e-9)
    assert run.final["y"] == pytest.approx(y[0], abs=1e-9)
    assert (run.final["x"], run.final["y"]) == (pytest.approx(0.682642, abs=1e-6), pytest.approx(1.464897, abs=1e-6))
    assert run.final["x"] * run.final["y"] == pytest.approx(1.0, abs=1e-12)
    assert run.message == f"converged after {run.steps} steps (|∇L| < 1e-12)"
    # a catalogue loss keeps the |x| rule (docs/reference_values.md §1: run until |x| < 1e-12)
    assert "(|∇L| or |x| < 1e-12)" in trajectory(build_model("single-neuron", loss="sqrt1p"), 0.3,
                                                  {"x": 0.1, "y": math.sqrt(10)}).message


def test_residual_loss_grid_point_matches_numpy_gd(residual_model):
    eta, x0, y0, max_steps = 0.5, 0.0, 2.0, 20_000
    result = grid_run(residual_model, [eta], [[x0, y0]], tol=TOL, max_steps=max_steps)
    status, steps, x, y = numpy_gd(x0, y0, eta, max_steps)
    assert result.status[0] == status[0] == GRID_STATUS_CODES["converged"]
    assert abs(int(result.steps[0]) - int(steps[0])) <= 1
    np.testing.assert_allclose(result.state[0], [x[0], y[0]], rtol=0, atol=1e-9)


def test_residual_loss_grid_converged_count_matches_numpy_gd(residual_model):
    """121 × 121 grid of (x0, y0) ∈ [−3, 3]² at η = 1.01: the old |x| < tol rule labelled 173 points
    converged; plain GD with |∇L| < tol (the numpy loop, same max_steps) converges at 53."""
    eta, n, max_steps = 1.01, 121, 20_000
    axis = np.linspace(-3.0, 3.0, n)
    x0, y0 = (a.ravel() for a in np.meshgrid(axis, axis, indexing="ij"))
    result = grid_run(residual_model, np.full(n * n, eta), np.stack([x0, y0], axis=1), tol=TOL, bound=BOUND,
                      max_steps=max_steps)
    status, steps, x, y = numpy_gd(x0, y0, eta, max_steps)
    converged = result.status == GRID_STATUS_CODES["converged"]
    reference = status == GRID_STATUS_CODES["converged"]
    assert int(converged.sum()) == int(reference.sum()) == 53
    assert np.array_equal(converged, reference)
    assert np.all(np.abs(result.steps[converged] - steps[converged]) <= 1)
    np.testing.assert_allclose(result.state[converged], np.stack([x, y], axis=1)[converged], rtol=0, atol=1e-9)
    # every other point diverged or still runs at max_steps (periodic orbits) in both
    assert np.array_equal(result.status == GRID_STATUS_CODES["diverged"], status == GRID_STATUS_CODES["diverged"])


# --- 2. Lyapunov exponents over whole periods ---------------------------------------------------------------

LOGISTIC = custom_map("eta*x*(1-x)", "x")
ETA3 = 3.83


@pytest.fixture(scope="module")
def period3_exponent():
    """(1/3)·log|Π η(1 − 2x_i)| over the period-3 orbit of x ↦ ηx(1 − x), η = 3.83 (mpmath, 50 digits)."""
    mpmath.mp.dps = 50
    eta = mpmath.mpf("3.83")

    def f(x):
        return eta * x * (1 - x)

    x = mpmath.findroot(lambda u: f(f(f(u))) - u, mpmath.mpf("0.9574"))
    orbit = [x, f(x), f(f(x))]
    assert abs(f(orbit[2]) - x) < mpmath.mpf(10) ** -40 and abs(orbit[1] - x) > 0.1  # a true 3-cycle
    value = float(mpmath.log(abs(mpmath.fprod(eta * (1 - 2 * u) for u in orbit))) / 3)
    mpmath.mp.dps = 15
    return value


def test_orbit_diagram_period3_exponent_is_exact(period3_exponent):
    # keep = 1000 is not a multiple of 3: the old mean over 1000 steps was 1.6e-3 off
    diagram = orbit_diagram(LOGISTIC, [ETA3], {"x": 0.3}, keep=1000)
    assert diagram.periods()[0] == 3
    assert int(diagram.lyapunov_period[0]) == 3 and int(diagram.lyapunov_steps_used[0]) == 999
    assert abs(diagram.lyapunov[0, 0] - period3_exponent) < 1e-12
    record = diagram.to_dict(values=False)
    assert record["lyapunov_steps_used"] == [999] and record["lyapunov_period"] == [3]
    # with the end of the transient in the window: 5000 steps → 4998 (a multiple of 3)
    longer = orbit_diagram(LOGISTIC, [ETA3], {"x": 0.3}, keep=1000, lyapunov_steps=5000)
    assert longer.lyapunov_steps == 5000 and int(longer.lyapunov_steps_used[0]) == 4998
    assert abs(longer.lyapunov[0, 0] - period3_exponent) < 1e-12


def test_lyapunov_exponents_period3_is_exact(period3_exponent):
    spectrum = lyapunov_exponents(LOGISTIC, ETA3, {"x": 0.3}, transient=1000, steps=10_000)
    assert spectrum.period == 3 and spectrum.steps_averaged == 9999
    assert abs(spectrum.exponents[0] - period3_exponent) < 1e-12


def test_chaotic_orbit_keeps_the_whole_window():
    diagram = orbit_diagram(LOGISTIC, [4.0], {"x": 0.1234}, keep=512)
    assert int(diagram.lyapunov_period[0]) == 0 and int(diagram.lyapunov_steps_used[0]) == 512


# --- 3. lyapunov_steps is honoured or refused ---------------------------------------------------------------

def test_lyapunov_steps_beyond_keep_plus_transient_is_refused():
    with pytest.raises(InputError, match=r"^lyapunov_steps = 200000 exceeds keep \+ transient = 10256"):
        orbit_diagram(LOGISTIC, [ETA3], {"x": 0.3}, lyapunov_steps=200_000)
    # exactly keep + transient is honoured
    diagram = orbit_diagram(LOGISTIC, [4.0], {"x": 0.1234}, transient=1000, keep=256, lyapunov_steps=1256)
    assert diagram.lyapunov_steps == 1256 and int(diagram.lyapunov_steps_used[0]) == 1256


def test_cli_lyapunov_steps_refused_with_one_line():
    run = run_cli("bifurcation", "--map-expr", "eta*x*(1-x)", "--state", "x", "--eta", "3.83:3.83:1",
                  "--init", "x=0.3", "--lyapunov-steps", "200000")
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines == ["eoscope: error: lyapunov_steps = 200000 exceeds keep + transient = 10256: "
                     "raise --transient or lower --lyapunov-steps"]


def _max_half_eta_sharpness(x, y, eta, steps):
    """max_k η·S(θ_k)/2 of plain GD on (1 − xy)²/2, S the top eigenvalue of H = [[y², 2xy − 1], [2xy − 1, x²]]."""
    worst = 0.0
    for _ in range(steps):
        s = x * y
        worst = max(worst, eta * np.linalg.eigvalsh(np.array([[y * y, 2 * s - 1], [2 * s - 1, x * x]]))[-1] / 2)
        if not (abs(x) < 1e8 and abs(y) < 1e8):
            return math.inf
        x, y = x - eta * (s - 1) * y, y - eta * (s - 1) * x
    return worst


def test_critical_step_of_a_loss_with_nonzero_slope_at_zero_uses_the_sharpness(residual_model):
    """ℓ'(0) ≠ 0: x grows on its way to xy = 1 at every η, so "|x| amplified" is no instability (it used to
    report η_c ≈ 3.4e-21); the bracket must be where η·S(θ_k)/2 first exceeds 1 along the run."""
    from eoscope.dynamics import critical_step_size

    result = critical_step_size(residual_model, {"x": 1e-4, "y": 2.0}, tol=1e-8, max_steps=20_000)
    assert result.criterion == "sharpness_above_2_over_eta"
    lo, hi = result.bracket
    assert 0.3 < lo < hi < 0.5
    assert _max_half_eta_sharpness(1e-4, 2.0, lo * (1 - 1e-6), 3000) <= 1.0
    assert _max_half_eta_sharpness(1e-4, 2.0, hi * (1 + 1e-6), 3000) > 1.0
