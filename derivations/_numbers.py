"""One strict reader for every number a user types: plain ASCII decimal or scientific notation.

parse_real(text, what) -> float

Python's ``float()`` also accepts other scripts' digits (``"١"`` → 1.0), digit-group underscores
(``"1_0"`` → 10.0), ``inf``/``nan`` spellings and surrounding Unicode spaces, and it rounds silently:
``"1e-400"`` → 0.0, ``"1e400"`` → inf. :func:`parse_real` accepts only

    [+-] digits [. digits] [(e|E) [+-] digits]      (or [+-] . digits [...])

with the ASCII digits 0-9, and refuses, quoting the text, any value that is not finite, that overflows
the float64 range or that underflows to zero although its digits are not all zero. Errors are
:class:`InputError` whose message starts with ``what`` (e.g. ``"--eta"``).
"""
from __future__ import annotations

import math
import numbers
import re

from ._errors import InputError

_REAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MANTISSA_NONZERO = re.compile(r"[1-9]")
_ASCII_SPACE = " \t\r\n"
MAX_NUMBER_LENGTH = 400


def parse_real(text, what: str) -> float:
    """parse_real(text, what) -> float

    A finite float64 from ``text`` (a plain ASCII number such as ``0.1``, ``-3``, ``2.5e-4``); an int or
    float (not bool) is checked for finiteness and passed through. InputError naming ``what`` otherwise.
    """
    if isinstance(text, bool):
        raise InputError(f"{what} must be a number, got {text!r}")
    if isinstance(text, numbers.Real) and not isinstance(text, str):
        try:
            value = float(text)
        except (OverflowError, TypeError, ValueError):
            raise InputError(f"{what}: {text!r} is out of the float64 range") from None
        if not math.isfinite(value):
            raise InputError(f"{what} must be finite, got {text!r}")
        return value
    if not isinstance(text, str):
        raise InputError(f"{what} must be a number, got {text!r}")
    stripped = text.strip(_ASCII_SPACE)
    if not stripped:
        raise InputError(f"{what} must be a number, got {text!r}")
    if len(stripped) > MAX_NUMBER_LENGTH:
        raise InputError(f"{what}: a number of more than {MAX_NUMBER_LENGTH} characters is not accepted")
    if _REAL.fullmatch(stripped) is None:
        lowered = stripped.lower().lstrip("+-")
        if lowered in ("inf", "infinity", "nan"):
            raise InputError(f"{what} must be finite, got {text!r}")
        if not stripped.isascii():
            raise InputError(f"{what} must be a number written with the ASCII digits 0-9 (e.g. 0.1 or 2e-3), got {text!r}")
        if "_" in stripped:
            raise InputError(f"{what} must be a number without '_' separators, got {text!r}")
        raise InputError(f"{what} must be a number, got {text!r}")
    value = float(stripped)
    if math.isinf(value):
        raise InputError(f"{what}: {stripped!r} is out of the float64 range (|x| ≤ 1.8e308)")
    if value == 0.0:
        mantissa = re.split(r"[eE]", stripped)[0]
        if _MANTISSA_NONZERO.search(mantissa):
            raise InputError(f"{what}: {stripped!r} underflows to 0 in float64")
    return value


__all__ = ["MAX_NUMBER_LENGTH", "parse_real"]
