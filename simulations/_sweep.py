"""sweep(model, eta, axes, ...) -> xarray.Dataset: dense (η, θ0) grids, tiled, stored as zarr, resumable.

The grid is the outer product of ``eta`` and one axis per state coordinate (``x0``, ``y0``, … named
``<state>0``; a single value is an axis of length 1). Every point is iterated by the generated grid
kernel (:func:`dynamics.grid_run`) and labelled by :func:`classify` from what the kernel recorded.

Storage (``store=PATH``): a zarr group chunked by *tile*, written as follows so that a crash never leaves
a store that looks complete and a resumed run is bit-identical to an uninterrupted one:

1. the empty store (metadata, coordinates, manifest with ``complete = false``) is written to a temporary
   folder and renamed into place;
2. tiles are computed (in-process on all cores, or on a dask.distributed cluster) and each is written into
   its own chunks, then marked in the ``tile_done`` array; ``resume=True`` skips marked tiles and
   recomputes the rest (a tile cut short by SIGKILL is simply rewritten);
3. when every tile is marked, the manifest's ``complete`` flag is set.

Results are deterministic: a tile's numbers depend only on its points (no reduction across lanes), and
nothing time- or host-dependent is stored. The manifest (group attribute ``eoscope_manifest``) holds the
sweep arguments, model description and hash, package versions and the git commit.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from derivations import InputError, Model, build_model
from dynamics import GRID_STATUS_CODES, grid_run, package_version

from ._phase_classify import PHASE_LABELS, classify, phase_counts

TILE_POINTS = 1 << 15
POINT_VARIABLES = {  # name -> dtype of the per-point variables stored (besides <state>_final)
    "steps": "int64",
    "status": "int8",
    "period": "int8",
    "phase": "int8",
    "sharpness": "float64",
    "eta_sharpness_half": "float64",
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
            try:
                value = float(part)
            except ValueError:
                raise InputError(f"{what}: {part.strip()!r} is not a number (expected a:b:n)") from None
            if not math.isfinite(value):
                raise InputError(f"{what}: {part.strip()!r} is not finite")
            numbers.append(value)
        if len(parts) == 1:
            axis = Axis(numbers[0], numbers[0], 1, scale)
        else:
            try:
                num = int(parts[2])
            except ValueError:
                raise InputError(f"{what}: point count {parts[2].strip()!r} is not an integer (expected a:b:n)") from None
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
    dims: tuple  # ("eta", "x0", "y0")
    coords: dict
    options: dict
    tile: tuple

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
    from derivations import derive

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


def plan_sweep(
    model, eta, axes: dict, *, eta_scale: str = "linear", options: dict | None = None, tile=None,
    tile_points: int = TILE_POINTS, eta_unit: str = "absolute",
) -> _Plan:
    """Validate everything (InputError) and lay out the grid and its tiles; touches no file."""
    spec = model_spec(model)
    model = model if isinstance(model, Model) else model_from_spec(spec)
    names = model.state_names
    eta_axis = parse_axis(eta, "--eta", eta_scale, positive=True)
    given = {}
    for key, value in (axes or {}).items():
        name = key[:-1] if key.endswith("0") and key[:-1] in names else key
        if name not in names:
            raise InputError(f"unknown axis {key!r}: {model.name} has state {', '.join(names)} (axes {', '.join(n + '0' for n in names)})")
        if name in given:
            raise InputError(f"axis {name}0 given twice")
        given[name] = parse_axis(value, f"--{name}0")
    missing = [n + "0" for n in names if n not in given]
    if missing:
        raise InputError(f"missing initial-state axes: {', '.join(missing)} (a:b:n or one value each)")
    opts = dict(DEFAULT_OPTIONS)
    unknown = set(options or {}) - set(opts)
    if unknown:
        raise InputError(f"unknown sweep options: {', '.join(sorted(unknown))}")
    opts.update({k: v for k, v in (options or {}).items() if v is not None})
    from dynamics._grid import check_grid_options

    check_grid_options(opts["max_steps"], opts["tol"], opts["bound"], opts["check_every"], opts["period_tol"], opts["tail"])
    for key in ("max_steps", "check_every", "dense_steps", "tail"):
        if int(opts[key]) != opts[key] or opts[key] < 0:
            raise InputError(f"{key} must be a non-negative integer, got {opts[key]!r}")
        opts[key] = int(opts[key])
    for key in ("tol", "bound", "period_tol"):
        opts[key] = float(opts[key])
    dims = ("eta",) + tuple(n + "0" for n in names)
    coords = {"eta": eta_axis.values}
    if eta_unit not in ("absolute", "critical"):
        raise InputError(f"--eta-unit must be absolute or critical, got {eta_unit!r}")
    eta_c = critical_step(model) if eta_unit == "critical" else None
    if eta_c is not None:
        coords["eta"] = eta_axis.values * eta_c
    coords.update({n + "0": given[n].values for n in names})
    specs = {"eta": eta_axis.spec()}
    specs.update({n + "0": given[n].spec() for n in names})
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
    return _Plan(spec=spec, names=names, dims=dims, coords=coords, options=opts, tile=tile)


def compute_tile(spec: dict, dims: tuple, coords: dict, options: dict, slices: tuple) -> dict:
    """Run one tile (also on a dask worker: only plain data in and out). Returns {variable: array}."""
    model = model_from_spec(spec)
    if model.hash != spec["hash"]:
        raise RuntimeError(f"worker rebuilt model {model.hash}, expected {spec['hash']}")
    local = [np.asarray(coords[d])[s] for d, s in zip(dims, slices)]
    mesh = np.meshgrid(*local, indexing="ij")
    eta = mesh[0].ravel()
    theta0 = np.column_stack([m.ravel() for m in mesh[1:]])
    shape = mesh[0].shape
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
    return {
        "format": "eoscope-sweep/1",
        "model": plan.spec,
        "grid": {"dims": list(plan.dims), "shape": list(plan.shape), "axes": plan.spec["axes"], "tile": list(plan.tile)},
        "options": plan.options,
        "status_codes": GRID_STATUS_CODES,
        "phase_labels": list(PHASE_LABELS),
        "versions": _versions(),
        "git": _git_commit(),
    }


def _variables(plan: _Plan) -> dict:
    variables = {f"{n}_final": "float64" for n in plan.names}
    variables.update(POINT_VARIABLES)
    return variables


def _create_store(path: Path, plan: _Plan, manifest: dict) -> None:
    """Write the empty store into a temporary sibling, then rename it into place (atomic)."""
    import zarr

    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        root = zarr.open_group(str(tmp), mode="w", zarr_format=3)
        for dim in plan.dims:
            array = root.create_array(dim, shape=(len(plan.coords[dim]),), dtype="float64", chunks=(len(plan.coords[dim]),),
                                      dimension_names=[dim], fill_value=np.nan)
            array[:] = plan.coords[dim]
        for name, dtype in _variables(plan).items():
            fill = np.nan if dtype == "float64" else 0
            root.create_array(name, shape=plan.shape, dtype=dtype, chunks=plan.tile, dimension_names=list(plan.dims), fill_value=fill)
        if plan.options["tail"]:
            k, n = plan.options["tail"], len(plan.names)
            root.create_array("tail", shape=plan.shape + (k, n), dtype="float64", chunks=plan.tile + (k, n),
                              dimension_names=list(plan.dims) + ["tail_step", "state"], fill_value=np.nan)
        tile_dims = [f"tile_{d}" for d in plan.dims]
        root.create_array("tile_done", shape=plan.tile_grid, dtype="int8", chunks=(1,) * len(plan.dims),
                          dimension_names=tile_dims, fill_value=0)
        root.attrs.update({"eoscope_manifest": manifest, "complete": False, "title": "eoscope phase sweep"})
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _stored_manifest(path: Path):
    import zarr

    try:
        root = zarr.open_group(str(path), mode="r")
        return dict(root.attrs)
    except Exception:  # not a zarr group, or a torn one
        return None


def check_store_path(path, resume: bool, overwrite: bool) -> Path:
    """InputError when ``path`` cannot be written, or exists without resume/overwrite."""
    path = Path(path).expanduser().absolute()
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"--out: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--out: folder {folder} is not writable")
    if path.exists():
        if not path.is_dir():
            raise InputError(f"--out: {path} exists and is not a zarr store")
        if not (resume or overwrite):
            raise InputError(f"--out: {path} exists (use --resume to finish it or --overwrite to replace it)")
        if not os.access(path, os.W_OK):
            raise InputError(f"--out: {path} is not writable")
    return path


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
    **options,
):
    """sweep(model, eta, axes, *, eta_scale="linear", store=None, resume=False, overwrite=False,
    scheduler=None, progress=None, tile=None, tile_points=2**15, eta_unit="absolute", **options) -> xarray.Dataset

    ``eta`` and each ``axes[name0]`` are ``"a:b:n"``, a number, or an :class:`Axis`; ``options`` are the
    kernel options of :data:`DEFAULT_OPTIONS`. ``scheduler`` is a dask.distributed address
    (``"tcp://host:port"``) or Client; without it tiles run in-process, each on all cores. With
    ``eta_unit="critical"`` the η axis is in units of the model's derived critical step size η_c (which
    must not depend on the state, e.g. the mean model's 8π/d²); the ``eta`` coordinate stays absolute. The returned
    Dataset has coordinates ``eta`` and ``<state>0``, variables ``<state>_final``, ``steps``, ``status``,
    ``period``, ``phase``, ``sharpness``, ``eta_sharpness_half``, ``loss0``, ``loss_final``, ``max_loss``,
    ``loss_rises``, ``sign_flips`` (and ``tail``), and the manifest in ``attrs``. With ``store`` the same
    Dataset is read back from the zarr store (see the module docstring).
    """
    plan = plan_sweep(model, eta, axes, eta_scale=eta_scale, options=options, tile=tile, tile_points=tile_points,
                      eta_unit=eta_unit)
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
    path = check_store_path(store, resume, overwrite)
    existing = _stored_manifest(path) if path.exists() else None
    if path.exists() and (overwrite or existing is None or "eoscope_manifest" not in existing):
        if not overwrite and existing is not None and "eoscope_manifest" not in existing:
            raise InputError(f"--out: {path} is not an eoscope sweep store; not touching it")
        shutil.rmtree(path)
        existing = None
    if existing is not None:
        old = dict(existing["eoscope_manifest"])
        new = json.loads(json.dumps(manifest))
        for key in ("versions", "git"):
            old.pop(key, None)
            new.pop(key, None)
        if old != new:
            raise InputError(f"--resume: {path} was made with different arguments; use --overwrite or another --out")
    else:
        _create_store(path, plan, json.loads(json.dumps(manifest)))
    _fill_store(path, plan, scheduler, progress)
    return open_sweep(path)


def _run_in_memory(plan: _Plan, manifest: dict, scheduler, progress):
    import xarray as xr

    data = {name: np.empty(plan.shape, dtype=dtype) for name, dtype in _variables(plan).items()}
    if plan.options["tail"]:
        data["tail"] = np.empty(plan.shape + (plan.options["tail"], len(plan.names)))
    for slices, out in _tile_results(plan, plan.tiles(), scheduler, progress):
        for name, values in out.items():
            data[name][slices] = values
    variables = {name: (plan.dims, values) for name, values in data.items() if name != "tail"}
    if "tail" in data:
        variables["tail"] = (plan.dims + ("tail_step", "state"), data["tail"])
    ds = xr.Dataset(variables, coords={d: plan.coords[d] for d in plan.dims})
    ds.attrs.update({"eoscope_manifest": json.loads(json.dumps(manifest)), "complete": True, "title": "eoscope phase sweep"})
    return ds


def _tile_results(plan: _Plan, tiles, scheduler, progress):
    """Yield (slices, outputs) per tile, computed in-process or on a dask.distributed cluster."""
    if scheduler is None:
        for index in tiles:
            slices = plan.tile_slices(index)
            yield slices, compute_tile(plan.spec, plan.dims, plan.coords, plan.options, slices)
            if progress is not None:
                progress.advance(note=f"tile {index}")
        return
    from distributed import as_completed

    futures = {}
    for index in tiles:
        slices = plan.tile_slices(index)
        future = scheduler.submit(compute_tile, plan.spec, plan.dims, plan.coords, plan.options, slices, pure=False)
        futures[future] = (index, slices)
    for future in as_completed(list(futures)):
        index, slices = futures[future]
        yield slices, future.result()
        if progress is not None:
            progress.advance(note=f"tile {index}")


def _fill_store(path: Path, plan: _Plan, scheduler, progress) -> None:
    import zarr

    root = zarr.open_group(str(path), mode="r+")
    done = root["tile_done"][...]
    todo = [index for index in plan.tiles() if not done[index]]
    if progress is not None:
        progress.advance(len(plan.tiles()) - len(todo), note="tiles already stored") if len(todo) < len(plan.tiles()) else None
    for slices, out in _tile_results(plan, todo, scheduler, progress):
        for name, values in out.items():
            root[name][slices] = values
        index = tuple(s.start // t for s, t in zip(slices, plan.tile))
        root["tile_done"][index] = 1
    root.attrs["complete"] = True


def open_sweep(path):
    """open_sweep(path) -> xarray.Dataset of a sweep store (loaded in memory); InputError if incomplete."""
    import xarray as xr

    path = Path(path)
    attrs = _stored_manifest(path) if path.exists() else None
    if not attrs or "eoscope_manifest" not in attrs:
        raise InputError(f"{path} is not an eoscope sweep store")
    if not attrs.get("complete"):
        raise InputError(f"{path} is incomplete (interrupted run): finish it with --resume")
    with xr.open_zarr(str(path), consolidated=False) as ds:
        ds = ds.drop_vars("tile_done").load()
    return ds


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
