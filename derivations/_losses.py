"""The loss catalogue ℓ(s) of the single-neuron model, and user losses from a whitelisted string.

get_loss(name=None, expression=None) -> Loss

Each Loss carries ℓ as a SymPy expression in the real symbol ``s`` and its derived function
(ℓ, ℓ', ℓ'', …, simplified), so ``loss.curvature_at_zero`` = ℓ''(0) is derived, not typed in.
Catalogue (Ahn et al. 2023, arXiv 2212.07469, §2; docs/reference_values.md §1):

=============  =====================================  ========
name           ℓ(s)                                   ℓ''(0)
=============  =====================================  ========
sqrt1p         √(1 + s²)                              1
logcosh        log cosh s                             1
symlogistic    log(1 + eˢ) + log(1 + e⁻ˢ)             1/2
square         s²/2 (never EoS: a control)            1
huber          s²/2 for |s| ≤ 1, |s| − 1/2 beyond     1
=============  =====================================  ========

A custom loss (``get_loss(expression=...)``) is checked when it is built, so that absurd input fails
here, in one line, instead of deep inside a derivation or a kernel build:

* ℓ, ℓ', …, ℓ⁗ are derived and simplified (they are cached on the Loss and reused by every later
  derivation) within a wall-clock budget of ``derivations._budget.DERIVE_SECONDS`` (10 s; main
  thread only), e.g. ``s**s**s**s**s`` is refused;
* ℓ' and ℓ'' must be ordinary functions: a Dirac delta (``Abs(s)``: ℓ'' = 2δ(s)) or an unevaluated
  derivative means ℓ is not twice differentiable, and the GD map and its Jacobian need ℓ' and ℓ'';
* ℓ, ℓ', ℓ'' must be real: no ``I`` in their closed forms, and real and finite together at one of
  the sample points :data:`SAMPLE_POINTS` at least (``sqrt(-1 - s**2)`` is imaginary everywhere).
  A loss that is singular somewhere, such as ``log(s)**2`` or ``1/s``, is accepted: an orbit that
  reaches the singularity becomes non-finite and is classified as diverged.
"""
from __future__ import annotations

import cmath
import math
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ._budget import DERIVE_SECONDS, time_budget
from ._errors import InputError
from ._expressions import parse_expression
from ._functions import DerivedFunction, derived_function

S = sp.Symbol("s", real=True)

_CATALOGUE = {
    "sqrt1p": (sp.sqrt(1 + S**2), "√(1+s²): smooth, even, convex, linear tails"),
    "logcosh": (sp.log(sp.cosh(S)), "log cosh s: smooth, even, convex, linear tails"),
    "symlogistic": (
        sp.log(1 + sp.exp(S)) + sp.log(1 + sp.exp(-S)),
        "logistic loss averaged over the label sign",
    ),
    "square": (S**2 / 2, "s²/2: quadratic, never at the edge of stability (control)"),
    "huber": (
        sp.Piecewise((S**2 / 2, sp.Abs(S) <= 1), (S - sp.Rational(1, 2), S > 1), (-S - sp.Rational(1, 2), True)),
        "Huber with δ = 1: C¹ but not C² at |s| = 1",
    ),
}
CATALOGUE_NAMES = tuple(_CATALOGUE)


@dataclass(frozen=True)
class Loss:
    """Loss(name, expr, source="", description="")

    A scalar loss ℓ(s) with derived derivatives (made by :func:`get_loss`, which also checks a custom loss).

    Arguments:
        name: the catalogue name (:data:`CATALOGUE_NAMES`) or ``"custom"``.
        expr: ℓ as a SymPy expression in the real symbol ``s``.
        source: the user's text for a custom loss ("" for a catalogue loss).
        description: a one-line description (not compared).

    Attributes (derived, cached): ``function`` (ℓ, ℓ', ℓ'', … as a DerivedFunction), ``curvature_at_zero``
    (ℓ''(0)), ``is_even`` (ℓ(−s) = ℓ(s)), ``is_piecewise``, ``label``.
    """

    name: str
    expr: sp.Expr
    source: str = ""
    description: str = field(default="", compare=False)

    @cached_property
    def function(self) -> DerivedFunction:
        """ℓ and its derivatives as a DerivedFunction named ``ell``."""
        return derived_function("ell", self.expr, S)

    @cached_property
    def curvature_at_zero(self) -> sp.Expr:
        """ℓ''(0), derived."""
        return self.function.value_at(2, 0)

    @cached_property
    def is_even(self) -> bool:
        return sp.simplify(self.expr - self.expr.subs(S, -S)) == 0

    @cached_property
    def is_piecewise(self) -> bool:
        """True when ℓ is written piecewise or with |·| (smoothness then fails somewhere)."""
        return self.expr.has(sp.Piecewise, sp.Abs, sp.sign)

    @property
    def label(self) -> str:
        """The name, or ``"custom: <source>"`` for a custom loss."""
        return self.name if self.name != "custom" else f"custom: {self.source}"


def get_loss(name: str | None = None, expression: str | None = None, *, require_smooth: bool = True) -> Loss:
    """get_loss(name=None, expression=None, *, require_smooth=True) -> Loss

    A catalogue loss by ``name``, or a custom loss parsed (whitelist, never ``eval``) from ``expression``.

    Arguments:
        name: a catalogue name (:data:`CATALOGUE_NAMES`: sqrt1p, logcosh, symlogistic, square, huber), or None
            / ``"custom"`` with ``expression``.
        expression: a custom loss, an expression in ``s`` such as ``"log(cosh(s))"`` (see
            :func:`parse_expression`); None for a catalogue loss.
        require_smooth: with a custom loss, refuse it unless ℓ, ℓ', ℓ'' are real and twice differentiable
            (:func:`check_custom_loss`; what GD models need). ``eoscope verify`` passes False, so that a claim
            can report a non-smooth loss as not checkable instead. Default True.

    Returns:
        Loss: ℓ(s) with its derivatives derived (cached on the Loss).

    Raises:
        InputError: neither or both of a catalogue name and an expression, an unknown name, an expression that
            cannot be parsed or does not depend on ``s``, one that SymPy cannot differentiate within the time
            budget (``DERIVE_SECONDS``), or (``require_smooth``) one whose ℓ, ℓ', ℓ'' are not real and
            twice differentiable.

    Catalogue ℓ(s): √(1 + s²), log cosh s, log(1 + eˢ) + log(1 + e⁻ˢ), s²/2, Huber (δ = 1); module docstring.
    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
    NeurIPS 2023, §2.
    """
    if expression is not None:
        if name not in (None, "custom"):
            raise InputError("give either a catalogue loss name or a loss expression in s, not both")
        expr = parse_expression(expression, {"s": S})
        if not expr.has(S):
            raise InputError(f"loss expression {expression!r} does not depend on s")
        loss = Loss("custom", expr, source=expression, description="user expression")
        check_custom_loss(loss, require_smooth=require_smooth)
        return loss
    if name is None:
        raise InputError("a loss is required: a catalogue name or an expression in s")
    if name not in _CATALOGUE:
        raise InputError(f"unknown loss {name!r} (choose from: {', '.join(CATALOGUE_NAMES)}, or an expression in s)")
    expr, description = _CATALOGUE[name]
    return Loss(name, expr, description=description)


SAMPLE_POINTS = (-3.0, -1.0, -0.5, 0.1, 0.5, 1.0, 3.0)
_ORDER_NAMES = ("ℓ", "ℓ'", "ℓ''")


def check_custom_loss(loss: Loss, seconds: float | None = None, require_smooth: bool = True) -> None:
    """Derive ℓ … ℓ⁗ of a custom loss within a time budget and (``require_smooth``) check that ℓ, ℓ', ℓ''
    are real, twice differentiable and real and finite somewhere (module docstring). InputError with the
    reason otherwise."""
    seconds = DERIVE_SECONDS if seconds is None else seconds
    text = loss.source or str(loss.expr)
    message = f"loss {text}: SymPy did not finish deriving it within {seconds:g} s"
    try:
        with time_budget(seconds, message):
            forms = loss.function.derivatives[:3]
            if require_smooth:
                _check_forms(forms, text)
                _check_samples(forms, text)
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"loss {text}: too deeply nested for SymPy to derive") from None
    except (NotImplementedError, ArithmeticError, ValueError, TypeError) as exc:
        reason = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        raise InputError(f"loss {text}: SymPy could not derive it ({reason})") from None


def _check_forms(forms, text: str) -> None:
    for order, form in enumerate(forms):
        name = _ORDER_NAMES[order]
        if order > 0 and form.has(sp.DiracDelta, sp.Heaviside):
            raise InputError(
                f"loss {text} is not twice differentiable: {name}(s) = {_brief(form)} has a Dirac delta or a step "
                "(use a smooth loss, e.g. sqrt(1 + s**2) instead of Abs(s))"
            )
        if form.has(sp.Derivative, sp.Subs, sp.Integral):
            raise InputError(f"loss {text}: SymPy cannot differentiate it in closed form ({name}(s) = {_brief(form)})")
        if form.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise InputError(f"loss {text}: {name}(s) = {_brief(form)} is undefined")
        if form.has(sp.I):
            raise InputError(f"loss {text} is not real-valued: {name}(s) = {_brief(form)} is complex")


def _check_samples(forms, text: str) -> None:
    for point in SAMPLE_POINTS:
        values = [_value_at(form, point) for form in forms]
        if all(v is not None and math.isfinite(v.real) and abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)) for v in values):
            return
    points = ", ".join(f"{p:g}" for p in SAMPLE_POINTS)
    raise InputError(f"loss {text} is not real-valued and finite (with ℓ' and ℓ'') at any of s = {points}")


def _brief(expr, limit: int = 80) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_at(expr, point: float):
    """expr at s = point in complex float64 (None where it is undefined or cannot be evaluated)."""
    try:
        return _evaluate(expr, complex(point))
    except (ArithmeticError, ValueError, TypeError):
        return None
    except _Unsupported:
        try:
            return complex(sp.N(expr.subs(S, point), 17))
        except (ArithmeticError, ValueError, TypeError):
            return None


class _Unsupported(Exception):
    pass


def _erf(z: complex) -> complex:
    if z.imag != 0:
        raise _Unsupported
    return complex(math.erf(z.real))


def _sign(z: complex) -> complex:
    return 0j if z == 0 else z / abs(z)


_FUNCTIONS = {
    sp.exp: cmath.exp,
    sp.log: cmath.log,
    sp.sin: cmath.sin,
    sp.cos: cmath.cos,
    sp.tan: cmath.tan,
    sp.sinh: cmath.sinh,
    sp.cosh: cmath.cosh,
    sp.tanh: cmath.tanh,
    sp.asinh: cmath.asinh,
    sp.atan: cmath.atan,
    sp.erf: _erf,
    sp.Abs: lambda z: complex(abs(z)),
    sp.sign: _sign,
    sp.sec: lambda z: 1 / cmath.cos(z),
    sp.csc: lambda z: 1 / cmath.sin(z),
    sp.cot: lambda z: 1 / cmath.tan(z),
    sp.sech: lambda z: 1 / cmath.cosh(z),
    sp.csch: lambda z: 1 / cmath.sinh(z),
    sp.coth: lambda z: 1 / cmath.tanh(z),
}


def _evaluate(expr, s: complex) -> complex:
    """A small float64 evaluator over SymPy trees (bounded time, unlike evalf on towers of exponentials)."""
    if expr == S:
        return s
    if expr.is_Number:
        return complex(expr)
    if expr is sp.pi:
        return complex(math.pi)
    if expr is sp.E:
        return complex(math.e)
    if expr is sp.I:
        return 1j
    if expr.is_Add:
        return sum((_evaluate(a, s) for a in expr.args), 0j)
    if expr.is_Mul:
        out = 1 + 0j
        for a in expr.args:
            out *= _evaluate(a, s)
        return out
    if expr.is_Pow:
        base, exponent = _evaluate(expr.base, s), _evaluate(expr.exp, s)
        if base.imag == 0 and exponent.imag == 0 and (base.real > 0 or float(exponent.real).is_integer()):
            return complex(math.pow(base.real, exponent.real))
        if base == 0:
            raise ZeroDivisionError("0 to a complex or negative power")
        return base**exponent
    if isinstance(expr, sp.Piecewise):
        for value, condition in expr.args:
            if _condition(condition, s):
                return _evaluate(value, s)
        raise ValueError("outside every piece")
    function = _FUNCTIONS.get(expr.func)
    if function is not None and len(expr.args) == 1:
        return complex(function(_evaluate(expr.args[0], s)))
    raise _Unsupported


def _condition(condition, s: complex) -> bool:
    if condition is sp.true:
        return True
    if condition is sp.false:
        return False
    if isinstance(condition, sp.And):
        return all(_condition(c, s) for c in condition.args)
    if isinstance(condition, sp.Or):
        return any(_condition(c, s) for c in condition.args)
    if isinstance(condition, sp.Not):
        return not _condition(condition.args[0], s)
    if isinstance(condition, sp.Rel):
        lhs, rhs = _evaluate(condition.lhs, s), _evaluate(condition.rhs, s)
        if isinstance(condition, sp.Eq):
            return lhs == rhs
        if isinstance(condition, sp.Ne):
            return lhs != rhs
        if lhs.imag != 0 or rhs.imag != 0:
            raise ValueError("complex comparison")
        a, b = lhs.real, rhs.real
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[condition.rel_op]
    raise _Unsupported
