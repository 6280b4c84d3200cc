"""StoreLock(store): one writer per sweep store, through ``.eoscope/lock``.

The lock is the kernel's: ``fcntl.flock(LOCK_EX | LOCK_NB)`` on ``.eoscope/lock``, held for as long as the
writing process runs and dropped by the kernel when it dies (SIGKILL included), so a stale lock file, or a
torn one, is simply taken over. The file's content only *names* the holder (pid, its start time, host) for
the message a second writer gets. After taking the lock the holder checks that the path still names the
file it locked (a releasing holder unlinks it), and retries otherwise.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
from pathlib import Path

from ..derivations import InputError

from ._output_paths import MARKER_FOLDER

LOCK_NAME = "lock"


def process_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (Linux), which tells a reused pid from the original one."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


class StoreLock:
    """The exclusive writer lock of a store (a context manager); :meth:`acquire` raises InputError naming the
    holder when another process writes the store."""

    def __init__(self, store: Path):
        self.store = Path(store)
        self.fd = None

    @property
    def path(self) -> Path:
        return self.store / MARKER_FOLDER / LOCK_NAME

    @property
    def held(self) -> bool:
        return self.fd is not None

    def acquire(self) -> "StoreLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for _ in range(8):
                fd = os.open(self.path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    raise InputError(self._busy_message()) from None
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
                except FileNotFoundError:
                    same = False
                if not same:  # the previous holder unlinked it between our open and our lock: try again
                    os.close(fd)
                    continue
                pid = os.getpid()
                content = json.dumps({"pid": pid, "start": process_start(pid), "host": socket.gethostname()})
                os.ftruncate(fd, 0)
                os.pwrite(fd, content.encode("utf-8"), 0)
                self.fd = fd
                return self
        except OSError as exc:
            raise InputError(f"{self.store}: cannot take the writer lock {self.path}: {exc.strerror}") from None
        raise InputError(f"{self.store}: could not take the writer lock {self.path}")

    def _busy_message(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            who = f"process {holder['pid']} on {holder['host']}"
        except (OSError, ValueError, KeyError, TypeError):
            who = "another process"  # it is writing its name right now
        return f"{self.store} is being written by {who} (lock {self.path}); wait for it or stop it first"

    def moved_to(self, store: Path) -> None:
        """The locked store folder was renamed to ``store`` (the open, locked file moved with it)."""
        self.store = Path(store)

    def release(self) -> None:
        if self.fd is not None:
            try:
                self.path.unlink(missing_ok=True)  # while still locked, so no one locks a file about to vanish
            finally:
                os.close(self.fd)  # drops the flock
                self.fd = None

    def __enter__(self):
        return self if self.held else self.acquire()

    def __exit__(self, *exc):
        self.release()
