"""One place that checks every number a caller hands to eoscope; each check names the parameter it checks.

as_real(value, name) -> float                       a number, or strict ASCII text (:func:`parse_real`)
check_count(value, name, minimum=0) -> int          an integer ≥ minimum, ≤ ``_limits.MAX_STEPS``
check_positive(value, name) -> float                finite and > 0 (a step size η, a tolerance, a bound)
check_nonnegative(value, name) -> float             finite and ≥ 0
check_finite(value, name) -> float                  finite
check_positive_array(values, name) -> ndarray       a non-empty 1-D array of finite values > 0
Axis, parse_axis(text, name, scale, positive)       ``"a:b:n"`` (n points from a to b) or one value

Every failure is an :class:`InputError` whose message starts with ``name``. Library functions pass their own
parameter names (``"eta"``, ``"max_steps"``); only the command line speaks of flags.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._errors import InputError
from ._limits import check_axis_points, check_steps
from ._numbers import parse_real

_NUMBER_TYPES = (int, float, np.integer, np.floating)


def as_real(value, name: str) -> float:
    """as_real(value, name) -> float. A Python/numpy number, or text read by :func:`parse_real`; no bool.

    Raises:
        InputError: ``value`` is not a number (or overflows float64).
    """
    if isinstance(value, str):
        return parse_real(value, name)
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        try:  # 0-d numpy arrays, Fractions, sympy numbers
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{name} must be a number, got {value!r}") from None
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"{name} must be a number no larger than float64 allows, got {value!r}") from None


def check_finite(value, name: str) -> float:
    """check_finite(value, name) -> float. Raises InputError unless ``value`` is a finite number."""
    number = as_real(value, name)
    if not math.isfinite(number):
        raise InputError(f"{name} must be finite, got {value!r}")
    return number


def check_positive(value, name: str) -> float:
    """check_positive(value, name) -> float. Raises InputError unless ``value`` is finite and > 0."""
    number = as_real(value, name)
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")
    return number


def check_nonnegative(value, name: str) -> float:
    """check_nonnegative(value, name) -> float. Raises InputError unless ``value`` is finite and ≥ 0."""
    number = as_real(value, name)
    if not (math.isfinite(number) and number >= 0):
        raise InputError(f"{name} must be finite and ≥ 0, got {value!r}")
    return number


def check_count(value, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """check_count(value, name, minimum=0, maximum=None) -> int

    An integer (an int, an integral float, or integer text) with ``minimum ≤ value ≤ maximum``; without
    ``maximum`` the bound is ``_limits.MAX_STEPS``.

    Raises:
        InputError: not an integer, out of range, or larger than the step limit.
    """
    if isinstance(value, str):
        number = parse_real(value, name)
    elif isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise InputError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    else:
        try:
            number = float(value)
        except OverflowError:
            raise InputError(f"{name} must be an integer no larger than float64 allows, got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise InputError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    if maximum is not None and number > maximum:
        raise InputError(f"{name} must be an integer ≤ {maximum}, got {value!r}")
    return check_steps(int(number), name)


def check_positive_array(values, name: str) -> np.ndarray:
    """check_positive_array(values, name) -> 1-D float64 array, non-empty, every value finite and > 0.

    Raises:
        InputError: not numbers, empty, not 1-D, or a value that is not finite and > 0.
    """
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{name} must be numbers, got {values!r}") from None
    if array.ndim != 1 or array.size == 0:
        raise InputError(f"{name} must be a non-empty 1-D sequence of numbers")
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise InputError(f"every value of {name} must be finite and > 0")
    return array


@dataclass(frozen=True)
class Axis:
    """Axis(start, stop, num, scale="linear"): a grid axis of ``num`` points from start to stop (inclusive),
    linearly or geometrically spaced; ``num = 1`` is the single value ``start``."""

    start: float
    stop: float
    num: int
    scale: str = "linear"

    @property
    def values(self) -> np.ndarray:
        """The axis points as a float64 array (checked against ``_limits.MAX_AXIS_POINTS`` first)."""
        check_axis_points(self.num, "axis")
        if self.num == 1:
            return np.array([self.start])
        if self.scale == "log":
            return np.geomspace(self.start, self.stop, self.num)
        return np.linspace(self.start, self.stop, self.num)

    def spec(self) -> str:
        """The axis as text ``a:b:n`` (plus `` log``), which :func:`parse_axis` reads back."""
        text = f"{self.start!r}:{self.stop!r}:{self.num}" if self.num > 1 else repr(self.start)
        return text + (" log" if self.scale == "log" and self.num > 1 else "")


def parse_axis(text, name: str, scale: str = "linear", positive: bool = False) -> Axis:
    """parse_axis(text, name, scale="linear", positive=False) -> Axis

    Reads ``"a:b:n"`` (n points from a to b), ``"v"`` or a number, or checks an :class:`Axis`.

    Raises:
        InputError: a > b, n ≤ 0, a = b with n > 1, non-numbers, a value ≤ 0 when ``positive`` (step sizes), a
            log scale through values ≤ 0, or an unknown scale.
    """
    if isinstance(text, Axis):
        axis = text
    else:
        if isinstance(text, _NUMBER_TYPES) and not isinstance(text, bool):
            text = repr(float(text))
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{name} must be a:b:n or a number, got {text!r}")
        parts = text.strip().split(":")
        if len(parts) not in (1, 3):
            raise InputError(f"{name} must be a:b:n or a number, got {text!r}")
        numbers = [parse_real(part, name) for part in parts[:2]]
        if len(parts) == 1:
            axis = Axis(numbers[0], numbers[0], 1, scale)
        else:
            count = parts[2].strip(" \t\r\n")
            if not (count.isascii() and count.lstrip("+-").isdigit()):  # int() would take '1_0' and '١'
                raise InputError(f"{name}: point count {parts[2].strip()!r} is not an integer (expected a:b:n)")
            axis = Axis(numbers[0], numbers[1], int(count), scale)
    if axis.scale not in ("linear", "log"):
        raise InputError(f"{name}: scale must be linear or log, got {axis.scale!r}")
    if axis.num <= 0:
        raise InputError(f"{name}: the point count n must be ≥ 1, got {axis.num}")
    if axis.start > axis.stop:
        raise InputError(f"{name}: range start {axis.start:g} is larger than its end {axis.stop:g}")
    if axis.num > 1 and axis.start == axis.stop:
        raise InputError(f"{name}: a range with n = {axis.num} > 1 needs a < b")
    if positive and axis.start <= 0:
        raise InputError(f"{name}: every value must be > 0 (got {axis.start:g})")
    if axis.scale == "log" and axis.num > 1 and axis.start <= 0:
        raise InputError(f"{name}: a log scale needs values > 0 (got {axis.start:g})")
    return axis
