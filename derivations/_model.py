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
CODEGEN_VERSION = "5"  # 5: custom maps converge on |F(θ) − θ| < tol; 1-D states unpack


@dataclass(frozen=True, eq=False)
class Model:
    """Model(name, state, loss, functions=(), inner=None, outer=None, oscillating=None, minimizer_branch=None,
    constants={}, label="", loss_spec=None, reference_point=None, steps={}, explicit_map=None, init_axes={})

    A GD model declared once in SymPy: the loss L(θ) over the state θ; everything else is derived from it.

    Arguments:
        name: the model's catalogue name (e.g. ``"single-neuron"``); part of its hash.
        state: the state θ as a tuple of SymPy symbols, in order.
        loss: L(θ), a SymPy expression; may contain generic heads of ``functions`` (e.g. ℓ(x·y), ℓ unspecified).
        functions: the DerivedFunctions whose heads appear in ``loss`` (their closed forms are substituted).
        inner, outer: when L = ℓ(u(θ)): the scalar u (SymPy) and ℓ (a DerivedFunction); None otherwise.
        oscillating: the coordinate that oscillates at the edge of stability (SymPy expression), or None.
        minimizer_branch: {symbol: value} picking the branch of the minimiser set studied, or None.
        constants: {name: number}, substituted for positive symbols of that name (e.g. {"d": 200}).
        label: a human-readable description.
        loss_spec: the :class:`Loss` the model was built from, if any.
        reference_point: {symbol: value} where ``derive(model).records()`` also evaluates η_c (e.g. {b: 0}).
        steps: named SymPy steps of the model's own derivation, shown first by ``records()``.
        explicit_map: a map given directly (:func:`custom_map`): the expressions F(θ; η), no loss.
        init_axes: derived initial-condition axes for sweeps, {axis name: {state symbol: expression in the axis
            symbol}}; not part of the hash.

    Equations: the GD map θ⁺ = F(θ) = θ − η∇L(θ) (or ``explicit_map``); see :func:`derive`.
    """

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
        """The names of the state symbols, in state order (e.g. ``("x", "y")``)."""
        return tuple(str(symbol) for symbol in self.state)

    @property
    def dimension(self) -> int:
        """n, the number of state variables."""
        return len(self.state)

    def concrete(self, expr):
        """concrete(expr) -> sympy expression

        Closed form of ``expr``: generic heads replaced, constants substituted.

        Arguments:
            expr: a SymPy expression or matrix over the state (and η), possibly with generic heads ℓ, ℓ', ….

        Returns:
            The same object type with every head of ``functions`` replaced by its closed form and every
            ``constants`` name replaced by its value.
        """
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
        """describe() -> dict

        Inputs that identify the model, for result records.

        Returns:
            dict: ``model``, ``label``, ``state`` (names) and ``hash``; ``loss`` (and ``loss_expr`` for a custom
            loss), ``map_expr`` for a custom map and ``params`` (floats) for constants, where they apply.
        """
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


def single_neuron(loss) -> Model:
    """single_neuron(loss) -> Model

    The single-neuron model: GD on (x, y) ↦ L(x, y) = ℓ(x·y).

    Arguments:
        loss: a :class:`Loss` ℓ(s) (:func:`get_loss`), or a catalogue name (``"sqrt1p"``).

    Returns:
        Model: state (x, y), inner u = x·y, outer ℓ; the oscillating coordinate is x and the minimiser branch
        studied is the y-axis {x = 0}.

    The GD map is x⁺ = x − η y ℓ'(xy), y⁺ = y − η x ℓ'(xy); on the branch {x = 0} (minimisers when ℓ'(0) = 0)
    S = ℓ''(0)·y², so η_c = 2/(ℓ''(0)·y²).

    Raises:
        InputError: an unknown loss name, or something that is neither a Loss nor a name.

    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
    NeurIPS 2023, §2.
    """
    if isinstance(loss, str):
        loss = get_loss(loss)
    if not isinstance(loss, Loss):
        raise InputError(f"single_neuron needs a Loss or a catalogue loss name, got {type(loss).__name__}")
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

    A catalogue model by name, as the CLI builds it.

    Arguments:
        name: one of MODEL_BUILDERS: ``"single-neuron"`` or ``"mean-model"``.
        loss: a catalogue loss name (:data:`CATALOGUE_NAMES`), for single-neuron.
        loss_expr: a custom loss, an expression in ``s`` (:func:`get_loss`), for single-neuron.
        params: the model's parameters, e.g. {"d": 200} for mean-model (required there); None = {}.

    Returns:
        Model: as :func:`single_neuron` or :func:`mean_model` make it.

    Raises:
        InputError: an unknown model name, a missing or bad loss, parameters the model does not take (any for
            single-neuron; other than ``d`` for mean-model), a loss given to mean-model, or a bad ``d``.
    """
    builder = MODEL_BUILDERS.get(name)
    if builder is None:
        raise InputError(f"unknown model {name!r} (choose from: {', '.join(MODEL_BUILDERS)})")
    return builder(loss=loss, loss_expr=loss_expr, params=params or {})
