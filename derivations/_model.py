"""The symbolic model declaration: state, loss, constants. Everything else is derived from it.

Model(name, state, loss, functions, inner=None, outer=None, oscillating=None, minimizer_branch=None,
      constants={}, label="")

A model is a loss L(θ) written once in SymPy over the state θ. ``loss`` may contain generic heads of
derived functions (e.g. ℓ(x·y) with ℓ unspecified); ``concrete(expr)`` substitutes their closed forms
and the numeric ``constants``. When L = ℓ(u(θ)) for a scalar ``inner`` u and an ``outer`` ℓ, the
minimiser set {u = s*: ℓ'(s*) = 0} and its sharpness are derived too.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import sympy as sp

from ._errors import InputError
from ._functions import DerivedFunction, concretize
from ._losses import Loss, get_loss

ETA = sp.Symbol("eta", positive=True)
# 2: kernels stop on |osc| < tol only where derive(model).oscillation_stops (issue 10)
# 3: IEEE arithmetic in every kernel (error_model="numpy", x**(-k) printed as 1.0/x**k)
# 4: integers beyond 2⁵³ printed as float literals (numba types integer literals as int64)
CODEGEN_VERSION = "4"


@dataclass(frozen=True, eq=False)
class Model:
    """A GD model declared once in SymPy; see the module docstring."""

    name: str
    state: tuple
    loss: sp.Expr
    functions: tuple = ()
    inner: sp.Expr | None = None
    outer: DerivedFunction | None = None
    oscillating: sp.Expr | None = None
    minimizer_branch: dict | None = None
    constants: dict = field(default_factory=dict)
    label: str = ""
    loss_spec: Loss | None = None
    reference_point: dict | None = None  # where derive's records also evaluate critical_eta (e.g. {b: 0})
    steps: dict = field(default_factory=dict)  # named SymPy steps of the model's own derivation, shown first
    explicit_map: tuple | None = None  # a map given directly (custom-map): F(θ; η) expressions, no loss
    # derived initial-condition axes for sweeps: {axis name: {state symbol: SymPy expr in Symbol(axis name)}},
    # e.g. {"A0": {a_minus: A0/2, a_plus: A0/2, b: 0}}; not part of the hash (no kernel depends on it)
    init_axes: dict = field(default_factory=dict)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(str(symbol) for symbol in self.state)

    @property
    def dimension(self) -> int:
        return len(self.state)

    def concrete(self, expr):
        """Closed form of ``expr``: generic heads replaced, constants substituted."""
        expr = concretize(expr, self.functions)
        if self.constants:
            subs = {sp.Symbol(k, positive=True): v for k, v in self.constants.items()}
            expr = expr.subs(subs)
        return expr

    @cached_property
    def hash(self) -> str:
        """Hash of everything that shapes the generated kernels (the model's identity)."""
        parts = [CODEGEN_VERSION, self.name, ",".join(self.state_names), sp.srepr(self.loss)]
        parts += [f"{f.name}:{sp.srepr(f.var)}:{sp.srepr(f.expr)}" for f in self.functions]
        parts += [sp.srepr(self.oscillating), repr(sorted((k, str(v)) for k, v in self.constants.items()))]
        if self.explicit_map is not None:
            parts.append("map:" + ";".join(sp.srepr(e) for e in self.explicit_map))
        payload = "|".join(parts)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def describe(self) -> dict:
        """Inputs that identify the model, for result records."""
        record = {"model": self.name, "label": self.label, "state": list(self.state_names), "hash": self.hash}
        if self.loss_spec is not None:
            record["loss"] = self.loss_spec.name
            if self.loss_spec.source:
                record["loss_expr"] = self.loss_spec.source
        if self.explicit_map is not None:
            record["map_expr"] = [str(e) for e in self.explicit_map]
        if self.constants:
            record["params"] = {k: float(v) for k, v in self.constants.items()}
        return record


def single_neuron(loss: Loss) -> Model:
    """single_neuron(loss) -> Model

    GD on (x, y) ↦ ℓ(x·y) (Ahn et al. 2023, §2). The oscillating coordinate is x, the minimiser branch
    studied is the y-axis {x = 0}.
    """
    x, y = sp.symbols("x y", real=True)
    ell = loss.function
    return Model(
        name="single-neuron",
        state=(x, y),
        loss=ell(x * y),
        functions=(ell,),
        inner=x * y,
        outer=ell,
        oscillating=x,
        minimizer_branch={x: sp.Integer(0)},
        label=f"single-neuron, ℓ = {loss.label}",
        loss_spec=loss,
    )


def _single_neuron_from_options(loss=None, loss_expr=None, params=None) -> Model:
    if params:
        raise InputError(f"single-neuron takes no parameters (got {', '.join(params)})")
    return single_neuron(get_loss(loss, loss_expr))


MODEL_BUILDERS: dict[str, Callable[..., Model]] = {"single-neuron": _single_neuron_from_options}


def build_model(name: str, loss: str | None = None, loss_expr: str | None = None, params: dict | None = None) -> Model:
    """build_model(name, loss=None, loss_expr=None, params=None) -> Model

    The catalogue entry point used by the CLI: ``name`` is one of MODEL_BUILDERS.
    """
    builder = MODEL_BUILDERS.get(name)
    if builder is None:
        raise InputError(f"unknown model {name!r} (choose from: {', '.join(MODEL_BUILDERS)})")
    return builder(loss=loss, loss_expr=loss_expr, params=params or {})
