"""``eoscope continue MODEL --from-orbit ... --eta-range a:b``: continuation with labelled PD/LP points."""
from __future__ import annotations

from ..derivations import InputError
from ..derivations._validate import check_count
from ..dynamics import continue_orbit

from ._cli_common import check_output_path, parse_assignments, parse_number, print_json
from ._cli_dynamics import add_model_or_map_arguments, model_or_map_from_args, parse_eta_range


def register(sub) -> None:
    parser = sub.add_parser("continue", help="continue a fixed point or period-k orbit in η; label PD and LP points")
    add_model_or_map_arguments(parser)
    parser.add_argument("--from-orbit", required=True,
                        help="a point on (near) the orbit, e.g. x=0.6 or x=1,y=1 (may also set eta=... and period=...)")
    parser.add_argument("--period", default=None, help="period k of the start orbit (1 ≤ k ≤ 64, default 1)")
    parser.add_argument("--eta", default=None, help="η of the start orbit (default: the start of --eta-range)")
    parser.add_argument("--eta-range", required=True, help="continuation range a:b (must contain the start η; a negative start: --eta-range=-0.5:0.5)")
    parser.add_argument("--max-period", default="16", help="follow period doublings up to this period (default 16)")
    parser.add_argument("--max-points", default="3000", help="points per branch (default 3000)")
    parser.add_argument("--plot", help="write the continuation diagram to this PNG")
    parser.add_argument("--branches", action="store_true", help="with --json: include every branch point")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    model = model_or_map_from_args(args)
    init = parse_assignments(args.from_orbit, "--from-orbit")
    lo, hi = parse_eta_range(args.eta_range)
    eta = init.pop("eta", None)
    period = init.pop("period", None)
    if args.eta is not None:
        if eta is not None:
            raise InputError("η given twice (--eta and eta= in --from-orbit)")
        eta = parse_number(args.eta, "--eta")
    if args.period is not None:
        if period is not None:
            raise InputError("period given twice (--period and period= in --from-orbit)")
        period = parse_number(args.period, "--period")
    eta = lo if eta is None else eta
    period = 1 if period is None else period
    if period != int(period):
        raise InputError(f"period must be an integer, got {period:g}")
    if args.plot:
        check_output_path(args.plot)
    result = continue_orbit(
        model,
        eta,
        init,
        int(period),
        (lo, hi),
        max_period=check_count(args.max_period, "--max-period", 1, 64),
        max_points=check_count(args.max_points, "--max-points", 2, MAX_BRANCH_POINTS),
    )
    if args.plot:
        from ._figure_bifurcation import continuation as continuation_figure
        from ._figure_save import save_figure

        save_figure(continuation_figure(result), args.plot, dpi=130)
    if args.json:
        print_json(result.to_dict(branches=args.branches))
        return 0
    print(f"{model.label}: start {result.start_state} (period {result.period}) at η = {result.eta:g}")
    multipliers = ", ".join(f"{m.real:.6g}" if abs(m.imag) < 1e-12 else f"{m.real:.6g}{m.imag:+.6g}i"
                            for m in result.start_multipliers)
    print(f"start orbit multipliers: {multipliers} ({result.start_stability})")
    print(f"status: {result.status} — {result.message}")
    if result.points:
        print(f"{'type':>4} {'eta':>20} {'period':>6}  state")
        for p in result.points:
            state = ", ".join(f"{k} = {v:.12g}" for k, v in p.state.items())
            print(f"{p.type:>4} {p.eta:20.14g} {p.period:>6}  {state}")
    else:
        print("no PD or LP points in the range")
    if args.plot:
        print(f"figure: {args.plot}")
    return 0


MAX_BRANCH_POINTS = 10**6  # continuation steps run in Python (a Newton solve each): ~10⁶ is hours already

