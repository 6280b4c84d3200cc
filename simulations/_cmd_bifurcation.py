"""``eoscope bifurcation MODEL --eta a:b:n --init ...``: orbit diagram, Lyapunov exponents and the 2/η equilibrium."""
from __future__ import annotations

import json
import sys

import numpy as np

from ..derivations import InputError
from ..derivations._limits import check_steps
from ..derivations._validate import check_count
from ..dynamics import orbit_diagram

from ._cli_common import _jsonable, check_output_path, parse_assignments, parse_count, parse_number, print_json
from ._cli_dynamics import add_model_or_map_arguments, model_or_map_from_args, parse_eta_grid
from ._output_paths import atomic_output, write_text_atomically


def register(sub) -> None:
    parser = sub.add_parser("bifurcation", help="orbit diagram over an η grid, with Lyapunov exponents and η·S∞/2")
    add_model_or_map_arguments(parser)
    parser.add_argument("--eta", required=True, help="η grid a:b:n (n values from a to b)")
    parser.add_argument("--init", required=True, help="initial state, e.g. x=0.1,y=2")
    parser.add_argument("--observable", default=None,
                        help="what to record: a state name, loss, eta_sharpness_half, sharpness, inner (x*y); "
                             "several comma-separated (default: the first state variable)")
    parser.add_argument("--transient", default="10000", help="steps discarded per η (default 10^4)")
    parser.add_argument("--keep", default="256", help="steps recorded per η (default 256)")
    parser.add_argument("--warm", action="store_true", help="start each η from the previous η's final state")
    parser.add_argument("--bound", default="1e8", help="divergence bound on |θ_i|")
    parser.add_argument("--no-lyapunov", action="store_true", help="skip the tangent dynamics")
    parser.add_argument("--lyapunov-steps", default=None,
                        help="average the Lyapunov exponents over this many final steps (default --keep; "
                             "more than --keep takes the rest from the end of the transient; at most --keep + --transient; "
                             "on a periodic orbit the mean is over the largest whole number of periods)")
    parser.add_argument("--out", help="write the full result to this .json or .npz file")
    parser.add_argument("--plot", help="write the orbit diagram + Lyapunov (+ η·S∞/2) figure to this PNG")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    model = model_or_map_from_args(args)
    etas = parse_eta_grid(args.eta)
    init = parse_assignments(args.init, "--init")
    if args.out:
        check_output_path(args.out, "--out")
        if not args.out.endswith((".json", ".npz")):
            raise InputError(f"--out must end in .json or .npz, got {args.out!r}")
    if args.plot:
        check_output_path(args.plot)
    transient = check_steps(parse_count(args.transient, "--transient"), "--transient")  # derivations._limits.MAX_STEPS
    keep = check_steps(parse_count(args.keep, "--keep", 1), "--keep")
    steps = etas.size * (transient + keep)
    lyapunov_steps = None
    if args.lyapunov_steps:
        lyapunov_steps = check_count(args.lyapunov_steps, "--lyapunov-steps", 1)
        if not args.no_lyapunov and lyapunov_steps > keep + transient:
            raise InputError(f"lyapunov_steps = {lyapunov_steps} exceeds keep + transient = {keep + transient}: "
                             "raise --transient or lower --lyapunov-steps")
    result = orbit_diagram(
        model,
        etas,
        init,
        observables=args.observable or model.state_names[0],
        transient=transient,
        keep=keep,
        warm=args.warm,
        bound=parse_number(args.bound, "--bound"),
        lyapunov=not args.no_lyapunov,
        lyapunov_steps=lyapunov_steps,
        progress=steps > 2e7,  # long runs (≳ 0.5 s): a tqdm bar on stderr, advancing every ~10⁷ steps
    )
    record = result.to_dict()
    if args.out:
        if args.out.endswith(".json"):
            write_text_atomically(args.out, json.dumps(_jsonable(record), allow_nan=False))
        else:
            with atomic_output(args.out) as temporary:
                np.savez_compressed(
                    temporary,
                    eta=result.eta,
                    values=result.values,
                    observables=np.array(result.observables),
                    diverged=result.diverged,
                    final=result.final,
                    lyapunov=result.lyapunov,
                    sharpness_final=result.sharpness,
                    period_estimate=result.periods(),
                    manifest=json.dumps(_jsonable({k: v for k, v in record.items() if k not in ("values", "final")})),
                )
    if args.plot:
        from ._figure_bifurcation import orbit_diagram as orbit_diagram_figure
        from ._figure_save import save_figure

        save_figure(orbit_diagram_figure(result), args.plot, dpi=130)
    if args.json:
        print_json(record)
        return 0
    periods = result.periods()
    print(f"{model.label}: {result.message} ({result.seconds:.2f} s in the kernel, incl. a first-use numba compile or cache load)")
    print(f"{'eta':>14} {'period':>7} {'lyapunov':>10} {'eta*S/2':>10}  {result.observables[0]} (last values)")
    show = np.unique(np.linspace(0, etas.size - 1, min(etas.size, 21)).astype(int))
    for i in show:
        period = "div" if result.diverged[i] else (str(periods[i]) if periods[i] else "-")
        last = result.values[i, -min(4, result.keep):, 0]
        ratio = f"{result.eta_sharpness_half[i]:10.4f}" if model.explicit_map is None else f"{'-':>10}"
        print(f"{etas[i]:14.8g} {period:>7} {result.lyapunov[i, 0]:10.4f} {ratio}  "
              + " ".join(f"{v:.6g}" for v in last))
    if etas.size > show.size:
        print(f"({show.size} of {etas.size} η shown; --json or --out for all)")
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}", file=sys.stderr)
    return 0
