"""The loss catalogue ℓ(s) of the single-neuron model, and user losses from a whitelisted string.

get_loss(name=None, expression=None) -> Loss

Each Loss carries ℓ as a SymPy expression in the real symbol ``s`` and its derived function
(ℓ, ℓ', ℓ'', …, simplified), so ``loss.curvature_at_zero`` = ℓ''(0) is derived, not typed in.
Catalogue (Ahn et al. 2023, arXiv 2212.07469, §2; REFERENCE.md §1):

=============  =====================================  ========
name           ℓ(s)                                   ℓ''(0)
=============  =====================================  ========
sqrt1p         √(1 + s²)                              1
logcosh        log cosh s                             1
symlogistic    log(1 + eˢ) + log(1 + e⁻ˢ)             1/2
square         s²/2 (never EoS: a control)            1
huber          s²/2 for |s| ≤ 1, |s| − 1/2 beyond     1
=============  =====================================  ========
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

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
    """A scalar loss ℓ(s) with derived derivatives.

    Attributes: ``name`` (catalogue name or ``custom``), ``expr`` (SymPy in ``s``), ``source`` (the
    user's text for a custom loss), ``description``.
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
        return self.name if self.name != "custom" else f"custom: {self.source}"


def get_loss(name: str | None = None, expression: str | None = None) -> Loss:
    """get_loss(name=None, expression=None) -> Loss

    A catalogue loss by ``name``, or a custom loss parsed (whitelist, never ``eval``) from
    ``expression``, an expression in ``s`` such as ``"log(cosh(s))"``.
    """
    if expression is not None:
        if name not in (None, "custom"):
            raise InputError("give either --loss or --loss-expr, not both")
        expr = parse_expression(expression, {"s": S})
        if not expr.has(S):
            raise InputError(f"loss expression {expression!r} does not depend on s")
        return Loss("custom", expr, source=expression, description="user expression")
    if name is None:
        raise InputError("a loss is required: --loss NAME or --loss-expr EXPR")
    if name not in _CATALOGUE:
        raise InputError(f"unknown loss {name!r} (choose from: {', '.join(CATALOGUE_NAMES)}, or --loss-expr)")
    expr, description = _CATALOGUE[name]
    return Loss(name, expr, description=description)
