"""The initial state and the parameter of every verb, checked once: ``init`` and ``eta``.

check_eta(eta, name="eta") -> float                 a step size: finite and > 0
check_parameter(model, eta, name="eta") -> float    η of a GD model (> 0) or of a custom map (finite)
check_init(model, init, name="init") -> ndarray     {state name: value} or a sequence in state order → (n,)
init_matrix(model, init, count, name="init")        a state for each of ``count`` points → (count, n)
state_dict(model, values) -> dict                   (n,) → {state name: float}

Every failure is an :class:`~eoscope.derivations.InputError` naming the parameter.
"""
from __future__ import annotations

import numpy as np

from ..derivations import InputError, Model
from ..derivations._validate import as_real, check_finite, check_positive


def check_eta(eta, name: str = "eta") -> float:
    """check_eta(eta, name="eta") -> float: a step size η, finite and > 0.

    Raises:
        InputError: not a number, not finite, or ≤ 0.
    """
    return check_positive(eta, name)


def check_parameter(model: Model, eta, name: str = "eta") -> float:
    """check_parameter(model, eta, name="eta") -> float: η for ``model``, > 0 for a GD model (a step size), any
    finite number for a custom map (a parameter of the map).

    Raises:
        InputError: not a number, not finite, or ≤ 0 for a GD model.
    """
    if model.explicit_map is None:
        return check_positive(eta, name)
    return check_finite(eta, name)


def _check_names(names: tuple, init: dict, name: str) -> None:
    """InputError unless the dict ``init`` sets exactly the state variables ``names``."""
    unknown = sorted(set(map(str, init)) - set(names))
    missing = [v for v in names if v not in init]
    if unknown or missing:
        raise InputError(f"{name} must set exactly {', '.join(names)} (missing: {missing or '-'}, unknown: {unknown or '-'})")


def check_init(model: Model, init, name: str = "init") -> np.ndarray:
    """check_init(model, init, name="init") -> ndarray of shape (n,)

    Arguments:
        model: the model whose state ``init`` sets.
        init: ``{state name: value}`` setting every state variable exactly once, or a sequence/array of n
            numbers in the model's state order (``model.state_names``).
        name: the parameter name used in error messages.

    Returns:
        The initial state as a float64 array in state order.

    Raises:
        InputError: missing or unknown names, a wrong length, a non-number or a non-finite value.
    """
    names = model.state_names
    if isinstance(init, dict):
        _check_names(names, init, name)
        values = np.array([as_real(init[n], f"{name} value of {n}") for n in names], dtype=np.float64)
    else:
        if isinstance(init, (str, bytes)) or init is None:
            raise InputError(f"{name} must be a dict {{state name: value}} or {len(names)} numbers in the order "
                             f"{', '.join(names)}, got {init!r}")
        try:
            array = np.asarray(init, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be a dict {{state name: value}} or {len(names)} numbers, got {init!r}") from None
        if array.shape != (len(names),):
            raise InputError(f"{name} must hold {len(names)} values (state order {', '.join(names)}), got shape {array.shape}")
        values = array.copy()
    if not np.all(np.isfinite(values)):
        raise InputError(f"{name} values must be finite, got {state_dict(model, values)}")
    return values


def init_matrix(model: Model, init, count: int, name: str = "init") -> np.ndarray:
    """init_matrix(model, init, count, name="init") -> ndarray of shape (count, n)

    Arguments:
        init: an (count, n) array (one state per point, state order), one state for every point (a dict of
            numbers or n numbers, see :func:`check_init`), or a dict ``{state name: number or array of count}``.

    Raises:
        InputError: a wrong shape, missing or unknown names, or a non-finite value.
    """
    names, n = model.state_names, model.dimension
    if isinstance(init, dict):
        _check_names(names, init, name)
        columns = []
        for v in names:
            try:
                column = np.asarray(init[v], dtype=np.float64)
            except (TypeError, ValueError):
                raise InputError(f"{name} value of {v} must be a number or an array of numbers, got {init[v]!r}") from None
            if column.ndim > 1 or (column.ndim == 1 and column.shape[0] != count):
                raise InputError(f"{name} value of {v} must be a number or an array of length {count}, got shape {column.shape}")
            columns.append(np.broadcast_to(column, (count,)))
        matrix = np.column_stack(columns) if count else np.empty((0, n))
    else:
        try:
            matrix = np.asarray(init, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be an array of states, got {type(init).__name__}") from None
        if matrix.ndim == 1 and matrix.shape == (n,):
            matrix = np.broadcast_to(matrix, (count, n))
        if matrix.shape != (count, n):
            raise InputError(f"{name} must be {count} × {n} (one state per point, order {', '.join(names)}) "
                             f"or one state, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise InputError(f"{name} values must be finite")
    return np.ascontiguousarray(matrix, dtype=np.float64)


def state_dict(model: Model, values) -> dict:
    """state_dict(model, values) -> {state name: float} in state order."""
    return dict(zip(model.state_names, map(float, values)))


__all__ = ["check_eta", "check_init", "check_parameter", "init_matrix", "state_dict"]
