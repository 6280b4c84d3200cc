"""periodic_orbit(model, eta, init, period) -> PeriodicOrbit: Newton on F^k(θ) = θ with the derived Jacobian.

For G(θ) = F^k(θ; η) − θ the Newton step solves (M − I)δ = −G by least squares, where
M = DF(θ_{k−1})⋯DF(θ_0) is the product of the derived Jacobians along the orbit (chain rule), with
backtracking on |G|; a step longer than a trust radius (¼·max(1, |θ|), :class:`NewtonOptions`) is replaced by
a damped (Levenberg–Marquardt) step within it, so that Newton converges to a nearby orbit. The multipliers are
the eigenvalues of M (Floquet multipliers of the k-orbit); the orbit is *stable* when all |μ| < 1, *unstable*
when some |μ| > 1, *neutral* otherwise (a multiplier on the unit circle: a bifurcation point, or a continuum
of orbits such as a line of minimisers).
References: Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed., 2004), §10.2 (continuation of
fixed points of maps), and the AUTO-07p / MatContM conventions for labelled points.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..derivations import Model
from ..derivations._validate import check_count

from ._options import NewtonOptions
from ._result import Result, Status, array_field, version_field
from ._state import check_init, check_parameter, state_dict
from ._system import resolve

MAX_PERIOD = 64
STABILITY_CODES = {"stable": 0, "unstable": 1, "neutral": 2, "undefined": 3}
"""Codes of the stability labels (CF ``flag_values`` in datasets)."""


def check_period(period, name: str = "period") -> int:
    """check_period(period, name="period") -> int: a period 1 ≤ k ≤ 64.

    Raises:
        InputError: not an integer, or out of range.
    """
    return check_count(period, name, 1, MAX_PERIOD)


def orbit_power(module, theta: np.ndarray, eta: float, k: int):
    """(F^k(θ), M, ∂_η F^k, path) through the generated ``orbit_power`` kernel."""
    n = theta.shape[0]
    point, M, v, path = np.empty(n), np.empty((n, n)), np.empty(n), np.empty((k, n))
    module.orbit_power(np.ascontiguousarray(theta, dtype=np.float64), float(eta), int(k), point, M, v, path)
    return point, M, v, path


def stability_label(multipliers: np.ndarray, tol: float = 1e-9) -> str:
    """'stable' (all |μ| < 1), 'unstable' (some |μ| > 1), 'neutral' (largest |μ| = 1 within tol) or
    'undefined' (no finite multipliers)."""
    if multipliers.size == 0 or not np.all(np.isfinite(multipliers)):
        return "undefined"
    top = float(np.max(np.abs(multipliers)))
    if top < 1 - tol:
        return "stable"
    if top > 1 + tol:
        return "unstable"
    return "neutral"


def minimal_period(module, theta: np.ndarray, eta: float, k: int, tol: float) -> int:
    """The least d dividing k with |F^d(θ) − θ| ≤ tol·max(1, |θ|)."""
    scale = max(1.0, float(np.max(np.abs(theta))))
    for d in range(1, k):
        if k % d == 0:
            point = orbit_power(module, theta, eta, d)[0]
            if np.max(np.abs(point - theta)) <= tol * scale:
                return d
    return k


def complex_pairs(values) -> list:
    """[[re, im], ...] of complex numbers (JSON has no complex type)."""
    return [[float(np.real(m)), float(np.imag(m))] for m in np.asarray(values).ravel()]


@dataclass(frozen=True, eq=False)
class PeriodicOrbit(Result):
    """PeriodicOrbit: the result of :func:`periodic_orbit`.

    Attributes:
        model, eta, period, init, options (:class:`NewtonOptions`): the inputs;
        status: ``Status.CONVERGED`` or ``Status.NOT_CONVERGED``; message: in words (the residual when Newton
        fails); residual: max|F^k(θ) − θ|; iterations: Newton steps; state: the orbit point found (or the last
        iterate); points: the k points of the orbit (k × n); multipliers: the eigenvalues of M; stability:
        stable | unstable | neutral | undefined; minimal_period: the least period (0 when not converged); version.
    """

    model: Model
    eta: float
    period: int
    init: dict
    options: NewtonOptions
    status: Status
    message: str
    residual: float
    iterations: int
    state: dict
    stability: str
    minimal_period: int
    points: np.ndarray = array_field()
    multipliers: np.ndarray = array_field()
    version: str = version_field()

    @property
    def converged(self) -> bool:
        """Whether Newton met its tolerance."""
        return self.status == Status.CONVERGED

    def to_dict(self, arrays: bool = True) -> dict:
        """to_dict(arrays=True) -> JSON-ready record; the orbit points and the multipliers (as [re, im] pairs,
        with their moduli) are small and included unless ``arrays`` is False."""
        record = super().to_dict(arrays=False)
        if arrays:
            record["points"] = self.points.tolist()
            record["multipliers"] = complex_pairs(self.multipliers)
            record["multiplier_moduli"] = [float(abs(m)) for m in self.multipliers]
        return record


def newton_orbit(module, theta, eta, k, options: NewtonOptions = NewtonOptions()):
    """newton_orbit(module, theta, eta, k, options=NewtonOptions()) -> (θ, residual, iterations, ok)

    Damped least-squares Newton on G(θ) = F^k(θ) − θ (see the module docstring and :class:`NewtonOptions`).
    """
    tol, max_iter = options.tol, options.max_iter
    theta = np.array(theta, dtype=np.float64)
    n = theta.shape[0]
    eye = np.eye(n)

    def residual_of(t):
        g = orbit_power(module, t, eta, k)[0] - t
        r = float(np.max(np.abs(g))) if np.all(np.isfinite(g)) else math.inf
        return g, r

    g, r = residual_of(theta)
    iteration = 0
    for iteration in range(max_iter + 1):
        if r <= tol * max(1.0, float(np.max(np.abs(theta)))):
            return theta, r, iteration, True
        if iteration == max_iter or not math.isfinite(r):
            break
        _, M, _, _ = orbit_power(module, theta, eta, k)
        if not np.all(np.isfinite(M)):
            break
        A = M - eye
        delta = np.linalg.lstsq(A, -g, rcond=None)[0]
        limit = options.trust_radius * max(1.0, float(np.max(np.abs(theta))))
        if float(np.max(np.abs(delta))) > limit:
            # a long Newton step (nearly singular M − I, e.g. next to a family of orbits): Levenberg–Marquardt
            # steps, damped until they stay within the trust radius, so Newton lands on a *nearby* orbit
            normal, rhs = A.T @ A, -(A.T @ g)
            mu = 1e-8 * max(float(np.trace(normal)), 1e-300)
            for _ in range(options.damping_steps):
                delta = np.linalg.solve(normal + mu * eye, rhs)
                if float(np.max(np.abs(delta))) <= limit:
                    break
                mu *= 10.0
        step = 1.0
        for _ in range(options.backtracks):
            trial = theta + step * delta
            g_trial, r_trial = residual_of(trial)
            if r_trial < r or r_trial <= tol:
                break
            step *= 0.5
        else:
            break
        if r_trial >= r and r_trial > tol:
            break
        theta, g, r = trial, g_trial, r_trial
    return theta, r, iteration, False


def periodic_orbit(model, eta, init, period: int = 1, *, options: NewtonOptions | dict | None = None,
                   **overrides) -> PeriodicOrbit:
    """periodic_orbit(model, eta, init, period=1, *, options=None, **overrides) -> PeriodicOrbit

    Newton on F^k(θ; η) = θ from ``init``, then the orbit's multipliers and stability.

    Arguments:
        model: a Model or a System (:func:`compile`); a GD model or a custom map.
        eta: η (> 0 for a GD model, any finite number for a custom map).
        init: a point on (near) the orbit, {state name: value} or n values in state order.
        period: the period k, 1 ≤ k ≤ 64.
        options: :class:`NewtonOptions` (or a dict of its fields): tol (relative to max(1, |θ|)), max_iter,
            trust_radius, backtracks, damping_steps; ``**overrides`` set single fields (e.g. ``tol=1e-10``).

    Returns:
        PeriodicOrbit: ``Status.CONVERGED`` with the orbit, its multipliers (eigenvalues of
        M = DF(θ_{k−1})⋯DF(θ_0)), stability and minimal period; or ``Status.NOT_CONVERGED`` with the residual
        max|F^k(θ) − θ| in the message (a numerical failure, not an error).

    Raises:
        InputError: a bad η, period, init or option.

    Reference: Kuznetsov (2004), §10.2.
    """
    system, model = resolve(model)
    options = NewtonOptions.from_mapping(options, **overrides)
    eta = check_parameter(model, eta)
    k = check_period(period)
    theta0 = check_init(model, init)
    module = system.dynamics
    theta, residual, iterations, ok = newton_orbit(module, theta0, eta, k, options)
    _, M, _, path = orbit_power(module, theta, eta, k)
    finite = np.all(np.isfinite(M))
    multipliers = np.linalg.eigvals(M) if finite else np.full(model.dimension, np.nan + 0j)
    if ok:
        least = minimal_period(module, theta, eta, k, max(options.tol, 1e-9) * 10)
        status = Status.CONVERGED
        message = f"period-{k} orbit found in {iterations} Newton steps (residual {residual:.2e})"
        if least != k:
            message += f"; its minimal period is {least}"
    else:
        least = 0
        status = Status.NOT_CONVERGED
        message = (
            f"Newton on F^{k}(θ) = θ did not converge from init = {state_dict(model, theta0)} at eta = {eta:g}: "
            f"residual max|F^{k}(θ) − θ| = {residual:.3e} after {iterations} steps (tolerance {options.tol:g})"
        )
    return PeriodicOrbit(
        model=model,
        eta=eta,
        period=k,
        init=state_dict(model, theta0),
        options=options,
        status=status,
        message=message,
        residual=float(residual),
        iterations=int(iterations),
        state=state_dict(model, theta),
        stability=stability_label(multipliers) if ok else "undefined",
        minimal_period=least,
        points=path,
        multipliers=multipliers,
    )


__all__ = ["MAX_PERIOD", "STABILITY_CODES", "PeriodicOrbit", "check_period", "complex_pairs", "minimal_period",
           "newton_orbit", "orbit_power", "periodic_orbit", "stability_label"]
