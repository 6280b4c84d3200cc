"""Custom maps: a model given directly as map expressions F(θ; η) in the state and η.

custom_map(expressions, state) -> Model  (derive() handles its explicit map)

``custom_map("eta*x*(1-x)", "x")`` is the logistic map with η as its parameter;
``custom_map("x + eta*y; y - eta*x", "x,y")`` a 2-D map (several expressions separated by ';', or by
top-level ',' when there is no ';'). Expressions are parsed by the whitelisted
:func:`derivations.parse_expression` (never ``eval``/``sympify``); allowed names are the state and ``eta``.

A custom map has no loss. Its derivation holds the map F and the Jacobian DF (derived by SymPy, used by
periodic orbits, continuation and Lyapunov exponents); its loss, gradient and Hessian are identically 0
(so the generated ``loss``/``gradient``/``hessian``/``sharpness`` kernels return 0 and must not be read as
GD quantities). There are no minimisers, invariants or critical step size.
"""
from __future__ import annotations

import keyword

import sympy as sp

from ._errors import InputError
from ._expressions import parse_expression
from ._model import ETA, Model

RESERVED_NAMES = {"eta", "math", "np", "njit", "pi", "E", "theta", "out", "k"}
MAX_DIMENSION = 8


def _split_expressions(text: str) -> list[str]:
    """';'-separated, else ','-separated at parenthesis depth 0."""
    if ";" in text:
        return [part.strip() for part in text.split(";")]
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _state_names(state) -> list[str]:
    if isinstance(state, str):
        names = [n.strip() for n in state.replace(";", ",").replace(" ", ",").split(",") if n.strip()]
    else:
        names = [str(n).strip() for n in state]
    if not names:
        raise InputError("the state is empty: name the map's state variables, e.g. \"x\" or \"x,y\"")
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name in RESERVED_NAMES:
            raise InputError(f"state name {name!r} is not allowed (plain identifiers, not {sorted(RESERVED_NAMES)})")
    if len(set(names)) != len(names):
        raise InputError(f"the state repeats a name: {', '.join(names)}")
    if len(names) > MAX_DIMENSION:
        raise InputError(f"a custom map's state may have at most {MAX_DIMENSION} variables, got {len(names)}")
    return names


def custom_map(expressions, state) -> Model:
    """custom_map(expressions, state) -> Model

    A model given by its map θ⁺ = F(θ; η) directly, instead of by a loss.

    Arguments:
        expressions: a string (';' or top-level ',' separated) or a sequence of strings, one per state variable:
            F_i(θ; η) in the whitelist of :func:`parse_expression`; η is the symbol ``eta`` (taken > 0).
        state: the state names, as "x" / "x,y" or a sequence (at most 8 plain identifiers, no repeats).

    Returns:
        Model: named ``custom-map``, with ``explicit_map`` = the parsed F and no loss (``derive`` gives F and
        DF = ∂F/∂θ only; no sharpness, minimisers or η_c).

    Raises:
        InputError: an empty, reserved, repeated or too long list of state names, an empty expression, a count
            of expressions that differs from the state's, an expression that cannot be parsed, or a map that
            depends on the sign of η (e.g. ``abs(eta)``).
    """
    names = _state_names(state)
    texts = _split_expressions(expressions) if isinstance(expressions, str) else [str(e) for e in expressions]
    if any(not t for t in texts):
        raise InputError(f"the map has an empty expression in {expressions!r}")
    if len(texts) != len(names):
        raise InputError(
            f"the map gives {len(texts)} expression(s) for {len(names)} state variable(s) ({', '.join(names)})"
        )
    symbols = {name: sp.Symbol(name, real=True) for name in names}
    eta_real = sp.Symbol("eta", real=True)
    exprs = []
    for text in texts:
        general = parse_expression(text, {**symbols, "eta": eta_real})
        expr = general.xreplace({eta_real: ETA})
        # ETA is declared positive (a step size); a map whose form changes under that assumption
        # (abs(eta), sqrt(eta**2), …) would be wrong for η < 0, so it is refused rather than silently changed
        if sp.simplify(expr.xreplace({ETA: eta_real}) - general) != 0:
            raise InputError(f"the map {text!r} depends on the sign of eta (e.g. abs(eta)); write it for eta > 0")
        exprs.append(expr)
    exprs = tuple(exprs)
    label = "; ".join(f"{n}' = {t}" for n, t in zip(names, texts))
    return Model(
        name="custom-map",
        state=tuple(symbols[n] for n in names),
        loss=sp.Integer(0),
        label=f"custom map {label}",
        explicit_map=exprs,
    )
