"""A wall-clock budget for SymPy work that may never finish (simplifying the derivatives of ``s**s**s**s**s``).

    with time_budget(10.0, "loss s**s**s**s**s: SymPy did not finish deriving it within 10 s"):
        ...  # SymPy calls

SymPy cannot be polled for a deadline, so the budget is an interval timer (``signal.setitimer``,
SIGALRM) whose handler raises :class:`BudgetExceeded` inside the running computation; the context
manager turns it into :class:`InputError` with the given message. A ``BaseException`` is raised, not an
``Exception``, so that SymPy's own ``except Exception`` fallbacks cannot swallow it.

The timer exists only in the main thread of a process on a POSIX system; elsewhere (a worker thread, a
dask worker, Windows) the budget is skipped and the work runs unbounded. An enclosing budget is
respected: the inner one never extends the outer deadline, and the outer timer is re-armed on exit.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

from ._errors import InputError

DERIVE_SECONDS = 10.0


class BudgetExceeded(BaseException):
    """Raised by the SIGALRM handler inside the budgeted computation."""


def budget_available() -> bool:
    """True where a budget can be enforced: POSIX interval timers, in the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float, message: str):
    """Run the body for at most ``seconds`` of wall time, else raise InputError(message) (see the module doc)."""
    if seconds is None or seconds <= 0 or not budget_available():
        yield
        return
    token = object()

    def _expire(signum, frame):
        raise BudgetExceeded(token)

    previous_handler = signal.getsignal(signal.SIGALRM)
    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    start = time.monotonic()
    limit = seconds if previous_remaining <= 0 else min(seconds, previous_remaining)
    signal.signal(signal.SIGALRM, _expire)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, limit)
            try:
                yield
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)  # disarmed first; the one-shot timer may have fired just now
        except BudgetExceeded as exc:  # from the body, or from a signal that landed while leaving it
            if exc.args and exc.args[0] is token:
                raise InputError(message) from None
            raise
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_remaining > 0:  # re-arm an enclosing budget with what is left of it
            left = previous_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


__all__ = ["DERIVE_SECONDS", "BudgetExceeded", "budget_available", "time_budget"]
