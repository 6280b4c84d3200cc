"""continue_orbit(model, eta, init, period, eta_range) -> Continuation: periodic orbits followed in η.

Pseudo-arclength continuation of the solution curve of H(θ, η) = F^k(θ; η) − θ = 0 in (θ, η)-space:
predictor u + ds·t along the tangent t (the null vector of DH = [M − I | ∂_η F^k], M the product of the
derived Jacobians along the orbit), Newton corrector on {H = 0, t·(u − u_pred) = 0}, step control (ds grows
after fast corrections, halves after slow or failed ones); every threshold is a field of
:class:`ContinuationOptions`.

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
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..derivations import ConvergenceError, InputError, Model
from ..derivations._validate import check_count, check_finite

from ._options import ContinuationOptions
from ._periodic import (STABILITY_CODES, check_period, complex_pairs, minimal_period, newton_orbit, orbit_power,
                        stability_label)
from ._result import Result, Status, array_field, dataset_attrs, flag_attrs, variable, version_field
from ._state import check_init, check_parameter, state_dict
from ._system import resolve

POINT_TYPE_CODES = {"PD": 0, "LP": 1}


@dataclass(frozen=True, eq=False)
class SpecialPoint:
    """SpecialPoint: a labelled point of a branch.

    Attributes:
        type: PD (period doubling: a multiplier crosses −1) or LP (limit point/fold: a multiplier crosses +1);
        eta: where it lies; period: the period of the orbit it lies on; state: {state name: value};
        multipliers: the eigenvalues of M there; branch: the index of its branch in ``Continuation.branches``.
    """

    type: str
    eta: float
    period: int
    state: dict
    multipliers: np.ndarray = array_field()
    branch: int = 0

    def to_dict(self) -> dict:
        """JSON-ready record (multipliers as [re, im] pairs; ``new_period`` = 2k at a PD point)."""
        record = {"type": self.type, "eta": self.eta, "period": self.period, "state": self.state,
                  "multipliers": complex_pairs(self.multipliers), "branch": self.branch}
        if self.type == "PD":
            record["new_period"] = 2 * self.period
        return record


@dataclass(frozen=True, eq=False)
class Branch:
    """Branch: one continued branch.

    Attributes:
        period: k; eta, states (points × n), max_multiplier (largest |μ|), stability (labels): per point;
        status: ``Status.COMPLETED`` (left the η range or reached its parent orbit), ``Status.MAX_POINTS`` or
        ``Status.STEP_UNDERFLOW``; message: in words; parent: the index of the PD point it was switched from
        (None for the start branch).
    """

    period: int
    status: Status
    message: str
    eta: np.ndarray = array_field()
    states: np.ndarray = array_field()
    max_multiplier: np.ndarray = array_field()
    stability: tuple = array_field()
    parent: int | None = None

    def to_dict(self) -> dict:
        """JSON-ready record with every point."""
        return {
            "period": self.period,
            "status": self.status.value,
            "message": self.message,
            "parent_point": self.parent,
            "eta": self.eta.tolist(),
            "states": self.states.tolist(),
            "max_multiplier": self.max_multiplier.tolist(),
            "stability": list(self.stability),
        }


@dataclass(frozen=True, eq=False)
class Continuation(Result):
    """Continuation: the result of :func:`continue_orbit`.

    Attributes:
        model, eta, init, period, eta_range, max_period, max_points, options: the inputs;
        status: ``Status.COMPLETED`` or ``Status.PARTIAL`` (a branch ended in a step underflow, or a branch
        switch failed); message: a summary; start_state, start_multipliers, start_stability: the start orbit
        after Newton; branches: the :class:`Branch` es; points: the :class:`SpecialPoint` s, sorted by η;
        version.
    """

    model: Model
    eta: float
    init: dict
    period: int
    eta_range: tuple
    max_period: int
    max_points: int
    options: ContinuationOptions
    status: Status
    message: str
    start_state: dict
    start_stability: str
    start_multipliers: np.ndarray = array_field()
    branches: tuple = array_field()
    points: tuple = ()
    version: str = version_field()

    def to_dict(self, arrays: bool = False, branches: bool | None = None) -> dict:
        """to_dict(arrays=False) -> JSON-ready record: the inputs, status, message, start orbit, labelled points
        and a summary per branch; with ``arrays`` (alias ``branches``) every branch point as well."""
        arrays = arrays if branches is None else branches
        record = super().to_dict(arrays=False)
        record["start_multipliers"] = complex_pairs(self.start_multipliers)
        record["points"] = [p.to_dict() for p in self.points]
        record["branch_summary"] = [
            {"period": b.period, "status": b.status.value, "message": b.message, "n_points": int(b.eta.size),
             "eta_min": float(b.eta.min()) if b.eta.size else None,
             "eta_max": float(b.eta.max()) if b.eta.size else None}
            for b in self.branches
        ]
        if arrays:
            record["branches"] = [b.to_dict() for b in self.branches]
        return record

    def to_dataset(self):
        """to_dataset() -> xarray.Dataset of the points of all branches on the dimension ``point`` (coordinates
        ``branch`` and ``eta``; variables: one per state coordinate, ``period``, ``max_multiplier`` and
        ``stability`` with CF flags) and the labelled points on the dimension ``special`` (``special_type`` PD|LP
        with CF flags, ``special_eta``, ``special_period``, ``special_branch``, ``special_<name>``).
        Attributes: the inputs, status, message and version."""
        import xarray as xr

        names = self.model.state_names
        n = len(names)
        branch_index = np.concatenate([np.full(b.eta.size, i) for i, b in enumerate(self.branches)] or [np.zeros(0)])
        eta = np.concatenate([b.eta for b in self.branches] or [np.zeros(0)])
        states = np.concatenate([b.states.reshape(-1, n) for b in self.branches] or [np.zeros((0, n))])
        period = np.concatenate([np.full(b.eta.size, b.period) for b in self.branches] or [np.zeros(0)])
        top = np.concatenate([b.max_multiplier for b in self.branches] or [np.zeros(0)])
        stability = np.array([STABILITY_CODES[s] for b in self.branches for s in b.stability], dtype=np.int8)
        data = {name: variable("point", states[:, i], f"state coordinate {name} of the orbit")
                for i, name in enumerate(names)}
        data["period"] = variable("point", period.astype(np.int64), "period k of the branch")
        data["max_multiplier"] = variable("point", top, "largest Floquet multiplier modulus max|μ|")
        data["stability"] = variable("point", stability, "stability of the orbit", **flag_attrs(STABILITY_CODES))
        points = self.points
        data["special_type"] = variable("special", np.array([POINT_TYPE_CODES[p.type] for p in points], np.int8),
                                        "type of the labelled point (PD: period doubling, LP: limit point)",
                                        **flag_attrs(POINT_TYPE_CODES))
        data["special_eta"] = variable("special", np.array([p.eta for p in points], float), "η of the labelled point")
        data["special_period"] = variable("special", np.array([p.period for p in points], np.int64),
                                          "period of the orbit at the labelled point")
        data["special_branch"] = variable("special", np.array([p.branch for p in points], np.int64),
                                          "branch of the labelled point")
        for name in names:
            data[f"special_{name}"] = variable("special", np.array([p.state[name] for p in points], float),
                                               f"state coordinate {name} at the labelled point")
        coords = {
            "branch": variable("point", branch_index.astype(np.int64), "branch index"),
            "eta": variable("point", eta, "step size η" if self.model.explicit_map is None else "map parameter η"),
        }
        attrs = dataset_attrs(self, eta=self.eta, init=self.init, period=self.period, eta_range=self.eta_range,
                              max_period=self.max_period, max_points=self.max_points,
                              start_stability=self.start_stability)
        return xr.Dataset(data, coords=coords, attrs=attrs)


class _Curve:
    """H(θ, η) = F^k(θ; η) − θ plus optional constraints C θ = c, with its pseudo-arclength corrector."""

    def __init__(self, module, n, k, options: ContinuationOptions, constraints=None):
        self.module, self.n, self.k, self.options, self.tol = module, n, k, options, options.tol
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

    def correct(self, u_pred, t):
        """Newton on {H(u) = 0, t·(u − u_pred) = 0}; returns (u, M, iterations, ok)."""
        max_iter = self.options.corrector_iterations
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
            if float(np.max(np.abs(delta))) <= self.options.corrector_step_tol * scale:
                H, DH, M = self.system(u)
                ok = np.all(np.isfinite(H)) and float(np.max(np.abs(H))) <= self.tol * scale * self.options.corrector_residual_factor
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


def _null_constraints(M, v, theta, tol):
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
    def __init__(self, model, module, lo, hi, max_period, options: ContinuationOptions, max_points):
        self.model, self.module = model, module
        self.lo, self.hi = lo, hi
        self.max_period, self.options, self.max_points = max_period, options, max_points
        self.tol = options.tol
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
            sigma = brentq(evaluate, 0.0, ds, xtol=self.options.locate_xtol, rtol=4 * np.finfo(float).eps,
                           maxiter=self.options.locate_iterations)
        except (RuntimeError, ValueError):
            return None
        if sigma not in cache:
            evaluate(sigma)
        return cache[sigma]

    def run_branch(self, curve, u0, t0, parent=None):
        n = self.n
        span = self.hi - self.lo
        options = self.options
        ds_max = span * options.max_step
        ds_min = options.min_step * max(1.0, span)
        ds = span * options.initial_step
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
        status, message = Status.MAX_POINTS, f"stopped after {self.max_points} points"
        previous_shift = None
        if curve.k % 2 == 0:
            previous_shift = orbit_power(self.module, u[:n], u[n], curve.k // 2)[0] - u[:n]
        while len(etas) < self.max_points:
            if not self.in_range(u[n]):
                status, message = Status.COMPLETED, "left the η range"
                break
            new, M_new, iterations, ok = curve.correct(u + ds * t, t)
            if ok and float(np.linalg.norm(new - u)) > options.jump_factor * ds:
                ok = False  # jumped to another branch
            if not ok:
                ds *= 0.5
                if ds < ds_min:
                    status = Status.STEP_UNDERFLOW
                    message = f"corrector failed at η = {u[n]:.12g} with step size {ds:.1e} (singular point or end of branch)"
                    break
                continue
            if curve.k % 2 == 0:
                # a period-k branch born at a PD point meets its period-k/2 orbit there: the half-period
                # displacement F^{k/2}(θ) − θ flips direction when the branch passes through it
                shift = orbit_power(self.module, new[:n], new[n], curve.k // 2)[0] - new[:n]
                if previous_shift is not None and float(shift @ previous_shift) < 0:
                    status = Status.COMPLETED
                    message = f"reached the period-{curve.k // 2} orbit it bifurcates from near η = {u[n]:.12g}"
                    break
                previous_shift = shift
            t_new = curve.tangent(new, t)
            self.detect(curve, u, t, ds, M, M_new, t_new, new, len(self.branches))
            u, t, M = new, t_new, M_new
            etas.append(u[n])
            states.append(u[:n].copy())
            record_multipliers(M)
            if iterations <= options.fast_iterations:
                ds = min(ds * options.grow, ds_max)
            elif iterations >= options.slow_iterations:
                ds = max(ds * options.shrink, ds_min)
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
            state=state_dict(self.model, u[:n]),
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
        curve = _Curve(self.module, n, k2, self.options)
        scale = max(1.0, float(np.max(np.abs(u_star[:n]))))
        tangent_guess = np.concatenate([w, [0.0]])
        for h in self.options.branch_offsets:
            u_pred = u_star.copy()
            u_pred[:n] += h * scale * w
            new, _, _, ok = curve.correct(u_pred, tangent_guess)
            if not ok or not self.in_range(new[n]):
                continue
            if minimal_period(self.module, new[:n], new[n], k2, self.options.period_tol) != k2:
                continue
            t_new = curve.tangent(new, tangent_guess)
            self.run_branch(curve, new, t_new, parent=point_index)
            return True
        self.notes.append(f"branch switching to period {k2} failed at the PD point η = {u_star[n]:.12g}")
        return False


def continue_orbit(
    model,
    eta,
    init,
    period: int = 1,
    eta_range=None,
    *,
    max_period: int = 16,
    max_points: int = 3000,
    options: ContinuationOptions | dict | None = None,
) -> Continuation:
    """continue_orbit(model, eta, init, period=1, eta_range=(a, b), *, max_period=16, max_points=3000,
    options=ContinuationOptions()) -> Continuation

    Newton from ``init`` to a period-``period`` orbit at ``eta``, then pseudo-arclength continuation both ways
    across ``eta_range`` with PD/LP detection and branch switching at PD points up to period ``max_period``
    (see the module docstring).

    Arguments:
        model: a Model or a System; a GD model or a custom map.
        eta: η of the start orbit, inside ``eta_range``.
        init: a point on (near) the start orbit, {state name: value} or n values in state order.
        period: the period k of the start orbit (1 ≤ k ≤ 64).
        eta_range: (a, b), a < b, finite (a > 0 for a GD model).
        max_period: follow period doublings up to this period (1 ≤ max_period ≤ 64).
        max_points: points per branch at most (≥ 2).
        options: :class:`ContinuationOptions` (or a dict of its fields): step control, corrector, Newton
            tolerance, point location and branch-switching offsets.

    Returns:
        Continuation: the branches (η, states, max|μ|, stability per point), the labelled PD/LP points sorted by
        η, and ``Status.COMPLETED`` or ``Status.PARTIAL``.

    Raises:
        InputError: a bad η, init, period, range or option.
        ConvergenceError: Newton does not converge to a start orbit (the message gives the residual).

    PD: det(M + I) changes sign; LP: the tangent's η component changes sign (Kuznetsov 2004, §10.2–10.3;
    Doedel et al., AUTO-07p).
    """
    system, model = resolve(model)
    options = ContinuationOptions.from_mapping(options)
    eta = check_parameter(model, eta)
    k = check_period(period)
    max_period = check_period(max_period, "max_period")
    max_points = check_count(max_points, "max_points", 2)
    theta0 = check_init(model, init)
    if eta_range is None:
        raise InputError("eta_range (a, b) is required")
    try:
        lo, hi = eta_range
    except (TypeError, ValueError):
        raise InputError(f"eta_range must be two numbers (a, b), got {eta_range!r}") from None
    lo, hi = check_finite(lo, "eta_range start"), check_finite(hi, "eta_range end")
    if lo >= hi:
        raise InputError(f"eta_range must have a < b, got {lo:g}:{hi:g}")
    if not lo <= eta <= hi:
        raise InputError(f"eta_range {lo:g}:{hi:g} does not contain the start eta = {eta:g}")
    if model.explicit_map is None and (lo <= 0):
        raise InputError(f"eta_range of a GD model must be > 0, got {lo:g}:{hi:g}")
    module = system.dynamics
    n = model.dimension
    theta, residual, iterations, ok = newton_orbit(module, theta0, eta, k, options.newton)
    if not ok:
        raise ConvergenceError(
            f"Newton on F^{k}(θ) = θ did not converge from init = {state_dict(model, theta0)} "
            f"at eta = {eta:g}: residual max|F^{k}(θ) − θ| = {residual:.3e} after {iterations} steps"
        )
    least = minimal_period(module, theta, eta, k, options.period_tol)
    _, M, v, _ = orbit_power(module, theta, eta, k)
    constraints = _null_constraints(M, v, theta, options.null_tol)
    start_mu = np.linalg.eigvals(M)
    curve = _Curve(module, n, k, options, constraints)
    runner = _Runner(model, module, lo, hi, max_period, options, max_points)
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
    while runner.pending and len(runner.branches) < options.max_branches:
        u_star, M_star, k_pd, index = runner.pending.pop(0)
        if 2 * k_pd <= max_period:
            runner.switch(u_star, M_star, k_pd, index)
    points = sorted(runner.points, key=lambda p: (p.eta, p.period, p.type))
    counts = {kind: sum(p.type == kind for p in points) for kind in ("PD", "LP")}
    message = f"{len(runner.branches)} branches, {counts['PD']} PD and {counts['LP']} LP points in η ∈ [{lo:g}, {hi:g}]"
    if runner.notes:
        message += "; " + "; ".join(runner.notes)
    failed = any(b.status == Status.STEP_UNDERFLOW for b in runner.branches) or any("failed" in note for note in runner.notes)
    return Continuation(
        model=model,
        eta=eta,
        init=state_dict(model, theta0),
        period=k,
        eta_range=(lo, hi),
        max_period=max_period,
        max_points=max_points,
        options=options,
        status=Status.PARTIAL if failed else Status.COMPLETED,
        message=message,
        start_state=state_dict(model, theta),
        start_stability=stability_label(start_mu),
        start_multipliers=start_mu,
        branches=tuple(runner.branches),
        points=tuple(points),
    )


__all__ = ["POINT_TYPE_CODES", "Branch", "Continuation", "SpecialPoint", "continue_orbit"]
