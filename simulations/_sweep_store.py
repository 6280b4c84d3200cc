"""write_store(path, plan, manifest, ...) and open_sweep(path): a sweep's zarr store, written safely.

The steps that make a store that a crash, SIGKILL or Ctrl-C never leaves looking complete, and that a
resumed run finishes bit-identically (ownership, lock and checksums: :mod:`simulations._store`):

1. new store: the empty group (metadata, coordinates, manifest with ``complete = false``), its ownership
   marker and writer lock are built in a temporary sibling and renamed into place (``--overwrite``: the
   old store is renamed aside and its files removed after the new one is in place);
2. resume: metadata missing or garbled is rebuilt from the marker's manifest; every tile with a checksum
   record is re-read and kept only if its values still hash to the record;
3. each computed tile is written into its chunks, then its SHA-256 recorded, then marked in ``tile_done``;
   Ctrl-C lets the tile being written finish, then stops (a second Ctrl-C stops at once);
4. when every tile is stored the group attribute ``complete`` is set.

The group's metadata is consolidated into its root ``zarr.json`` when the skeleton is built (the variables'
metadata never changes afterwards; setting ``complete`` rewrites the root attributes beside it), so
``xarray.open_zarr(path)`` opens a store without listing its folder, and without warnings.
"""
from __future__ import annotations

import signal
import sys
import threading
import warnings
from pathlib import Path

import numpy as np

from ..derivations import InputError

from ._store import (clean_partial_files, drop_tile_record, install_new_store, read_marker, record_tile, recorded_tiles,
                     repair_metadata, store_arrays, tile_digest, tile_key)
from ._output_paths import word
from ._store_lock import StoreLock


def build_skeleton(folder: Path, plan, manifest: dict, variables: dict) -> None:
    """Write the empty zarr group of ``plan`` into ``folder``: coordinates, empty variables, ``tile_done``, each
    with its ``units``/``long_name`` (and CF flag) attributes; then consolidate the group's metadata."""
    import zarr

    root = zarr.open_group(str(folder), mode="w", zarr_format=3)
    for dim in plan.dims:
        array = root.create_array(dim, shape=(len(plan.coords[dim]),), dtype="float64", chunks=(len(plan.coords[dim]),),
                                  dimension_names=[dim], fill_value=np.nan, attributes=plan.attrs(dim))
        array[:] = plan.coords[dim]
    for name, (dim, values) in plan.extra_coords.items():
        array = root.create_array(name, shape=(len(values),), dtype="float64", chunks=(len(values),),
                                  dimension_names=[dim], fill_value=np.nan, attributes=plan.attrs(name))
        array[:] = values
    for name, dtype in variables.items():
        if name == "tail":
            k, n = plan.options["tail"], len(plan.names)
            root.create_array("tail", shape=plan.shape + (k, n), dtype="float64", chunks=plan.tile + (k, n),
                              dimension_names=list(plan.dims) + ["tail_step", "state"], fill_value=np.nan,
                              attributes=plan.attrs("tail"))
            continue
        fill = np.nan if dtype == "float64" else 0
        root.create_array(name, shape=plan.shape, dtype=dtype, chunks=plan.tile, dimension_names=list(plan.dims),
                          fill_value=fill, attributes=plan.attrs(name))
    root.create_array("tile_done", shape=plan.tile_grid, dtype="int8", chunks=(1,) * len(plan.dims),
                      dimension_names=[f"tile_{d}" for d in plan.dims], fill_value=0, attributes=plan.attrs("tile_done"))
    root.attrs.update({"eoscope_manifest": manifest, "complete": False, "title": "eoscope phase sweep"})
    with warnings.catch_warnings():  # zarr notes that consolidated metadata is not in the v3 specification yet
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(folder))


def _comparable(manifest: dict) -> dict:
    return {key: value for key, value in manifest.items() if key not in ("versions", "git")}


def _check_resumable(path: Path, stored: dict, manifest: dict) -> None:
    """InputError unless the store was started with the same arguments, grid kernel and package versions
    (anything else could mix results that differ in the last bit)."""
    if stored.get("grid_codegen") != manifest["grid_codegen"]:
        raise InputError(f"{word('resume')}: {path} was made by another version of the grid kernel "
                         f"({stored.get('grid_codegen', 'older')}, now {manifest['grid_codegen']}); "
                         f"use {word('overwrite')} or another {word('out')}")
    if _comparable(stored) != _comparable(manifest):
        raise InputError(f"{word('resume')}: {path} was made with different arguments; use {word('overwrite')} or another "
                         f"{word('out')}")
    before, now = stored.get("versions") or {}, manifest.get("versions") or {}
    changed = [f"{name} {before.get(name)} → {now.get(name)}" for name in ("eoscope", "numpy", "numba", "sympy")
               if before.get(name) != now.get(name)]
    if changed:
        raise InputError(f"{word('resume')}: {path} was started with other package versions ({', '.join(changed)}), "
                         f"which could change results; use {word('overwrite')} or another {word('out')}")


def write_store(path: Path, plan, manifest: dict, variables: dict, tile_results, resume: bool, overwrite: bool,
                progress=None) -> None:
    """Create (or, with ``resume``, verify and repair) the store at ``path`` and compute its missing tiles.

    ``path`` has passed :func:`simulations._output_paths.check_store_target`. ``tile_results(tiles)`` yields
    ``(slices, {variable: values})`` for the tile indices given; ``progress(indices)`` (if given) is told the
    tiles found already stored."""
    if resume and path.exists():
        lock = StoreLock(path).acquire()
        try:
            stored = read_marker(path)["manifest"]  # read under the lock: no --overwrite can swap it meanwhile
            _check_resumable(path, stored, manifest)
            clean_partial_files(path, store_arrays(stored))
            repair_metadata(path, lambda folder: build_skeleton(folder, plan, stored, variables))
            done = _verified_tiles(path, plan, variables)
            _fill(path, plan, variables, done, tile_results, progress)
        finally:
            lock.release()
        return
    lock = install_new_store(path, lambda folder: build_skeleton(folder, plan, manifest, variables), manifest, overwrite)
    try:
        _fill(path, plan, variables, set(), tile_results, progress)
    finally:
        lock.release()


def _read_tile(root, plan, variables: dict, slices: tuple) -> dict:
    return {name: root[name][slices] for name in variables}


def _verified_tiles(path: Path, plan, variables: dict) -> set:
    """The tiles whose stored values hash to their record; records of the others are dropped."""
    import zarr

    root = zarr.open_group(str(path), mode="r+")
    records = recorded_tiles(path)
    verified = set()
    for index in plan.tiles():
        key = tile_key(index)
        if key not in records:
            continue
        try:
            values = _read_tile(root, plan, variables, plan.tile_slices(index))
            good = tile_digest(values, variables) == records[key]
        except Exception:  # a truncated or garbled chunk fails to decode
            good = False
        if good:
            verified.add(index)
        else:
            drop_tile_record(path, index)
    flags = np.zeros(plan.tile_grid, dtype=np.int8)  # written whole: a garbled tile_done chunk is never read
    for index in verified:
        flags[index] = 1
    root["tile_done"][...] = flags
    return verified


class _DeferredInterrupt:
    """While active, a first Ctrl-C is remembered (the current tile still gets stored); a second one stops at once."""

    def __init__(self):
        self.requested = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("eoscope: interrupt: storing the current tile, then stopping (Ctrl-C again to stop now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _fill(path: Path, plan, variables: dict, done: set, tile_results, progress) -> None:
    import zarr

    root = zarr.open_group(str(path), mode="r+")
    tiles = plan.tiles()
    todo = [index for index in tiles if index not in done]
    if progress is not None and len(todo) < len(tiles):
        progress([index for index in tiles if index in done])
    stored = len(tiles) - len(todo)
    with _DeferredInterrupt() as interrupt:
        for slices, out in tile_results(todo):
            index = tuple(s.start // t for s, t in zip(slices, plan.tile))
            for name, values in out.items():
                root[name][slices] = values
            record_tile(path, index, tile_digest(out, variables))
            root["tile_done"][index] = 1
            stored += 1
            if interrupt.requested:
                print(f"eoscope: stopped after {stored} of {len(tiles)} tiles; {word('resume')} finishes {path}",
                      file=sys.stderr, flush=True)
                raise KeyboardInterrupt
    root.attrs["complete"] = True


def open_sweep(path):
    """open_sweep(path) -> xarray.Dataset

    Read a complete sweep store into memory (the variables of :func:`eoscope.sweep`, without the store's
    bookkeeping array ``tile_done``). ``xarray.open_zarr(path)`` opens the same store lazily.

    Arguments:
        path: the store folder that :func:`eoscope.sweep` (``store=``) or ``eoscope phase --out`` wrote.

    Returns:
        xarray.Dataset with the manifest in ``attrs["eoscope_manifest"]``.

    Raises:
        InputError: ``path`` is not an eoscope sweep store, is incomplete (an interrupted run: ``resume``
            finishes it) or cannot be read.
    """
    import xarray as xr
    import zarr

    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path} is not an eoscope sweep store")
    try:
        attrs = dict(zarr.open_group(str(path), mode="r").attrs)
    except Exception:
        attrs = None
    if not attrs or "eoscope_manifest" not in attrs:
        raise InputError(f"{path} is not an eoscope sweep store (or its metadata is torn: {word('resume')} repairs it)")
    if not attrs.get("complete"):
        raise InputError(f"{path} is incomplete (interrupted run): finish it with {word('resume')}")
    try:
        with warnings.catch_warnings():  # a store written before consolidation: zarr lists .eoscope/, no zarr node
            warnings.filterwarnings("ignore", message="Object at .eoscope is not recognized")
            with xr.open_zarr(str(path), consolidated=_consolidated(path)) as ds:
                ds = ds.drop_vars("tile_done").load()
    except Exception as exc:
        raise InputError(f"{path}: cannot read the store ({type(exc).__name__}); {word('resume')} verifies and repairs it") from None
    extra = [name for name in attrs["eoscope_manifest"]["grid"].get("coords", {}) if name in ds.data_vars]
    return ds.set_coords(extra) if extra else ds


def _consolidated(path: Path) -> bool:
    """Whether the store's root ``zarr.json`` holds consolidated metadata (stores of older eoscope do not)."""
    import json

    try:
        return json.loads((path / "zarr.json").read_text(encoding="utf-8")).get("consolidated_metadata") is not None
    except (OSError, ValueError, AttributeError):
        return False
