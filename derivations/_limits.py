"""Size limits: requests too large to run are refused up front (InputError), before anything is allocated.

Every limit is a named constant here so that the README's Safety section, the messages and the checks
agree. The helpers only compare counts (they never materialise a grid), so a refusal costs microseconds.
The module lives in ``derivations`` because ``dynamics`` (grid options) and ``simulations`` (sweeps, the
CLI) both use it and imports only go downward.
"""
from __future__ import annotations

import math
import os
import shutil

from ._errors import InputError

MAX_STEPS = 10**12
"""Largest step count accepted anywhere (``--max-steps``, ``--transient``, ``--keep``, ``--lyapunov-steps``,
``--tail``, ``--record-every``, ``--max-points`` and the network's T = ⌈factor/η⌉; the grid options
``max_steps``, ``tail``, ``check_every``, ``dense_steps``): 10¹², far beyond what one orbit runs in a day
(≲10⁹ steps/s per core) and far inside the kernels' int64 counters (9.2·10¹⁸)."""

MAX_AXIS_POINTS = 10**8
"""Largest point count of one sweep axis ``a:b:n`` (its coordinate array is then 800 MB); checked before
the axis values are materialised."""

MAX_GRID_POINTS = 2 * 10**9
"""Largest number of grid points of one sweep (the product of the axis lengths), stored or in memory."""

MAX_TILES = 10**6
"""Largest number of tiles of one sweep (each tile is a chunk file per variable in a store, and a task)."""

MEMORY_FRACTION = 0.5
"""Share of the machine's physical memory one request may use (arrays held at once)."""

FLOAT_BYTES = 8


def physical_memory() -> int:
    """Bytes of physical memory (os.sysconf); 8 GiB when the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 8 << 30


def memory_budget() -> int:
    """Bytes one request may hold in memory: :data:`MEMORY_FRACTION` of :func:`physical_memory`."""
    return int(physical_memory() * MEMORY_FRACTION)


def human_bytes(count: float) -> str:
    """1.5 GiB-style text for a byte count."""
    count = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if abs(count) < 1024 or unit == "EiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} EiB"  # pragma: no cover


def sci(value: float) -> str:
    """1e12-style text of a count (``2e9``, ``1.5e10``), exact for small ones."""
    if abs(value) < 1e6 and float(value) == int(value):
        return str(int(value))
    mantissa, exponent = f"{float(value):.4g}".split("e") if "e" in f"{float(value):.4g}" else (f"{float(value):.4g}", "0")
    return f"{mantissa}e{int(exponent)}" if exponent != "0" else mantissa


def check_steps(value, what: str, unit: str = "steps") -> int:
    """``value`` (already a non-negative integer) unless it exceeds :data:`MAX_STEPS`; InputError then."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{what} must be finite, got {value!r}")
    if value > MAX_STEPS:
        raise InputError(f"{what} = {sci(value)} exceeds the limit of {sci(MAX_STEPS)} {unit}")
    return value


def check_axis_points(num: int, what: str) -> None:
    """InputError when one axis asks for more than :data:`MAX_AXIS_POINTS` points."""
    if num > MAX_AXIS_POINTS:
        raise InputError(f"{what}: {num} points exceed the limit of {sci(MAX_AXIS_POINTS)} points per axis")


def check_memory(nbytes: float, what: str) -> None:
    """InputError when ``nbytes`` exceed :func:`memory_budget` (half the physical memory)."""
    budget = memory_budget()
    if nbytes > budget:
        raise InputError(f"{what} needs {human_bytes(nbytes)} of memory, more than the limit of {human_bytes(budget)} "
                         f"({MEMORY_FRACTION:.0%} of the {human_bytes(physical_memory())} of this machine)")


def check_disk(nbytes: float, folder, what: str) -> None:
    """InputError when ``nbytes`` exceed the free space of ``folder`` (shutil.disk_usage); no check when the
    folder does not exist or is on a pseudo file system (the path checks refuse those with a better message)."""
    try:
        usage = shutil.disk_usage(os.fspath(folder))
    except (OSError, TypeError, ValueError):
        return
    if usage.total == 0:  # a pseudo file system (/proc, /sys): the path checks refuse it
        return
    free = usage.free
    if nbytes > free:
        raise InputError(f"{what} needs {human_bytes(nbytes)} on disk (uncompressed), more than the "
                         f"{human_bytes(free)} free in {os.fspath(folder)}")
