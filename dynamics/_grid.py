"""grid_run(model, eta, init, options=None) -> GridResult: many GD orbits at once through the generated grid kernel.

The kernel (``derivations.generate_grid_module``) groups points in SIMD blocks of ``BLOCK`` lanes and runs
the blocks in parallel on all cores (numba ``prange``); see its module docstring for the stopping rules,
which are those of :func:`dynamics.trajectory`, and for what is recorded per point.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..derivations import Model
from ..derivations._limits import FLOAT_BYTES, check_memory
from ..derivations._codegen_grid import DEFAULT_BLOCK, GRID_CODEGEN_VERSION, GRID_STATUS_CODES, MAX_PERIOD
from ..derivations._validate import check_count, check_positive_array

from ._options import GridOptions
from ._result import Result, array_field, version_field
from ._state import init_matrix
from ._system import resolve

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


def status_counts(status: np.ndarray) -> dict:
    """status_counts(status) -> {status name: number of points} of an array of GRID_STATUS_CODES."""
    return {name: int(np.count_nonzero(status == code)) for name, code in GRID_STATUS_CODES.items()}


@dataclass(frozen=True, eq=False)
class GridResult(Result):
    """GridResult: the per-point outputs of :func:`grid_run` (flat arrays of length N; ``state`` is N × n,
    ``tail`` N × K × n).

    Attributes:
        model: the Model; options: the :class:`GridOptions` used; message: a one-line summary;
        status: the per-point status codes (int8, :data:`GRID_STATUS_CODES`: converged, diverged, max_steps,
        periodic, unclassified; a grid run always finishes, so there is no overall status);
        steps, period, sharpness (final S), eta_sharpness_half (η·S/2), sharpness0, eta_sharpness_half0 (at the
        start), loss0, loss_final, max_loss, loss_rises, sign_flips, tail: per point; version.
    """

    model: Model
    options: GridOptions
    message: str
    status: np.ndarray = array_field()
    state: np.ndarray = array_field()
    steps: np.ndarray = array_field()
    period: np.ndarray = array_field()
    sharpness: np.ndarray = array_field()
    eta_sharpness_half: np.ndarray = array_field()
    sharpness0: np.ndarray = array_field()
    eta_sharpness_half0: np.ndarray = array_field()
    loss0: np.ndarray = array_field()
    loss_final: np.ndarray = array_field()
    max_loss: np.ndarray = array_field()
    loss_rises: np.ndarray = array_field()
    sign_flips: np.ndarray = array_field()
    tail: np.ndarray = array_field()
    version: str = version_field()

    def counts(self) -> dict:
        """{status name: number of points} over the grid."""
        return status_counts(self.status)


def grid_run(model, eta, init, options: GridOptions | dict | None = None, *, block: int = DEFAULT_BLOCK,
             **overrides) -> GridResult:
    """grid_run(model, eta, init, options=None, *, block=64, **overrides) -> GridResult

    Iterate θ ← θ − η∇L(θ) from every point's initial state with its own η, all points at once.

    Arguments:
        model: a Model or a System (:func:`compile`).
        eta: N step sizes (finite, > 0).
        init: the initial states: an (N, n) array in state order, one state for every point (a dict or n
            values), or a dict {state name: number or array of N}.
        options: :class:`GridOptions` (or a dict of its fields; None: the defaults): max_steps, tol, bound,
            check_every, dense_steps, period_tol, tail.
        block: the SIMD block size of the kernel (lanes).
        **overrides: GridOptions fields given as keywords (e.g. ``max_steps=10**6``), applied on top of
            ``options``.

    Returns:
        GridResult: per point, the status (:data:`GRID_STATUS_CODES`: converged, diverged, max_steps, periodic
        [``period`` = k ≤ 16], unclassified), final state, steps, the final sharpness S with η·S/2 (1 = exactly
        at the edge of stability), the start's sharpness S0 with η·S0/2 (> 1: the start lies beyond the edge),
        loss statistics and the last ``tail`` states.

    Raises:
        InputError: bad options, η not finite and > 0, a bad ``init``, mismatched lengths, or a request that
            does not fit in memory.
    """
    system, model = resolve(model)
    options = GridOptions.from_mapping(options, **overrides)
    block = check_count(block, "block", 1, 4096)
    eta = np.ascontiguousarray(eta, dtype=np.float64).reshape(-1)
    n = model.dimension
    count = eta.shape[0]
    theta0 = init_matrix(model, init, count, "init")
    if count:
        check_positive_array(eta, "eta")
    tail = options.tail
    check_memory(count * (len(GRID_FIELDS) + n + tail * n) * FLOAT_BYTES,
                 f"grid_run of {count} points × {n} states (tail {tail})")
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
    tail_out = np.empty((count, tail, n))
    if count:
        module = system.grid_module(block)
        module.run_grid(
            theta0, eta, options.max_steps, options.tol, options.bound, options.check_every, options.dense_steps,
            options.period_tol, out["state"], out["steps"], out["status"], out["period"], out["sharpness"],
            out["sharpness0"], out["loss0"], out["loss_final"], out["max_loss"], out["loss_rises"], out["sign_flips"],
            tail_out,
        )
    counts = status_counts(out["status"])
    message = f"{count} points: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v) if count else "0 points"
    return GridResult(
        model=model,
        options=options,
        message=message,
        eta_sharpness_half=eta * out["sharpness"] / 2,
        eta_sharpness_half0=eta * out["sharpness0"] / 2,
        tail=tail_out,
        **out,
    )


__all__ = ["GRID_CODEGEN_VERSION", "GRID_FIELDS", "GRID_STATUS_CODES", "GRID_STATUS_NAMES", "MAX_PERIOD", "GridResult",
           "grid_run"]
