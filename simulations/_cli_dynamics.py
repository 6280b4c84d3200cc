"""CLI pieces shared by the bifurcation verbs: a catalogue model or a custom map, η grids and ranges."""
from __future__ import annotations

import argparse

import numpy as np

from ..derivations import InputError, custom_map
from ..derivations._validate import check_finite, parse_axis

from ._cli_common import model_from_args

MAX_GRID = 1_000_000


def add_model_or_map_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL (optional with --map-expr), --loss, --loss-expr, --param, --map-expr, --state."""
    parser.add_argument("model", nargs="?", help="model name, e.g. single-neuron (omit with --map-expr)")
    parser.add_argument("--loss", help="catalogue loss: sqrt1p, logcosh, symlogistic, square, huber")
    parser.add_argument("--loss-expr", help='custom loss ℓ(s) as an expression in s, e.g. "log(cosh(s))"')
    parser.add_argument("--param", action="append", default=[], metavar="K=V", help="model constant (repeatable)")
    parser.add_argument("--map-expr", help='a custom map in the state and eta, e.g. "eta*x*(1-x)" (several: ";"-separated)')
    parser.add_argument("--state", help="state variables of --map-expr, e.g. x or x,y")


def model_or_map_from_args(args):
    """The model named on the command line, or the custom map of --map-expr/--state."""
    if args.map_expr is not None or args.state is not None:
        if args.map_expr is None or args.state is None:
            raise InputError("a custom map needs both --map-expr and --state")
        if args.model not in (None, "custom-map"):
            raise InputError(f"give either a model ({args.model}) or --map-expr, not both")
        if args.loss or args.loss_expr or args.param:
            raise InputError("a custom map takes no --loss, --loss-expr or --param")
        return custom_map(args.map_expr, args.state)
    if args.model is None:
        raise InputError("a model is required (e.g. single-neuron), or a custom map with --map-expr and --state")
    return model_from_args(args)


def parse_eta_grid(text: str, name: str = "--eta") -> np.ndarray:
    """``a:b:n`` (or one value) → n equally spaced η from a to b (inclusive), at most ``MAX_GRID`` values
    (:func:`derivations._validate.parse_axis`)."""
    axis = parse_axis(text, name)
    if axis.num > MAX_GRID:
        raise InputError(f"{name}: the point count must be ≤ {MAX_GRID}, got {axis.num}")
    return axis.values


def parse_eta_range(text: str, name: str = "--eta-range") -> tuple[float, float]:
    """``a:b`` → (a, b), finite with a < b (each end read by :func:`derivations._validate.check_finite`)."""
    parts = (text or "").split(":")
    if len(parts) != 2:
        raise InputError(f"{name} must be a:b, got {text!r}")
    a, b = check_finite(parts[0], f"{name} start"), check_finite(parts[1], f"{name} end")
    if not a < b:
        raise InputError(f"{name} needs a < b, got {text!r}")
    return a, b
