"""orbit_diagram(model, etas, init, ...) -> OrbitDiagram: long-run behaviour of the map over many η in one call.

For each η (one numba call for the whole grid, no per-η Python loop): start at ``init`` (cold) or at the
previous η's final state (``warm``, unless it diverged), discard ``transient`` steps, record ``keep``
values of each observable, the Lyapunov exponents over the recorded steps (tangent dynamics + QR; optionally
also over the end of the transient; on a periodic orbit, period k found on the recorded states, over the
largest multiple of k within those steps, so that no partial period biases the mean), and the
final sharpness S∞. Also the 2/η sharpness equilibrium: η·S∞/2 (1 = exactly at the edge of stability,
Cohen et al. 2021) and the deficit 2/η − S∞.

Observables: a state name, ``loss``, ``eta_sharpness_half`` (η·S/2), ``sharpness`` (S), and ``inner`` (the
product u(θ) of a model ℓ(u(θ)); also accepted as written, e.g. ``x*y``). Custom maps have no loss, so
only their state variables can be observed.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..derivations import InputError, Model, observable_codes
from ..derivations._validate import check_count, check_positive

from ._progress import progress_bar
from ._result import Result, Status, _plain, array_field, dataset_attrs, flag_attrs, variable, version_field
from ._state import check_init, check_parameter, state_dict
from ._system import resolve

MAX_VALUES = 50_000_000
CHUNK_STEPS = 10_000_000
"""With a progress bar, the η grid is split into kernel calls of about this many steps (≲ 1 s of work each)."""
ORBIT_STATUS_CODES = {"bounded": 0, "diverged": 1}


def resolve_observables(model: Model, names) -> tuple[list[str], np.ndarray]:
    """Observable names → kernel codes (InputError for unknown names)."""
    codes = observable_codes(model)
    if model.explicit_map is not None:
        codes = {k: v for k, v in codes.items() if k in model.state_names}
    if model.inner is None:
        codes.pop("inner", None)
    aliases = {}
    if model.inner is not None:
        aliases[str(model.inner).replace(" ", "")] = "inner"
        aliases["product"] = "inner"
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    resolved = []
    for name in names:
        key = aliases.get(name.replace(" ", ""), name)
        if key not in codes:
            raise InputError(f"unknown observable {name!r} (choose from: {', '.join(list(codes) + list(aliases))})")
        resolved.append(key)
    if not resolved:
        raise InputError("no observable given")
    return resolved, np.array([codes[k] for k in resolved], dtype=np.int64)


def observable_long_name(model: Model, name: str) -> str:
    """The ``long_name`` of an observable of :func:`orbit_diagram`."""
    return {
        "loss": "loss L(θ)",
        "eta_sharpness_half": "η·S/2 (1 at the edge of stability)",
        "sharpness": "sharpness S = λ_max(∇²L(θ))",
        "inner": f"inner variable u(θ) = {model.inner}",
    }.get(name, f"state coordinate {name}")


@dataclass(frozen=True, eq=False)
class OrbitDiagram(Result):
    """OrbitDiagram: the result of :func:`orbit_diagram`.

    Attributes:
        model, init, observables, transient, keep, warm, bound: the inputs; status: ``Status.COMPLETED``;
        message: a summary; seconds: time in the kernel; eta: the η grid; values: (n_eta, keep, n_observables)
        recorded values; diverged: bool per η; final: (n_eta, n) last states; lyapunov: (n_eta, n) exponents,
        largest first (NaN without ``lyapunov``); sharpness: S∞ at the final state (NaN for a custom map);
        lyapunov_steps: the window asked for (0 without ``lyapunov``); lyapunov_steps_used, lyapunov_period: per
        η, the steps averaged (cut to whole periods) and the period used for that cut (None without
        ``lyapunov``); version.
    """

    model: Model
    init: dict
    observables: tuple
    transient: int
    keep: int
    warm: bool
    bound: float
    status: Status
    message: str
    seconds: float
    lyapunov_steps: int
    eta: np.ndarray = array_field()
    values: np.ndarray = array_field()  # (n_eta, keep, n_observables)
    diverged: np.ndarray = array_field()  # bool per η
    final: np.ndarray = array_field()  # (n_eta, n)
    lyapunov: np.ndarray = array_field()  # (n_eta, n), sorted largest first
    sharpness: np.ndarray = array_field()  # S∞ at the final state
    lyapunov_steps_used: np.ndarray | None = array_field(default=None)
    lyapunov_period: np.ndarray | None = array_field(default=None)
    version: str = version_field()

    @property
    def eta_sharpness_half(self) -> np.ndarray:
        """η·S∞/2 per η (1 = at the edge of stability)."""
        return self.eta * self.sharpness / 2

    @property
    def sharpness_deficit(self) -> np.ndarray:
        """2/η − S∞ per η."""
        return 2 / self.eta - self.sharpness

    def periods(self, rtol: float = 1e-6, observable: int = 0) -> np.ndarray:
        """Least p ≤ keep/2 with |v_{t+p} − v_t| ≤ rtol·max(1, |v|) over the recorded window (per η);
        0 when none (aperiodic at this resolution, or diverged)."""
        v = self.values[:, :, observable]
        out = np.zeros(v.shape[0], np.int64)
        undecided = np.all(np.isfinite(v), axis=1)
        scale = rtol * np.maximum(1.0, np.max(np.where(np.isfinite(v), np.abs(v), 0.0), axis=1))
        for p in range(1, v.shape[1] // 2 + 1):
            if not undecided.any():
                break
            close = np.all(np.abs(v[:, p:] - v[:, :-p]) <= scale[:, None], axis=1) & undecided
            out[close] = p
            undecided &= ~close
        return out

    def to_dict(self, arrays: bool = True, values: bool | None = None) -> dict:
        """to_dict(arrays=True) -> JSON-ready record: the inputs, status, message, the per-η arrays (eta,
        diverged, period_estimate, lyapunov, and for GD models sharpness_final, eta_sharpness_half,
        sharpness_deficit); with ``arrays`` (alias ``values``) also the recorded values per observable and
        the final states."""
        arrays = arrays if values is None else values
        record = super().to_dict(arrays=False)
        record["eta"] = self.eta.tolist()
        record["diverged"] = self.diverged.tolist()
        record["period_estimate"] = self.periods().tolist()
        record["lyapunov"] = _plain(self.lyapunov)  # non-finite exponents as None
        if self.lyapunov_steps_used is not None:
            record["lyapunov_steps_used"] = self.lyapunov_steps_used.tolist()
            record["lyapunov_period"] = self.lyapunov_period.tolist()
        if self.model.explicit_map is None:
            record["sharpness_final"] = self.sharpness.tolist()
            record["eta_sharpness_half"] = self.eta_sharpness_half.tolist()
            record["sharpness_deficit"] = self.sharpness_deficit.tolist()
        if arrays:
            record["values"] = {name: self.values[:, :, j].tolist() for j, name in enumerate(self.observables)}
            record["final"] = self.final.tolist()
        return record

    def to_dataset(self):
        """to_dataset() -> xarray.Dataset on the dimensions ``eta``, ``step`` (the ``keep`` recorded steps after
        the transient) and ``index`` (Lyapunov exponents, 1 = largest): one variable per observable
        (eta, step), ``status`` (bounded | diverged, CF flags), ``period`` (estimate), ``lyapunov`` (eta, index),
        the final state (``final_<name>``), and for GD models ``sharpness_final``, ``eta_sharpness_half`` and
        ``sharpness_deficit``. Attributes: the inputs, status, message and version."""
        import xarray as xr

        n_eta = self.eta.size
        data = {}
        for j, name in enumerate(self.observables):
            data[name] = variable(("eta", "step"), self.values[:, :, j], observable_long_name(self.model, name))
        data["status"] = variable("eta", self.diverged.astype(np.int8), "outcome of the orbit",
                                  **flag_attrs(ORBIT_STATUS_CODES))
        data["period"] = variable("eta", self.periods(), "period of the recorded window (0: none found)")
        data["lyapunov"] = variable(("eta", "index"), self.lyapunov, "Lyapunov exponent λ_i", "1 per step")
        if self.lyapunov_steps_used is not None:
            data["lyapunov_steps_used"] = variable("eta", self.lyapunov_steps_used,
                                                   "steps the exponents were averaged over (whole periods)")
            data["lyapunov_period"] = variable("eta", self.lyapunov_period,
                                               "period used for the Lyapunov window (0: none found)")
        for i, name in enumerate(self.model.state_names):
            data[f"final_{name}"] = variable("eta", self.final[:, i], f"final state coordinate {name}")
        if self.model.explicit_map is None:
            data["sharpness_final"] = variable("eta", self.sharpness, "sharpness S∞ at the final state")
            data["eta_sharpness_half"] = variable("eta", self.eta_sharpness_half,
                                                  "η·S∞/2 (1 at the edge of stability)")
            data["sharpness_deficit"] = variable("eta", self.sharpness_deficit, "2/η − S∞")
        coords = {
            "eta": variable("eta", self.eta, "step size η" if self.model.explicit_map is None else "map parameter η"),
            "step": variable("step", np.arange(self.transient, self.transient + self.keep),
                             "step after the start (the transient is discarded)"),
            "index": variable("index", np.arange(1, self.final.shape[1] + 1), "exponent index i (1 = largest)"),
        }
        attrs = dataset_attrs(self, init=self.init, transient=self.transient, keep=self.keep, warm=self.warm,
                              bound=self.bound, lyapunov_steps=self.lyapunov_steps, n_eta=n_eta)
        return xr.Dataset(data, coords=coords, attrs=attrs)


def orbit_diagram(
    model,
    etas,
    init,
    *,
    observables=("x",),
    transient: int = 10_000,
    keep: int = 256,
    warm: bool = False,
    bound: float = 1e8,
    lyapunov: bool = True,
    lyapunov_steps: int | None = None,
    progress=False,
    chunks: int | None = None,
) -> OrbitDiagram:
    """orbit_diagram(model, etas, init, *, observables=("x",), transient=10**4, keep=256, warm=False,
    bound=1e8, lyapunov=True, lyapunov_steps=None, progress=False, chunks=None) -> OrbitDiagram

    The long-run behaviour of the map over a grid of η in one kernel call (see the module docstring).

    Arguments:
        model: a Model or a System; a GD model or a custom map.
        etas: the η grid (> 0 for a GD model, finite for a custom map).
        init: the initial state, {state name: value} or n values in state order.
        observables: names (or one comma-separated string) of what to record: a state name, ``loss``,
            ``eta_sharpness_half``, ``sharpness``, ``inner``.
        transient: steps discarded per η; keep: steps recorded per η (≥ 1).
        warm: start each η from the previous η's final state (unless it diverged).
        bound: the divergence bound on |θ_i|.
        lyapunov: compute the exponents; lyapunov_steps (default ``keep``): the steps they average over, the
            recorded ones and, when larger than ``keep``, the last ``lyapunov_steps − keep`` of the transient (at
            most keep + transient). On a periodic orbit the mean is over the largest multiple of its period.
        progress: True for a tqdm bar (rate, ETA), a callable ``progress(done, total)`` called after each kernel
            call, or False (see :func:`progress_bar`).
        chunks: kernel calls the grid is split into (a warm start carries across them); None: 1 without
            progress, else calls of about 10⁷ steps so the bar advances at least every second or two.

    Returns:
        OrbitDiagram: the recorded values, divergence flags, exponents and final sharpness per η.

    Raises:
        InputError: an empty or bad η grid, a bad init, count, observable or bound, lyapunov_steps > keep +
            transient, or more than 5·10⁷ recorded values.
    """
    system, model = resolve(model)
    try:
        grid = np.atleast_1d(np.asarray(etas, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise InputError(f"etas must be numbers, got {etas!r}") from None
    grid = np.asarray([check_parameter(model, e, "etas") for e in grid])
    if grid.size == 0:
        raise InputError("etas: the η grid is empty")
    theta0 = check_init(model, init)
    transient = check_count(transient, "transient")
    keep = check_count(keep, "keep", 1)
    bound = check_positive(bound, "bound")
    names, codes = resolve_observables(model, observables)
    lyapunov_steps = keep if lyapunov_steps is None else check_count(lyapunov_steps, "lyapunov_steps", 1)
    if lyapunov and lyapunov_steps > keep + transient:
        raise InputError(
            f"lyapunov_steps = {lyapunov_steps} exceeds keep + transient = {keep + transient}: "
            "raise transient or lower lyapunov_steps"
        )
    extra = max(lyapunov_steps - keep, 0) if lyapunov else 0
    if grid.size * keep * len(names) > MAX_VALUES:
        raise InputError(f"too many recorded values ({grid.size}×{keep}×{len(names)} > {MAX_VALUES}): "
                         "lower keep or the number of η")
    if chunks is None:
        chunks = 1 if not progress else math.ceil(grid.size * (transient + keep) / CHUNK_STEPS)
    chunks = max(1, min(check_count(chunks, "chunks", 1), grid.size))
    module = system.dynamics
    n = model.dimension
    values = np.empty((grid.size, keep, len(names)))
    final = np.empty((grid.size, n))
    status = np.zeros(grid.size, np.int64)
    lyap = np.empty((grid.size, n))
    sharp = np.empty(grid.size)
    lyap_used = np.zeros(grid.size, np.int64)
    lyap_period = np.zeros(grid.size, np.int64)
    start = time.perf_counter()
    edges = np.unique(np.linspace(0, grid.size, chunks + 1).astype(int))
    start_state = theta0
    with progress_bar(progress, grid.size, "orbit diagram", unit="η") as bar:
        for a, b in zip(edges[:-1], edges[1:]):
            module.orbit_diagram_kernel(
                grid[a:b], start_state, theta0, bool(warm), transient, keep, codes, bound, bool(lyapunov), extra,
                values[a:b], final[a:b], status[a:b], lyap[a:b], sharp[a:b], lyap_used[a:b], lyap_period[a:b],
            )
            if warm and status[b - 1] == 0:
                start_state = final[b - 1].copy()  # the next chunk's first η starts from this attractor
            else:
                start_state = theta0
            bar.update(int(b - a))
    seconds = time.perf_counter() - start
    if model.explicit_map is not None:
        sharp[:] = np.nan
    lyap = -np.sort(-lyap, axis=1)
    diverged = status != 0
    message = f"{grid.size} η values, {transient} transient + {keep} recorded steps each; {int(diverged.sum())} diverged"
    return OrbitDiagram(
        model=model,
        init=state_dict(model, theta0),
        observables=tuple(names),
        transient=transient,
        keep=keep,
        warm=bool(warm),
        bound=bound,
        status=Status.COMPLETED,
        message=message,
        seconds=seconds,
        lyapunov_steps=(keep + extra) if lyapunov else 0,
        eta=grid,
        values=values,
        diverged=diverged,
        final=final,
        lyapunov=lyap if lyapunov else np.full_like(lyap, np.nan),
        sharpness=sharp,
        lyapunov_steps_used=lyap_used if lyapunov else None,
        lyapunov_period=lyap_period if lyapunov else None,
    )


__all__ = ["ORBIT_STATUS_CODES", "OrbitDiagram", "orbit_diagram", "resolve_observables"]
