"""critical_step_size(model, init, ...) -> CriticalStepSize: η_c symbolically, and a numeric bisection bracket.

* Symbolic: the derivation's η_c = 2/S* solves η·S(θ*) = 2 on the minimiser family (2/(ℓ''(0)y²) for ℓ(xy),
  8π/d² for the mean model at b = 0). It is evaluated at the gradient-flow limit of ``init`` (from the
  conserved invariant: y∞² = y0² − x0² for ℓ(xy)); coordinates that the limit does not fix keep their
  initial value. So ``eta_c_symbolic`` is the stability boundary of the *gradient-flow limit*.
* Numeric: bisection on a classifier of the long-run outcome of GD *from this init*: "unstable" when some
  step amplifies the oscillating coordinate, |osc(θ_{k+1})| > |osc(θ_k)| (the orbit leaves linear
  stability and GD goes to the edge of stability or diverges), "stable" when no step of the run does (it
  converged, or reached ``max_steps`` still contracting). Models without an oscillating coordinate, or whose
  {osc = 0} is not a set of critical points (``derive(model).oscillation_stops`` false, e.g. ℓ'(0) ≠ 0), use a
  step with η·S(θ_k)/2 > 1 instead. Both ends of the returned bracket were classified by full runs
  (stable at ``lo``, unstable at ``hi``), and (hi − lo) ≤ tol·min(1, hi) (relative and absolute).

The two values measure different things; they agree as the oscillating coordinate's start goes to 0
(Ahn et al. 2023, §2: the threshold of the single-neuron model is y∞² = 2/(ηℓ''(0))).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..derivations import OUTCOME_CODES, ConvergenceError, InputError, Model, derive
from ..derivations._validate import as_real, check_count, check_positive

from ._result import Result, Status, dataset_attrs, variable, version_field
from ._state import check_init, state_dict
from ._system import resolve

OUTCOME_NAMES = {code: name for name, code in OUTCOME_CODES.items()}
UNSTABLE = {"edge", "unstable_running", "diverged", "left_stable_region"}


@dataclass(frozen=True, eq=False)
class CriticalStepSize(Result):
    """CriticalStepSize: the result of :func:`critical_step_size`.

    Attributes:
        model, init, tol, max_steps: the inputs; criterion: the classifier (oscillation_amplified or
        sharpness_above_2_over_eta); status: ``Status.BRACKETED`` (both ends of the bisection bracket kept
        their outcome when re-run without early stop: stable at lo, unstable at hi) or ``Status.UNCONFIRMED``;
        message: in words; eta_c_symbolic, eta_c_expr, eta_c_general: the derivation's η_c at the gradient-flow
        limit of init (None without one); bracket: (lo, hi), the bisection bracket; evaluations: classification
        runs; outcome_lo, outcome_hi: the re-runs of the bracket's ends; version.

    The bracket is the result of a bisection on a numerical classifier, not an interval-arithmetic enclosure.
    """

    model: Model
    init: dict
    tol: float
    max_steps: int
    criterion: str
    status: Status
    message: str
    eta_c_symbolic: float | None
    eta_c_expr: str | None
    eta_c_general: str | None
    bracket: tuple
    evaluations: int
    outcome_lo: dict = field(default_factory=dict)
    outcome_hi: dict = field(default_factory=dict)
    version: str = version_field()

    @property
    def midpoint(self) -> float:
        """(lo + hi)/2 of the bisection bracket: the estimate of η_c."""
        return 0.5 * (self.bracket[0] + self.bracket[1])

    @property
    def relative_difference(self) -> float | None:
        """|midpoint − η_c,symbolic| / η_c,symbolic."""
        if self.eta_c_symbolic is None:
            return None
        return abs(self.midpoint - self.eta_c_symbolic) / self.eta_c_symbolic

    @property
    def symbolic_inside_bracket(self) -> bool | None:
        """Whether the symbolic η_c lies in the bracket (None without a symbolic value)."""
        if self.eta_c_symbolic is None:
            return None
        return bool(self.bracket[0] <= self.eta_c_symbolic <= self.bracket[1])

    def to_dict(self, arrays: bool = False) -> dict:
        """to_dict() -> JSON-ready record of the fields plus bracket_midpoint, bracket_relative_width,
        relative_difference and symbolic_inside_bracket."""
        record = super().to_dict(arrays=arrays)
        record["bracket_midpoint"] = self.midpoint
        record["bracket_relative_width"] = (self.bracket[1] - self.bracket[0]) / self.bracket[1]
        record["relative_difference"] = self.relative_difference
        record["symbolic_inside_bracket"] = self.symbolic_inside_bracket
        return record

    def to_dataset(self):
        """to_dataset() -> xarray.Dataset with ``eta`` on the dimension ``bound`` (lo, hi of the bisection
        bracket) and the scalar ``eta_c_symbolic`` (NaN without one). Attributes: the inputs, criterion,
        expressions, evaluations, status, message and version."""
        import xarray as xr

        data = {
            "eta": variable("bound", np.array(self.bracket, dtype=float), "bisection bracket of the critical step size"),
            "eta_c_symbolic": variable((), np.nan if self.eta_c_symbolic is None else self.eta_c_symbolic,
                                       "symbolic critical step size η_c at the gradient-flow limit of init"),
        }
        coords = {"bound": variable("bound", np.array(["lo", "hi"]), "end of the bracket (lo: stable, hi: unstable)")}
        attrs = dataset_attrs(self, init=self.init, tol=self.tol, max_steps=self.max_steps, criterion=self.criterion,
                              eta_c_expr=self.eta_c_expr, eta_c_general=self.eta_c_general,
                              evaluations=self.evaluations, outcome_lo=self.outcome_lo["outcome"],
                              outcome_hi=self.outcome_hi["outcome"])
        return xr.Dataset(data, coords=coords, attrs=attrs)


def symbolic_critical_eta(model: Model, init: dict):
    """symbolic_critical_eta(model, init) -> (value, expression, general expression)

    The derivation's critical step size η_c = 2/S* evaluated at the gradient-flow limit of ``init``.

    Arguments:
        model: a GD Model; init: {state name: value} (every state variable).

    Returns:
        (float η_c or None, SymPy expression in the initial values x0, y0, … or None, the general SymPy
        expression in the state or None); None values when the derivation has no critical step size for this
        model, or it is not finite and > 0 at ``init``.

    Ahn et al. 2023, §2: for ℓ(xy), η_c = 2/(ℓ''(0) y∞²) with y∞² = y0² − x0² (the conserved invariant).
    """
    derivation = derive(model)
    general = derivation.critical_eta
    if general is None:
        return None, None, None
    expr = general
    flow = derivation.gradient_flow_limit
    if isinstance(flow, sp.Equality):
        lhs, rhs = flow.lhs, flow.rhs
        if lhs.is_Pow and lhs.base in model.state:
            expr = expr.subs(lhs, rhs).subs(lhs.base, sp.sqrt(rhs))
        elif lhs in model.state:
            expr = expr.subs(lhs, rhs)
    initial = {v: sp.Symbol(f"{v}0", real=True) for v in model.state}
    expr = sp.simplify(expr.subs(initial))
    value = expr.subs({initial[v]: sp.Float(init[str(v)], 30) for v in model.state})
    try:
        number = float(sp.N(value, 20))
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        number = None
    return number, expr, general


def _classify(module, theta0, eta, max_steps, tol, bound, criterion, stop_on_exit=True):
    final = np.empty(theta0.shape[0])
    code, steps, worst = module.stability_run(theta0, float(eta), max_steps, tol, bound, stop_on_exit, criterion, final)
    name = OUTCOME_NAMES[int(code)]
    return name, {"eta": float(eta), "outcome": name, "steps": int(steps), "worst_ratio": float(worst),
                  "final": final.tolist()}


def critical_step_size(
    model,
    init,
    *,
    tol: float = 1e-10,
    max_steps: int = 200_000,
    eta_range=None,
    convergence_tol: float = 1e-12,
    bound: float = 1e8,
) -> CriticalStepSize:
    """critical_step_size(model, init, *, tol=1e-10, max_steps=200000, eta_range=None, convergence_tol=1e-12,
    bound=1e8) -> CriticalStepSize

    The critical step size η_c from ``init``: the derivation's symbolic value at the gradient-flow limit, and a
    bisection bracket [lo, hi] on a classifier of full GD runs (stable at lo, unstable at hi); see the module
    docstring.

    Arguments:
        model: a GD Model or System (not a custom map).
        init: the initial state, {state name: value} or n values in state order.
        tol: the bracket width, hi − lo ≤ tol·min(1, hi), in [1e-15, 1).
        max_steps: steps per classification run (≥ 1).
        eta_range: an optional starting bracket (a, b), 0 < a < b, classified stable at a and unstable at b.
        convergence_tol: the convergence tolerance of the runs; bound: their divergence bound.

    Returns:
        CriticalStepSize: ``Status.BRACKETED`` when both ends kept their outcome on a re-run without early stop,
        else ``Status.UNCONFIRMED``; the symbolic η_c next to the bracket.

    Raises:
        InputError: a custom map, a bad init, tol or count, or an ``eta_range`` that does not bracket the
            transition.
        ConvergenceError: no stable or no unstable step size found from the symbolic guess (80 halvings or
            doublings), or no guess to start from.

    η_c = 2/S* with S* the sharpness at the gradient-flow limit (Ahn et al. 2023, §2: y∞² = 2/(ηℓ''(0))).
    """
    system, model = resolve(model)
    if model.explicit_map is not None:
        raise InputError("critical_step_size needs a GD model (a loss and its sharpness), not a custom map")
    theta0 = check_init(model, init)
    tol = as_real(tol, "tol")
    if not (math.isfinite(tol) and 0 < tol < 1):
        raise InputError(f"tol must be in (0, 1) (relative bracket width), got {tol!r}")
    if tol < 1e-15:
        raise InputError(f"tol = {tol:g} is below float64 resolution (use ≥ 1e-15)")
    max_steps = check_count(max_steps, "max_steps", 1)
    convergence_tol = check_positive(convergence_tol, "convergence_tol")
    bound = check_positive(bound, "bound")
    module = system.dynamics
    # |osc| growing means leaving the minimiser set only where that set is {osc = 0} (derived); otherwise
    # (e.g. ℓ'(0) ≠ 0) x grows on its way to xy = s* at any η, so the sharpness criterion is used
    criterion = 1 if model.oscillating is not None and derive(model).oscillation_stops else 0
    criterion_name = "oscillation_amplified" if criterion else "sharpness_above_2_over_eta"
    init_record = state_dict(model, theta0)
    value, expr, general = symbolic_critical_eta(model, init_record)
    evaluations = 0

    def unstable(eta):
        nonlocal evaluations
        evaluations += 1
        name, _ = _classify(module, theta0, eta, max_steps, convergence_tol, bound, criterion)
        return name in UNSTABLE

    if eta_range is not None:
        try:
            lo, hi = eta_range
        except (TypeError, ValueError):
            raise InputError(f"eta_range must be two numbers (a, b), got {eta_range!r}") from None
        lo, hi = check_positive(lo, "eta_range start"), check_positive(hi, "eta_range end")
        if not lo < hi:
            raise InputError(f"eta_range must satisfy 0 < a < b, got {lo:g}:{hi:g}")
        if unstable(lo) or not unstable(hi):
            raise InputError(f"eta_range {lo:g}:{hi:g} does not bracket the transition (need stable at a, unstable at b)")
    else:
        guess = value
        if guess is None:
            s0 = float(module.sharpness_of(theta0))
            if not (math.isfinite(s0) and s0 > 0):
                raise ConvergenceError("no symbolic critical step size and no positive sharpness at init to start from")
            guess = 2.0 / s0
        lo, hi = guess / 1.25, guess * 1.25
        for _ in range(80):
            if not unstable(lo):
                break
            hi, lo = lo, lo / 2
        else:
            raise ConvergenceError("no stable step size found below the guess (GD is unstable for every η tried)")
        for _ in range(80):
            if unstable(hi):
                break
            lo, hi = hi, hi * 2
        else:
            raise ConvergenceError("no unstable step size found above the guess (GD stays stable for every η tried)")
    while hi - lo > tol * min(1.0, hi):  # both a relative and an absolute width
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if unstable(mid):
            hi = mid
        else:
            lo = mid
    _, outcome_lo = _classify(module, theta0, lo, max_steps, convergence_tol, bound, criterion, stop_on_exit=False)
    _, outcome_hi = _classify(module, theta0, hi, max_steps, convergence_tol, bound, criterion, stop_on_exit=False)
    confirmed = outcome_lo["outcome"] in {"stable", "stable_running"} and outcome_hi["outcome"] in UNSTABLE
    status = Status.BRACKETED if confirmed else Status.UNCONFIRMED
    message = f"bracket [{lo:.15g}, {hi:.15g}] (relative width {(hi - lo) / hi:.1e}) after {evaluations} runs"
    if value is not None:
        message += f"; symbolic η_c = {value:.15g}, relative difference {abs(0.5 * (lo + hi) - value) / value:.2e}"
    else:
        message += "; no symbolic critical step size for this model/init"
    if not confirmed:
        message += f"; endpoint re-run outcomes: lo {outcome_lo['outcome']}, hi {outcome_hi['outcome']}"
    return CriticalStepSize(
        model=model,
        init=init_record,
        tol=float(tol),
        max_steps=max_steps,
        criterion=criterion_name,
        status=status,
        message=message,
        eta_c_symbolic=value,
        eta_c_expr=str(expr) if expr is not None else None,
        eta_c_general=str(general) if general is not None else None,
        bracket=(float(lo), float(hi)),
        evaluations=evaluations,
        outcome_lo=outcome_lo,
        outcome_hi=outcome_hi,
    )
