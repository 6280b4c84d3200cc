"""trajectory(model, eta, init, ...) -> Trajectory: one GD orbit through the generated kernel.

Stopping rules (checked at every step k, in this order):

* diverged: a coordinate is non-finite or |θ_i| > ``bound``;
* converged: |∇L(θ_k)| < ``tol``; or |osc(θ_k)| < ``tol`` for the model's oscillating coordinate, but only
  where the derivation proves that osc = 0 is a set of critical points (``derive(model).oscillation_stops``:
  ℓ'(0) = 0 for ℓ(x·y), as for every catalogue loss; the reference numbers of docs/reference_values.md §1 are "run
  until |x| < 1e-12"). A custom loss with ℓ'(0) ≠ 0, e.g. (1 − s)²/2, stops on |∇L| < ``tol`` only;
* max_steps: k = ``max_steps``.

Recorded every ``stride`` steps (and at the end): state, loss, sharpness S = λ_max(∇²L), and η·S/2,
which is 1 exactly at the edge of stability (Cohen et al. 2021). By default every step is recorded while the
whole history fits in :func:`history_budget` bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..derivations import STATUS_CODES, Model, derive
from ..derivations._limits import FLOAT_BYTES, check_memory, human_bytes, memory_budget
from ..derivations._validate import check_count, check_positive

from ._result import Result, Status, array_field, dataset_attrs, flag_attrs, variable, version_field
from ._state import check_init, check_parameter, state_dict
from ._system import resolve

STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
HISTORY_BYTES_MAX = 1 << 30
"""The default history (``stride=None``) uses at most 1 GiB, or 1/8 of :func:`memory_budget`
(1/16 of the physical memory) on a smaller machine."""


def history_budget() -> int:
    """history_budget() -> bytes a default trajectory history may use: min(1 GiB, memory_budget() / 8)."""
    return min(HISTORY_BYTES_MAX, memory_budget() // 8)


def _record_bytes(n: int) -> int:
    return (n + 3) * FLOAT_BYTES  # step (int64), state (n), loss, sharpness


@dataclass(frozen=True, eq=False)
class Trajectory(Result):
    """Trajectory: the result of :func:`trajectory`.

    Attributes:
        model: the Model; eta, init ({state name: value}), tol, max_steps, bound, stride: the inputs;
        status: ``Status.CONVERGED``, ``DIVERGED`` or ``MAX_STEPS``; message: what happened, in words;
        steps: the steps taken; final: the last state; loss_value, sharpness, eta_sharpness_half: at the last
        state (η·S/2 is NaN after a divergence); compile_seconds, kernel_cache: loading the kernel;
        history_step, history_state (records × n), history_loss, history_sharpness: every ``stride``-th step and
        the last one; version: the eoscope version that made it.
    """

    model: Model
    eta: float
    init: dict
    tol: float
    max_steps: int
    bound: float
    stride: int
    status: Status
    message: str
    steps: int
    final: dict
    loss_value: float
    sharpness: float
    eta_sharpness_half: float
    compile_seconds: float
    kernel_cache: str
    history_step: np.ndarray = array_field()
    history_state: np.ndarray = array_field()
    history_loss: np.ndarray = array_field()
    history_sharpness: np.ndarray = array_field()
    version: str = version_field()

    @property
    def converged(self) -> bool:
        """Whether the stopping test was met."""
        return self.status == Status.CONVERGED

    def to_dict(self, arrays: bool = False, history: bool | None = None) -> dict:
        """to_dict(arrays=False, history=None) -> dict

        JSON-ready record of the fields (plus ``two_over_eta`` = 2/η).

        Arguments:
            arrays: add the recorded history under ``"history"`` (step, state, loss, sharpness). Default False.
            history: an alias of ``arrays``; when not None it takes precedence.

        Returns:
            dict: {field name: plain Python value} (non-finite floats as None), ready for ``json.dumps``.
        """
        arrays = arrays if history is None else history
        record = super().to_dict(arrays=False)
        record["two_over_eta"] = 2.0 / self.eta if self.eta > 0 else None  # a custom map may take η ≤ 0
        if arrays:
            record["history"] = {
                "step": self.history_step.tolist(),
                "state": self.history_state.tolist(),
                "loss": self.history_loss.tolist(),
                "sharpness": self.history_sharpness.tolist(),
            }
        return record

    def to_dataset(self, stride: int = 1):
        """to_dataset(stride=1) -> xarray.Dataset

        The recorded history, every ``stride``-th record (the last record always kept), on the dimension
        ``step``: one variable per state coordinate, ``loss``, ``sharpness`` and ``eta_sharpness_half``
        (η·S/2, 1 at the edge of stability). Attributes: the inputs, status, message and version.

        Arguments:
            stride: keep every ``stride``-th record (an integer ≥ 1; default 1, all of them).

        Returns:
            xarray.Dataset: the variables above, each with ``long_name`` and ``units``.

        Raises:
            InputError: ``stride`` not an integer ≥ 1.
        """
        import xarray as xr

        stride = check_count(stride, "stride", 1)
        index = np.arange(0, self.history_step.size, stride)
        if self.history_step.size and index[-1] != self.history_step.size - 1:
            index = np.append(index, self.history_step.size - 1)
        names = self.model.state_names
        data = {name: variable("step", self.history_state[index, i], f"state coordinate {name}")
                for i, name in enumerate(names)}
        data["loss"] = variable("step", self.history_loss[index], "loss L(θ)")
        data["sharpness"] = variable("step", self.history_sharpness[index], "sharpness S = λ_max(∇²L(θ))")
        data["eta_sharpness_half"] = variable("step", self.eta * self.history_sharpness[index] / 2,
                                              "η·S/2 (1 at the edge of stability)")
        coords = {"step": variable("step", self.history_step[index], "GD step k")}
        attrs = dataset_attrs(self, eta=self.eta, init=self.init, tol=self.tol, max_steps=self.max_steps,
                              bound=self.bound, stride=self.stride * stride, steps=self.steps)
        return xr.Dataset(data, coords=coords, attrs=attrs)


def convergence_rule(model: Model) -> str:
    """What the kernels' convergence test measures: "|∇L|", or "|∇L| or |x|" where the oscillating
    coordinate x may stop a run (its zero set consists of critical points, derived)."""
    if model.explicit_map is not None:
        return "|F(θ) − θ|"  # a map given directly: a fixed point to within tol
    if model.oscillating is not None and derive(model).oscillation_stops:
        return f"|∇L| or |{model.oscillating}|"
    return "|∇L|"


def trajectory(
    model,
    eta: float,
    init,
    *,
    max_steps: int = 1_000_000,
    tol: float = 1e-12,
    bound: float = 1e8,
    stride: int | None = None,
) -> Trajectory:
    """trajectory(model, eta, init, *, max_steps=10**6, tol=1e-12, bound=1e8, stride=None) -> Trajectory

    Iterate gradient descent θ_{k+1} = θ_k − η∇L(θ_k) with the model's generated kernel until it converges,
    diverges or takes ``max_steps`` steps (see the module docstring for the stopping rules).

    Arguments:
        model: a Model or a System (:func:`compile`).
        eta: the step size η > 0.
        init: the initial state, {state name: value} or n values in state order.
        max_steps: the step budget (integer ≥ 0).
        tol: the convergence tolerance (> 0).
        bound: the divergence bound on |θ_i| (> 0).
        stride: record every ``stride``-th step (and the last). None: 1 while the whole history of
            ``max_steps`` steps fits in :func:`history_budget` (min(1 GiB, 1/16 of the memory)), otherwise the
            smallest stride that fits, which the message then states.

    Returns:
        Trajectory: status, message, final state, loss, sharpness, η·S/2 and the recorded history.

    Raises:
        InputError: η not finite and > 0, a bad ``init`` (names, length, non-finite), a bad count or
            tolerance, or an explicit ``stride`` whose history does not fit in memory.

    The step is F(θ) = θ − η∇L(θ); the edge of stability is η·S(θ)/2 = 1 (Cohen et al. 2021).
    """
    system, model = resolve(model)
    eta = check_parameter(model, eta)  # > 0 for a GD model; any finite value for a custom map's parameter
    theta0 = check_init(model, init)
    max_steps = check_count(max_steps, "max_steps")
    tol = check_positive(tol, "tol")
    bound = check_positive(bound, "bound")
    n = model.dimension
    note = ""
    if stride is None:
        fits = max(1, history_budget() // _record_bytes(n) - 2)
        stride = max(1, -(-max_steps // fits))
        if stride > 1:
            note = (f"; history recorded every {stride} steps (the full history of {max_steps} steps exceeds "
                    f"{human_bytes(history_budget())}; pass stride= to choose)")
    else:
        stride = check_count(stride, "stride", 1)
    capacity = max_steps // stride + 2
    check_memory(capacity * _record_bytes(n), f"the history of trajectory (max_steps = {max_steps}, stride = {stride})")
    compiled = system.spine
    rec_step = np.zeros(capacity, np.int64)
    rec_state = np.zeros((capacity, n))
    rec_loss = np.zeros(capacity)
    rec_sharpness = np.zeros(capacity)
    code, steps, n_rec = compiled.run_trajectory(
        theta0, eta, max_steps, tol, bound, int(stride), rec_step, rec_state, rec_loss, rec_sharpness
    )
    status = Status(STATUS_NAMES[int(code)])
    loss_value = float(rec_loss[n_rec - 1])
    sharpness = float(rec_sharpness[n_rec - 1])
    message = {
        Status.CONVERGED: f"converged after {steps} steps ({convergence_rule(model)} < {tol:g})",
        Status.DIVERGED: f"diverged at step {steps} (non-finite or |θ| > {bound:g})",
        Status.MAX_STEPS: f"not converged after max_steps = {max_steps}",
    }[status] + note
    return Trajectory(
        model=model,
        eta=eta,
        init=state_dict(model, theta0),
        tol=tol,
        max_steps=max_steps,
        bound=bound,
        stride=int(stride),
        status=status,
        message=message,
        steps=int(steps),
        final=state_dict(model, rec_state[n_rec - 1]),
        loss_value=loss_value,
        sharpness=sharpness,
        eta_sharpness_half=eta * sharpness / 2 if status != Status.DIVERGED else float("nan"),
        compile_seconds=compiled.compile_seconds,
        kernel_cache=compiled.kernel_cache,
        history_step=rec_step[:n_rec].copy(),
        history_state=rec_state[:n_rec].copy(),
        history_loss=rec_loss[:n_rec].copy(),
        history_sharpness=rec_sharpness[:n_rec].copy(),
    )


__all__ = ["HISTORY_BYTES_MAX", "STATUS_NAMES", "Trajectory", "convergence_rule", "history_budget", "trajectory"]
