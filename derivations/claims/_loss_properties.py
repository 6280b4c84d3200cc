"""Symbolic checks of the properties a claim may require of the loss ℓ (smoothness, evenness, convexity).

check_requirement(loss, name) -> (holds: bool | None, reason: str)

``holds`` is True only when the property is *proved* from the loss expression; False when it is shown
to fail (with the reason, e.g. "ℓ'' jumps at s = 1: left limit 1, right limit 0"); None when SymPy could
not decide (the caller must then treat the claim as not checkable, never as verified).

Smoothness of a piecewise ℓ is decided at its breakpoints from one-sided limits of ℓ^(k); SymPy's own
derivative of a Piecewise silently drops jumps (d/ds of Huber's ℓ'' is 0 everywhere), so it is never
trusted across a breakpoint. A closed form without pieces is C^k where SymPy's ``continuous_domain`` of
each ℓ^(j), j ≤ k, is all of ℝ.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.calculus.util import continuous_domain

from ._types import REQUIREMENTS


def check_requirement(loss, name: str):
    """check_requirement(loss, name) -> (holds, reason); see the module docstring."""
    if name not in REQUIREMENTS:
        raise ValueError(f"unknown requirement {name!r}")
    return _check_cached(loss, name)


def check_requirements(loss, names) -> tuple[bool, list[str]]:
    """All of ``names`` proved? Returns (ok, reasons for every one that failed or was undecided)."""
    reasons = []
    for name in names:
        holds, reason = check_requirement(loss, name)
        if holds is not True:
            prefix = "fails" if holds is False else "cannot be established"
            reasons.append(f"{REQUIREMENTS[name]} {prefix}: {reason}")
    return not reasons, reasons


@lru_cache(maxsize=128)
def _check_cached(loss, name):
    s = loss.function.var
    expr = _as_piecewise(loss.expr)
    if name == "C1":
        return _smooth(expr, s, 1)
    if name == "C2":
        return _smooth(expr, s, 2)
    if name == "C2_at_0":
        return _smooth_near(expr, s, 2, sp.Integer(0))
    if name == "C4_at_0":
        return _smooth_near(expr, s, 4, sp.Integer(0))
    if name == "even":
        diff = sp.simplify(loss.expr - loss.expr.subs(s, -s))
        return (True, "ℓ(s) − ℓ(−s) simplifies to 0") if diff == 0 else _even_counterexample(loss.expr, s, diff)
    if name == "convex":
        return _convex(expr, s)
    if name == "critical_at_0":
        holds, reason = _smooth_near(expr, s, 1, sp.Integer(0))
        if not holds:
            return holds, reason
        value = sp.simplify(_piece_at(expr, s, 0).diff(s).subs(s, 0))
        return (value == 0, f"ℓ'(0) = {value}")
    if name == "curved_at_0":
        holds, reason = _smooth_near(expr, s, 2, sp.Integer(0))
        if not holds:
            return holds, reason
        value = sp.simplify(_piece_at(expr, s, 0).diff(s, 2).subs(s, 0))
        if value.is_positive:
            return True, f"ℓ''(0) = {value} > 0"
        return (False if value.is_positive is False else None), f"ℓ''(0) = {value}"
    if name == "bounded_slope":
        holds, reason = _smooth(expr, s, 1)
        if holds is not True:
            return holds, f"ℓ' must be continuous first ({reason})"
        ends = []
        for end in (sp.oo, -sp.oo):
            far = _piece_at(expr, s, 10**9 if end == sp.oo else -(10**9))  # the piece active in that tail
            try:
                value = sp.limit(sp.diff(far, s), s, end)
            except (NotImplementedError, ValueError, TypeError):
                return None, f"could not find the limit of ℓ' at {end}"
            if not value.is_finite:
                return False, f"ℓ'(s) → {value} as s → {end}"
            ends.append(value)
        return True, f"ℓ' is continuous with finite limits {ends[0]} (s → ∞) and {ends[1]} (s → −∞)"
    raise AssertionError(name)



def _as_piecewise(expr):
    if expr.has(sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside):
        expr = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
    return expr


def _breakpoints(expr, s) -> list:
    """Real points where a Piecewise in ``expr`` may switch pieces."""
    points = set()
    for pw in expr.atoms(sp.Piecewise):
        for _, cond in pw.args:
            if cond in (sp.true, sp.false):
                continue
            for rel in cond.atoms(sp.core.relational.Relational):
                for root in sp.solve(sp.Eq(rel.lhs - rel.rhs, 0), s):
                    if root.is_real:
                        points.add(root)
    return sorted(points, key=lambda p: float(p))


def _pieces(expr):
    return [piece for pw in expr.atoms(sp.Piecewise) for piece, _ in pw.args]


def _smooth(expr, s, order: int):
    """C^order on ℝ: each piece's closed form continuous on ℝ up to ``order`` and no jumps at breakpoints."""
    if not expr.has(sp.Piecewise):
        return _closed_form_smooth(expr, s, order)
    for piece in _pieces(expr):
        holds, reason = _closed_form_smooth(piece, s, order)
        if holds is not True:
            return holds, f"piece {piece}: {reason}"
    t = sp.Symbol("t", positive=True)
    for point in _breakpoints(expr, s):
        for k in range(order + 1):
            left, right = _one_sided(expr, s, point, k, t)
            if left is None:
                return None, f"could not take the one-sided limits of ℓ^({k}) at s = {point}"
            if sp.simplify(left - right) != 0:
                name = "ℓ" + "'" * k if k <= 3 else f"ℓ^({k})"
                return False, f"{name} jumps at s = {point}: left limit {left}, right limit {right} (not C^{k})"
    return True, f"pieces are smooth and ℓ … ℓ^({order}) match at the breakpoints {_breakpoints(expr, s)}"


def _smooth_near(expr, s, order: int, point):
    """C^order on a neighbourhood of ``point``: the pieces active on either side are smooth there and,
    if ``point`` is a breakpoint, their derivatives up to ``order`` agree at it."""
    if not expr.has(sp.Piecewise):
        return _piece_smooth_near(expr, s, order, point)
    eps = sp.Rational(1, 10**9)
    left, right = _piece_at(expr, s, point - eps), _piece_at(expr, s, point + eps)
    for piece in {left, right}:
        holds, reason = _piece_smooth_near(piece, s, order, point)
        if holds is not True:
            return holds, reason
    for k in range(order + 1):
        a = sp.diff(left, s, k).subs(s, point)
        b = sp.diff(right, s, k).subs(s, point)
        if sp.simplify(a - b) != 0:
            name = "ℓ" + "'" * k if k <= 3 else f"ℓ^({k})"
            return False, f"{name} jumps at s = {point}: left limit {a}, right limit {b}"
    return True, f"ℓ … ℓ^({order}) are continuous near s = {point}"


def _piece_smooth_near(piece, s, order: int, point):
    for k in range(order + 1):
        form = sp.diff(piece, s, k)
        value = form.subs(s, point)
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or value.is_real is False:
            return False, f"ℓ^({k}) is not finite at s = {point}"
        try:
            domain = continuous_domain(form, s, sp.S.Reals)
        except (NotImplementedError, ValueError, TypeError) as exc:
            return None, f"SymPy could not find where ℓ^({k}) = {form} is continuous ({type(exc).__name__})"
        if domain != sp.S.Reals and not _is_open_around(domain, point):
            return None, f"ℓ^({k}) = {form} is continuous only on {domain}"
    return True, f"ℓ … ℓ^({order}) are continuous near s = {point}"


def _is_open_around(domain, point) -> bool:
    eps = sp.Rational(1, 10**6)
    return sp.Interval(point - eps, point + eps).is_subset(domain) is True


def _closed_form_smooth(expr, s, order: int):
    for k in range(order + 1):
        form = sp.diff(expr, s, k)
        try:
            domain = continuous_domain(form, s, sp.S.Reals)
        except (NotImplementedError, ValueError, TypeError) as exc:
            return None, f"SymPy could not find where ℓ^({k}) = {form} is continuous ({type(exc).__name__})"
        if domain != sp.S.Reals:
            return False, f"ℓ^({k}) = {form} is continuous only on {domain}"
    return True, f"ℓ … ℓ^({order}) are continuous on ℝ"


def _piece_at(expr, s, point):
    """The closed form of a (possibly piecewise) expression that is active at ``point``."""
    if not expr.has(sp.Piecewise):
        return expr
    (pw,) = expr.atoms(sp.Piecewise) if len(expr.atoms(sp.Piecewise)) == 1 else (None,)
    if pw is None:
        raise ValueError("nested piecewise losses are not supported")
    for piece, cond in pw.args:
        if cond == sp.true or bool(cond.subs(s, point)):
            return expr.xreplace({pw: piece})
    raise ValueError(f"no piece active at s = {point}")


def _one_sided(expr, s, point, k, t):
    form = sp.diff(expr, s, k) if not expr.has(sp.Piecewise) else None
    if form is None:
        # differentiate each piece, never the Piecewise across its breakpoint
        (pw,) = expr.atoms(sp.Piecewise)
        form = sp.Piecewise(*[(sp.diff(expr.xreplace({pw: piece}), s, k), cond) for piece, cond in pw.args])
    try:
        left = sp.limit(form.subs(s, point - t), t, 0, "+")
        right = sp.limit(form.subs(s, point + t), t, 0, "+")
    except (NotImplementedError, ValueError):
        return None, None
    return sp.simplify(left), sp.simplify(right)


def _convex(expr, s):
    """ℓ'' ≥ 0: proved with SymPy assumptions (s real) or from the minimum of ℓ'' over ℝ; per piece if piecewise."""
    if expr.has(sp.Piecewise):
        holds, reason = _smooth(expr, s, 1)
        if holds is not True:
            return holds, f"convexity of a piecewise ℓ is checked for C¹ losses only ({reason})"
        for piece in _pieces(expr):
            holds, reason = _nonnegative(sp.diff(piece, s, 2), s)
            if holds is not True:
                return holds, f"piece {piece}: {reason}"
        return True, "ℓ is C¹ and every piece has ℓ'' ≥ 0"
    return _nonnegative(sp.simplify(sp.diff(expr, s, 2)), s)


def _nonnegative(form, s):
    if form.is_nonnegative:
        return True, f"ℓ'' = {form} ≥ 0 for real s (SymPy assumptions)"
    try:
        low = sp.calculus.util.minimum(form, s, sp.S.Reals)
    except (NotImplementedError, ValueError, TypeError):
        low = None
    if low is not None and low.is_nonnegative:
        return True, f"min over ℝ of ℓ'' = {form} is {low} ≥ 0"
    if low is not None and low.is_negative:
        return False, f"ℓ'' = {form} reaches {low} < 0"
    return None, f"could not prove ℓ'' = {form} ≥ 0"


def _even_counterexample(expr, s, diff):
    for value in (sp.Rational(1, 2), sp.Integer(1), sp.Integer(2)):
        gap = sp.N(diff.subs(s, value), 20)
        if gap != 0:
            return False, f"ℓ({value}) − ℓ(−{value}) = {gap}"
    return None, f"ℓ(s) − ℓ(−s) = {diff} did not simplify to 0"
