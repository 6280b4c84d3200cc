"""grid_run(model, eta, theta0, ...) -> GridResult: many GD orbits at once through the generated grid kernel.

The kernel (``derivations.generate_grid_module``) groups points in SIMD blocks of ``BLOCK`` lanes and runs
the blocks in parallel on all cores (numba ``prange``); see its module docstring for the stopping rules,
which are those of :func:`dynamics.trajectory`, and for what is recorded per point.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..derivations import InputError, Model
from ..derivations._limits import FLOAT_BYTES, check_memory, check_steps
from ..derivations._codegen_grid import DEFAULT_BLOCK, GRID_CODEGEN_VERSION, GRID_STATUS_CODES, MAX_PERIOD, generate_grid_module

from ._compiled import _import_file

GRID_STATUS_NAMES = {code: name for name, code in GRID_STATUS_CODES.items()}
GRID_FIELDS = (
    "state",
    "steps",
    "status",
    "period",
    "sharpness",
    "eta_sharpness_half",
    "sharpness0",
    "eta_sharpness_half0",
    "loss0",
    "loss_final",
    "max_loss",
    "loss_rises",
    "sign_flips",
)

_MODULES: dict = {}


def compile_grid(model: Model, block: int = DEFAULT_BLOCK):
    """compile_grid(model, block=64) -> module: the generated grid module of ``model`` (imported once)."""
    key = (model.hash, block)
    module = _MODULES.get(key)
    if module is None:
        module = _import_file(generate_grid_module(model, block))
        _MODULES[key] = module
    return module


@dataclass(frozen=True, eq=False)
class GridResult:
    """Per-point outputs of :func:`grid_run` (flat arrays of length N; ``state`` is N × n, ``tail`` N × K × n)."""

    model: dict
    max_steps: int
    tol: float
    bound: float
    check_every: int
    dense_steps: int
    period_tol: float
    state: np.ndarray = field(repr=False)
    steps: np.ndarray = field(repr=False)
    status: np.ndarray = field(repr=False)
    period: np.ndarray = field(repr=False)
    sharpness: np.ndarray = field(repr=False)
    eta_sharpness_half: np.ndarray = field(repr=False)
    sharpness0: np.ndarray = field(repr=False)
    eta_sharpness_half0: np.ndarray = field(repr=False)
    loss0: np.ndarray = field(repr=False)
    loss_final: np.ndarray = field(repr=False)
    max_loss: np.ndarray = field(repr=False)
    loss_rises: np.ndarray = field(repr=False)
    sign_flips: np.ndarray = field(repr=False)
    tail: np.ndarray = field(repr=False)


def _is_count(value, minimum: int) -> bool:
    """Whether ``value`` is an integer ≥ ``minimum`` (an int, or an integral finite float; no bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    return math.isfinite(value) and int(value) == value and value >= minimum


def _check_count(value, name: str, minimum: int, wording: str) -> None:
    """InputError unless ``value`` is an integer ≥ ``minimum`` within ``derivations._limits.MAX_STEPS``."""
    if not _is_count(value, minimum):
        raise InputError(f"{name} must be {wording}, got {value!r}")
    check_steps(int(value), name)


def check_grid_options(max_steps, tol, bound, check_every, period_tol, tail, dense_steps=0) -> None:
    """InputError unless the grid options are sane (step counts ≤ ``derivations._limits.MAX_STEPS``)."""
    _check_count(max_steps, "max_steps", 0, "a non-negative integer")
    for name, value in (("tol", tol), ("bound", bound), ("period_tol", period_tol)):
        if isinstance(value, bool) or not (isinstance(value, (int, float, np.integer, np.floating))
                                           and math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be finite and > 0, got {value!r}")
    _check_count(check_every, "check_every", 1, "a positive integer")
    _check_count(tail, "tail", 0, "a non-negative integer")
    _check_count(dense_steps, "dense_steps", 0, "a non-negative integer")


def grid_run(
    model: Model,
    eta,
    theta0,
    *,
    max_steps: int = 20_000,
    tol: float = 1e-12,
    bound: float = 1e8,
    check_every: int = 16,
    dense_steps: int = 16,
    period_tol: float = 1e-12,
    tail: int = 0,
    block: int = DEFAULT_BLOCK,
) -> GridResult:
    """grid_run(model, eta[N], theta0[N, n], *, max_steps=20000, tol=1e-12, bound=1e8, check_every=16,
    dense_steps=16, period_tol=1e-12, tail=0, block=64) -> GridResult

    Iterate θ ← θ − η∇L(θ) from every row of ``theta0`` with its own η. Statuses:
    ``GRID_STATUS_CODES`` (converged, diverged, max_steps, periodic [``period`` = k ≤ 16], unclassified).
    η·S/2 is reported next to the final sharpness S (1 = exactly at the edge of stability), and η·S0/2
    next to the sharpness S0 = S(θ0) at the start (> 1: the start lies beyond the edge).
    """
    check_grid_options(max_steps, tol, bound, check_every, period_tol, tail, dense_steps)
    theta0 = np.ascontiguousarray(theta0, dtype=np.float64)
    eta = np.ascontiguousarray(eta, dtype=np.float64).reshape(-1)
    n = model.dimension
    if theta0.ndim != 2 or theta0.shape[1] != n or theta0.shape[0] != eta.shape[0]:
        raise InputError(f"theta0 must be N × {n} and eta of length N, got {theta0.shape} and {eta.shape}")
    if not (np.all(np.isfinite(eta)) and np.all(eta > 0)):
        raise InputError("every step size η must be finite and > 0")
    if not np.all(np.isfinite(theta0)):
        raise InputError("initial states must be finite")
    count = eta.shape[0]
    check_memory(count * (len(GRID_FIELDS) + n + int(tail) * n) * FLOAT_BYTES,
                 f"grid_run of {count} points × {n} states (tail {int(tail)})")
    module = compile_grid(model, block)
    out = {
        "state": np.empty((count, n)),
        "steps": np.empty(count, np.int64),
        "status": np.empty(count, np.int8),
        "period": np.empty(count, np.int8),
        "sharpness": np.empty(count),
        "sharpness0": np.empty(count),
        "loss0": np.empty(count),
        "loss_final": np.empty(count),
        "max_loss": np.empty(count),
        "loss_rises": np.empty(count, np.int64),
        "sign_flips": np.empty(count, np.int64),
    }
    tail_out = np.empty((count, int(tail), n))
    if count:
        module.run_grid(
            theta0, eta, int(max_steps), float(tol), float(bound), int(check_every), int(dense_steps), float(period_tol),
            out["state"], out["steps"], out["status"], out["period"], out["sharpness"], out["sharpness0"], out["loss0"],
            out["loss_final"], out["max_loss"], out["loss_rises"], out["sign_flips"], tail_out,
        )
    return GridResult(
        model=model.describe(),
        max_steps=int(max_steps),
        tol=float(tol),
        bound=float(bound),
        check_every=int(check_every),
        dense_steps=int(dense_steps),
        period_tol=float(period_tol),
        eta_sharpness_half=eta * out["sharpness"] / 2,
        eta_sharpness_half0=eta * out["sharpness0"] / 2,
        tail=tail_out,
        **out,
    )


__all__ = ["GRID_CODEGEN_VERSION", "GRID_FIELDS", "GRID_STATUS_CODES", "GRID_STATUS_NAMES", "MAX_PERIOD", "GridResult", "compile_grid", "grid_run"]
