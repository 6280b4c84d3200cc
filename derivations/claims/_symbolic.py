"""Kind-a checks: a residual that must simplify to exactly 0, with a numeric counterexample otherwise.

identity_outcome(residuals, concrete=None, steps=(), what="") -> Outcome

* every residual simplified (``simplify(expand(r))``) to 0 → ``verified``;
* otherwise the residual is made concrete (``concrete``: e.g. ``model.concrete``, which replaces the
  generic heads ℓ, ℓ', … by the chosen loss's closed forms), any remaining unknown function values are
  turned into free variables, and it is evaluated with mpmath at 30 digits on a fixed set of points:
  the first point where |residual| > 1e-12 is returned as the counterexample → ``refuted``;
* if it vanishes numerically at every point although SymPy could not simplify it → ``evidence``.
"""
from __future__ import annotations

import random

import mpmath
import sympy as sp

from ._types import Outcome, Step

N_POINTS = 24
EVAL_DPS = 30
ZERO_TOL = mpmath.mpf("1e-12")


def simplify_to_zero(expr) -> bool:
    """True when ``expr`` is shown to be exactly 0: expand/cancel; erfc rewritten as 1 − erf; simplify;
    hyperbolic functions rewritten with exp, then simplify. False means "not shown", not "non-zero"."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    expr = expr.rewrite(sp.erf)  # erfc, erfi and the model's Φ head (derivations._mean_model.Phi) → erf
    expanded = sp.expand(expr)
    if expanded == 0 or sp.cancel(expanded) == 0:
        return True
    if sp.simplify(expanded) == 0:
        return True
    if expanded.has(sp.cosh, sp.sinh, sp.tanh, sp.coth, sp.sech, sp.csch):
        return sp.simplify(expanded.rewrite(sp.exp)) == 0
    return False


def identity_outcome(residuals, concrete=None, steps=(), what: str = "the identity", details=None) -> Outcome:
    """identity_outcome(residuals, concrete=None, steps=(), what="") -> Outcome (see module docstring).

    ``residuals``: a SymPy expression, Matrix, or dict {label: expression} of residuals that vanish iff
    the claim holds.
    """
    items = _as_items(residuals)
    details = dict(details or {})
    open_items = [(label, r) for label, r in items if not simplify_to_zero(r)]
    still_open = {label for label, _ in open_items}
    shown = tuple(steps) + tuple(
        Step(f"residual {label}" if label else "residual", r if label in still_open else sp.Integer(0))
        for label, r in items
    )
    if not open_items:
        details["residuals"] = {label or "residual": "0" for label, _ in items}
        return Outcome("verified", f"{what}: every residual simplifies to exactly 0", details, shown)
    for label, residual in open_items:
        found = find_counterexample(residual if concrete is None else concrete(residual))
        if found is not None:
            found["residual_of"] = label or "residual"
            found["residual"] = sp.sstr(residual)
            return Outcome(
                "refuted",
                f"{what} fails: residual{' ' + label if label else ''} = {found['value']} ≠ 0 at {found['point_text']}",
                details,
                shown,
                counterexample=found,
            )
    details["unsimplified_residuals"] = {label or "residual": sp.sstr(r) for label, r in open_items}
    return Outcome(
        "evidence",
        f"{what}: SymPy could not simplify {len(open_items)} residual(s) to 0, but each vanishes to "
        f"{EVAL_DPS} digits at {N_POINTS} sample points (evidence, not proof)",
        details,
        shown,
    )


def _as_items(residuals):
    if isinstance(residuals, dict):
        items = []
        for label, value in residuals.items():
            items += [(f"{label}{sub}", r) for sub, r in _as_items(value)]
        return items
    if isinstance(residuals, sp.MatrixBase):
        if residuals.shape[1] == 1 or residuals.shape[0] == 1:
            return [(f"[{i}]", r) for i, r in enumerate(residuals)]
        return [(f"[{i},{j}]", residuals[i, j]) for i in range(residuals.shape[0]) for j in range(residuals.shape[1])]
    if isinstance(residuals, (list, tuple)):
        return [(f"[{i}]", r) for i, r in enumerate(residuals)]
    return [("", sp.sympify(residuals))]


def find_counterexample(expr, n_points: int = N_POINTS, seed: int = 0):
    """A point where ``expr`` is numerically non-zero (mpmath, 30 digits), or None.

    Applied unknown functions (e.g. a generic ℓ'(x·y) left after concretising) are replaced by free
    variables first, named in the point by their SymPy text (e.g. "ell'(x*y)"). Points are
    drawn reproducibly from [0.1, 2] for positive symbols and [−2, 2] for the others.
    Returns {"point": {name: value string}, "point_text", "value"} for the first non-zero point.
    """
    expr = sp.sympify(expr).rewrite(sp.erf)  # Φ and erfc are known functions, not unknowns
    applied = sorted(
        (f for f in expr.atoms(sp.Function)
         if isinstance(f, sp.core.function.AppliedUndef) or not type(f).__module__.startswith("sympy")),
        key=sp.default_sort_key,
    )
    stand_ins = {f: sp.Symbol(f"_unknown{i}", real=True) for i, f in enumerate(applied)}
    display = {s.name: sp.sstr(f) for f, s in stand_ins.items()}
    expr = expr.xreplace(stand_ins)
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    rng = random.Random(seed)
    func = sp.lambdify(symbols, expr, modules="mpmath")
    with mpmath.workdps(EVAL_DPS):
        for _ in range(n_points):
            point = {}
            for sym in symbols:
                low = sp.Rational(1, 10) if sym.is_positive else -2
                value = sp.Rational(rng.randint(int(low * 1000), 2000), 1000)
                if value == 0:
                    value = sp.Rational(1, 7)
                point[sym] = value
            try:
                value = func(*[mpmath.mpf(v.p) / v.q for v in point.values()])
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                continue
            if isinstance(value, mpmath.mpc):
                if abs(value.imag) > ZERO_TOL:
                    continue
                value = value.real
            if not mpmath.isfinite(value):
                continue
            if abs(value) > ZERO_TOL:
                names = {display.get(sym.name, sym.name): str(v) for sym, v in point.items()}
                return {
                    "point": names,
                    "point_text": ", ".join(f"{k} = {v}" for k, v in names.items()),
                    "value": mpmath.nstr(value, 15),
                    "digits": EVAL_DPS,
                }
    return None
