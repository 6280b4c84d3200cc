"""Shared CLI pieces: argument parsing that fails with InputError, model options, JSON output."""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

from ..derivations import InputError, build_model, parse_real


def parse_number(text: str, what: str) -> float:
    """A finite float from ``text`` (plain ASCII decimal or scientific notation, see
    :func:`derivations.parse_real`: no ``1_0``, no other scripts' digits, no silent under/overflow), else
    InputError naming ``what``."""
    return parse_real(text, what)


def parse_count(text, what: str, minimum: int = 0) -> int:
    """An integer ≥ ``minimum`` from ``text`` (``"1e4"`` allowed), else InputError naming ``what``."""
    value = parse_number(text, what)
    if value != int(value) or value < minimum:
        bound = "a non-negative integer" if minimum == 0 else f"an integer ≥ {minimum}"
        raise InputError(f"{what} must be {bound}, got {text!r}")
    return int(value)


def parse_assignments(text: str, what: str) -> dict[str, float]:
    """``"x=0.1,y=2"`` → {"x": 0.1, "y": 2.0}; InputError on anything malformed."""
    if text is None or not text.strip():
        raise InputError(f"{what} is empty: expected name=value[,name=value...]")
    values: dict[str, float] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not name.isidentifier():
            raise InputError(f"malformed {what} item {item.strip()!r}: expected name=value")
        if name in values:
            raise InputError(f"{what} sets {name!r} twice")
        values[name] = parse_number(value.strip(), f"{what} value of {name}")
    return values


def parse_params(items) -> dict[str, float]:
    """Repeatable ``--param k=v`` (each item may hold several comma-separated pairs)."""
    params: dict[str, float] = {}
    for item in items or []:
        for name, value in parse_assignments(item, "--param").items():
            if name in params:
                raise InputError(f"--param sets {name!r} twice")
            params[name] = value
    return params


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model name, e.g. single-neuron")
    parser.add_argument("--loss", help="catalogue loss: sqrt1p, logcosh, symlogistic, square, huber")
    parser.add_argument("--loss-expr", help='custom loss ℓ(s) as an expression in s, e.g. "log(cosh(s))"')
    parser.add_argument("--param", action="append", default=[], metavar="K=V", help="model constant (repeatable)")


def model_from_args(args):
    return build_model(args.model, loss=args.loss, loss_expr=args.loss_expr, params=parse_params(args.param))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def print_json(value) -> None:
    """Print strict JSON (NaN/inf become null) on stdout."""
    json.dump(_jsonable(value), sys.stdout, indent=2, allow_nan=False, ensure_ascii=False)
    sys.stdout.write("\n")


def check_output_path(path: str, what: str = "--plot") -> str:
    """Fail early (InputError) unless ``path`` is a file eoscope may write (see
    :func:`simulations._output_paths.check_output_file`)."""
    from ._output_paths import check_output_file

    return check_output_file(path, what)
