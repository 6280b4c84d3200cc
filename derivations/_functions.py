"""Derived scalar functions: a SymPy function head whose derivatives are derived once.

``derived_function("ell", expr, s)`` returns a :class:`DerivedFunction`. Its ``heads[k]`` is an
undefined SymPy function standing for the k-th derivative, wired so that ``sympy.diff`` applies the
chain rule through it (``d/dx heads[k](u) = heads[k+1](u) * du/dx``). Generic derivations keep the
heads (results hold for *any* ℓ); :func:`concretize` replaces every head by its derived closed form.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

DERIVATIVE_ORDERS = 5


@dataclass(frozen=True)
class DerivedFunction:
    """A scalar function ``name(var) = expr`` with its derivatives ``expr^(k)``, k < DERIVATIVE_ORDERS."""

    name: str
    var: sp.Symbol
    expr: sp.Expr
    heads: tuple  # undefined SymPy function classes standing for f, f', f'', ...

    @cached_property
    def derivatives(self) -> tuple:
        """Closed forms of f, f', f'', … (each simplified); computed on first use."""
        forms = [self.expr]
        for _ in range(1, len(self.heads)):
            forms.append(_simplify(sp.diff(forms[-1], self.var)))
        return tuple(forms)

    def __call__(self, arg):
        return self.heads[0](arg)

    def derivative(self, order: int, arg):
        """Generic head of the ``order``-th derivative applied to ``arg``."""
        return self.heads[order](arg)

    def closed_form(self, order: int = 0) -> sp.Expr:
        """Closed form of the ``order``-th derivative as an expression in ``var``."""
        return self.derivatives[order]

    def value_at(self, order: int, point) -> sp.Expr:
        """Exact value of the ``order``-th derivative at ``point`` (a limit where the form is singular)."""
        form = self.derivatives[order]
        value = sp.simplify(form.subs(self.var, point))
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            value = sp.limit(form, self.var, point)
        return value


def _simplify(expr: sp.Expr) -> sp.Expr:
    simpler = sp.simplify(expr)
    return simpler if sp.count_ops(simpler) <= sp.count_ops(expr) else expr


def derived_function(name: str, expr: sp.Expr, var: sp.Symbol, orders: int = DERIVATIVE_ORDERS) -> DerivedFunction:
    """derived_function(name, expr, var) -> DerivedFunction

    Build function heads (the closed forms of the ``orders - 1`` derivatives are derived lazily,
    each simplified) and wire the heads whose ``fdiff`` chains to the next head, so generic expressions differentiate as
    f(u)' = f'(u)·u'.
    """
    heads: list = []
    for order in range(orders):
        head_name = name + "'" * order if order < 4 else f"{name}^({order})"
        namespace = {"nargs": 1}
        if order + 1 < orders:
            namespace["fdiff"] = _make_fdiff(heads, order + 1)
        heads.append(type(head_name, (sp.Function,), namespace))
    return DerivedFunction(name, var, expr, tuple(heads))


def _make_fdiff(heads: list, next_order: int):
    def fdiff(self, argindex=1):
        return heads[next_order](self.args[0])

    return fdiff


def concretize(expr, functions) -> sp.Expr:
    """Replace every generic head of each DerivedFunction in ``functions`` by its closed form."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: concretize(e, functions))
    for _ in range(len(functions) + 1):  # closed forms may themselves hold other heads
        changed = False
        for function in functions:
            for order, head in enumerate(function.heads):
                if expr.has(head):
                    expr = expr.replace(head, sp.Lambda(function.var, function.derivatives[order]))
                    changed = True
        if not changed:
            break
    return expr
