"""The sweep store on disk: ownership marker, writer lock, per-tile checksums, safe replace and repair.

Layout of a store folder ``run.zarr``::

    zarr.json, <variable>/zarr.json, <variable>/c/...   the zarr v3 group (see simulations._sweep)
    .eoscope/store.json                                 ownership marker: format, random store id, manifest
    .eoscope/lock                                       the writing process (pid, its start time, host)
    .eoscope/tiles/<i>_<j>...                           SHA-256 of a finished tile's stored values

Rules (eoscope deletes only what it can prove it wrote):

* A store is recognised by its marker alone (``zarr.json`` may be torn). ``--overwrite`` replaces only a
  recognised store whose every file is one eoscope writes: the new empty store is built in a temporary
  sibling, the old one renamed aside, the new one renamed in, then the old one's files removed one by one.
* ``--resume`` rebuilds any missing or garbled metadata from the marker's manifest, re-reads every tile that
  has a checksum record, recomputes those whose values no longer match (truncated, missing or edited chunks)
  and never removes a file it did not write (a user's file inside the store stays where it is).
* One writer at a time: ``.eoscope/lock`` is created exclusively; a second run exits 2 naming the first;
  a lock whose process is gone (or whose pid now belongs to another process) is taken over.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np

from derivations import InputError

from ._output_paths import MARKER_FOLDER, MARKER_NAME, marker_path

STORE_FORMAT = "eoscope-sweep-store/1"
LOCK_NAME = "lock"
TILES_FOLDER = "tiles"
_PARTIAL = re.compile(r"\.[0-9a-f]{32}\.partial$")  # zarr's LocalStore temporary files
_OWN_TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{16}$")  # ours (atomic writes below)


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
    if not isinstance(data, dict) or data.get("format") != STORE_FORMAT or not isinstance(data.get("manifest"), dict) \
            or not isinstance(data.get("store_id"), str):
        raise InputError(f"{path}: its marker is not an {STORE_FORMAT} marker; the store is left untouched")
    return data


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".tmp-{secrets.token_hex(8)}")
    try:
        with open(temporary, "wb") as handle:
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


# ---------------------------------------------------------------- lock


def _process_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (Linux), to tell a reused pid from the original one."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(lock: dict) -> bool:
    pid = lock.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if lock.get("host") not in (None, socket.gethostname()):
        return True  # another machine's process: cannot tell, so never take it over
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    start = lock.get("start")
    return start is None or _process_start(pid) in (None, start)


class StoreLock:
    """The exclusive writer lock ``.eoscope/lock`` of a store (a context manager)."""

    def __init__(self, store: Path):
        self.store = Path(store)
        self.path = self.store / MARKER_FOLDER / LOCK_NAME
        self.token = secrets.token_hex(8)
        self.held = False

    def _content(self) -> bytes:
        pid = os.getpid()
        return json.dumps({"pid": pid, "start": _process_start(pid), "host": socket.gethostname(),
                           "token": self.token}).encode("utf-8")

    def acquire(self) -> "StoreLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None and _alive(holder):
                    raise InputError(f"{self.store} is being written by process {holder.get('pid')} on "
                                     f"{holder.get('host')} (lock {self.path}); wait for it or stop it first") from None
                stale = self.path.with_name(LOCK_NAME + f".tmp-{secrets.token_hex(8)}")
                try:  # take the stale lock over: move it aside (atomic: one taker wins), then retry
                    os.rename(self.path, stale)
                    stale.unlink()
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._content())
            self.held = True
            return self
        raise InputError(f"{self.store}: could not take the writer lock {self.path}")

    def _holder(self) -> dict | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else None
        except (OSError, ValueError, UnicodeDecodeError):
            return None  # torn lock: its writer died while writing it

    def release(self) -> None:
        if self.held:
            holder = self._holder()
            if holder is not None and holder.get("token") == self.token:
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self):
        return self.acquire() if not self.held else self

    def __exit__(self, *exc):
        self.release()


# ---------------------------------------------------------------- tiles


def tile_key(index: tuple) -> str:
    return "_".join(str(int(i)) for i in index)


def tile_digest(values: dict, dtypes: dict) -> str:
    """SHA-256 over a tile's stored values (name, dtype, shape, bytes; variables in sorted order)."""
    digest = hashlib.sha256()
    for name in sorted(values):
        array = np.ascontiguousarray(values[name], dtype=dtypes[name])
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
            if item.is_file() and re.fullmatch(r"\d+(_\d+)*", item.name):
                try:
                    records[item.name] = item.read_text(encoding="ascii").strip()
                except (OSError, UnicodeDecodeError):
                    continue
    return records


# ---------------------------------------------------------------- inventory and removal


def _is_own_file(relative: Path, arrays: set) -> bool:
    """Whether ``relative`` (inside a store) is a file eoscope or zarr writes for the arrays ``arrays``."""
    parts = relative.parts
    name = parts[-1]
    if _PARTIAL.search(name) or _OWN_TEMPORARY.search(name):
        return len(parts) == 1 or parts[0] in arrays or parts[0] == MARKER_FOLDER
    if parts == ("zarr.json",):
        return True
    if parts[0] == MARKER_FOLDER:
        return parts in ((MARKER_FOLDER, MARKER_NAME), (MARKER_FOLDER, LOCK_NAME)) or (
            len(parts) == 3 and parts[1] == TILES_FOLDER and re.fullmatch(r"\d+(_\d+)*", name) is not None)
    if parts[0] not in arrays:
        return False
    if len(parts) == 2:
        return name == "zarr.json"
    return parts[1] == "c" and all(p.isdigit() for p in parts[2:])


def foreign_files(store: Path, arrays: set) -> list[str]:
    """Files (and links, and other non-folders) in ``store`` that eoscope did not write."""
    found = []
    for folder, dirs, files in os.walk(store):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            relative = Path(os.path.relpath(os.path.join(folder, name), store))
            if os.path.islink(os.path.join(folder, name)) or not _is_own_file(relative, arrays):
                found.append(str(relative))
    return sorted(found)


def remove_own_store(store: Path, arrays: set) -> list[str]:
    """Remove the files eoscope wrote in ``store``, then its folders once empty; returns what stayed."""
    for folder, dirs, files in os.walk(store, topdown=False):
        for name in files:
            full = os.path.join(folder, name)
            relative = Path(os.path.relpath(full, store))
            if not os.path.islink(full) and _is_own_file(relative, arrays):
                os.unlink(full)
        try:
            os.rmdir(folder)
        except OSError:
            pass  # not empty: something we did not write is still there
    return foreign_files(store, arrays) if store.exists() else []


def store_arrays(manifest: dict) -> set:
    """The names of the zarr arrays a store with this manifest holds."""
    grid = manifest.get("grid", {})
    names = set(grid.get("dims", [])) | set(grid.get("coords", {})) | {"tile_done"}
    names |= set(manifest.get("variables", []))
    return names


# ---------------------------------------------------------------- creating, replacing, repairing


def new_sibling(path: Path, label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.{label}-", dir=path.parent))


def install_new_store(path: Path, build, manifest: dict, overwrite: bool) -> StoreLock:
    """Build a new store with ``build(folder)`` in a temporary sibling (marker and lock included) and move it
    to ``path``; with ``overwrite`` the old store (already checked to hold only eoscope's files) is renamed
    aside first and its files removed afterwards. Returns the held lock of the new store."""
    old_lock = None
    if path.exists():
        if not overwrite:
            raise InputError(f"--out: {path} exists")
        old_manifest = read_marker(path)["manifest"]
        arrays = store_arrays(old_manifest)
        extra = foreign_files(path, arrays)
        if extra:
            shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
            raise InputError(f"--overwrite: {path} holds files eoscope did not write ({shown}); "
                             "move them out first, nothing was changed")
        old_lock = StoreLock(path).acquire()
    tmp = new_sibling(path, "new")
    try:
        build(tmp)
        _write_marker(tmp, manifest)
        lock = StoreLock(tmp).acquire()
        aside = None
        if old_lock is not None:
            aside = new_sibling(path, "old")
            os.rmdir(aside)
            os.rename(path, aside)
        os.rename(tmp, path)
    except BaseException:
        if tmp.exists():
            remove_own_store(tmp, store_arrays(manifest) | _skeleton_arrays(tmp))
        if old_lock is not None:
            old_lock.release()
        raise
    lock.store, lock.path = path, path / MARKER_FOLDER / LOCK_NAME
    if aside is not None:
        left = remove_own_store(aside, arrays)
        if left:
            import sys

            print(f"eoscope: warning: kept {aside}: it holds files eoscope did not write ({', '.join(left[:3])})",
                  file=sys.stderr)
    return lock


def _skeleton_arrays(folder: Path) -> set:
    return {p.name for p in folder.iterdir() if p.is_dir() and p.name != MARKER_FOLDER} if folder.exists() else set()


def repair_metadata(path: Path, build) -> list[str]:
    """Rewrite, from a freshly built skeleton (``build(folder)``), every metadata or coordinate file of the
    store at ``path`` that is missing or differs; returns the repaired files (relative paths)."""
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
                    same = target.is_file() and not target.is_symlink() and target.read_bytes() == data
                except OSError:
                    same = False
                if not same:
                    if target.is_dir() and not target.is_symlink():
                        raise InputError(f"--resume: {target} should be a file but is a folder; the store is left as it is")
                    _write_atomically(target, data)
                    repaired.append(str(relative))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a folder this call created and filled
    return sorted(repaired)


def clean_partial_files(path: Path, arrays: set) -> None:
    """Remove zarr's and our temporary files left by a killed run (only inside our arrays' folders)."""
    for folder, _, files in os.walk(path):
        for name in files:
            relative = Path(os.path.relpath(os.path.join(folder, name), path))
            if (_PARTIAL.search(name) or _OWN_TEMPORARY.search(name)) and _is_own_file(relative, arrays):
                os.unlink(os.path.join(folder, name))
