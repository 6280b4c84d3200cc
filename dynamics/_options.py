"""Small frozen option objects that configure the verbs (the diffrax pattern): one place for each default.

GridOptions(max_steps=20000, tol=1e-12, bound=1e8, check_every=16, dense_steps=16, period_tol=1e-12, tail=0)
    the stopping rules of a grid run (:func:`grid_run`, :func:`sweep`); validated when made.
NewtonOptions(tol=1e-12, max_iter=60, trust_radius=0.25, backtracks=30, damping_steps=60)
    Newton on F^k(θ) = θ (:func:`periodic_orbit`, and the start orbit of :func:`continue_orbit`).
ContinuationOptions(newton=NewtonOptions(), initial_step=1/400, max_step=1/40, min_step=1e-11, ...)
    the step control, corrector, point location and branch switching of :func:`continue_orbit`.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..derivations import InputError
from ..derivations._validate import check_count, check_positive, check_positive_array


class _Options:
    """Base of the option objects (not public): ``from_mapping`` (a dict, an instance or None) and ``to_dict``."""

    _what = "options"

    @classmethod
    def from_mapping(cls, options=None, **overrides):
        """Options.from_mapping(options=None, **overrides) -> Options

        The options from a dict, an instance (returned as it is without overrides) or None (all defaults),
        with single fields replaced by ``overrides``.

        Arguments:
            options: a dict {option name: value} (a None value keeps that option's default), an instance of
                this class, or None.
            overrides: option values that replace those of ``options`` (checked like them).

        Returns:
            the option object (GridOptions, NewtonOptions or ContinuationOptions: the class it is called on).

        Raises:
            InputError: not a dict, an instance or None, an unknown option name, or a bad value.
        """
        if isinstance(options, cls):
            if not overrides:
                return options
            options = {f.name: getattr(options, f.name) for f in dataclasses.fields(cls)}
        if options is not None and not isinstance(options, dict):
            raise InputError(f"{cls._what} must be a {cls.__name__}, a dict or None, got {type(options).__name__}")
        options = {**(options or {}), **overrides}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise InputError(f"unknown {cls._what}: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        return cls(**{k: v for k, v in options.items() if v is not None})

    def to_dict(self) -> dict:
        """to_dict() -> dict

        The options as a plain dict (for manifests and JSON).

        Returns:
            dict: {option name: value}, every field.
        """
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class GridOptions(_Options):
    """GridOptions(max_steps=20000, tol=1e-12, bound=1e8, check_every=16, dense_steps=16, period_tol=1e-12, tail=0)

    The stopping rules of every grid point (one GD orbit θ_{k+1} = θ_k − η∇L(θ_k) per point); validated when made.

    Arguments:
        max_steps: the step budget, an integer ≥ 0 (0 = evaluate the start only). Default 20000.
        tol: converged when |∇L(θ)| < tol (or |osc(θ)| < tol where the derivation allows it); > 0. Default 1e-12.
        bound: diverged when some |θ_i| > bound or a value is non-finite; > 0. Default 1e8.
        check_every: the stopping tests and the period detection run every ``check_every`` steps (≥ 1). Default 16.
        dense_steps: the last steps recorded densely, for the period of an orbit that does not settle (≥ 0).
            Default 16.
        period_tol: two states closer than this count as the same point of a period-k orbit (k ≤ 16); > 0.
            Default 1e-12.
        tail: steps recorded at the end for orbit diagrams, ≥ 0 (0 = none). Default 0.

    Raises:
        InputError: a count that is not an integer in range, or a tolerance/bound that is not finite and > 0.
    """

    max_steps: int = 20_000
    tol: float = 1e-12
    bound: float = 1e8
    check_every: int = 16
    dense_steps: int = 16
    period_tol: float = 1e-12
    tail: int = 0

    def __post_init__(self):
        for name, minimum in (("max_steps", 0), ("check_every", 1), ("dense_steps", 0), ("tail", 0)):
            object.__setattr__(self, name, check_count(getattr(self, name), name, minimum))
        for name in ("tol", "bound", "period_tol"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    _what = "grid options"


@dataclasses.dataclass(frozen=True)
class NewtonOptions(_Options):
    """NewtonOptions(tol=1e-12, max_iter=60, trust_radius=0.25, backtracks=30, damping_steps=60)

    The options of the damped least-squares Newton solve of a period-k orbit, G(θ) = F^k(θ) − θ = 0.

    Arguments:
        tol: converged when max|G(θ)| ≤ tol·max(1, max|θ|); > 0. Default 1e-12.
        max_iter: Newton steps at most, an integer in [0, 10⁶]. Default 60.
        trust_radius: a step longer than trust_radius·max(1, max|θ|) is replaced by a Levenberg–Marquardt step
            within it (so Newton lands on a nearby orbit next to a family of orbits); > 0. Default 0.25.
        backtracks: halvings of a step that does not lower max|G|, an integer in [1, 10⁶]. Default 30.
        damping_steps: tenfold increases of the Levenberg–Marquardt damping at most, in [1, 10⁶]. Default 60.

    Raises:
        InputError: a count that is not an integer in range, or a tolerance/radius that is not finite and > 0.

    Newton step: δ minimises |DG·δ + G| (least squares), DG = DF^k − I; beyond the trust radius,
    δ = −(DGᵀDG + μI)⁻¹DGᵀG with μ raised tenfold until it fits. Reference: Kuznetsov, "Elements of Applied
    Bifurcation Theory" (2004), §10.2.
    """

    tol: float = 1e-12
    max_iter: int = 60
    trust_radius: float = 0.25
    backtracks: int = 30
    damping_steps: int = 60

    def __post_init__(self):
        for name in ("tol", "trust_radius"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))
        for name, minimum in (("max_iter", 0), ("backtracks", 1), ("damping_steps", 1)):
            object.__setattr__(self, name, check_count(getattr(self, name), name, minimum, 10**6))

    _what = "Newton options"


@dataclasses.dataclass(frozen=True)
class ContinuationOptions(_Options):
    """ContinuationOptions(newton=NewtonOptions(), initial_step=1/400, max_step=1/40, min_step=1e-11, grow=1.5,
    shrink=0.5, fast_iterations=3, slow_iterations=7, corrector_iterations=12, corrector_step_tol=1e-13,
    corrector_residual_factor=1e3, jump_factor=3.0, locate_xtol=1e-15, locate_iterations=200,
    branch_offsets=(1e-4, 1e-3, 1e-5, 3e-3, 1e-2, 1e-6), period_tol=1e-8, null_tol=1e-8, max_branches=24)

    The numerical knobs of pseudo-arclength continuation of period-k orbits (:func:`continue_orbit`).

    Arguments:
        newton: the Newton solve of the start orbit (:class:`NewtonOptions`, or a dict of its fields); its ``tol``
            is also the corrector's tolerance on max|H|, relative to max(1, max|u|).
        initial_step, max_step: the first and the largest arclength step, as fractions of the η range's width
            (> 0, initial_step ≤ max_step). Defaults 1/400, 1/40.
        min_step: the smallest step, relative to max(1, width): below it a branch ends (``step_underflow``); > 0.
            Default 1e-11.
        grow, shrink: step factors after a fast (≤ ``fast_iterations`` corrector steps) or slow (≥
            ``slow_iterations``) correction (shrink < 1 < grow); a failed correction halves the step.
            Defaults 1.5, 0.5.
        fast_iterations, slow_iterations: the thresholds above (integers, fast < slow ≤ corrector_iterations).
            Defaults 3, 7.
        corrector_iterations: Newton steps of the corrector at most (default 12); corrector_step_tol: it stops
            when a step is below this, relative to max(1, |u|) (default 1e-13), and then accepts
            max|H| ≤ tol·corrector_residual_factor (default 1e3).
        jump_factor: a corrected point farther than jump_factor·ds from the last one jumped to another branch.
            Default 3.0.
        locate_xtol, locate_iterations: Brent's method locating PD/LP points on the arclength. Defaults 1e-15, 200.
        branch_offsets: the offsets h (relative to max(1, |θ*|)) tried along the −1 eigenvector to start a
            period-2k branch at a PD point, in order (each finite and > 0). Default (1e-4, 1e-3, 1e-5, 3e-3,
            1e-2, 1e-6).
        period_tol: the relative tolerance of the minimal-period test of a start orbit and a switched branch.
            Default 1e-8.
        null_tol: the relative singular-value threshold that finds a non-isolated start orbit (a family).
            Default 1e-8.
        max_branches: branches continued at most (the start branch's two halves included). Default 24.

    Raises:
        InputError: a bad value (fractions and tolerances finite and > 0, counts integers in [1, 10⁶],
            shrink < 1 < grow, fast_iterations < slow_iterations ≤ corrector_iterations,
            initial_step ≤ max_step), or a bad ``newton``.

    Pseudo-arclength: H(u) = (F^k(θ; η) − θ, ⟨u − u₀, u̇₀⟩ − ds) = 0 for u = (θ, η); PD: a multiplier crosses −1,
    LP: η turns. Reference: Kuznetsov, "Elements of Applied Bifurcation Theory" (2004), §10.2–10.3; Doedel et al.,
    AUTO-07p.
    """

    newton: NewtonOptions = dataclasses.field(default_factory=NewtonOptions)
    initial_step: float = 1 / 400
    max_step: float = 1 / 40
    min_step: float = 1e-11
    grow: float = 1.5
    shrink: float = 0.5
    fast_iterations: int = 3
    slow_iterations: int = 7
    corrector_iterations: int = 12
    corrector_step_tol: float = 1e-13
    corrector_residual_factor: float = 1e3
    jump_factor: float = 3.0
    locate_xtol: float = 1e-15
    locate_iterations: int = 200
    branch_offsets: tuple = (1e-4, 1e-3, 1e-5, 3e-3, 1e-2, 1e-6)
    period_tol: float = 1e-8
    null_tol: float = 1e-8
    max_branches: int = 24

    def __post_init__(self):
        object.__setattr__(self, "newton", NewtonOptions.from_mapping(self.newton))
        for name in ("initial_step", "max_step", "min_step", "grow", "shrink", "corrector_step_tol",
                     "corrector_residual_factor", "jump_factor", "locate_xtol", "period_tol", "null_tol"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))
        for name in ("fast_iterations", "slow_iterations", "corrector_iterations", "locate_iterations", "max_branches"):
            object.__setattr__(self, name, check_count(getattr(self, name), name, 1, 10**6))
        offsets = check_positive_array(np.atleast_1d(np.asarray(self.branch_offsets, dtype=float)), "branch_offsets")
        object.__setattr__(self, "branch_offsets", tuple(float(h) for h in offsets))
        if not self.shrink < 1 < self.grow:
            raise InputError(f"shrink < 1 < grow is required, got shrink = {self.shrink:g}, grow = {self.grow:g}")
        if not self.fast_iterations < self.slow_iterations <= self.corrector_iterations:
            raise InputError("fast_iterations < slow_iterations ≤ corrector_iterations is required, got "
                             f"{self.fast_iterations}, {self.slow_iterations}, {self.corrector_iterations}")
        if not self.initial_step <= self.max_step:
            raise InputError(f"initial_step ≤ max_step is required, got {self.initial_step:g} > {self.max_step:g}")

    @property
    def tol(self) -> float:
        """The Newton and corrector tolerance, ``newton.tol`` (relative to max(1, max|u|))."""
        return self.newton.tol

    _what = "continuation options"

    def to_dict(self) -> dict:
        """to_dict() -> dict

        The options as a plain dict (for manifests and JSON).

        Returns:
            dict: {option name: value}, ``newton`` as a nested dict and ``branch_offsets`` as a list.
        """
        record = dataclasses.asdict(self)
        record["branch_offsets"] = list(self.branch_offsets)
        return record
