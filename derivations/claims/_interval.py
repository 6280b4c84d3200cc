"""Kind-c check: certified GD orbit of the single-neuron model by interval arithmetic (mpmath ``iv``).

certify_limit(model, eta, x0, y0, ...) -> Certificate

1. Finite part. The box X_k ∋ θ_k is propagated by the centred (mean-value) form
   F(X) ⊂ F(c) + DF(X)·(X − c), c = mid(X), with F the *derived* GD map and DF its derived Jacobian,
   both evaluated in interval arithmetic (precision ``prec`` bits). The naive interval extension of F
   doubles the box width every few steps at the edge of stability (wrapping); the centred form grows
   it only like the product of the multipliers. Iterate until |x| ≤ ``x_tol`` on the whole box.
2. Tail (all remaining steps at once). With h(s) = ℓ'(s)/s ∈ ℓ''([−ε, ε]) (mean value theorem,
   ℓ'(0) = 0) and |x_K| ≤ ξ, y_K ∈ [y⁻, y⁺]: on the set |x| ≤ ξ, y ∈ Y = [y⁻ − Δ, y⁺],
   x' = x·(1 − η y² h(xy)) with |1 − η y² h| ≤ q < 1, and 0 ≤ y − y' = η x² y h(xy) ≤ η x² y⁺ C
   (C = sup h). By induction the orbit stays there, x_k → 0 geometrically, and the total decrease of y
   is at most Δ = η y⁺ C ξ²/(1 − q²). Hence GD converges to (0, y∞) with y∞ ∈ [y⁻ − Δ, y⁺].
All bounds are evaluated in interval arithmetic, so the enclosure of y∞² is rigorous (up to the
correctness of mpmath's interval library).
Reference: Ahn et al. 2023 (arXiv 2212.07469), §2 — GD settles just below the edge 2/(ηℓ''(0)).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp
from mpmath import iv

from .._model import ETA

_IV_MODULES = [{"sqrt": iv.sqrt, "exp": iv.exp, "log": iv.log, "mpf": iv.mpf, "pi": iv.pi}, "mpmath"]
_HYPERBOLIC = (sp.tanh, sp.cosh, sp.sinh, sp.coth, sp.sech, sp.csch)


@dataclass(frozen=True)
class Certificate:
    """Result of :func:`certify_limit`. ``y_inf_sq`` is an mpmath interval (None when not certified)."""

    certified: bool
    reason: str
    steps: int
    y_inf_sq: object = None
    x_box: object = None
    y_box: object = None
    tail_q: object = None
    tail_drop: object = None
    prec: int = 0


def _interval_function(args, exprs):
    """Lambdify SymPy expressions for mpmath intervals (hyperbolic functions rewritten with exp)."""
    rewritten = []
    for e in exprs:
        e = sp.sympify(e)
        for f in _HYPERBOLIC:
            e = e.rewrite(f, sp.exp)
        rewritten.append(e)
    for e in rewritten:
        if e.has(sp.Piecewise, sp.Abs, sp.sign):
            raise ValueError("the interval check needs a closed-form smooth map (got a piecewise expression)")
    func = sp.lambdify(args, rewritten, modules=_IV_MODULES)

    def evaluate(*values):
        return [v if isinstance(v, iv.mpf) else iv.mpf(v) for v in func(*values)]

    return evaluate


def certify_limit(model, curvature_fn, eta: str, x0: str, y0, *, prec: int = 200, x_tol: str = "1e-25",
                  max_steps: int = 20000, bound: float = 1e6) -> Certificate:
    """certify_limit(model, curvature_fn, eta, x0, y0, *, prec=200, x_tol="1e-25") -> Certificate

    ``model``: a single-neuron Model (state x, y); ``curvature_fn``: ℓ'' as a SymPy expression in the
    loss variable (derived); ``eta``, ``x0``: decimal strings (enclosed exactly as intervals);
    ``y0``: a decimal string or a callable(eta_interval) -> interval (e.g. √(3/(ηℓ''(0)))).
    """
    from .._derive import derive

    derivation = derive(model)
    x, y = model.state
    old_prec = iv.prec
    iv.prec = prec
    try:
        step = _interval_function((x, y, ETA), list(derivation.gd_map))
        jac = _interval_function((x, y, ETA), list(derivation.jacobian))
        s = model.outer.var
        ell2 = _interval_function((s,), [curvature_fn])
        eta_i = iv.mpf(eta)
        X = [iv.mpf(x0), y0(eta_i) if callable(y0) else iv.mpf(y0)]
        limit = iv.mpf(x_tol)
        for k in range(1, max_steps + 1):
            c = [iv.mpf(v.mid) for v in X]
            Fc = step(c[0], c[1], eta_i)
            J = jac(X[0], X[1], eta_i)
            r = [X[0] - c[0], X[1] - c[1]]
            X = [Fc[0] + J[0] * r[0] + J[1] * r[1], Fc[1] + J[2] * r[0] + J[3] * r[1]]
            if not all(mpmath.isfinite(v.a) and mpmath.isfinite(v.b) for v in X):
                return Certificate(False, f"the interval orbit became unbounded at step {k}", k, prec=prec)
            if max(abs(X[0]).b, abs(X[1]).b) > bound:
                return Certificate(False, f"the orbit left the box |θ| < {bound:g} at step {k} (GD diverges from this start)", k, prec=prec)
            if abs(X[0]).b <= limit.a:
                break
        else:
            return Certificate(False, f"|x| did not fall below {x_tol} within {max_steps} steps", max_steps, prec=prec)
        xi = abs(X[0]).b
        y_lo, y_hi = X[1].a, X[1].b
        if y_lo <= 0:
            return Certificate(False, "y is not certified positive at the end of the finite part", k, prec=prec)
        margin = mpmath.mpf("1e-10")
        Y = iv.mpf([y_lo - margin, y_hi])
        eps = xi * y_hi
        H = ell2(iv.mpf([-eps, eps]))[0]  # h(s) = ℓ'(s)/s ∈ ℓ''([−ε, ε])
        if not H.a > 0:
            return Certificate(False, "ℓ'' is not certified positive near s = 0", k, prec=prec)
        m = 1 - eta_i * Y**2 * H
        q = max(abs(m.a), abs(m.b))
        if not q < 1:
            return Certificate(False, f"tail contraction not certified: |1 − η y² ℓ''| ≤ {mpmath.nstr(q, 8)}", k, prec=prec)
        q_i = iv.mpf(q)
        drop = (eta_i * y_hi * H.b * iv.mpf(xi) ** 2 / (1 - q_i**2)).b
        if not drop < margin:
            return Certificate(False, "tail drop of y exceeds the margin used for the contraction bound", k, prec=prec)
        y_inf = iv.mpf([y_lo - drop, y_hi])
        return Certificate(True, "certified", k, y_inf_sq=y_inf**2, x_box=X[0], y_box=X[1], tail_q=q, tail_drop=drop, prec=prec)
    finally:
        iv.prec = old_prec


def outward_decimal(interval, digits: int = 30) -> tuple[str, str]:
    """[lo, hi] as decimal strings with ``digits`` significant digits, rounded outward (lo down, hi up)."""
    with mpmath.workprec(max(iv.prec, 200) + 64):
        out = []
        for value, direction in ((interval.a, -1), (interval.b, +1)):
            value = mpmath.mpf(value)
            if value == 0:
                out.append("0")
                continue
            exponent = int(mpmath.floor(mpmath.log10(abs(value))))
            unit = mpmath.mpf(10) ** (exponent - digits + 1)
            scaled = value / unit
            n = int(mpmath.floor(scaled)) - 1 if direction < 0 else int(mpmath.ceil(scaled)) + 1
            out.append(_format_scaled(n, exponent - digits + 1))
        return out[0], out[1]


def _format_scaled(n: int, power: int) -> str:
    """The exact decimal n·10^power as a string."""
    sign = "-" if n < 0 else ""
    digits = str(abs(n))
    if power >= 0:
        return sign + digits + "0" * power
    point = len(digits) + power
    if point > 0:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return f"{sign}0.{'0' * (-point)}{digits}"
