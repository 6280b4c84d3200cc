"""The sweep store on disk: ownership marker, per-tile checksums, inventory, safe replace and repair.

Layout of a store folder ``run.zarr``::

    zarr.json, <array>/zarr.json, <array>/c/<i>/<j>/...   the zarr v3 group (see simulations._sweep_store)
    .eoscope/store.json                                    ownership marker: format, random store id, manifest
    .eoscope/lock                                          the writer lock (simulations._store_lock)
    .eoscope/tiles/<i>_<j>...                              SHA-256 of a finished tile's stored values

Rules (eoscope deletes only what it can prove it wrote):

* A store is recognised by its marker alone (``zarr.json`` may be torn). ``--overwrite`` replaces only a
  recognised store whose every file *and folder* is one eoscope writes (:func:`foreign_entries`): the new
  empty store is built in a temporary sibling, the old one renamed aside, the new one renamed in (never over
  anything: ``renameat2(RENAME_NOREPLACE)``), then the old one's files removed one by one, its marker last.
* ``--resume`` rebuilds missing or garbled metadata from the marker's manifest and never removes a file it
  did not write; it refuses a store holding symbolic links (it would write through them).
"""
from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..derivations import InputError

from ._output_paths import MARKER_FOLDER, MARKER_NAME, marker_path, word
from ._store_lock import LOCK_NAME, StoreLock

STORE_FORMAT = "eoscope-sweep-store/1"
TILES_FOLDER = "tiles"
_TILE_KEY = re.compile(r"\d+(_\d+)*")
_PARTIAL = re.compile(r"\.[0-9a-f]{32}\.partial")  # zarr's LocalStore: <key stem>.<uuid hex>.partial
_OWN_TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{16}")  # ours: <name>.tmp-<hex> (atomic writes below)


# ---------------------------------------------------------------- marker


def read_marker(path: Path) -> dict:
    """The marker of the store at ``path``; InputError with the reason when it is not a recognisable store."""
    marker = marker_path(path)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path} is not an eoscope store (no {MARKER_FOLDER}/{MARKER_NAME})") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: its marker {MARKER_FOLDER}/{MARKER_NAME} cannot be read ({type(exc).__name__}); "
                         "the store is not recognised and is left untouched") from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    grid = manifest.get("grid") if isinstance(manifest, dict) else None
    well_formed = (
        isinstance(data, dict) and data.get("format") == STORE_FORMAT and isinstance(data.get("store_id"), str)
        and isinstance(grid, dict) and isinstance(grid.get("dims"), list) and isinstance(grid.get("coords", {}), dict)
        and isinstance(manifest.get("variables"), list)
        and all(isinstance(n, str) for n in grid["dims"] + list(grid.get("coords", {})) + manifest["variables"])
    )
    if not well_formed:
        raise InputError(f"{path}: its marker is not a well-formed {STORE_FORMAT} marker; the store is left untouched")
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".tmp-{secrets.token_hex(8)}")
    try:
        with open(temporary, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _write_marker(folder: Path, manifest: dict) -> str:
    store_id = secrets.token_hex(16)
    text = json.dumps({"format": STORE_FORMAT, "store_id": store_id, "manifest": manifest}, indent=1)
    _write_atomically(marker_path(folder), text.encode("utf-8"))
    return store_id


def store_arrays(manifest: dict) -> set:
    """The names of the zarr arrays a store with this (validated) manifest holds."""
    grid = manifest["grid"]
    return set(grid["dims"]) | set(grid.get("coords", {})) | set(manifest["variables"]) | {"tile_done"}


# ---------------------------------------------------------------- tiles


def tile_key(index: tuple) -> str:
    return "_".join(str(int(i)) for i in index)


def tile_digest(values: dict, dtypes: dict) -> str:
    """SHA-256 over a tile's values (name, dtype, shape, bytes; variables in sorted order), NaNs made canonical
    (zarr reads a chunk it skipped as all-fill back as +NaN, whatever NaN was written)."""
    digest = hashlib.sha256()
    for name in sorted(values):
        array = np.ascontiguousarray(values[name], dtype=dtypes[name])
        if array.dtype.kind == "f":
            array = np.where(np.isnan(array), np.nan, array)
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def record_tile(store: Path, index: tuple, digest: str) -> None:
    _write_atomically(store / MARKER_FOLDER / TILES_FOLDER / tile_key(index), digest.encode("ascii"))


def drop_tile_record(store: Path, index: tuple) -> None:
    (store / MARKER_FOLDER / TILES_FOLDER / tile_key(index)).unlink(missing_ok=True)


def recorded_tiles(store: Path) -> dict:
    """{tile key: recorded digest} of the tiles marked done."""
    folder = store / MARKER_FOLDER / TILES_FOLDER
    records = {}
    if folder.is_dir():
        for item in folder.iterdir():
            if item.is_file() and _TILE_KEY.fullmatch(item.name):
                try:
                    records[item.name] = item.read_text(encoding="ascii").strip()
                except (OSError, UnicodeDecodeError):
                    continue
    return records


# ---------------------------------------------------------------- inventory and removal


def _is_own_folder(parts: tuple, arrays: set) -> bool:
    """Whether the folder ``parts`` (relative to a store) is one eoscope or zarr creates."""
    if parts in ((), (MARKER_FOLDER,), (MARKER_FOLDER, TILES_FOLDER)):
        return True
    if not parts or parts[0] not in arrays:
        return False
    return len(parts) == 1 or (parts[1] == "c" and all(p.isdigit() for p in parts[2:]))


def _is_own_file(parts: tuple, arrays: set) -> bool:
    """Whether the file ``parts`` (relative to a store) is one eoscope or zarr writes for ``arrays``."""
    folder, name = parts[:-1], parts[-1]
    if not _is_own_folder(folder, arrays):
        return False
    if folder == (MARKER_FOLDER,):
        return name in (MARKER_NAME, LOCK_NAME) or re.fullmatch(re.escape(MARKER_NAME) + _OWN_TEMPORARY.pattern, name) is not None
    if folder == (MARKER_FOLDER, TILES_FOLDER):
        return re.fullmatch(_TILE_KEY.pattern + f"({_OWN_TEMPORARY.pattern})?", name) is not None
    if len(folder) <= 1:  # the group's or an array's metadata, or zarr's temporary copy of it
        return name == "zarr.json" or re.fullmatch("zarr" + _PARTIAL.pattern, name) is not None
    return re.fullmatch(r"\d+(" + _PARTIAL.pattern + ")?", name) is not None  # a chunk, or zarr's temporary one


def foreign_entries(store: Path, arrays: set) -> list[str]:
    """Everything in ``store`` eoscope did not create: files, folders, links (never followed), others."""
    found = []
    for folder, dirs, files in os.walk(store):
        base = Path(os.path.relpath(folder, store)).parts if folder != str(store) else ()
        for name in sorted(dirs):
            full = os.path.join(folder, name)
            if os.path.islink(full) or not _is_own_folder(base + (name,), arrays):
                found.append(os.path.join(*base, name) + ("" if os.path.islink(full) else "/"))
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d)) and _is_own_folder(base + (d,), arrays)]
        for name in files:
            full = os.path.join(folder, name)
            if os.path.islink(full) or not os.path.isfile(full) or not _is_own_file(base + (name,), arrays):
                found.append(os.path.join(*base, name))
    return sorted(found)


def links_inside(store: Path) -> list[str]:
    """Symbolic links anywhere in ``store`` (not followed)."""
    found = []
    for folder, dirs, files in os.walk(store):
        for name in dirs + files:
            if os.path.islink(os.path.join(folder, name)):
                found.append(os.path.relpath(os.path.join(folder, name), store))
    return sorted(found)


def remove_own_store(store: Path, arrays: set) -> list[str]:
    """Remove the files and folders eoscope created in ``store``, its marker last (until then the folder stays
    recognisable), never following a link; returns what stayed (entries eoscope did not create)."""
    marker = marker_path(store)
    for folder, _, files in os.walk(store, topdown=False):  # links to folders are listed, never entered
        base = Path(os.path.relpath(folder, store)).parts if folder != str(store) else ()
        if not _is_own_folder(base, arrays):
            continue
        for name in files:
            full = os.path.join(folder, name)
            if full != str(marker) and not os.path.islink(full) and _is_own_file(base + (name,), arrays):
                os.unlink(full)
        if base and base != (MARKER_FOLDER,):
            try:
                os.rmdir(folder)
            except OSError:
                pass  # not empty: something eoscope did not create is still there
    if os.listdir(store) == [MARKER_FOLDER] and os.listdir(store / MARKER_FOLDER) == [MARKER_NAME]:
        marker.unlink()
        os.rmdir(store / MARKER_FOLDER)
        os.rmdir(store)
    return foreign_entries(store, arrays) if store.exists() else []


# ---------------------------------------------------------------- creating, replacing, repairing


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` only if ``target`` does not exist (FileExistsError otherwise): Linux's
    renameat2(RENAME_NOREPLACE); elsewhere a check then os.rename (a small window)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


def new_sibling(path: Path, label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.{label}-", dir=path.parent))


def install_new_store(path: Path, build, manifest: dict, overwrite: bool) -> StoreLock:
    """Build a new store with ``build(folder)`` in a temporary sibling (marker and lock included) and move it
    to ``path``; with ``overwrite`` the old store (checked to hold only what eoscope wrote, and locked) is
    renamed aside first and removed afterwards. Returns the held lock of the new store."""
    old_lock, arrays = None, set()
    if overwrite and path.exists():
        old_lock = StoreLock(path).acquire()
        try:
            arrays = store_arrays(read_marker(path)["manifest"])
            extra = foreign_entries(path, arrays)
        except BaseException:
            old_lock.release()
            raise
        if extra:
            old_lock.release()
            shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
            raise InputError(f"{word('overwrite')}: {path} holds entries eoscope did not create ({shown}); "
                             "move them out first, nothing was changed")
    tmp = new_sibling(path, "new")
    aside = lock = None
    try:
        build(tmp)
        _write_marker(tmp, manifest)
        lock = StoreLock(tmp).acquire()
        if old_lock is not None:
            aside = new_sibling(path, "old")
            os.rmdir(aside)
            os.rename(path, aside)
            old_lock.moved_to(aside)
        try:
            rename_no_replace(tmp, path)
        except FileExistsError:
            raise InputError(f"{word('out')}: {path} appeared while the new store was being built (another run?); "
                             "nothing of it was changed") from None
        lock.moved_to(path)
    except BaseException:
        if aside is not None and aside.exists() and not os.path.lexists(path):
            os.rename(aside, path)  # put the old store back where it was
            old_lock.moved_to(path)
        if lock is not None and lock.store == tmp:
            lock.release()
        if tmp.exists():
            remove_own_store(tmp, store_arrays(manifest))
        if old_lock is not None:
            old_lock.release()
        raise
    if aside is not None:
        left = remove_own_store(aside, arrays)
        old_lock.release()
        if left:
            import sys

            print(f"eoscope: warning: kept {aside}: it holds entries eoscope did not create ({', '.join(left[:3])})",
                  file=sys.stderr)
    return lock


def repair_metadata(path: Path, build) -> list[str]:
    """Rewrite, from a freshly built skeleton (``build(folder)``), every metadata or coordinate file of the
    store at ``path`` that is missing or differs; returns the repaired files (relative paths)."""
    links = links_inside(path)
    if links:
        raise InputError(f"{word('resume')}: {path} holds symbolic links ({', '.join(links[:3])}); eoscope does not write "
                         "through them, the store is left as it is")
    tmp = new_sibling(path, "repair")
    repaired = []
    try:
        build(tmp)
        for folder, _, files in os.walk(tmp):
            for name in files:
                source = Path(folder) / name
                relative = source.relative_to(tmp)
                target = path / relative
                data = source.read_bytes()
                try:
                    same = target.is_file() and target.read_bytes() == data
                except OSError:
                    same = False
                if not same:
                    if target.exists() and not target.is_file():
                        raise InputError(f"{word('resume')}: {target} should be a file; the store is left as it is")
                    _write_atomically(target, data)
                    repaired.append(str(relative))
    except OSError as exc:
        raise InputError(f"{word('resume')}: {path} cannot be repaired: {exc.strerror} ({exc.filename})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a folder this call created and filled
    return sorted(repaired)


def clean_partial_files(path: Path, arrays: set) -> None:
    """Remove zarr's and our temporary files left by a killed run (only where eoscope writes them)."""
    for folder, dirs, files in os.walk(path):
        base = Path(os.path.relpath(folder, path)).parts if folder != str(path) else ()
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            full = os.path.join(folder, name)
            temporary = _PARTIAL.search(name) or _OWN_TEMPORARY.search(name)
            if temporary and not os.path.islink(full) and _is_own_file(base + (name,), arrays):
                os.unlink(full)
