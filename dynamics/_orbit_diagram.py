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

import time
from dataclasses import dataclass, field

import numpy as np

from ..derivations import InputError, Model, observable_codes

from ._dyn_kernels import compile_dynamics
from ._trajectory import check_count
from ._periodic import check_parameter
from ._trajectory import check_init
from ._version import package_version

MAX_VALUES = 50_000_000


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


@dataclass(frozen=True, eq=False)
class OrbitDiagram:
    """Result of :func:`orbit_diagram`: inputs, status, message and the per-η arrays."""

    model: dict
    init: dict
    observables: tuple
    transient: int
    keep: int
    warm: bool
    bound: float
    status: str
    message: str
    seconds: float
    eta: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)  # (n_eta, keep, n_observables)
    diverged: np.ndarray = field(repr=False)  # bool per η
    final: np.ndarray = field(repr=False)  # (n_eta, n)
    lyapunov: np.ndarray = field(repr=False)  # (n_eta, n), sorted largest first
    sharpness: np.ndarray = field(repr=False)  # S∞ at the final state
    lyapunov_steps: int = 0
    # per η: the steps the exponents were averaged over (lyapunov_steps cut to whole periods) and the
    # period of the recorded states used for that cut (0: none found)
    lyapunov_steps_used: np.ndarray | None = field(default=None, repr=False)
    lyapunov_period: np.ndarray | None = field(default=None, repr=False)
    version: str = package_version()

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

    def to_dict(self, values: bool = True) -> dict:
        record = {
            "model": self.model,
            "init": self.init,
            "observables": list(self.observables),
            "transient": self.transient,
            "keep": self.keep,
            "warm": self.warm,
            "bound": self.bound,
            "status": self.status,
            "message": self.message,
            "seconds": self.seconds,
            "eta": self.eta.tolist(),
            "diverged": self.diverged.tolist(),
            "period_estimate": self.periods().tolist(),
            "lyapunov": self.lyapunov.tolist(),
            "lyapunov_steps": self.lyapunov_steps,
            "version": self.version,
        }
        if self.lyapunov_steps_used is not None:
            record["lyapunov_steps_used"] = self.lyapunov_steps_used.tolist()
            record["lyapunov_period"] = self.lyapunov_period.tolist()
        if self.model.get("model") != "custom-map":
            record["sharpness_final"] = self.sharpness.tolist()
            record["eta_sharpness_half"] = self.eta_sharpness_half.tolist()
            record["sharpness_deficit"] = self.sharpness_deficit.tolist()
        if values:
            record["values"] = {name: self.values[:, :, j].tolist() for j, name in enumerate(self.observables)}
            record["final"] = self.final.tolist()
        return record


def orbit_diagram(
    model: Model,
    etas,
    init: dict,
    *,
    observables=("x",),
    transient: int = 10_000,
    keep: int = 256,
    warm: bool = False,
    bound: float = 1e8,
    lyapunov: bool = True,
    lyapunov_steps: int | None = None,
    progress=None,
    chunks: int = 1,
) -> OrbitDiagram:
    """orbit_diagram(model, etas, init, *, observables=("x",), transient=10**4, keep=256, warm=False,
    bound=1e8, lyapunov=True, lyapunov_steps=None, progress=None, chunks=1) -> OrbitDiagram (see module docstring).

    ``lyapunov_steps`` (default ``keep``): the exponents average over this many steps, the recorded ones
    and, when larger than ``keep``, the last ``lyapunov_steps − keep`` of the transient; more than
    keep + transient is refused (InputError). On a periodic orbit the mean is over the largest multiple of
    its period within those steps (``lyapunov_steps_used``, ``lyapunov_period``).

    ``chunks`` > 1 splits the grid into that many kernel calls (a warm start carries across them) and
    calls ``progress(done, total)`` after each, for a progress bar."""
    etas = np.asarray([check_parameter(model, e) for e in np.atleast_1d(np.asarray(etas, dtype=float))])
    if etas.size == 0:
        raise InputError("the η grid is empty")
    theta0 = check_init(model, init)
    transient = check_count(transient, "transient")
    keep = check_count(keep, "keep", 1)
    names, codes = resolve_observables(model, observables)
    lyapunov_steps = keep if lyapunov_steps is None else check_count(lyapunov_steps, "lyapunov_steps", 1)
    if lyapunov and lyapunov_steps > keep + transient:
        raise InputError(
            f"lyapunov_steps = {lyapunov_steps} exceeds keep + transient = {keep + transient}: "
            "raise --transient or lower --lyapunov-steps"
        )
    extra = max(lyapunov_steps - keep, 0) if lyapunov else 0
    if etas.size * keep * len(names) > MAX_VALUES:
        raise InputError(f"too many recorded values ({etas.size}×{keep}×{len(names)} > {MAX_VALUES}): lower --keep or n")
    module = compile_dynamics(model)
    n = model.dimension
    values = np.empty((etas.size, keep, len(names)))
    final = np.empty((etas.size, n))
    status = np.zeros(etas.size, np.int64)
    lyap = np.empty((etas.size, n))
    sharp = np.empty(etas.size)
    lyap_used = np.zeros(etas.size, np.int64)
    lyap_period = np.zeros(etas.size, np.int64)
    start = time.perf_counter()
    edges = np.unique(np.linspace(0, etas.size, max(1, min(int(chunks), etas.size)) + 1).astype(int))
    start_state = theta0
    for a, b in zip(edges[:-1], edges[1:]):
        module.orbit_diagram_kernel(
            etas[a:b], start_state, theta0, bool(warm), transient, keep, codes, float(bound), bool(lyapunov), extra,
            values[a:b], final[a:b], status[a:b], lyap[a:b], sharp[a:b], lyap_used[a:b], lyap_period[a:b],
        )
        if warm and status[b - 1] == 0:
            start_state = final[b - 1].copy()  # the next chunk's first η starts from this attractor
        else:
            start_state = theta0
        if progress is not None:
            progress(int(b), int(etas.size))
    seconds = time.perf_counter() - start
    if model.explicit_map is not None:
        sharp[:] = np.nan
    lyap = -np.sort(-lyap, axis=1)
    diverged = status != 0
    message = f"{etas.size} η values, {transient} transient + {keep} recorded steps each; {int(diverged.sum())} diverged"
    return OrbitDiagram(
        model=model.describe(),
        init=dict(zip(model.state_names, map(float, theta0))),
        observables=tuple(names),
        transient=transient,
        keep=keep,
        warm=bool(warm),
        bound=float(bound),
        status="completed",
        message=message,
        seconds=seconds,
        eta=etas,
        values=values,
        diverged=diverged,
        final=final,
        lyapunov=lyap if lyapunov else np.full_like(lyap, np.nan),
        lyapunov_steps=(keep + extra) if lyapunov else 0,
        lyapunov_steps_used=lyap_used if lyapunov else None,
        lyapunov_period=lyap_period if lyapunov else None,
        sharpness=sharp,
    )
