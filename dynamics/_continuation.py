"""continue_orbit(model, eta, guess, period, eta_range) -> Continuation: periodic orbits followed in η.

Pseudo-arclength continuation of the solution curve of H(θ, η) = F^k(θ; η) − θ = 0 in (θ, η)-space:
predictor u + ds·t along the tangent t (the null vector of DH = [M − I | ∂_η F^k], M the product of the
derived Jacobians along the orbit), Newton corrector on {H = 0, t·(u − u_pred) = 0}, step control (ds grows
after fast corrections, halves after slow or failed ones).

Labelled points, located to |Δη| ≲ 1e-12 by Brent's method on the arclength between two branch points:

* PD (period doubling, a multiplier crosses −1): sign change of det(M + I);
* LP (limit point / fold, a multiplier crosses +1 with η turning back): sign change of the tangent's η
  component.

Branch switching at a PD point: the period-2k orbit bifurcates tangentially to the −1 eigenvector w of M,
so the 2k-branch is started with predictor (θ* + h w, η*) and the corrector held on the hyperplane
w·(θ − θ* − h w) = 0, then continued like any branch, so a cascade is followed up to ``max_period``.

Non-isolated orbits (e.g. a line of minimisers, where M − I is singular for every η): the coordinates
along the null directions of M − I at the start are held fixed (extra equations), which continues the
chosen member of the family; its stability labels are then judged on the multipliers transverse to
the family (the multipliers 1 along it are dropped).
References: Kuznetsov, *Elements of Applied Bifurcation Theory* (2004), §10.2–10.3; Doedel et al.,
AUTO-07p manual (pseudo-arclength continuation, branch switching); Govaerts et al., MatContM.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from ..derivations import InputError, Model

from ._dyn_kernels import compile_dynamics
from ._periodic import check_parameter, check_period, minimal_period, newton_orbit, orbit_power, stability_label
from ._trajectory import check_init
from ._version import package_version

MAX_BRANCHES = 24


@dataclass(frozen=True, eq=False)
class SpecialPoint:
    """A labelled point: ``type`` PD | LP, ``eta``, ``period`` (of the orbit on which it lies), ``state``."""

    type: str
    eta: float
    period: int
    state: dict
    multipliers: np.ndarray = field(repr=False)
    branch: int = 0

    def to_dict(self) -> dict:
        record = {"type": self.type, "eta": self.eta, "period": self.period, "state": self.state}
        record["multipliers"] = [[float(m.real), float(m.imag)] for m in self.multipliers]
        record["branch"] = self.branch
        if self.type == "PD":
            record["new_period"] = 2 * self.period
        return record


@dataclass(frozen=True, eq=False)
class Branch:
    """One continued branch: its period, the points (η, θ), the largest |multiplier| and stability labels."""

    period: int
    eta: np.ndarray = field(repr=False)
    states: np.ndarray = field(repr=False)
    max_multiplier: np.ndarray = field(repr=False)
    stability: tuple = field(repr=False)
    status: str = ""
    message: str = ""
    parent: int | None = None

    def to_dict(self) -> dict:
        return {
            "period": self.period,
            "status": self.status,
            "message": self.message,
            "parent_point": self.parent,
            "eta": self.eta.tolist(),
            "states": self.states.tolist(),
            "max_multiplier": self.max_multiplier.tolist(),
            "stability": list(self.stability),
        }


@dataclass(frozen=True, eq=False)
class Continuation:
    """Result of :func:`continue_orbit`: inputs, status, message, branches and labelled points (sorted by η)."""

    model: dict
    eta: float
    guess: dict
    period: int
    eta_range: tuple
    max_period: int
    status: str
    message: str
    start_state: dict
    start_multipliers: np.ndarray = field(repr=False)
    start_stability: str
    branches: tuple = field(repr=False)
    points: tuple = ()
    version: str = package_version()

    def to_dict(self, branches: bool = False) -> dict:
        record = {
            "model": self.model,
            "eta": self.eta,
            "guess": self.guess,
            "period": self.period,
            "eta_range": list(self.eta_range),
            "max_period": self.max_period,
            "status": self.status,
            "message": self.message,
            "start_state": self.start_state,
            "start_multipliers": [[float(m.real), float(m.imag)] for m in self.start_multipliers],
            "start_stability": self.start_stability,
            "points": [p.to_dict() for p in self.points],
            "branch_summary": [
                {"period": b.period, "status": b.status, "message": b.message, "n_points": int(b.eta.size),
                 "eta_min": float(b.eta.min()) if b.eta.size else None,
                 "eta_max": float(b.eta.max()) if b.eta.size else None}
                for b in self.branches
            ],
            "version": self.version,
        }
        if branches:
            record["branches"] = [b.to_dict() for b in self.branches]
        return record


class _Curve:
    """H(θ, η) = F^k(θ; η) − θ plus optional constraints C θ = c, with its pseudo-arclength corrector."""

    def __init__(self, module, n, k, tol, constraints=None):
        self.module, self.n, self.k, self.tol = module, n, k, tol
        self.C, self.c = constraints if constraints is not None else (np.zeros((0, n)), np.zeros(0))

    def system(self, u):
        n = self.n
        point, M, v, _ = orbit_power(self.module, u[:n], u[n], self.k)
        H = np.concatenate([point - u[:n], self.C @ u[:n] - self.c])
        DH = np.zeros((n + self.C.shape[0], n + 1))
        DH[:n, :n] = M - np.eye(n)
        DH[:n, n] = v
        DH[n:, :n] = self.C
        return H, DH, M

    def correct(self, u_pred, t, max_iter=12):
        """Newton on {H(u) = 0, t·(u − u_pred) = 0}; returns (u, M, iterations, ok)."""
        u = u_pred.copy()
        scale = max(1.0, float(np.max(np.abs(u))))
        M = None
        for iteration in range(1, max_iter + 1):
            H, DH, M = self.system(u)
            if not (np.all(np.isfinite(H)) and np.all(np.isfinite(DH))):
                return u, M, iteration, False
            F = np.concatenate([H, [t @ (u - u_pred)]])
            J = np.vstack([DH, t])
            delta = np.linalg.lstsq(J, -F, rcond=None)[0]
            u = u + delta
            if float(np.max(np.abs(delta))) <= 1e-13 * scale:
                H, DH, M = self.system(u)
                ok = np.all(np.isfinite(H)) and float(np.max(np.abs(H))) <= self.tol * scale * 1e3
                return u, M, iteration, bool(ok)
        H, DH, M = self.system(u)
        ok = np.all(np.isfinite(H)) and float(np.max(np.abs(H))) <= self.tol * scale
        return u, M, max_iter, bool(ok)

    def tangent(self, u, reference=None):
        _, DH, _ = self.system(u)
        t = np.linalg.svd(DH)[2][-1]
        if reference is not None and t @ reference < 0:
            t = -t
        return t


def _null_constraints(M, v, theta, tol=1e-8):
    """Constraints holding θ fixed along the null directions of M − I when [M − I | v] is rank deficient."""
    n = M.shape[0]
    DH = np.hstack([M - np.eye(n), v[:, None]])
    sv = np.linalg.svd(DH, compute_uv=False)
    if np.all(np.isfinite(sv)) and sv.min(initial=np.inf) > tol * max(1.0, sv.max()) and sv.size == n:
        return None
    _, s, vt = np.linalg.svd(M - np.eye(n))
    null = vt[s <= tol * max(1.0, s.max())]
    if null.shape[0] == 0:
        return None
    return null, null @ theta


def _psi_pd(M):
    return float(np.linalg.det(M + np.eye(M.shape[0])))


class _Runner:
    def __init__(self, model, module, lo, hi, max_period, tol, max_points):
        self.model, self.module = model, module
        self.lo, self.hi = lo, hi
        self.max_period, self.tol, self.max_points = max_period, tol, max_points
        self.n = model.dimension
        self.branches: list[Branch] = []
        self.points: list[SpecialPoint] = []
        self.notes: list[str] = []

    def in_range(self, eta):
        return self.lo - 1e-12 <= eta <= self.hi + 1e-12

    def locate(self, curve, u, t, ds, fun):
        """Brent on σ ∈ (0, ds) of fun(corrected point at u + σ t); returns (u*, M*) or None."""
        cache = {}

        def evaluate(sigma):
            point, M, _, ok = curve.correct(u + sigma * t, t)
            if not ok:
                raise RuntimeError("corrector failed while locating")
            cache[sigma] = (point, M)
            return fun(point, M)

        try:
            f0, f1 = evaluate(0.0), evaluate(ds)
            if f0 == 0.0:
                return cache[0.0]
            if f0 * f1 > 0:
                return None
            sigma = brentq(evaluate, 0.0, ds, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
        except (RuntimeError, ValueError):
            return None
        if sigma not in cache:
            evaluate(sigma)
        return cache[sigma]

    def run_branch(self, curve, u0, t0, parent=None):
        n = self.n
        span = self.hi - self.lo
        ds_max = span / 40
        ds_min = 1e-11 * max(1.0, span)
        ds = span / 400
        u, t = u0.copy(), t0.copy()
        M = curve.system(u)[2]
        etas, states, tops, labels = [u[n]], [u[:n].copy()], [], []

        family = curve.C.shape[0]

        def record_multipliers(M_):
            mu = np.linalg.eigvals(M_) if np.all(np.isfinite(M_)) else np.array([np.nan])
            if family and mu.size > family and np.all(np.isfinite(mu)):
                # drop the multipliers 1 of the directions along a family of orbits (held fixed):
                # stability is judged transversally to the family
                mu = mu[np.argsort(np.abs(mu - 1))[family:]]
            tops.append(float(np.max(np.abs(mu))))
            labels.append(stability_label(mu))

        record_multipliers(M)
        status, message = "max_points", f"stopped after {self.max_points} points"
        previous_shift = None
        if curve.k % 2 == 0:
            previous_shift = orbit_power(self.module, u[:n], u[n], curve.k // 2)[0] - u[:n]
        while len(etas) < self.max_points:
            if not self.in_range(u[n]):
                status, message = "completed", "left the η range"
                break
            new, M_new, iterations, ok = curve.correct(u + ds * t, t)
            if ok and float(np.linalg.norm(new - u)) > 3 * ds:
                ok = False  # jumped to another branch
            if not ok:
                ds *= 0.5
                if ds < ds_min:
                    status = "step_underflow"
                    message = f"corrector failed at η = {u[n]:.12g} with step size {ds:.1e} (singular point or end of branch)"
                    break
                continue
            if curve.k % 2 == 0:
                # a period-k branch born at a PD point meets its period-k/2 orbit there: the half-period
                # displacement F^{k/2}(θ) − θ flips direction when the branch passes through it
                shift = orbit_power(self.module, new[:n], new[n], curve.k // 2)[0] - new[:n]
                if previous_shift is not None and float(shift @ previous_shift) < 0:
                    status = "completed"
                    message = f"reached the period-{curve.k // 2} orbit it bifurcates from near η = {u[n]:.12g}"
                    break
                previous_shift = shift
            t_new = curve.tangent(new, t)
            self.detect(curve, u, t, ds, M, M_new, t_new, new, len(self.branches))
            u, t, M = new, t_new, M_new
            etas.append(u[n])
            states.append(u[:n].copy())
            record_multipliers(M)
            if iterations <= 3:
                ds = min(ds * 1.5, ds_max)
            elif iterations >= 7:
                ds = max(ds * 0.5, ds_min)
        branch = Branch(
            period=curve.k,
            eta=np.array(etas),
            states=np.array(states),
            max_multiplier=np.array(tops),
            stability=tuple(labels),
            status=status,
            message=message,
            parent=parent,
        )
        self.branches.append(branch)
        return branch

    def detect(self, curve, u, t, ds, M, M_new, t_new, new, branch_index):
        n = self.n
        if np.sign(_psi_pd(M)) != np.sign(_psi_pd(M_new)) and _psi_pd(M) != 0:
            found = self.locate(curve, u, t, ds, lambda point, M_: _psi_pd(M_))
            if found is not None and self.in_range(found[0][n]) and not self.known("PD", curve.k, found[0][n]):
                point, M_star = found
                self.points.append(self._point("PD", point, M_star, curve.k, branch_index))
                self.pending.append((point, M_star, curve.k, len(self.points) - 1))
        if np.sign(t[n]) != np.sign(t_new[n]) and t[n] != 0:
            def eta_slope(point, M_):
                return float(curve.tangent(point, t)[n])

            found = self.locate(curve, u, t, ds, eta_slope)
            if found is not None and self.in_range(found[0][n]) and not self.known("LP", curve.k, found[0][n]):
                point, M_star = found
                self.points.append(self._point("LP", point, M_star, curve.k, branch_index))

    def known(self, kind, k, eta):
        """A point of this type and period at the same η was already found (the same orbit, another phase)."""
        return any(p.type == kind and p.period == k and abs(p.eta - eta) <= 1e-9 * max(1.0, abs(eta)) for p in self.points)

    def _point(self, kind, u, M, k, branch_index):
        n = self.n
        return SpecialPoint(
            type=kind,
            eta=float(u[n]),
            period=k,
            state=dict(zip(self.model.state_names, map(float, u[:n]))),
            multipliers=np.linalg.eigvals(M),
            branch=branch_index,
        )

    def switch(self, u_star, M_star, k, point_index):
        """Start the period-2k branch at a PD point; returns False (with a note) when it cannot."""
        n = self.n
        k2 = 2 * k
        mu, vectors = np.linalg.eig(M_star)
        index = int(np.argmin(np.abs(mu + 1)))
        w = np.real(vectors[:, index])
        w /= np.linalg.norm(w)
        curve = _Curve(self.module, n, k2, self.tol)
        scale = max(1.0, float(np.max(np.abs(u_star[:n]))))
        tangent_guess = np.concatenate([w, [0.0]])
        for h in (1e-4, 1e-3, 1e-5, 3e-3, 1e-2, 1e-6):
            u_pred = u_star.copy()
            u_pred[:n] += h * scale * w
            new, _, _, ok = curve.correct(u_pred, tangent_guess)
            if not ok or not self.in_range(new[n]):
                continue
            if minimal_period(self.module, new[:n], new[n], k2, 1e-8) != k2:
                continue
            t_new = curve.tangent(new, tangent_guess)
            self.run_branch(curve, new, t_new, parent=point_index)
            return True
        self.notes.append(f"branch switching to period {k2} failed at the PD point η = {u_star[n]:.12g}")
        return False


def continue_orbit(
    model: Model,
    eta,
    guess: dict,
    period: int = 1,
    eta_range=None,
    *,
    max_period: int = 16,
    tol: float = 1e-12,
    max_points: int = 3000,
) -> Continuation:
    """continue_orbit(model, eta, guess, period=1, eta_range=(a, b), *, max_period=16, tol=1e-12,
    max_points=3000) -> Continuation

    Newton from ``guess`` to a period-``period`` orbit at ``eta`` (InputError with the residual if it does not
    converge), then pseudo-arclength continuation both ways across ``eta_range`` with PD/LP detection and
    branch switching at PD points up to period ``max_period`` (see module docstring).
    """
    eta = check_parameter(model, eta)
    k = check_period(period)
    max_period = check_period(max_period)
    theta0 = check_init(model, guess)
    if eta_range is None:
        raise InputError("an η range (a, b) is required")
    try:
        lo, hi = (float(v) for v in eta_range)
    except (TypeError, ValueError):
        raise InputError(f"η range must be two numbers, got {eta_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise InputError(f"η range must be finite with a < b, got {lo:g}:{hi:g}")
    if not lo <= eta <= hi:
        raise InputError(f"the η range {lo:g}:{hi:g} does not contain the start η = {eta:g}")
    if model.explicit_map is None and (lo <= 0):
        raise InputError(f"the η range of a GD model must be > 0, got {lo:g}:{hi:g}")
    module = compile_dynamics(model)
    n = model.dimension
    theta, residual, iterations, ok = newton_orbit(module, theta0, eta, k, tol=tol)
    if not ok:
        raise InputError(
            f"Newton on F^{k}(θ) = θ did not converge from the start {dict(zip(model.state_names, map(float, theta0)))} "
            f"at η = {eta:g}: residual max|F^{k}(θ) − θ| = {residual:.3e} after {iterations} steps"
        )
    least = minimal_period(module, theta, eta, k, 1e-8)
    _, M, v, _ = orbit_power(module, theta, eta, k)
    constraints = _null_constraints(M, v, theta)
    start_mu = np.linalg.eigvals(M)
    curve = _Curve(module, n, k, tol, constraints)
    runner = _Runner(model, module, lo, hi, max_period, tol, max_points)
    runner.pending = []
    if least != k:
        runner.notes.append(f"the start orbit has minimal period {least}, not {k}")
    if constraints is not None:
        runner.notes.append(
            f"the start orbit is not isolated (M − I is singular): {constraints[0].shape[0]} coordinate(s) along the "
            "family held fixed"
        )
    u0 = np.concatenate([theta, [eta]])
    t0 = curve.tangent(u0)
    for direction in (1.0, -1.0):
        t = t0 * (direction if t0[n] >= 0 else -direction)
        runner.run_branch(curve, u0, t)
    while runner.pending and len(runner.branches) < MAX_BRANCHES:
        u_star, M_star, k_pd, index = runner.pending.pop(0)
        if 2 * k_pd <= max_period:
            runner.switch(u_star, M_star, k_pd, index)
    points = sorted(runner.points, key=lambda p: (p.eta, p.period, p.type))
    counts = {kind: sum(p.type == kind for p in points) for kind in ("PD", "LP")}
    message = f"{len(runner.branches)} branches, {counts['PD']} PD and {counts['LP']} LP points in η ∈ [{lo:g}, {hi:g}]"
    if runner.notes:
        message += "; " + "; ".join(runner.notes)
    failed = any(b.status == "step_underflow" for b in runner.branches) or any("failed" in note for note in runner.notes)
    return Continuation(
        model=model.describe(),
        eta=eta,
        guess=dict(zip(model.state_names, map(float, theta0))),
        period=k,
        eta_range=(lo, hi),
        max_period=max_period,
        status="partial" if failed else "completed",
        message=message,
        start_state=dict(zip(model.state_names, map(float, theta))),
        start_multipliers=start_mu,
        start_stability=stability_label(start_mu),
        branches=tuple(runner.branches),
        points=tuple(points),
    )
