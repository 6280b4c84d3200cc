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

import contextlib
import contextvars
import functools
import inspect
import os
import secrets
from pathlib import Path

from ..derivations import InputError

MAX_NAME_BYTES = 200  # a file name's limit is 255 bytes; eoscope's temporary siblings add ".<name>.new-<random>"
MARKER_FOLDER = ".eoscope"
MARKER_NAME = "store.json"
PSEUDO_FILE_SYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs", "configfs",
    "pstore", "bpf", "mqueue", "hugetlbfs", "fusectl", "autofs", "binfmt_misc", "efivarfs", "rpc_pipefs", "nsfs",
})


_CLI_WORDING = contextvars.ContextVar("eoscope_cli_wording", default=False)
_WORDS = {  # what the library calls it, what the command line calls it
    "out": ("store", "--out"),
    "resume": ("resume=True", "--resume"),
    "overwrite": ("overwrite=True", "--overwrite"),
}


def word(name: str) -> str:
    """The name of ``out``/``resume``/``overwrite`` in messages: the parameter (``resume=True``), or inside
    :func:`cli_wording` the flag (``--resume``): the library names its parameters, only the CLI speaks of flags."""
    return _WORDS[name][_CLI_WORDING.get()]


@contextlib.contextmanager
def cli_wording():
    """Within this block the store messages name the command line's flags (``--out``, ``--resume``, ...)."""
    token = _CLI_WORDING.set(True)
    try:
        yield
    finally:
        _CLI_WORDING.reset(token)


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


def _containing_store(folders, any_zarr: bool = False) -> Path | None:
    """The first of ``folders`` that is an eoscope store (its marker; with ``any_zarr`` also any zarr group)."""
    for folder in folders:
        if marker_path(folder).exists() or (any_zarr and (folder / "zarr.json").exists()):
            return folder
    return None


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


def physical_path(path, what: str, expand_user: bool = True) -> Path:
    """The absolute path the kernel means by ``path`` (``..`` taken after the links before it, as the kernel
    does), its final component left unresolved; InputError when that final component is a symbolic link."""
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError(f"{what}: empty path")
    if "\0" in str(text):
        raise InputError(f"{what}: the path contains a NUL character")
    given = os.path.expanduser(text) if expand_user else text
    head, tail = os.path.split(given.rstrip("/") or "/")
    if tail in ("", ".", ".."):
        return Path(os.path.realpath(given))
    physical = Path(os.path.realpath(head or ".")) / tail
    if len(os.fsencode(tail)) > MAX_NAME_BYTES:
        raise InputError(f"{what}: the name {tail[:40]!r}… is longer than {MAX_NAME_BYTES} bytes")
    if os.path.islink(physical):
        raise InputError(f"{what}: {physical} is a symbolic link; give the path it points to")
    return physical


def _guarded(check):
    """Turn an OSError or ValueError of a path check (EACCES, ENAMETOOLONG, a NUL byte) into InputError."""
    signature = inspect.signature(check)

    @functools.wraps(check)
    def checked(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except InputError:
            raise
        except (OSError, ValueError) as exc:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise InputError(f"{bound.arguments['what'] or word('out')}: cannot use {os.fspath(bound.arguments['path'])!r}: {reason}") from None
    return checked


@_guarded
def check_store_target(path, resume: bool = False, overwrite: bool = False, what: str | None = None) -> Path:
    """check_store_target(path, resume=False, overwrite=False, what=None) -> absolute Path

    Every refusal of the module docstring, as InputError with one line; touches nothing. A returned path
    either does not exist (a new store goes there) or is a folder carrying eoscope's marker (the caller
    still verifies the marker's content and the folder's inventory, under the store's lock, before writing
    or deleting).
    """
    what = what or word("out")
    if resume and overwrite:
        raise InputError(f"{what}: give {word('resume')} or {word('overwrite')}, not both")
    target = physical_path(path, what)
    why = _protected_folders().get(target)
    if why is not None:
        raise InputError(f"{what}: {target} is {why}; eoscope never writes a store there (give a new folder, e.g. run.zarr)")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{what}: folder {folder} does not exist")
    kind = _mount_type(target)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise InputError(f"{what}: {target} is on a {kind} pseudo file system")
    store = _containing_store(target.parents, any_zarr=True)
    if store is not None:
        raise InputError(f"{what}: {target} is inside the store {store}")
    if _is_read_only(folder):
        raise InputError(f"{what}: folder {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what}: folder {folder} is not writable")
    if not os.path.lexists(target):
        return target
    if not target.is_dir():
        raise InputError(f"{what}: {target} exists and is not a folder; not touching it")
    if os.stat(target).st_dev != os.stat(folder).st_dev:
        raise InputError(f"{what}: {target} is a mount point; eoscope does not replace or resume it")
    if not marker_path(target).is_file():
        raise InputError(f"{what}: {target} exists and is not an eoscope store (no {MARKER_FOLDER}/{MARKER_NAME}); "
                         "eoscope replaces or resumes only stores it made, so it is left untouched")
    if not (resume or overwrite):
        raise InputError(f"{what}: {target} exists (use {word('resume')} to finish it or {word('overwrite')} to replace it)")
    if not os.access(target, os.W_OK | os.X_OK):
        raise InputError(f"{what}: {target} is not writable")
    return target


def _check_folder_writable(folder: Path, what: str) -> None:
    kind = _mount_type(folder)
    if kind in PSEUDO_FILE_SYSTEMS:
        raise InputError(f"{what}: {folder} is on a {kind} pseudo file system")
    if _is_read_only(folder):
        raise InputError(f"{what}: folder {folder} is on a read-only file system")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what}: folder {folder} is not writable")


@_guarded
def check_output_file(path, what: str = "--plot") -> str:
    """check_output_file(path, what="--plot") -> path

    InputError (touching nothing) unless ``path`` names a file eoscope may write: its folder exists and is
    writable on a real, writable file system; the path is not a folder, a link or inside a sweep store.
    ``~`` is not expanded (the path is checked exactly as it will be written)."""
    target = physical_path(path, what, expand_user=False)
    if target.is_dir():
        raise InputError(f"{what}: {target} is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise InputError(f"{what}: {target} exists and is not a regular file")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"{what}: folder {folder} does not exist")
    store = _containing_store((folder, *folder.parents))
    if store is not None:
        raise InputError(f"{what}: {target} is inside the store {store}")
    _check_folder_writable(folder, what)
    return os.fspath(path)


@_guarded
def check_output_folder(path, what: str = "--out") -> Path:
    """check_output_folder(path) -> Path: a folder eoscope may write files into (created if missing, with
    its parents); refused: /, a pseudo or read-only file system, an existing non-folder, a store."""
    absolute = Path(os.path.abspath(os.fspath(path)))  # not expanded: checked exactly as it will be created
    resolved = Path(os.path.realpath(absolute))
    if resolved == Path("/"):
        raise InputError(f"{what}: eoscope does not write into the root folder")
    if absolute.exists() and not absolute.is_dir():
        raise InputError(f"{what}: {absolute} exists and is not a folder")
    store = _containing_store((resolved, *resolved.parents))
    if store is not None:
        raise InputError(f"{what}: {absolute} is inside the store {store}")
    existing = next(p for p in (resolved, *resolved.parents) if p.exists())
    if not existing.is_dir():
        raise InputError(f"{what}: {existing} is not a folder")
    _check_folder_writable(existing, what)
    return absolute


@contextlib.contextmanager
def atomic_output(path):
    """``with atomic_output(path) as temporary: write to temporary`` — then renamed onto ``path``, so that an
    error or a kill never leaves ``path`` half-written. The temporary file sits in the same folder, ends in
    the same suffix (writers that infer a format from it keep working) and is removed on failure."""
    path = Path(os.fspath(path))
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp{path.suffix}")
    try:
        yield str(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text_atomically(path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_output`."""
    with atomic_output(path) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
