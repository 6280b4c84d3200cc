"""periodic_orbit(model, eta, guess, period) -> PeriodicOrbit: Newton on F^k(θ) = θ with the derived Jacobian.

For G(θ) = F^k(θ; η) − θ the Newton step solves (M − I)δ = −G by least squares, where
M = DF(θ_{k−1})⋯DF(θ_0) is the product of the derived Jacobians along the orbit (chain rule), with
backtracking on |G|; a step longer than a trust radius (¼·max(1, |θ|)) is replaced by a damped
(Levenberg–Marquardt) step within it, so that Newton converges to a nearby orbit. The multipliers are the eigenvalues of M (Floquet multipliers of the k-orbit);
the orbit is *stable* when all |μ| < 1, *unstable* when some |μ| > 1, *neutral* otherwise (a multiplier on
the unit circle: a bifurcation point, or a continuum of orbits such as a line of minimisers).
References: Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed., 2004), §10.2 (continuation of
fixed points of maps), and the AUTO-07p / MatContM conventions for labelled points.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..derivations import InputError, Model, parse_real

from ._dyn_kernels import compile_dynamics
from ._trajectory import check_eta, check_init
from ._version import package_version

MAX_PERIOD = 64


def check_period(period) -> int:
    """A period 1 ≤ k ≤ 64, else InputError."""
    if isinstance(period, str) and not (period.strip().isascii() and period.strip().lstrip("+-").isdigit()):
        raise InputError(f"period must be an integer, got {period!r}")  # int() would take '1_0' and '١'
    try:
        value = int(period)
    except (TypeError, ValueError):
        raise InputError(f"period must be an integer, got {period!r}") from None
    if value != period and not (isinstance(period, str) and str(value) == period.strip()):
        raise InputError(f"period must be an integer, got {period!r}")
    if value <= 0:
        raise InputError(f"period must be ≥ 1, got {value}")
    if value > MAX_PERIOD:
        raise InputError(f"period must be ≤ {MAX_PERIOD}, got {value}")
    return value


def check_parameter(model: Model, eta) -> float:
    """η for ``model``: > 0 for a GD model (a step size), any finite number for a custom map."""
    if model.explicit_map is None:
        return check_eta(eta)
    if isinstance(eta, str):
        return parse_real(eta, "η")
    try:
        value = float(eta)
    except (TypeError, ValueError):
        raise InputError(f"η must be a number, got {eta!r}") from None
    if not math.isfinite(value):
        raise InputError(f"η must be finite, got {eta!r}")
    return value


def orbit_power(module, theta: np.ndarray, eta: float, k: int):
    """(F^k(θ), M, ∂_η F^k, path) through the generated ``orbit_power`` kernel."""
    n = theta.shape[0]
    point, M, v, path = np.empty(n), np.empty((n, n)), np.empty(n), np.empty((k, n))
    module.orbit_power(np.ascontiguousarray(theta, dtype=np.float64), float(eta), int(k), point, M, v, path)
    return point, M, v, path


def stability_label(multipliers: np.ndarray, tol: float = 1e-9) -> str:
    """'stable' (all |μ| < 1), 'unstable' (some |μ| > 1) or 'neutral' (largest |μ| = 1 within tol)."""
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


@dataclass(frozen=True, eq=False)
class PeriodicOrbit:
    """Result of :func:`periodic_orbit`: inputs, status (converged | failed), message, the orbit, multipliers."""

    model: dict
    eta: float
    period: int
    guess: dict
    tol: float
    status: str
    message: str
    residual: float
    iterations: int
    state: dict
    points: np.ndarray = field(repr=False)
    multipliers: np.ndarray = field(repr=False)
    stability: str = ""
    minimal_period: int = 0
    version: str = package_version()

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "eta": self.eta,
            "period": self.period,
            "guess": self.guess,
            "tol": self.tol,
            "status": self.status,
            "message": self.message,
            "residual": self.residual,
            "iterations": self.iterations,
            "state": self.state,
            "points": self.points.tolist(),
            "multipliers": [[float(m.real), float(m.imag)] for m in self.multipliers],
            "multiplier_moduli": [float(abs(m)) for m in self.multipliers],
            "stability": self.stability,
            "minimal_period": self.minimal_period,
            "version": self.version,
        }


def newton_orbit(module, theta, eta, k, tol=1e-12, max_iter=60):
    """Damped least-squares Newton on G(θ) = F^k(θ) − θ; returns (θ, residual, iterations, ok)."""
    theta = np.array(theta, dtype=np.float64)
    n = theta.shape[0]
    eye = np.eye(n)

    def residual_of(t):
        g = orbit_power(module, t, eta, k)[0] - t
        r = float(np.max(np.abs(g))) if np.all(np.isfinite(g)) else math.inf
        return g, r

    g, r = residual_of(theta)
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
        limit = 0.25 * max(1.0, float(np.max(np.abs(theta))))
        if float(np.max(np.abs(delta))) > limit:
            # a long Newton step (nearly singular M − I, e.g. next to a family of orbits): Levenberg–Marquardt
            # steps, damped until they stay within the trust radius, so Newton lands on a *nearby* orbit
            normal, rhs = A.T @ A, -(A.T @ g)
            mu = 1e-8 * max(float(np.trace(normal)), 1e-300)
            for _ in range(60):
                delta = np.linalg.solve(normal + mu * eye, rhs)
                if float(np.max(np.abs(delta))) <= limit:
                    break
                mu *= 10.0
        step = 1.0
        for _ in range(30):
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


def periodic_orbit(model: Model, eta, guess, period: int = 1, *, tol: float = 1e-12, max_iter: int = 60) -> PeriodicOrbit:
    """periodic_orbit(model, eta, guess, period=1, *, tol=1e-12, max_iter=60) -> PeriodicOrbit

    Newton on F^k(θ) = θ from ``guess`` ({name: value}); ``status`` 'failed' (with the residual
    max|F^k(θ) − θ| in the message) when it does not converge to ``tol`` (relative to max(1, |θ|)).
    """
    eta = check_parameter(model, eta)
    k = check_period(period)
    theta0 = check_init(model, guess)
    module = compile_dynamics(model)
    theta, residual, iterations, ok = newton_orbit(module, theta0, eta, k, tol=tol, max_iter=max_iter)
    _, M, _, path = orbit_power(module, theta, eta, k)
    finite = np.all(np.isfinite(M))
    multipliers = np.linalg.eigvals(M) if finite else np.full(model.dimension, np.nan + 0j)
    names = model.state_names
    if ok:
        least = minimal_period(module, theta, eta, k, max(tol, 1e-9) * 10)
        status = "converged"
        message = f"period-{k} orbit found in {iterations} Newton steps (residual {residual:.2e})"
        if least != k:
            message += f"; its minimal period is {least}"
    else:
        least = 0
        status = "failed"
        message = (
            f"Newton on F^{k}(θ) = θ did not converge from {dict(zip(names, map(float, theta0)))} at η = {eta:g}: "
            f"residual max|F^{k}(θ) − θ| = {residual:.3e} after {iterations} steps (tolerance {tol:g})"
        )
    return PeriodicOrbit(
        model=model.describe(),
        eta=eta,
        period=k,
        guess=dict(zip(names, map(float, theta0))),
        tol=float(tol),
        status=status,
        message=message,
        residual=float(residual),
        iterations=int(iterations),
        state=dict(zip(names, map(float, theta))),
        points=path,
        multipliers=multipliers,
        stability=stability_label(multipliers) if ok else "undefined",
        minimal_period=least,
    )
