"""trajectory(model, eta, init, ...) -> Trajectory: one GD orbit through the generated kernel.

Stopping rules (checked at every step k, in this order):

* diverged: a coordinate is non-finite or |θ_i| > ``bound``;
* converged: |∇L(θ_k)| < ``tol``; or |osc(θ_k)| < ``tol`` for the model's oscillating coordinate, but only
  where the derivation proves that osc = 0 is a set of critical points (``derive(model).oscillation_stops``:
  ℓ'(0) = 0 for ℓ(x·y), as for every catalogue loss; the reference numbers of docs/reference_values.md §1 are "run
  until |x| < 1e-12"). A custom loss with ℓ'(0) ≠ 0, e.g. (1 − s)²/2, stops on |∇L| < ``tol`` only;
* max_steps: k = ``max_steps``.

Recorded every ``stride`` steps (and at the end): state, loss, sharpness S = λ_max(∇²L), and η·S/2,
which is 1 exactly at the edge of stability (Cohen et al. 2021).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..derivations import STATUS_CODES, InputError, Model, derive, parse_real
from ..derivations._limits import check_steps

from ._compiled import compile_model
from ._version import package_version

STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
MAX_RECORDS = 200_000


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Result of :func:`trajectory`: inputs, status, message, final numbers and the recorded history."""

    model: dict
    eta: float
    init: dict
    tol: float
    max_steps: int
    bound: float
    status: str
    message: str
    steps: int
    final: dict
    loss_value: float
    sharpness: float
    eta_sharpness_half: float
    compile_seconds: float
    kernel_cache: str
    history_step: np.ndarray = field(repr=False)
    history_state: np.ndarray = field(repr=False)
    history_loss: np.ndarray = field(repr=False)
    history_sharpness: np.ndarray = field(repr=False)
    version: str = package_version()

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def to_dict(self, history: bool = False) -> dict:
        """JSON-ready record (floats; the history arrays only when ``history``)."""
        record = {
            "model": self.model,
            "eta": self.eta,
            "init": self.init,
            "tol": self.tol,
            "max_steps": self.max_steps,
            "bound": self.bound,
            "status": self.status,
            "message": self.message,
            "steps": self.steps,
            "final": self.final,
            "loss_value": self.loss_value,
            "sharpness": self.sharpness,
            "two_over_eta": 2.0 / self.eta,
            "eta_sharpness_half": self.eta_sharpness_half,
            "compile_seconds": self.compile_seconds,
            "kernel_cache": self.kernel_cache,
            "version": self.version,
        }
        if history:
            record["history"] = {
                "step": self.history_step.tolist(),
                "state": self.history_state.tolist(),
                "loss": self.history_loss.tolist(),
                "sharpness": self.history_sharpness.tolist(),
            }
        return record


def _real(value, what: str) -> float:
    """A float from a number or from text (strict ASCII, :func:`derivations.parse_real`), else InputError."""
    if isinstance(value, str):
        return parse_real(value, what)
    if isinstance(value, bool):
        raise InputError(f"{what} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}") from None


def check_count(value, what: str, minimum: int = 0) -> int:
    """A non-negative integer (≥ minimum), else InputError."""
    try:
        number = parse_real(value, what) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{what} must be an integer no larger than float64 allows, got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise InputError(f"{what} must be an integer ≥ {minimum}, got {value!r}")
    return check_steps(int(number), what)


def check_eta(eta) -> float:
    """Validate a step size: a finite float > 0, else InputError."""
    value = _real(eta, "step size η")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"step size η must be finite and > 0, got {eta!r}")
    return value


def check_init(model: Model, init: dict) -> np.ndarray:
    """Validate an initial state {name: value} against the model's state; returns it as an array."""
    names = model.state_names
    unknown = sorted(set(init) - set(names))
    missing = [n for n in names if n not in init]
    if unknown or missing:
        raise InputError(f"init must set exactly {', '.join(names)} (missing: {missing or '-'}, unknown: {unknown or '-'})")
    values = np.array([_real(init[n], f"init value of {n}") for n in names], dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise InputError(f"init values must be finite, got {init}")
    return values


def convergence_rule(model: Model) -> str:
    """What the kernels' convergence test measures: "|∇L|", or "|∇L| or |x|" where the oscillating
    coordinate x may stop a run (its zero set consists of critical points, derived)."""
    if model.oscillating is not None and model.explicit_map is None and derive(model).oscillation_stops:
        return f"|∇L| or |{model.oscillating}|"
    return "|∇L|"


def trajectory(
    model: Model,
    eta: float,
    init: dict,
    *,
    max_steps: int = 1_000_000,
    tol: float = 1e-12,
    bound: float = 1e8,
    stride: int | None = None,
) -> Trajectory:
    """trajectory(model, eta, init, *, max_steps=10**6, tol=1e-12, bound=1e8, stride=None) -> Trajectory

    Iterate GD θ_{k+1} = θ_k − η∇L(θ_k) with the model's generated kernel (see module docstring).
    ``stride`` defaults to the smallest value keeping at most 200 000 records.
    """
    eta = check_eta(eta)
    theta0 = check_init(model, init)
    max_steps = check_count(max_steps, "max_steps")
    if not (math.isfinite(tol) and tol > 0):
        raise InputError(f"tol must be finite and > 0, got {tol!r}")
    if not (math.isfinite(bound) and bound > 0):
        raise InputError(f"bound must be finite and > 0, got {bound!r}")
    max_steps = int(max_steps)
    if stride is None:
        stride = max(1, -(-max_steps // MAX_RECORDS))
    compiled = compile_model(model)
    capacity = max_steps // stride + 2
    n = model.dimension
    rec_step = np.zeros(capacity, np.int64)
    rec_state = np.zeros((capacity, n))
    rec_loss = np.zeros(capacity)
    rec_sharpness = np.zeros(capacity)
    code, steps, n_rec = compiled.run_trajectory(
        theta0, eta, max_steps, float(tol), float(bound), int(stride), rec_step, rec_state, rec_loss, rec_sharpness
    )
    status = STATUS_NAMES[int(code)]
    final_state = rec_state[n_rec - 1]
    final = dict(zip(model.state_names, map(float, final_state)))
    loss_value = float(rec_loss[n_rec - 1])
    sharpness = float(rec_sharpness[n_rec - 1])
    message = {
        "converged": f"converged after {steps} steps ({convergence_rule(model)} < {tol:g})",
        "diverged": f"diverged at step {steps} (non-finite or |θ| > {bound:g})",
        "max_steps": f"not converged after max_steps = {max_steps}",
    }[status]
    return Trajectory(
        model=model.describe(),
        eta=eta,
        init=dict(zip(model.state_names, map(float, theta0))),
        tol=float(tol),
        max_steps=max_steps,
        bound=float(bound),
        status=status,
        message=message,
        steps=int(steps),
        final=final,
        loss_value=loss_value,
        sharpness=sharpness,
        eta_sharpness_half=eta * sharpness / 2 if status != "diverged" else float("nan"),
        compile_seconds=compiled.compile_seconds,
        kernel_cache=compiled.kernel_cache,
        history_step=rec_step[:n_rec].copy(),
        history_state=rec_state[:n_rec].copy(),
        history_loss=rec_loss[:n_rec].copy(),
        history_sharpness=rec_sharpness[:n_rec].copy(),
    )
