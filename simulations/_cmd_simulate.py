"""``eoscope simulate MODEL --eta E --init ...``: one GD trajectory through the generated kernel."""
from __future__ import annotations

import sys

from ..derivations._limits import check_steps
from ..dynamics import trajectory

from ._cli_common import add_model_arguments, check_output_path, model_from_args, parse_assignments, parse_count, parse_number, print_json


def register(sub) -> None:
    parser = sub.add_parser("simulate", help="iterate GD from one initial point")
    add_model_arguments(parser)
    parser.add_argument("--eta", required=True, help="step size η > 0")
    parser.add_argument("--init", required=True, help="initial state, e.g. x=0.1,y=5.4")
    parser.add_argument("--max-steps", default="1000000", help="step limit (default 10^6)")
    parser.add_argument("--tol", default="1e-12", help="convergence tolerance on |∇L| (also on |oscillating coordinate| where its zero set is derived to consist of critical points, e.g. ℓ'(0) = 0)")
    parser.add_argument("--bound", default="1e8", help="divergence bound on |θ_i|")
    parser.add_argument("--plot", help="write the four-panel trajectory figure to this PNG")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    model = model_from_args(args)
    eta = parse_number(args.eta, "--eta")
    init = parse_assignments(args.init, "--init")
    max_steps = check_steps(parse_count(args.max_steps, "--max-steps"), "--max-steps")  # derivations._limits.MAX_STEPS
    if args.plot:
        check_output_path(args.plot)
    result = trajectory(
        model,
        eta,
        init,
        max_steps=max_steps,
        tol=parse_number(args.tol, "--tol"),
        bound=parse_number(args.bound, "--bound"),
    )  # stride: trajectory's default, every step while the history fits in memory (the figure shows each step)
    print(
        f"kernel: cache {result.kernel_cache}, compile/load {result.compile_seconds:.3f} s "
        f"({model.hash}, numba start-up excluded)",
        file=sys.stderr,
    )
    if args.plot:
        from ._figure_save import save_figure
        from ._figure_trajectory import trajectories

        save_figure(trajectories(model, [result]), args.plot)
    if args.json:
        print_json({"command": args.command_line, **result.to_dict()})
        return 0
    final = ", ".join(f"{k} = {v:.10g}" for k, v in result.final.items())
    print(f"{model.label}, η = {eta:g}, init {result.init}")
    print(f"status: {result.status} — {result.message}")
    print(f"final: {final}")
    print(f"loss: {result.loss_value:.10g}")
    print(f"sharpness S = {result.sharpness:.10g}, 2/η = {2 / eta:.10g}, η·S/2 = {result.eta_sharpness_half:.10g}")
    if args.plot:
        print(f"figure: {args.plot}")
    return 0
