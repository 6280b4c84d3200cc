"""Issue 5: periodic orbits, continuation (PD/LP), Lyapunov exponents and orbit diagrams.

Oracles: the logistic map's period-doubling points (r = 3, 1 + √6, 3.5440903595519…), its Lyapunov
exponent ln 2 at r = 4, closed-form period-2 orbits, a fold at η = 0, a pure-Python loop, and an mpmath
computation of the period-doubling points of a single-neuron model with a custom loss.
"""
import math

import mpmath
import numpy as np
import pytest

from eoscope.derivations import ConvergenceError, InputError, custom_map, get_loss, single_neuron
from eoscope.dynamics import Status, continue_orbit, lyapunov_exponents, orbit_diagram, periodic_orbit

LOGISTIC = custom_map("eta*x*(1-x)", "x")
FEIGENBAUM_POINTS = [3.0, 1 + math.sqrt(6), 3.5440903595519228536]


@pytest.fixture(scope="module")
def logistic_cascade():
    return continue_orbit(LOGISTIC, 2.5, {"x": 0.5}, 1, (2.5, 3.56), max_period=8)


def test_logistic_period_doubling_points(logistic_cascade):
    pd = [p for p in logistic_cascade.points if p.type == "PD"]
    assert [p.period for p in pd] == [1, 2, 4]
    for point, expected in zip(pd, FEIGENBAUM_POINTS):
        assert abs(point.eta - expected) < 1e-9
        # at a PD point one multiplier is −1
        assert np.min(np.abs(point.multipliers + 1)) < 1e-6
    assert logistic_cascade.status == "completed"
    assert not [p for p in logistic_cascade.points if p.type == "LP"]


def test_logistic_branches_and_stability(logistic_cascade):
    first = logistic_cascade.branches[0]
    assert first.period == 1
    below = first.eta < 2.99
    above = first.eta > 3.01
    assert all(s == "stable" for s, b in zip(first.stability, below) if b)
    assert all(s == "unstable" for s, a in zip(first.stability, above) if a)
    # fixed point x* = 1 − 1/r along the whole period-1 branch
    assert np.allclose(first.states[:, 0], 1 - 1 / first.eta, atol=1e-12)
    assert {b.period for b in logistic_cascade.branches} == {1, 2, 4, 8}


def test_period_two_orbit_closed_form():
    r = 3.2
    orbit = periodic_orbit(LOGISTIC, r, {"x": 0.5}, 2)
    assert orbit.converged and orbit.minimal_period == 2
    roots = sorted(((r + 1) + s * math.sqrt((r - 3) * (r + 1))) / (2 * r) for s in (-1, 1))
    assert sorted(orbit.points[:, 0]) == pytest.approx(roots, abs=1e-12)
    # multiplier of the 2-cycle: 4 + 2r − r²
    assert orbit.multipliers[0].real == pytest.approx(4 + 2 * r - r * r, abs=1e-10)
    assert orbit.stability == "stable"


def test_newton_failure_is_reported_with_residual():
    drift = custom_map("x + 1 + eta*x**2", "x")  # no fixed point for η > 1/4
    orbit = periodic_orbit(drift, 1.0, {"x": 0.3}, 1)
    assert orbit.status == Status.NOT_CONVERGED and not orbit.converged  # a numerical failure: a status
    assert "residual" in orbit.message and orbit.residual > 0.1
    with pytest.raises(ConvergenceError, match="residual"):  # no start orbit to continue: not an InputError
        continue_orbit(drift, 1.0, {"x": 0.3}, 1, (0.5, 2.0))


def test_bad_inputs():
    with pytest.raises(InputError, match="period"):
        periodic_orbit(LOGISTIC, 2.5, {"x": 0.5}, 0)
    with pytest.raises(InputError, match="period"):
        periodic_orbit(LOGISTIC, 2.5, {"x": 0.5}, 65)
    with pytest.raises(InputError, match="does not contain the start"):
        continue_orbit(LOGISTIC, 2.5, {"x": 0.5}, 1, (2.6, 3.0))


def test_fold_point_located():
    # fixed points x² = η: a fold (multiplier +1) at η = 0, x = 0
    fold = custom_map("x + eta - x**2", "x")
    result = continue_orbit(fold, 0.25, {"x": 0.5}, 1, (-0.5, 0.5))
    lp = [p for p in result.points if p.type == "LP"]
    assert len(lp) == 1
    assert abs(lp[0].eta) < 1e-10 and abs(lp[0].state["x"]) < 1e-5
    assert lp[0].multipliers[0].real == pytest.approx(1.0, abs=1e-5)


def test_lyapunov_logistic_r4_is_ln2():
    spectrum = lyapunov_exponents(LOGISTIC, 4.0, {"x": 0.1234}, transient=1000, steps=10_000_000)
    assert spectrum.status == "bounded"
    assert abs(spectrum.exponents[0] - math.log(2)) < 1e-3


def test_lyapunov_of_stable_fixed_point():
    # at r = 2.5 the orbit converges to x* = 0.6 with multiplier 2 − r = −0.5
    spectrum = lyapunov_exponents(LOGISTIC, 2.5, {"x": 0.3}, transient=200, steps=10_000)
    assert spectrum.exponents[0] == pytest.approx(math.log(0.5), abs=1e-3)


def test_orbit_diagram_matches_python_loop():
    etas = np.array([2.9, 3.3, 3.5, 3.83, 3.95])
    diagram = orbit_diagram(LOGISTIC, etas, {"x": 0.3}, transient=500, keep=16)
    for i, r in enumerate(etas):
        x = 0.3
        for _ in range(500):
            x = r * x * (1 - x)
        recorded = []
        for _ in range(16):
            recorded.append(x)
            x = r * x * (1 - x)
        assert np.allclose(diagram.values[i, :, 0], recorded, rtol=0, atol=1e-9)
    periods = diagram.periods()
    assert list(periods[:3]) == [1, 2, 4]
    assert periods[3] == 3  # the period-3 window
    assert diagram.lyapunov[4, 0] > 0 > diagram.lyapunov[1, 0]


def test_orbit_diagram_warm_start_and_divergence():
    etas = np.linspace(2.0, 4.5, 6)
    diagram = orbit_diagram(LOGISTIC, etas, {"x": 0.3}, transient=200, keep=4, warm=True)
    assert diagram.diverged[-1] and not diagram.diverged[0]
    assert np.all(np.isnan(diagram.values[-1]))
    with pytest.raises(InputError, match="observable"):
        orbit_diagram(LOGISTIC, etas, {"x": 0.3}, observables="loss")


def test_single_neuron_orbit_diagram_sharpness_equilibrium():
    model = single_neuron(get_loss("sqrt1p"))
    etas = np.array([0.1, 0.2])
    # y0² = 30: gradient flow would end at y∞² ≈ 29.99 > 2/η for both η: GD ends at the edge, η·S∞/2 ≲ 1
    diagram = orbit_diagram(model, etas, {"x": 0.1, "y": math.sqrt(30)}, transient=200_000, keep=8,
                            observables=["y", "eta_sharpness_half", "x*y"])
    ratio = diagram.eta_sharpness_half
    assert np.all(ratio < 1) and np.all(ratio > 0.9)
    assert np.allclose(diagram.sharpness_deficit, 2 / etas - diagram.sharpness)
    assert np.allclose(diagram.values[:, -1, 1], ratio, rtol=1e-6)
    assert diagram.observables == ("y", "eta_sharpness_half", "inner")


# ---- single neuron with a custom loss: PD points against mpmath ---------------------------------------

CUSTOM_LOSS = "log(cosh(s-1))"


def _mpmath_pd_points(guesses):
    """PD points of the diagonal x = y of GD on ℓ(xy) = log cosh(xy − 1), i.e. of
    u ↦ f(u) = u − η·tanh(u² − 1)·u, by mpmath at 40 digits: unknowns (u_0..u_{p−1}, η) with
    u_{j+1} = f(u_j) cyclically and Π f'(u_j) = −1. f' written by hand (independent of SymPy)."""
    mpmath.mp.dps = 40

    def f(u, eta):
        return u - eta * mpmath.tanh(u * u - 1) * u

    def fprime(u, eta):
        t = mpmath.tanh(u * u - 1)
        return 1 - eta * (t + 2 * u * u * (1 - t * t))

    results = []
    for period, eta0, u0 in guesses:
        def equations(*z):
            us, eta = z[:-1], z[-1]
            eqs = [us[(j + 1) % period] - f(us[j], eta) for j in range(period)]
            product = mpmath.mpf(1)
            for u in us:
                product *= fprime(u, eta)
            return eqs + [product + 1]

        start = [mpmath.mpf(u0)]
        for _ in range(period - 1):
            start.append(f(start[-1], mpmath.mpf(eta0)))
        root = mpmath.findroot(equations, start + [mpmath.mpf(eta0)], tol=mpmath.mpf(10) ** -30)
        results.append(float(root[period]))  # (mpmath matrices do not take index −1)
    return results


def test_single_neuron_custom_loss_pd_points_vs_mpmath():
    model = single_neuron(get_loss(expression=CUSTOM_LOSS))
    result = continue_orbit(model, 0.5, {"x": 1.0, "y": 1.0}, 1, (0.5, 1.4), max_period=8)
    pd = [p for p in result.points if p.type == "PD"]
    assert [p.period for p in pd] == [1, 2, 4, 8]
    for p in pd:
        assert p.state["x"] == pytest.approx(p.state["y"], abs=1e-9)  # the cascade lives on the diagonal
    # mpmath starts 1e-4 away from eoscope's values (in η and u), so it cannot just echo them
    guesses = [(p.period, p.eta + 1e-4, p.state["x"] + 1e-4) for p in pd]
    reference = _mpmath_pd_points(guesses)
    assert reference[0] == pytest.approx(1.0, abs=1e-25)  # f'(1) = 1 − 2η
    for p, ref in zip(pd, reference):
        assert abs(p.eta - ref) < 1e-8


def test_continuation_from_a_period_two_orbit_stops_at_its_parent():
    result = continue_orbit(LOGISTIC, 3.2, {"x": 0.5}, 2, (2.9, 3.5), max_period=2)
    assert [(p.type, p.period) for p in result.points] == [("PD", 2)]
    assert abs(result.points[0].eta - (1 + math.sqrt(6))) < 1e-9
    down = [b for b in result.branches if b.period == 2 and b.eta.min() < 3.1]
    assert down and "reached the period-1 orbit" in down[0].message
    assert down[0].eta.min() == pytest.approx(3.0, abs=0.05)


def test_orbit_diagram_chunks_match_one_call():
    etas = np.linspace(2.8, 4.0, 23)
    for warm in (False, True):
        whole = orbit_diagram(LOGISTIC, etas, {"x": 0.3}, transient=300, keep=8, warm=warm)
        calls = []
        parts = orbit_diagram(LOGISTIC, etas, {"x": 0.3}, transient=300, keep=8, warm=warm, chunks=5,
                              progress=lambda done, total: calls.append(done))
        assert calls[-1] == 23 and len(calls) == 5
        assert np.array_equal(whole.values, parts.values, equal_nan=True)


def test_orbit_diagram_long_lyapunov_window():
    diagram = orbit_diagram(LOGISTIC, [4.0], {"x": 0.1234}, transient=4_000_000, keep=16, lyapunov_steps=3_000_000)
    assert diagram.lyapunov_steps == 3_000_000
    assert abs(diagram.lyapunov[0, 0] - math.log(2)) < 2e-3
    # the exponent over the recorded window alone is the same computation as lyapunov_exponents()
    short = orbit_diagram(LOGISTIC, [2.5], {"x": 0.3}, transient=200, keep=1000)
    assert short.lyapunov[0, 0] == pytest.approx(math.log(0.5), abs=1e-3)
