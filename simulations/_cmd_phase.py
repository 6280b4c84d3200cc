"""``eoscope phase MODEL --eta a:b:n --x0 a:b:n --y0 a:b:n --out run.zarr``: a phase diagram over a grid.

Axes: ``--eta`` (``--eta-scale log`` for a geometric grid) and one axis per state coordinate, given as
``--x0``/``--y0`` for the single-neuron model or generically ``--axis NAME=a:b:n`` (NAME = a state name,
with or without the trailing 0). Every point runs in the generated grid kernel, tiles are stored in a
zarr store with a manifest; ``--resume`` finishes an interrupted store; ``--scheduler tcp://host:port``
runs tiles on a dask.distributed cluster. ``--json`` prints what :func:`sweep_summary` returns:
``out``, ``counts`` (points per phase label) and ``seconds``.
"""
from __future__ import annotations

import sys
import time

from ..derivations import InputError
from ..derivations._limits import check_steps

from ._cli_common import add_model_arguments, check_output_path, model_from_args, parse_count, parse_number, print_json


def register(sub) -> None:
    parser = sub.add_parser("phase", help="phase diagram over an (η, initial state) grid, stored as zarr")
    add_model_arguments(parser)
    parser.add_argument("--eta", required=True, help="step sizes a:b:n (or one value), all > 0")
    parser.add_argument("--eta-scale", default="linear", choices=["linear", "log"], help="spacing of the η grid")
    parser.add_argument("--eta-unit", default="absolute", choices=["absolute", "critical"],
                        help="critical: --eta in units of the derived critical step size η_c (state-independent only)")
    parser.add_argument("--x0", help="initial x: a:b:n or one value (single-neuron)")
    parser.add_argument("--y0", help="initial y: a:b:n or one value (single-neuron)")
    parser.add_argument("--axis", action="append", default=[], metavar="NAME=a:b:n",
                        help="initial value axis of any state coordinate, or a derived axis the model declares "
                             "(mean-model: A0 = a₋0 + a₊0, split evenly, b0 = 0) (repeatable)")
    parser.add_argument("--axis-scale", action="append", default=[], metavar="[NAME=]log",
                        help="spacing of an initial-value axis: NAME=log|linear, or log|linear for all (repeatable)")
    parser.add_argument("--out", required=True, help="zarr store to write (a folder, e.g. run.zarr)")
    parser.add_argument("--resume", action="store_true", help="finish an interrupted store, skipping stored tiles")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")
    parser.add_argument("--scheduler", help="dask.distributed scheduler address, e.g. tcp://host:8786")
    parser.add_argument("--max-steps", default="20000", help="step limit per point (default 20000)")
    parser.add_argument("--tol", default="1e-12", help="convergence tolerance on |∇L| (also on |oscillating coordinate| where its zero set is derived to consist of critical points, e.g. ℓ'(0) = 0)")
    parser.add_argument("--bound", default="1e8", help="divergence bound on |θ_i|")
    parser.add_argument("--tail", default="0", help="also store the K states continuing from each final state")
    parser.add_argument("--tile-points", default="32768", help="points per stored tile (zarr chunk), default 2^15")
    parser.add_argument("--plot", help="write the two-panel phase figure to this PNG")
    parser.add_argument("--observable", help="right panel variable (default η·S/2; b_final for the mean model)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def axes_from_args(args) -> dict:
    axes = {}
    for key in ("x0", "y0"):
        if getattr(args, key) is not None:
            axes[key] = getattr(args, key)
    for item in args.axis:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(f"malformed --axis {item!r}: expected NAME=a:b:n")
        key = name if name.endswith("0") else name + "0"
        if key in axes:
            raise InputError(f"axis {key} given twice")
        axes[key] = spec.strip()
    return axes


def axis_scales_from_args(args, axes: dict) -> dict:
    scales = {}
    for item in args.axis_scale:
        name, sep, scale = item.rpartition("=")
        scale = scale.strip()
        if scale not in ("linear", "log"):
            raise InputError(f"--axis-scale {item!r}: the scale must be linear or log")
        targets = [name.strip()] if sep else list(axes)
        if sep and not name.strip():
            raise InputError(f"malformed --axis-scale {item!r}: expected NAME=log or log")
        for target in targets:
            scales[target] = scale
    return scales


def run(args) -> int:
    from ._output_paths import cli_wording

    with cli_wording():  # the store messages name --out, --resume, --overwrite
        return _run(args)


def _run(args) -> int:
    from ._output_paths import check_store_target
    from ._sweep import plan_sweep, sweep, sweep_summary

    model = model_from_args(args)
    options = {
        "max_steps": check_steps(parse_count(args.max_steps, "--max-steps"), "--max-steps"),
        "tol": parse_number(args.tol, "--tol"),
        "bound": parse_number(args.bound, "--bound"),
        "tail": check_steps(parse_count(args.tail, "--tail"), "--tail"),
    }
    axes = axes_from_args(args)
    axis_scales = axis_scales_from_args(args, axes)
    tile_points = parse_count(args.tile_points, "--tile-points")
    if tile_points < 1:
        raise InputError("--tile-points must be ≥ 1")
    plan = plan_sweep(model, args.eta, axes, eta_scale=args.eta_scale, options=options, tile_points=tile_points,
                      eta_unit=args.eta_unit, axis_scales=axis_scales, store=args.out)
    check_store_target(args.out, args.resume, args.overwrite)
    if args.plot:
        check_output_path(args.plot)
        if sum(n > 1 for n in plan.shape) != 2:
            raise InputError(f"--plot needs exactly two axes with n > 1 (grid shape {plan.shape})")
        if args.observable is not None:
            from ._sweep import POINT_VARIABLES

            known = [f"{n}_final" for n in plan.names] + list(POINT_VARIABLES)
            if args.observable not in known:
                raise InputError(f"--observable {args.observable!r} is not a sweep variable (choose from {', '.join(known)})")
    start = time.perf_counter()
    ds = sweep(
        model, args.eta, axes, options=options, eta_scale=args.eta_scale, store=args.out, resume=args.resume,
        overwrite=args.overwrite, scheduler=args.scheduler, progress=True, tile_points=tile_points,
        eta_unit=args.eta_unit, axis_scales=axis_scales,
    )
    seconds = time.perf_counter() - start
    summary = sweep_summary(ds, args.out, seconds)
    if args.plot:
        from ._figure_phase_relative import uses_relative_figure

        if uses_relative_figure(ds, model):
            from ._figure_phase_relative import phase_relative

            figure = phase_relative(ds, model, observable=args.observable or "b_final")
        else:
            from ._figure_phase import phase

            figure = phase(ds, model, observable=args.observable or "eta_sharpness_half")
        from ._figure_save import save_figure

        save_figure(figure, args.plot)
        summary["plot"] = args.plot
    if args.json:
        print_json(summary)
        return 0
    print(f"{model.label}: {summary['points']} points, grid {dict(zip(plan.dims, plan.shape))}, {seconds:.1f} s")
    for label, count in summary["counts"].items():
        print(f"  {label:>14}: {count}")
    print(f"store: {args.out}")
    if args.plot:
        print(f"figure: {args.plot}")
    sys.stdout.flush()
    return 0
