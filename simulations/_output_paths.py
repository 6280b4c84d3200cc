"""check_store_target / check_output_file / check_output_folder: refuse, before any work, every output path
that is not safe.

A sweep store may only be written where eoscope cannot destroy something it did not make. Refused with
:class:`~derivations.InputError` (exit 2, nothing touched):

* the root folder ``/``, the home folder, the current folder or any of its ancestors;
* a symbolic link (the target it names is not what the user sees);
* a path inside a store (an ancestor carries eoscope's marker or a ``zarr.json``);
* a path on a read-only file system, or on a pseudo file system (``/proc``, ``/sys``, ``/dev``, …);
* an existing path that is not a folder, or a folder without eoscope's ownership marker (whatever the flags);
* an existing store without ``--resume`` or ``--overwrite``, and both flags together.

Single output files (``--plot``, ``--out`` of bifurcation and network, ``--latex``) go through
:func:`check_output_file`: the folder must exist and be writable on a real, writable file system, and the
path must not be a folder or a link. ``eoscope reproduce --out DIR`` goes through :func:`check_output_folder`.
The ownership marker itself is read by :mod:`simulations._store`.
"""
from __future__ import annotations

import os
from pathlib import Path

from derivations import InputError

MARKER_FOLDER = ".eoscope"
MARKER_NAME = "store.json"
PSEUDO_FILE_SYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs", "configfs",
    "pstore", "bpf", "mqueue", "hugetlbfs", "fusectl", "autofs", "binfmt_misc", "efivarfs", "rpc_pipefs", "nsfs",
})


def marker_path(store: Path) -> Path:
    return store / MARKER_FOLDER / MARKER_NAME


def _mount_type(path: Path) -> str | None:
    """The file-system type of the mount holding ``path`` (longest mount point in /proc/self/mounts)."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as handle:
            mounts = [line.split()[:3] for line in handle if len(line.split()) >= 3]
    except OSError:
        return None
    text, best, kind = str(path), "", None
    for _, point, fstype in mounts:
        point = point.replace("\\040", " ")
        inside = text == point or text.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fstype
    return kind


def _is_read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _protected_folders() -> dict[Path, str]:
    """{resolved folder: why it is protected}: /, home, the current folder and its ancestors."""
    protected = {Path("/"): "the root folder"}
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if home:
        protected[Path(os.path.realpath(home))] = "the home folder"
    try:
        cwd = Path(os.path.realpath(os.getcwd()))
    except OSError:
        cwd = None
    if cwd is not None:
        protected[cwd] = "the current folder"
        for parent in cwd.parents:
            protected.setdefault(parent, "an ancestor of the current folder")
    return protected


def check_store_target(path, resume: bool = False, overwrite: bool = False, what: str = "--out") -> Path:
    """check_store_target(path, resume=False, overwrite=False) -> absolute Path

    Every refusal of the module docstring, as InputError with one line; touches nothing. A returned path
    either does not exist (a new store goes there) or is a folder carrying eoscope's marker (the caller
    still verifies the marker's content and the folder's inventory before writing or deleting).
    """
    if resume and overwrite:
        raise InputError(f"{what}: give --resume or --overwrite, not both")
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{what}: empty path")
    given = Path(text).expanduser()
    absolute = Path(os.path.abspath(given))
    if given.is_symlink():
        raise InputError(f"{what}: {absolute} is a symbolic link; give the folder it points to")
    resolved = Path(os.path.realpath(absolute))
    why = _protected_folders().get(resolved)
    if why is not None:
        raise InputError(f"{what}: {absolute} is {why}; eoscope never writes a store there (give a new folder, e.g. run.zarr)")
    folder = resolved.parent
    if not folder.is_dir():
        raise InputError(f"{what}: folder {folder} does not exist")
    kind = _mount_type(resolved)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise InputError(f"{what}: {absolute} is on a {kind} pseudo file system")
    for ancestor in resolved.parents:
        if marker_path(ancestor).exists() or (ancestor / "zarr.json").exists():
            raise InputError(f"{what}: {absolute} is inside the store {ancestor}")
    if _is_read_only(folder):
        raise InputError(f"{what}: folder {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what}: folder {folder} is not writable")
    if not (absolute.exists() or absolute.is_symlink()):
        return absolute
    if not absolute.is_dir():
        raise InputError(f"{what}: {absolute} exists and is not a folder; not touching it")
    if not marker_path(absolute).is_file():
        raise InputError(f"{what}: {absolute} exists and is not an eoscope store (no {MARKER_FOLDER}/{MARKER_NAME}); "
                         "eoscope replaces or resumes only stores it made, so it is left untouched")
    if not (resume or overwrite):
        raise InputError(f"{what}: {absolute} exists (use --resume to finish it or --overwrite to replace it)")
    if not os.access(absolute, os.W_OK | os.X_OK):
        raise InputError(f"{what}: {absolute} is not writable")
    return absolute


def _check_folder_writable(folder: Path, what: str) -> None:
    kind = _mount_type(folder)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise InputError(f"{what}: {folder} is on a {kind} pseudo file system")
    if _is_read_only(folder):
        raise InputError(f"{what}: folder {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what}: folder {folder} is not writable")


def check_output_file(path, what: str = "--plot") -> str:
    """check_output_file(path, what="--plot") -> path

    InputError (touching nothing) unless ``path`` names a file eoscope may write: its folder exists and is
    writable on a real, writable file system; the path is not a folder, a link or inside a sweep store."""
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{what}: empty path")
    given = Path(text).expanduser()
    absolute = Path(os.path.abspath(given))
    if given.is_symlink():
        raise InputError(f"{what}: {absolute} is a symbolic link; give a plain file path")
    if absolute.is_dir():
        raise InputError(f"{what}: {absolute} is a folder; give a file name")
    if absolute.exists() and not absolute.is_file():
        raise InputError(f"{what}: {absolute} exists and is not a regular file")
    folder = absolute.parent
    if not folder.is_dir():
        raise InputError(f"{what}: folder {folder} does not exist")
    resolved = Path(os.path.realpath(folder))
    for ancestor in (resolved, *resolved.parents):
        if marker_path(ancestor).exists():
            raise InputError(f"{what}: {absolute} is inside the store {ancestor}")
    _check_folder_writable(resolved, what)
    return text


def check_output_folder(path, what: str = "--out") -> Path:
    """check_output_folder(path) -> Path: a folder eoscope may write files into (created if missing, with
    its parents); refused: /, a pseudo or read-only file system, an existing non-folder, a store."""
    given = Path(os.fspath(path)).expanduser()
    absolute = Path(os.path.abspath(given))
    resolved = Path(os.path.realpath(absolute))
    if resolved == Path("/"):
        raise InputError(f"{what}: eoscope does not write into the root folder")
    if absolute.exists() and not absolute.is_dir():
        raise InputError(f"{what}: {absolute} exists and is not a folder")
    for ancestor in (resolved, *resolved.parents):
        if marker_path(ancestor).exists():
            raise InputError(f"{what}: {absolute} is inside the store {ancestor}")
    existing = next(p for p in (resolved, *resolved.parents) if p.exists())
    if not existing.is_dir():
        raise InputError(f"{what}: {existing} is not a folder")
    _check_folder_writable(existing, what)
    return absolute
