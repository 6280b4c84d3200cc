"""``eoscope critical MODEL --init ...``: the critical step size, symbolic and as a bisection bracket."""
from __future__ import annotations

from ..derivations._limits import check_steps
from ..dynamics import critical_step_size

from ._cli_common import parse_assignments, parse_count, parse_number, print_json
from ._cli_dynamics import model_or_map_from_args, parse_eta_range, add_model_or_map_arguments


def register(sub) -> None:
    parser = sub.add_parser("critical", help="critical step size: symbolic η_c and a numeric bracket by bisection")
    add_model_or_map_arguments(parser)
    parser.add_argument("--init", required=True, help="initial state, e.g. x=1e-4,y=2")
    parser.add_argument("--tol", default="1e-10", help="bracket width: hi − lo ≤ tol·min(1, hi) (default 1e-10)")
    parser.add_argument("--max-steps", default="200000", help="steps per classification run (default 2·10^5)")
    parser.add_argument("--eta-range", help="starting bracket a:b (default: around the symbolic value)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def parse_tol(text: str) -> float:
    """--tol: a bracket width in [1e-15, 1), checked here so that the message names the flag."""
    from ..derivations import InputError

    tol = parse_number(text, "--tol")
    if not 0 < tol < 1:
        raise InputError(f"--tol must be in (0, 1) (relative bracket width), got {text!r}")
    if tol < 1e-15:
        raise InputError(f"--tol {tol:g} is below float64 resolution (use ≥ 1e-15)")
    return tol


def run(args) -> int:
    model = model_or_map_from_args(args)
    init = parse_assignments(args.init, "--init")
    result = critical_step_size(
        model,
        init,
        tol=parse_tol(args.tol),
        max_steps=check_steps(parse_count(args.max_steps, "--max-steps", 1), "--max-steps"),
        eta_range=parse_eta_range(args.eta_range) if args.eta_range else None,
    )
    if args.json:
        print_json(result.to_dict())
        return 0
    record = result.to_dict()
    print(f"{model.label}, init {result.init}")
    if result.eta_c_symbolic is not None:
        print(f"symbolic η_c = {result.eta_c_expr} = {result.eta_c_symbolic:.15g}   (general: {result.eta_c_general})")
    else:
        print("symbolic η_c: none for this model/init")
    lo, hi = result.bracket
    print(f"bisection bracket [{lo:.15g}, {hi:.15g}]  ({result.status}: {result.status.description}; "
          f"classifier: {result.criterion})")
    if result.eta_c_symbolic is not None:
        inside = "inside" if record["symbolic_inside_bracket"] else "outside"
        print(f"agreement: relative difference {result.relative_difference:.3e}; symbolic value {inside} the bracket")
    print(result.message)
    return 0
