"""sweep(model, eta, axes, ...) -> xarray.Dataset: dense (η, θ0) grids, tiled, stored as zarr, resumable.

The grid is the outer product of ``eta`` and one axis per state coordinate (``x0``, ``y0``, … named
``<state>0``; a single value is an axis of length 1). Every point is iterated by the generated grid
kernel (:func:`dynamics.grid_run`) and labelled by :func:`classify` from what the kernel recorded.

Storage (``store=PATH``): a zarr group chunked by *tile*, with an ownership marker, a writer lock and a
checksum per finished tile, written so that a crash or Ctrl-C never leaves a store that looks complete, a
resumed run is bit-identical to an uninterrupted one, and nothing eoscope did not write is ever deleted
(see :mod:`simulations._sweep_store`, :mod:`simulations._store` and :mod:`simulations._output_paths`).

Results are deterministic: a tile's numbers depend only on its points (no reduction across lanes), and
nothing time- or host-dependent is stored. The manifest (group attribute ``eoscope_manifest``) holds the
sweep arguments, model description and hash, package versions and the git commit.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from ..derivations import InputError, Model, build_model
from ..derivations._limits import (FLOAT_BYTES, MAX_GRID_POINTS, MAX_TILES, check_axis_points, check_disk, check_memory,
                                 human_bytes, sci)
from ..dynamics import GRID_CODEGEN_VERSION, GRID_STATUS_CODES, grid_run, package_version

from ._phase_classify import PHASE_LABELS, classify, phase_counts
from ._output_paths import check_store_target
from ._sweep_store import open_sweep, write_store

TILE_POINTS = 1 << 15
POINT_VARIABLES = {  # name -> dtype of the per-point variables stored (besides <state>_final)
    "steps": "int64",
    "status": "int8",
    "period": "int8",
    "phase": "int8",
    "sharpness": "float64",
    "eta_sharpness_half": "float64",
    "eta_sharpness_half0": "float64",
    "loss0": "float64",
    "loss_final": "float64",
    "max_loss": "float64",
    "loss_rises": "int64",
    "sign_flips": "int64",
}
DEFAULT_OPTIONS = {
    "max_steps": 20_000,
    "tol": 1e-12,
    "bound": 1e8,
    "check_every": 16,
    "dense_steps": 16,
    "period_tol": 1e-12,
    "tail": 0,
}


@dataclass(frozen=True)
class Axis:
    """A grid axis: ``a:b:n`` (n points from a to b, linear or log) or one value."""

    start: float
    stop: float
    num: int
    scale: str = "linear"

    @property
    def values(self) -> np.ndarray:
        check_axis_points(self.num, "axis")  # before allocating: plan_sweep names the axis in its own check
        if self.num == 1:
            return np.array([self.start])
        if self.scale == "log":
            return np.geomspace(self.start, self.stop, self.num)
        return np.linspace(self.start, self.stop, self.num)

    def spec(self) -> str:
        text = f"{self.start!r}:{self.stop!r}:{self.num}" if self.num > 1 else repr(self.start)
        return text + (" log" if self.scale == "log" and self.num > 1 else "")


def parse_axis(text, what: str, scale: str = "linear", positive: bool = False) -> Axis:
    """``"a:b:n"`` or ``"v"`` → Axis; InputError for a > b, n ≤ 0, non-numbers, non-positive values when
    ``positive`` (η), or a log scale through values ≤ 0."""
    from ..derivations import parse_real  # strict ASCII numbers (no '1_0', no '١'), no silent under/overflow

    if isinstance(text, Axis):
        axis = text
    else:
        if isinstance(text, (int, float)):
            text = repr(float(text))
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{what} must be a:b:n or a number, got {text!r}")
        parts = text.strip().split(":")
        if len(parts) not in (1, 3):
            raise InputError(f"{what} must be a:b:n or a number, got {text!r}")
        numbers = []
        for part in parts[:2]:
            numbers.append(parse_real(part, what))
        if len(parts) == 1:
            axis = Axis(numbers[0], numbers[0], 1, scale)
        else:
            count = parts[2].strip(" \t\r\n")
            if not (count.isascii() and count.lstrip("+-").isdigit()):  # int() would take '1_0' and '١'
                raise InputError(f"{what}: point count {parts[2].strip()!r} is not an integer (expected a:b:n)")
            num = int(count)
            axis = Axis(numbers[0], numbers[1], num, scale)
    if scale not in ("linear", "log"):
        raise InputError(f"{what}: scale must be linear or log, got {scale!r}")
    if axis.num <= 0:
        raise InputError(f"{what}: the point count n must be ≥ 1, got {axis.num}")
    if axis.start > axis.stop:
        raise InputError(f"{what}: range start {axis.start:g} is larger than its end {axis.stop:g}")
    if axis.num > 1 and axis.start == axis.stop:
        raise InputError(f"{what}: a range with n = {axis.num} > 1 needs a < b")
    if positive and axis.start <= 0:
        raise InputError(f"{what}: every value must be > 0 (got {axis.start:g})")
    if axis.scale == "log" and axis.num > 1 and axis.start <= 0:
        raise InputError(f"{what}: a log scale needs values > 0 (got {axis.start:g})")
    return axis


def model_spec(model) -> dict:
    """The recipe that rebuilds ``model`` through :func:`derivations.build_model` (for workers)."""
    if isinstance(model, dict):
        return dict(model)
    described = model.describe()
    spec = {"model": model.name}
    if "loss" in described:
        spec["loss"] = None if described["loss"] == "custom" else described["loss"]
        spec["loss_expr"] = described.get("loss_expr")
    spec["params"] = described.get("params", {})
    return spec


def model_from_spec(spec: dict) -> Model:
    return build_model(spec["model"], loss=spec.get("loss"), loss_expr=spec.get("loss_expr"), params=spec.get("params") or {})


def _git_commit() -> dict:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit or "unknown", "dirty": bool(dirty) if commit else None}


def _versions() -> dict:
    versions = {"eoscope": package_version()}
    for name in ("numpy", "numba", "sympy", "xarray", "zarr", "dask", "distributed"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _tile_shape(shape: tuple, target: int = TILE_POINTS) -> tuple:
    """Chunk shape: halve the longest dimension until a tile holds ≤ ``target`` points."""
    tile = list(shape)
    while int(np.prod(tile)) > target:
        i = int(np.argmax(tile))
        tile[i] = -(-tile[i] // 2)
    return tuple(max(1, t) for t in tile)


@dataclass(frozen=True)
class _Plan:
    spec: dict
    names: tuple  # state names
    dims: tuple  # ("eta", "x0", "y0"), or ("eta", "A0", ...) with a derived initial-condition axis
    coords: dict
    options: dict
    tile: tuple
    sources: dict | None = None  # state name -> (dim, initial values along dim); None: dims[1:] are the states
    extra_coords: dict = field(default_factory=dict)  # name -> (dim, values): eta_over_eta_c, <state>0 of a derived axis
    derived: dict = field(default_factory=dict)  # derived axis -> {<state>0: expression text}

    @property
    def shape(self) -> tuple:
        return tuple(len(self.coords[d]) for d in self.dims)

    @property
    def tile_grid(self) -> tuple:
        return tuple(-(-n // t) for n, t in zip(self.shape, self.tile))

    def tile_slices(self, index: tuple) -> tuple:
        return tuple(slice(i * t, min((i + 1) * t, n)) for i, t, n in zip(index, self.tile, self.shape))

    def tiles(self):
        return list(np.ndindex(*self.tile_grid))


def critical_step(model: Model) -> float:
    """η_c of the model's minimisers (at its reference point, when it declares one); InputError unless it
    is a number (e.g. ℓ(x·y): η_c = 2/(ℓ''(0)y²) depends on the state, so relative η is meaningless)."""
    from ..derivations import derive

    eta_c = derive(model).critical_eta
    if eta_c is None:
        raise InputError(f"{model.name} has no derived critical step size: give --eta in absolute units")
    reference = getattr(model, "reference_point", None)
    if reference:
        eta_c = eta_c.subs(reference)
    if eta_c.free_symbols:
        names = ", ".join(sorted(map(str, eta_c.free_symbols)))
        raise InputError(f"the critical step size of {model.name}, {eta_c}, depends on {names}: give --eta in absolute units")
    value = float(eta_c)
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"the critical step size of {model.name} is {value}, not a positive number")
    return value


def _axis_key(key: str, names: tuple, derived_names) -> str:
    """The axis a user key names: a state (``x``/``x0`` -> ``x``) or a derived axis (``A0``, or ``A``)."""
    key = str(key).strip()
    if key in derived_names:
        return key
    if key + "0" in derived_names:
        return key + "0"
    return key[:-1] if key.endswith("0") and key[:-1] in names else key


def _derived_sources(model: Model, axis: str, values: np.ndarray, given: dict) -> tuple[dict, dict]:
    """({state: initial values along ``axis``}, {<state>0: expression text}) of the model's derived axis
    ``axis`` (Model.init_axes); a state also given as its own axis keeps that axis when the derived axis
    sets it to a constant, and is refused when the derived axis varies it."""
    import sympy as sp

    symbol = sp.Symbol(axis, real=True)
    sources, texts = {}, {}
    for state, expr in model.init_axes[axis].items():
        name = str(state)
        expr = model.concrete(sp.sympify(expr)).subs({s: symbol for s in sp.sympify(expr).free_symbols if str(s) == axis})
        varies = symbol in expr.free_symbols
        if name in given:
            if varies:
                raise InputError(f"axis {name}0 conflicts with the derived axis {axis}, which sets {name}0 = {expr}")
            continue
        other = expr.free_symbols - {symbol}
        if other:
            raise InputError(f"derived axis {axis}: {name}0 = {expr} depends on {', '.join(sorted(map(str, other)))}")
        with np.errstate(all="ignore"):
            column = np.array(np.broadcast_to(np.asarray(sp.lambdify([symbol], expr, "numpy")(values), dtype=np.float64), values.shape))
        if not np.all(np.isfinite(column)):
            raise InputError(f"derived axis {axis}: {name}0 = {expr} is not finite on the given range")
        sources[name] = column
        texts[name + "0"] = sp.sstr(expr)
    return sources, texts


def _checked_options(options) -> dict:
    """DEFAULT_OPTIONS updated by ``options`` (None values ignored), validated and typed; InputError."""
    opts = dict(DEFAULT_OPTIONS)
    unknown = set(options or {}) - set(opts)
    if unknown:
        raise InputError(f"unknown sweep options: {', '.join(sorted(unknown))}")
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    from ..dynamics._grid import check_grid_options

    check_grid_options(opts["max_steps"], opts["tol"], opts["bound"], opts["check_every"], opts["period_tol"], opts["tail"],
                       opts["dense_steps"])
    for key in ("max_steps", "check_every", "dense_steps", "tail"):
        opts[key] = int(opts[key])
    for key in ("tol", "bound", "period_tol"):
        opts[key] = float(opts[key])
    return opts


def _check_sweep_size(model: Model, axes: dict, opts: dict, tile, tile_points, store) -> None:
    """InputError when the grid of ``axes`` ({dim: Axis}) is too large (derivations._limits); counts only."""
    shape = tuple(int(axis.num) for axis in axes.values())
    points = math.prod(shape)
    grid = " × ".join(f"{dim} {n}" for dim, n in zip(axes, shape))
    if points > MAX_GRID_POINTS:
        raise InputError(f"the grid of {points} points ({grid}) exceeds the limit of {sci(MAX_GRID_POINTS)} points "
                         f"per sweep")
    if tile is None:
        from ..dynamics._grid import _is_count

        if not _is_count(tile_points, 1):
            raise InputError(f"tile_points must be an integer ≥ 1, got {tile_points!r}")
        tile = _tile_shape(shape, int(tile_points))
    elif len(tuple(tile)) == len(shape) and all(isinstance(t, (int, np.integer)) and t >= 1 for t in tile):
        tile = tuple(min(int(t), n) for t, n in zip(tile, shape))
    else:
        return  # plan_sweep refuses a malformed tile with its own message
    tiles = math.prod(-(-n // t) for n, t in zip(shape, tile))
    if tiles > MAX_TILES:
        raise InputError(f"the grid of {points} points in tiles of {math.prod(tile)} makes {tiles} tiles, more than the "
                         f"limit of {sci(MAX_TILES)}; raise --tile-points")
    n, tail = model.dimension, int(opts["tail"])
    stored = sum(np.dtype(dtype).itemsize for dtype in POINT_VARIABLES.values()) + n * FLOAT_BYTES + tail * n * FLOAT_BYTES
    working = 3 * stored + (len(shape) + 2 * n) * FLOAT_BYTES  # per point of a tile being computed
    tail_text = f", tail {tail} × {n} states" if tail else ""
    if store is None:
        check_memory(points * stored + math.prod(tile) * working,
                     f"the in-memory sweep of {points} points ({grid}{tail_text})")
        return
    check_memory(math.prod(tile) * working, f"one tile of {math.prod(tile)} points{tail_text}")
    try:
        path = Path(store).expanduser().absolute()
        fresh = not path.exists() and os.access(path.parent, os.W_OK)
    except (OSError, ValueError):  # e.g. a name too long: the store-path checks refuse it with the reason
        return
    if fresh:  # else the store-path checks refuse it, or it is reused
        check_disk(points * stored, path.parent, f"the store of {points} points ({grid}{tail_text}, "
                                                  f"{human_bytes(stored)} per point)")


def plan_sweep(
    model, eta, axes: dict, *, eta_scale: str = "linear", options: dict | None = None, tile=None,
    tile_points: int = TILE_POINTS, eta_unit: str = "absolute", axis_scales: dict | None = None, store=None,
) -> _Plan:
    """Validate everything (InputError) and lay out the grid and its tiles; touches no file.

    Size limits (``derivations._limits``) are checked on the point counts before any axis is
    materialised: points per axis, points and tiles per sweep, and the bytes of the results: in memory
    when ``store`` is None, else on the free disk space of the store's folder (plus one tile in memory).

    ``axes`` keys are state axes (``x0`` or ``x``) or one derived axis the model declares in
    ``Model.init_axes`` (e.g. the mean model's ``A0``: a₋0 = a₊0 = A0/2, b0 = 0); ``axis_scales`` maps
    axis keys to ``"linear"``/``"log"``.
    """
    spec = model_spec(model)
    model = model if isinstance(model, Model) else model_from_spec(spec)
    names = model.state_names
    derived_names = tuple(getattr(model, "init_axes", None) or {})
    eta_axis = parse_axis(eta, "--eta", eta_scale, positive=True)
    check_axis_points(eta_axis.num, "--eta")
    scales = {}
    for key, scale in (axis_scales or {}).items():
        name = _axis_key(key, names, derived_names)
        if name not in names and name not in derived_names:
            raise InputError(f"--axis-scale: unknown axis {key!r}")
        scales[name] = scale
    given, derived = {}, {}
    for key, value in (axes or {}).items():
        name = _axis_key(key, names, derived_names)
        label = name if name in derived_names else name + "0"
        if name in derived_names:
            target = derived
        elif name in names:
            target = given
        else:
            extra = f", or derived: {', '.join(derived_names)}" if derived_names else ""
            raise InputError(f"unknown axis {key!r}: {model.name} has state {', '.join(names)} "
                             f"(axes {', '.join(n + '0' for n in names)}{extra})")
        if name in target:
            raise InputError(f"axis {label} given twice")
        target[name] = parse_axis(value, f"--{label}", scales.get(name, "linear"))
        check_axis_points(target[name].num, f"--{label}")
    if len(derived) > 1:
        raise InputError(f"give at most one derived axis (got {', '.join(derived)})")
    opts = _checked_options(options)
    _check_sweep_size(model, {"eta": eta_axis, **derived, **{n + "0": given[n] for n in names if n in given}},
                      opts, tile, tile_points, store)
    sources, derived_texts, extra_coords = None, {}, {}
    if derived:
        (axis_name, axis), = derived.items()
        columns, texts = _derived_sources(model, axis_name, axis.values, given)
        derived_texts = {axis_name: texts}
        extra_coords = {state + "0": (axis_name, columns[state]) for state in names if state in columns}
        sources = {state: (axis_name, columns[state]) if state in columns else (state + "0", given[state].values)
                   for state in names if state in columns or state in given}
    missing = [n + "0" for n in names if n not in given and not (sources and n in sources)]
    if missing:
        hint = f"; or a derived axis: {', '.join(derived_names)}" if derived_names else ""
        raise InputError(f"missing initial-state axes: {', '.join(missing)} (a:b:n or one value each{hint})")
    dims = ("eta",) + tuple(derived) + tuple(n + "0" for n in names if n in given)
    coords = {"eta": eta_axis.values}
    coords.update({name: axis.values for name, axis in derived.items()})
    if eta_unit not in ("absolute", "critical"):
        raise InputError(f"--eta-unit must be absolute or critical, got {eta_unit!r}")
    eta_c = critical_step(model) if eta_unit == "critical" else None
    if eta_c is not None:
        coords["eta"] = eta_axis.values * eta_c
        extra_coords = {"eta_over_eta_c": ("eta", eta_axis.values), **extra_coords}
    coords.update({n + "0": given[n].values for n in names if n in given})
    specs = {"eta": eta_axis.spec()}
    specs.update({name: axis.spec() for name, axis in derived.items()})
    specs.update({n + "0": given[n].spec() for n in names if n in given})
    shape = tuple(len(coords[d]) for d in dims)
    if tile is None:
        tile = _tile_shape(shape, int(tile_points))
    else:
        tile = tuple(int(t) for t in tile)
        if len(tile) != len(shape) or any(t < 1 for t in tile):
            raise InputError(f"tile must give {len(shape)} positive sizes, got {tile}")
        tile = tuple(min(t, n) for t, n in zip(tile, shape))
    if eta_c is not None:
        specs["eta"] = f"({specs['eta']})·η_c, η_c = {eta_c!r}"
    spec = {**spec, "hash": model.hash, "axes": specs}
    return _Plan(spec=spec, names=names, dims=dims, coords=coords, options=opts, tile=tile, sources=sources,
                 extra_coords=extra_coords, derived=derived_texts)


def compute_tile(spec: dict, dims: tuple, coords: dict, options: dict, slices: tuple, sources: dict | None = None) -> dict:
    """Run one tile (also on a dask worker: only plain data in and out). Returns {variable: array}.

    ``sources`` (with a derived axis): {state: (dim, initial values along dim)}; without it the
    dimensions after ``eta`` are the state coordinates in order."""
    model = model_from_spec(spec)
    if model.hash != spec["hash"]:
        raise RuntimeError(f"worker rebuilt model {model.hash}, expected {spec['hash']}")
    local = [np.asarray(coords[d])[s] for d, s in zip(dims, slices)]
    mesh = np.meshgrid(*local, indexing="ij")
    eta = mesh[0].ravel()
    shape = mesh[0].shape
    if sources is None:
        theta0 = np.column_stack([m.ravel() for m in mesh[1:]])
    else:
        index = np.meshgrid(*[np.arange(s.start, s.stop) for s in slices], indexing="ij")
        position = {d: i for i, d in enumerate(dims)}
        theta0 = np.column_stack([np.asarray(sources[name][1])[index[position[sources[name][0]]].ravel()]
                                  for name in model.state_names])
    result = grid_run(model, eta, theta0, **{k: options[k] for k in DEFAULT_OPTIONS})
    out = {f"{name}_final": result.state[:, i].reshape(shape) for i, name in enumerate(model.state_names)}
    for key in POINT_VARIABLES:
        if key != "phase":
            out[key] = getattr(result, key).reshape(shape)
    out["phase"] = classify(out["status"], out["period"], out["eta_sharpness_half"], out["loss0"], out["max_loss"], out["loss_rises"])
    if options["tail"]:
        out["tail"] = result.tail.reshape(shape + result.tail.shape[1:])
    return out


def _manifest(plan: _Plan) -> dict:
    grid = {"dims": list(plan.dims), "shape": list(plan.shape), "axes": plan.spec["axes"], "tile": list(plan.tile)}
    if plan.extra_coords:  # only when used, so stores made before derived axes still resume
        grid["coords"] = {name: dim for name, (dim, _) in plan.extra_coords.items()}
    if plan.derived:
        grid["derived_axes"] = plan.derived
    return {
        "format": "eoscope-sweep/1",
        "grid_codegen": GRID_CODEGEN_VERSION,  # the kernel's outputs and variables depend on it
        "model": plan.spec,
        "grid": grid,
        "options": plan.options,
        "variables": sorted(_variables(plan)),
        "status_codes": GRID_STATUS_CODES,
        "phase_labels": list(PHASE_LABELS),
        "versions": _versions(),
        "git": _git_commit(),
    }


def _variables(plan: _Plan) -> dict:
    """{stored variable: dtype}, ``tail`` included when it is recorded."""
    variables = {f"{n}_final": "float64" for n in plan.names}
    variables.update(POINT_VARIABLES)
    if plan.options["tail"]:
        variables["tail"] = "float64"
    return variables


def sweep(
    model,
    eta,
    axes: dict,
    *,
    eta_scale: str = "linear",
    store=None,
    resume: bool = False,
    overwrite: bool = False,
    scheduler=None,
    progress=None,
    tile=None,
    tile_points: int = TILE_POINTS,
    eta_unit: str = "absolute",
    axis_scales: dict | None = None,
    **options,
):
    """sweep(model, eta, axes, *, eta_scale="linear", store=None, resume=False, overwrite=False,
    scheduler=None, progress=None, tile=None, tile_points=2**15, eta_unit="absolute", axis_scales=None, **options) -> xarray.Dataset

    ``eta`` and each ``axes[name0]`` are ``"a:b:n"``, a number, or an :class:`Axis`; ``options`` are the
    kernel options of :data:`DEFAULT_OPTIONS`. ``scheduler`` is a dask.distributed address
    (``"tcp://host:port"``) or Client; without it tiles run in-process, each on all cores. With
    ``eta_unit="critical"`` the η axis is in units of the model's derived critical step size η_c (which
    must not depend on the state, e.g. the mean model's 8π/d²); the ``eta`` coordinate stays absolute and
    ``eta_over_eta_c`` (along ``eta``) holds the ratios. An axis key may also be a derived initial-condition
    axis of ``Model.init_axes`` (the mean model's ``A0``: a₋0 = a₊0 = A0/2, b0 = 0); it becomes the dimension
    ``A0`` and the states it sets become coordinates along it (``a_minus0``, …); ``axis_scales`` = {key:
    "log"} spaces an axis geometrically. The returned
    Dataset has coordinates ``eta`` and ``<state>0``, variables ``<state>_final``, ``steps``, ``status``,
    ``period``, ``phase``, ``sharpness``, ``eta_sharpness_half``, ``eta_sharpness_half0`` (at θ0), ``loss0``,
    ``loss_final``, ``max_loss``, ``loss_rises``, ``sign_flips`` (and ``tail``), and the manifest in ``attrs``. With ``store`` the same
    Dataset is read back from the zarr store (see the module docstring).
    """
    plan = plan_sweep(model, eta, axes, eta_scale=eta_scale, options=options, tile=tile, tile_points=tile_points,
                      eta_unit=eta_unit, axis_scales=axis_scales, store=store)
    manifest = _manifest(plan)
    client, own = _connect(scheduler)  # before any file is written
    try:
        return _sweep_with(plan, manifest, store, resume, overwrite, client, progress)
    finally:
        if own:
            client.close()


def _connect(scheduler):
    """(Client or None, whether we opened it)."""
    if scheduler is None:
        return None, False
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs dask.distributed (pip install 'eoscope[dask]')") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout="20s"), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--scheduler: cannot connect to {scheduler}: {exc}") from None


def _sweep_with(plan, manifest, store, resume, overwrite, scheduler, progress):
    if store is None:
        return _run_in_memory(plan, manifest, scheduler, progress)
    path = check_store_target(store, resume, overwrite)
    write_store(path, plan, json.loads(json.dumps(manifest)), _variables(plan),
                lambda tiles: _tile_results(plan, tiles, scheduler, progress), resume, overwrite)
    return open_sweep(path)


def _run_in_memory(plan: _Plan, manifest: dict, scheduler, progress):
    import xarray as xr

    data = {name: np.empty(plan.shape, dtype=dtype) for name, dtype in _variables(plan).items() if name != "tail"}
    if plan.options["tail"]:
        data["tail"] = np.empty(plan.shape + (plan.options["tail"], len(plan.names)))
    for slices, out in _tile_results(plan, plan.tiles(), scheduler, progress):
        for name, values in out.items():
            data[name][slices] = values
    variables = {name: (plan.dims, values) for name, values in data.items() if name != "tail"}
    if "tail" in data:
        variables["tail"] = (plan.dims + ("tail_step", "state"), data["tail"])
    coords = {d: plan.coords[d] for d in plan.dims}
    coords.update({name: (dim, values) for name, (dim, values) in plan.extra_coords.items()})
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs.update({"eoscope_manifest": json.loads(json.dumps(manifest)), "complete": True, "title": "eoscope phase sweep"})
    return ds


def _tile_results(plan: _Plan, tiles, scheduler, progress):
    """Yield (slices, outputs) per tile, computed in-process or on a dask.distributed cluster."""
    if scheduler is None:
        for index in tiles:
            slices = plan.tile_slices(index)
            yield slices, compute_tile(plan.spec, plan.dims, plan.coords, plan.options, slices, plan.sources)
            if progress is not None:
                progress.advance(note=f"tile {index}")
        return
    from distributed import as_completed

    futures = {}
    for index in tiles:
        slices = plan.tile_slices(index)
        future = scheduler.submit(compute_tile, plan.spec, plan.dims, plan.coords, plan.options, slices, plan.sources,
                                  pure=False)
        futures[future] = (index, slices)
    for future in as_completed(list(futures)):
        index, slices = futures[future]
        yield slices, future.result()
        if progress is not None:
            progress.advance(note=f"tile {index}")


def sweep_summary(ds, store=None, seconds: float | None = None) -> dict:
    """What ``eoscope phase --json`` prints: ``out``, ``counts`` (points per phase label), ``seconds``."""
    return {
        "out": None if store is None else str(store),
        "counts": phase_counts(ds["phase"].values, ds["period"].values),
        "points": int(ds["phase"].size),
        "seconds": seconds,
        "model": ds.attrs["eoscope_manifest"]["model"],
        "grid": ds.attrs["eoscope_manifest"]["grid"],
        "options": ds.attrs["eoscope_manifest"]["options"],
    }


def timed_sweep(*args, **kwargs):
    """(Dataset, seconds) of :func:`sweep`."""
    start = time.perf_counter()
    ds = sweep(*args, **kwargs)
    return ds, time.perf_counter() - start
