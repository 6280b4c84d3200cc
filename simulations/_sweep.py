"""sweep(model, eta, axes, ...) -> xarray.Dataset: dense (η, θ0) grids, tiled, stored as zarr, resumable.

The grid is the outer product of ``eta`` and one axis per state coordinate (``x0``, ``y0``, … named
``<state>0``; a single value is an axis of length 1). Every point is iterated by the generated grid
kernel (:func:`eoscope.dynamics.grid_run`) and labelled by :func:`classify` from what the kernel recorded.

Storage (``store=PATH``): a zarr group chunked by *tile*, with an ownership marker, a writer lock and a
checksum per finished tile, written so that a crash or Ctrl-C never leaves a store that looks complete, a
resumed run is bit-identical to an uninterrupted one, and nothing eoscope did not write is ever deleted
(see :mod:`._sweep_store`, :mod:`._store` and :mod:`._output_paths`). Its metadata is consolidated, so
``xarray.open_zarr(path)`` opens it directly.

Results are deterministic: a point's numbers depend only on the point (no reduction across lanes), so tiles
may be computed in sub-blocks, in any order, on any worker; nothing time- or host-dependent is stored. The
manifest (attribute ``eoscope_manifest``) holds the sweep arguments, the model's description and hash,
package versions and the git commit. Variables follow the xarray/CF conventions: ``units`` and ``long_name``
everywhere, ``flag_values``/``flag_meanings`` on the categorical ``status`` and ``phase``.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from ..derivations import InputError, Model, build_model
from ..derivations._limits import (FLOAT_BYTES, MAX_GRID_POINTS, MAX_TILES, check_axis_points, check_disk, check_memory,
                                   human_bytes, sci)
from ..derivations._validate import check_count, parse_axis
from ..dynamics import GRID_CODEGEN_VERSION, GRID_STATUS_CODES, grid_run, package_version
from ..dynamics._options import GridOptions
from ..dynamics._progress import progress_bar
from ..dynamics._result import flag_attrs

from ._phase_classify import PHASE_LABELS, classify, phase_counts
from ._output_paths import check_store_target
from ._sweep_store import open_sweep, write_store

__all__ = ["POINT_VARIABLES", "TILE_POINTS", "open_sweep", "plan_sweep", "sweep", "sweep_summary"]

TILE_POINTS = 1 << 15
PART_POINTS = 1 << 12  # points per dask task (a tile is split into parts: the progress bar advances per part)
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
_LONG_NAMES = {
    "steps": "GD steps taken",
    "status": "grid-run status",
    "period": "period k of the orbit (status periodic; 0 otherwise)",
    "phase": "phase label",
    "sharpness": "final sharpness S = largest Hessian eigenvalue",
    "eta_sharpness_half": "η·S/2 at the final state (1 = edge of stability)",
    "eta_sharpness_half0": "η·S0/2 at the initial state",
    "loss0": "loss at the initial state",
    "loss_final": "loss at the final state",
    "max_loss": "largest sampled loss",
    "loss_rises": "sampled steps at which the loss rose",
    "sign_flips": "sign flips of the oscillating coordinate",
    "tail": "states continuing from the final state",
    "eta": "step size η",
    "eta_over_eta_c": "step size in units of the critical step size, η/η_c",
    "tile_done": "tile stored and checksummed",
}


def _flags(codes: dict) -> dict:
    """CF flag attributes of {name: code} (:func:`flag_attrs`) with ``flag_values`` as a list: zarr keeps
    attributes as JSON."""
    attrs = flag_attrs(codes)
    return {**attrs, "flag_values": attrs["flag_values"].tolist()}


def variable_attrs(name: str, derived: dict | None = None) -> dict:
    """variable_attrs(name, derived=None) -> dict: ``long_name`` and ``units`` (and the CF flag attributes of
    ``status``, ``phase`` and ``tile_done``) of a sweep variable or coordinate. Every quantity of the models is
    dimensionless (units ``"1"``); ``derived`` = {derived axis: {<state>0: expression}} names derived axes."""
    attrs = {"units": "1"}
    if name in _LONG_NAMES:
        attrs["long_name"] = _LONG_NAMES[name]
    elif name.endswith("_final"):
        attrs["long_name"] = f"final {name[:-len('_final')]}"
    elif derived and name in derived:
        attrs["long_name"] = f"initial-condition axis {name}: " + ", ".join(f"{k} = {v}" for k, v in derived[name].items())
    elif name.endswith("0"):
        attrs["long_name"] = f"initial {name[:-1]}"
    else:
        attrs["long_name"] = name
    if name == "status":
        attrs.update(_flags(GRID_STATUS_CODES))
    elif name == "phase":
        attrs.update(_flags({label: code for code, label in enumerate(PHASE_LABELS)}))
    elif name == "tile_done":
        attrs.update(_flags({"pending": 0, "stored": 1}))
    return attrs


# ---------------------------------------------------------------------------------------------- the model


def as_model(model) -> Model:
    """as_model(model) -> Model: a derivations Model as is, the Model a compiled System holds (``.model``), a
    catalogue name through :func:`eoscope.derivations.build_model`, or a recipe dict (:func:`model_spec`).

    Raises:
        InputError: anything else, or a catalogue name that does not build.
    """
    inner = getattr(model, "model", None)  # a dynamics System keeps the Model it was compiled from
    if isinstance(inner, Model):
        return inner
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        return build_model(model)
    if isinstance(model, dict):
        return model_from_spec(model)
    raise InputError(f"model must be a Model, a compiled System or a catalogue name, got {type(model).__name__}")


def model_spec(model) -> dict:
    """model_spec(model) -> dict: the model's description for the manifest (``model``, ``loss``, ``loss_expr``,
    ``params``, and ``map_expr`` for a map given directly); for a catalogue model, also the recipe that rebuilds
    it through :func:`eoscope.derivations.build_model`."""
    if isinstance(model, dict):
        return dict(model)
    described = model.describe()
    spec = {"model": model.name}
    if "loss" in described:
        spec["loss"] = None if described["loss"] == "custom" else described["loss"]
        spec["loss_expr"] = described.get("loss_expr")
    spec["params"] = described.get("params", {})
    if "map_expr" in described:
        spec["map_expr"] = described["map_expr"]
        spec["state"] = described["state"]
    return spec


def model_from_spec(spec: dict) -> Model:
    """model_from_spec(spec) -> Model: rebuild a catalogue model from :func:`model_spec`'s recipe.

    Raises:
        InputError: the recipe names no catalogue model (or a bad loss / parameter).
    """
    return build_model(spec["model"], loss=spec.get("loss"), loss_expr=spec.get("loss_expr"), params=spec.get("params") or {})


def _worker_recipe(model: Model) -> dict:
    """What a dask worker needs to get ``model`` back: the catalogue recipe when it rebuilds the same model (same
    hash), else the pickled model. InputError when neither works (a hand-made model whose functions do not
    pickle): such a model runs in-process only."""
    spec = model_spec(model)
    try:
        if model_from_spec(spec).hash == model.hash:
            return {"spec": spec, "hash": model.hash}
    except InputError:
        pass
    try:
        payload = pickle.dumps(model)
        if pickle.loads(payload).hash == model.hash:
            return {"pickle": payload, "hash": model.hash}
    except Exception:  # noqa: BLE001 - any pickling failure means: not shippable
        pass
    raise InputError(f"the model {model.name!r} is neither a catalogue model nor picklable, so dask workers cannot "
                     "rebuild it; run the sweep without a scheduler")


_WORKER_MODELS: dict = {}


def _worker_model(recipe: dict) -> Model:
    """The model of a :func:`_worker_recipe` (rebuilt once per worker process)."""
    model = _WORKER_MODELS.get(recipe["hash"])
    if model is None:
        model = pickle.loads(recipe["pickle"]) if "pickle" in recipe else model_from_spec(recipe["spec"])
        if model.hash != recipe["hash"]:
            raise RuntimeError(f"worker rebuilt model {model.hash}, expected {recipe['hash']}")
        _WORKER_MODELS[recipe["hash"]] = model
    return model


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


# ---------------------------------------------------------------------------------------------- the plan


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
    options: dict  # GridOptions.to_dict()
    tile: tuple
    sources: dict | None = None  # state name -> (dim, initial values along dim); None: dims[1:] are the states
    extra_coords: dict = field(default_factory=dict)  # name -> (dim, values): eta_over_eta_c, <state>0 of a derived axis
    derived: dict = field(default_factory=dict)  # derived axis -> {<state>0: expression text}
    model: Model | None = field(default=None, compare=False, repr=False)

    @property
    def shape(self) -> tuple:
        return tuple(len(self.coords[d]) for d in self.dims)

    @property
    def points(self) -> int:
        return math.prod(self.shape)

    @property
    def tile_grid(self) -> tuple:
        return tuple(-(-n // t) for n, t in zip(self.shape, self.tile))

    def tile_slices(self, index: tuple) -> tuple:
        return tuple(slice(i * t, min((i + 1) * t, n)) for i, t, n in zip(index, self.tile, self.shape))

    def tile_points(self, index: tuple) -> int:
        return math.prod(s.stop - s.start for s in self.tile_slices(index))

    def tiles(self):
        return list(np.ndindex(*self.tile_grid))

    def attrs(self, name: str) -> dict:
        return variable_attrs(name, self.derived)


def critical_step(model) -> float:
    """critical_step(model) -> float: η_c of the model's minimisers (at its reference point, when it declares one).

    Raises:
        InputError: η_c is not derived, or depends on the state (e.g. ℓ(x·y): η_c = 2/(ℓ''(0)y²)), so a step
            size relative to it is meaningless; give ``eta`` in absolute units then.
    """
    from ..derivations import derive

    model = as_model(model)
    eta_c = derive(model).critical_eta
    if eta_c is None:
        raise InputError(f"{model.name} has no derived critical step size: give eta in absolute units")
    reference = getattr(model, "reference_point", None)
    if reference:
        eta_c = eta_c.subs(reference)
    if eta_c.free_symbols:
        names = ", ".join(sorted(map(str, eta_c.free_symbols)))
        raise InputError(f"the critical step size of {model.name}, {eta_c}, depends on {names}: give eta in absolute units")
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


def _check_sweep_size(model: Model, axes: dict, opts: GridOptions, tile, tile_points, store) -> None:
    """InputError when the grid of ``axes`` ({dim: Axis}) is too large (derivations._limits); counts only."""
    shape = tuple(int(axis.num) for axis in axes.values())
    points = math.prod(shape)
    grid = " × ".join(f"{dim} {n}" for dim, n in zip(axes, shape))
    if points > MAX_GRID_POINTS:
        raise InputError(f"the grid of {points} points ({grid}) exceeds the limit of {sci(MAX_GRID_POINTS)} points "
                         f"per sweep")
    if tile is None:
        tile = _tile_shape(shape, check_count(tile_points, "tile_points", 1))
    elif len(tuple(tile)) == len(shape) and all(isinstance(t, (int, np.integer)) and t >= 1 for t in tile):
        tile = tuple(min(int(t), n) for t, n in zip(tile, shape))
    else:
        return  # plan_sweep refuses a malformed tile with its own message
    tiles = math.prod(-(-n // t) for n, t in zip(shape, tile))
    if tiles > MAX_TILES:
        raise InputError(f"the grid of {points} points in tiles of {math.prod(tile)} makes {tiles} tiles, more than the "
                         f"limit of {sci(MAX_TILES)}; raise tile_points")
    n, tail = model.dimension, int(opts.tail)
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
    model, eta, axes: dict, *, eta_scale: str = "linear", options=None, tile=None,
    tile_points: int = TILE_POINTS, eta_unit: str = "absolute", axis_scales: dict | None = None, store=None,
) -> _Plan:
    """plan_sweep(model, eta, axes, *, eta_scale="linear", options=None, tile=None, tile_points=2**15,
    eta_unit="absolute", axis_scales=None, store=None) -> plan

    Validate everything and lay out the grid and its tiles; touches no file. Arguments as for :func:`sweep`.
    Size limits (``derivations._limits``) are checked on the point counts before any axis is materialised:
    points per axis, points and tiles per sweep, and the bytes of the results: in memory when ``store`` is
    None, else on the free disk space of the store's folder (plus one tile in memory).

    Raises:
        InputError: a bad model, axis, option or tile, or a grid over the size limits.
    """
    model = as_model(model)
    spec = model_spec(model)
    names = model.state_names
    derived_names = tuple(getattr(model, "init_axes", None) or {})
    eta_axis = parse_axis(eta, "eta", eta_scale, positive=True)
    check_axis_points(eta_axis.num, "eta")
    scales = {}
    for key, scale in (axis_scales or {}).items():
        name = _axis_key(key, names, derived_names)
        if name not in names and name not in derived_names:
            raise InputError(f"axis_scales: unknown axis {key!r}")
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
        target[name] = parse_axis(value, label, scales.get(name, "linear"))
        check_axis_points(target[name].num, label)
    if len(derived) > 1:
        raise InputError(f"give at most one derived axis (got {', '.join(derived)})")
    opts = GridOptions.from_mapping(options)
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
        raise InputError(f"eta_unit must be 'absolute' or 'critical', got {eta_unit!r}")
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
    return _Plan(spec=spec, names=names, dims=dims, coords=coords, options=opts.to_dict(), tile=tile, sources=sources,
                 extra_coords=extra_coords, derived=derived_texts, model=model)


# ---------------------------------------------------------------------------------------------- computing


def compute_points(model, dims: tuple, coords: dict, options: dict, slices: tuple, sources, start: int, stop: int) -> dict:
    """Run the points ``start:stop`` (C order) of the tile ``slices``; returns {variable: flat values}.

    ``model`` is a Model or a System, or on a dask worker a :func:`_worker_recipe`; the rest is plain data.
    ``sources`` (with a derived axis): {state: (dim, initial values along dim)}; without it the
    dimensions after ``eta`` are the state coordinates in order."""
    if isinstance(model, dict):
        model = _worker_model(model)
    names = model.state_names
    shape = tuple(s.stop - s.start for s in slices)
    index = [s.start + i for s, i in zip(slices, np.unravel_index(np.arange(start, stop), shape))]
    eta = np.asarray(coords[dims[0]])[index[0]]
    if sources is None:
        init = np.column_stack([np.asarray(coords[d])[i] for d, i in zip(dims[1:], index[1:])])
    else:
        position = {d: k for k, d in enumerate(dims)}
        init = np.column_stack([np.asarray(sources[name][1])[index[position[sources[name][0]]]]
                                for name in names])
    result = grid_run(model, eta, init, GridOptions.from_mapping(options))
    out = {f"{name}_final": result.state[:, i] for i, name in enumerate(names)}
    for key in POINT_VARIABLES:
        if key != "phase":
            out[key] = np.asarray(getattr(result, key))
    out["phase"] = classify(out["status"], out["period"], out["eta_sharpness_half"], out["loss0"], out["max_loss"],
                            out["loss_rises"])
    if options["tail"]:
        out["tail"] = result.tail
    return out


def _assemble(parts: list, shape: tuple) -> dict:
    """One tile's {variable: array of the tile's shape} from its parts (in point order)."""
    out = {}
    for name in parts[0]:
        values = np.concatenate([part[name] for part in parts]) if len(parts) > 1 else parts[0][name]
        out[name] = values.reshape(shape + values.shape[1:])
    return out


class _Pacer:
    """Sizes in-process parts so that each takes about ``seconds`` (the bar then advances that often)."""

    def __init__(self, seconds: float = 0.5, first: int = 1024, block: int = 64):
        self.seconds, self.size, self.block = seconds, first, block

    def next(self, left: int) -> int:
        return min(left, self.size)

    def took(self, count: int, seconds: float) -> None:
        if count >= self.size:  # a full part: aim the next one at ``seconds``
            rate = count / max(seconds, 1e-6)
            size = int(min(max(rate * self.seconds, self.block), 4 * self.size))
            self.size = max(self.block, size - size % self.block)


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
    options=None,
    eta_scale: str = "linear",
    eta_unit: str = "absolute",
    axis_scales: dict | None = None,
    store=None,
    resume: bool = False,
    overwrite: bool = False,
    scheduler=None,
    progress=False,
    tile=None,
    tile_points: int = TILE_POINTS,
    **option_values,
):
    """sweep(model, eta, axes, *, options=None, eta_scale="linear", eta_unit="absolute", axis_scales=None,
    store=None, resume=False, overwrite=False, scheduler=None, progress=False, tile=None, tile_points=2**15,
    **option_values) -> xarray.Dataset

    Run gradient descent θ ← θ − η∇L(θ) from every point of the grid η × θ0 and label each orbit's phase
    (stable, eos, catapult, periodic, unclassified, divergent; see :mod:`._phase_classify`).

    Arguments:
        model: a Model (``build_model("single-neuron", loss_expr="log(cosh(s))")``, ``single_neuron(loss)``,
            ``mean_model(d)``, a custom map or loss), a compiled System, or a catalogue name.
        eta: the step sizes: ``"a:b:n"`` (n values from a to b), a number, or an
            :class:`eoscope.derivations._validate.Axis`; all > 0.
        axes: {axis: ``"a:b:n"`` | number | Axis}: one axis per state coordinate (``"x0"`` or ``"x"``), or a
            derived initial-condition axis of ``Model.init_axes`` (the mean model's ``A0``: a₋0 = a₊0 = A0/2,
            b0 = 0), which becomes a dimension with the states it sets as coordinates along it.
        options: the stopping rules, a :class:`GridOptions` or a dict of its fields (max_steps, tol, bound,
            check_every, dense_steps, period_tol, tail); ``**option_values`` (e.g. ``max_steps=4000``)
            override single fields.
        eta_scale, axis_scales: ``"linear"`` or ``"log"`` spacing of ``eta`` and of the axes ({axis: scale}).
        eta_unit: ``"absolute"``, or ``"critical"``: ``eta`` in units of the model's derived critical step
            size η_c (which must not depend on the state, e.g. the mean model's 8π/d²); the ``eta``
            coordinate stays absolute and ``eta_over_eta_c`` holds the ratios.
        store: a zarr store folder to write (None: the sweep stays in memory); ``resume`` finishes an
            interrupted store, ``overwrite`` replaces one eoscope wrote (see the module docstring).
        scheduler: a dask.distributed Client or scheduler address (``"tcp://host:port"``); without it the
            points run in-process, on all cores.
        progress: True draws a tqdm bar (rate, ETA) advancing by grid points; a callable gets (done, total).
        tile, tile_points: the tile (zarr chunk) shape, or the points per tile it is chosen from.

    Returns:
        xarray.Dataset with coordinates ``eta`` and ``<state>0`` (or the derived axis), variables
        ``<state>_final``, ``steps``, ``status``, ``period``, ``phase``, ``sharpness``, ``eta_sharpness_half``
        (η·S/2 at the end), ``eta_sharpness_half0`` (at θ0), ``loss0``, ``loss_final``, ``max_loss``,
        ``loss_rises``, ``sign_flips`` (and ``tail``), each with ``units`` and ``long_name``; ``status`` and
        ``phase`` carry CF ``flag_values``/``flag_meanings``; the manifest is ``attrs["eoscope_manifest"]``.
        With ``store`` the Dataset is read back from the store.

    Raises:
        InputError: bad arguments, a grid over the size limits, a store path that is refused (a home,
            a folder eoscope did not write, a store made with other arguments on ``resume``), or a model
            that dask workers cannot rebuild.

    The edge of stability is η·S/2 = 1 (Cohen et al. 2021); the phases follow Ahn et al. 2023 (arXiv
    2212.07469), §2–3.
    """
    if store is None and (resume or overwrite):
        raise InputError("resume=True and overwrite=True act on a store: give store=PATH as well")
    if option_values:
        options = GridOptions.from_mapping(options, **option_values)
    plan = plan_sweep(model, eta, axes, eta_scale=eta_scale, options=options, tile=tile, tile_points=tile_points,
                      eta_unit=eta_unit, axis_scales=axis_scales, store=store)
    manifest = _manifest(plan)
    recipe = _worker_recipe(plan.model) if scheduler is not None else None  # before any file is written
    client, own = _connect(scheduler)
    try:
        with _LazyBar(progress, plan.points, "phase", unit="point") as bar:
            if store is None:
                return _run_in_memory(plan, manifest, client, recipe, bar)
            path = check_store_target(store, resume, overwrite)
            write_store(path, plan, json.loads(json.dumps(manifest)), _variables(plan),
                        lambda tiles: _tile_results(plan, tiles, client, recipe, bar), resume, overwrite,
                        progress=lambda stored: bar.update(sum(plan.tile_points(i) for i in stored)))
        return open_sweep(path)
    finally:
        if own:
            client.close()


class _LazyBar:
    """A :func:`progress_bar` drawn only once there is progress to show (a refused store draws nothing)."""

    def __init__(self, progress, total: int, description: str, unit: str):
        self._args = (progress, total, description, unit)
        self._bar = None

    def _get(self):
        if self._bar is None:
            self._bar = progress_bar(*self._args)
        return self._bar

    def update(self, n: int = 1) -> None:
        self._get().update(n)

    def set_postfix_str(self, text: str) -> None:
        self._get().set_postfix_str(text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
        return False


def _connect(scheduler):
    """(Client or None, whether we opened it)."""
    if scheduler is None:
        return None, False
    try:
        from distributed import Client
    except ImportError:
        raise InputError("scheduler needs dask.distributed (pip install 'eoscope[dask]')") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout="20s"), True
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"scheduler: cannot connect to {scheduler}: {exc}") from None


def _run_in_memory(plan: _Plan, manifest: dict, scheduler, recipe, bar):
    import xarray as xr

    data = {name: np.empty(plan.shape, dtype=dtype) for name, dtype in _variables(plan).items() if name != "tail"}
    if plan.options["tail"]:
        data["tail"] = np.empty(plan.shape + (plan.options["tail"], len(plan.names)))
    for slices, out in _tile_results(plan, plan.tiles(), scheduler, recipe, bar):
        for name, values in out.items():
            data[name][slices] = values
    variables = {name: (plan.dims, values, plan.attrs(name)) for name, values in data.items() if name != "tail"}
    if "tail" in data:
        variables["tail"] = (plan.dims + ("tail_step", "state"), data["tail"], plan.attrs("tail"))
    coords = {d: (d, plan.coords[d], plan.attrs(d)) for d in plan.dims}
    coords.update({name: (dim, values, plan.attrs(name)) for name, (dim, values) in plan.extra_coords.items()})
    ds = xr.Dataset(variables, coords=coords)
    ds.attrs.update({"eoscope_manifest": json.loads(json.dumps(manifest)), "complete": True, "title": "eoscope phase sweep"})
    return ds


def _tile_results(plan: _Plan, tiles, scheduler, recipe, bar):
    """Yield (slices, outputs) per tile, computed in-process (in parts paced to ~0.5 s, so ``bar`` advances
    by points) or on a dask.distributed cluster (tiles split into parts of ≤ PART_POINTS points)."""
    args = (plan.dims, plan.coords, plan.options)
    if scheduler is None:
        from ..dynamics import compile as compile_system

        system = compile_system(plan.model)  # one System per model: grid_run below reuses its kernels
        bar.set_postfix_str("compiling the grid kernel")
        system.grid  # the first access compiles (or loads the cache): not counted as sweep progress
        bar.set_postfix_str("")
        pacer = _Pacer()
        for index in tiles:
            slices = plan.tile_slices(index)
            total, done, parts = plan.tile_points(index), 0, []
            while done < total:
                count = pacer.next(total - done)
                start = time.perf_counter()
                parts.append(compute_points(system, *args, slices, plan.sources, done, done + count))
                pacer.took(count, time.perf_counter() - start)
                done += count
                bar.update(count)
            yield slices, _assemble(parts, tuple(s.stop - s.start for s in slices))
        return
    from distributed import as_completed

    futures, pending, parts = {}, {}, {}
    for index in tiles:
        slices = plan.tile_slices(index)
        total = plan.tile_points(index)
        starts = range(0, total, PART_POINTS)
        pending[index], parts[index] = len(starts), {}
        for start in starts:
            stop = min(start + PART_POINTS, total)
            future = scheduler.submit(compute_points, recipe, *args, slices, plan.sources, start, stop, pure=False)
            futures[future] = (index, start, stop - start)
    for future in as_completed(list(futures)):
        index, start, count = futures.pop(future)
        parts[index][start] = future.result()
        bar.update(count)
        pending[index] -= 1
        if not pending[index]:
            slices = plan.tile_slices(index)
            done = parts.pop(index)
            yield slices, _assemble([done[s] for s in sorted(done)], tuple(s.stop - s.start for s in slices))


def sweep_summary(ds, store=None, seconds: float | None = None) -> dict:
    """sweep_summary(ds, store=None, seconds=None) -> dict: what ``eoscope phase --json`` prints: ``out``,
    ``counts`` (points per phase label, periodic split by period), ``points``, ``seconds``, and the manifest's
    ``model``, ``grid`` and ``options``."""
    return {
        "out": None if store is None else str(store),
        "counts": phase_counts(ds["phase"].values, ds["period"].values),
        "points": int(ds["phase"].size),
        "seconds": seconds,
        "model": ds.attrs["eoscope_manifest"]["model"],
        "grid": ds.attrs["eoscope_manifest"]["grid"],
        "options": ds.attrs["eoscope_manifest"]["options"],
    }
