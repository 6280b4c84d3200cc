"""``eoscope network --d 200 --n 300 --lam 3 --eta a:b:n``: the sparse-coding network over many η (Figure 1)."""
from __future__ import annotations

import json
import math
import sys

import numpy as np

from ..derivations import InputError
from ..derivations._validate import check_count, check_positive, parse_axis

from ._cli_common import _jsonable, check_output_path, parse_count, print_json
from ._output_paths import write_text_atomically


def register(sub) -> None:
    parser = sub.add_parser("network", help="train the 3-parameter sparse-coding ReLU network for many η (Figure 1)")
    parser.add_argument("--d", default="200", help="input dimension d ≥ 1 (default 200)")
    parser.add_argument("--n", default="300", help="training samples n ≥ 1 (default 300)")
    parser.add_argument("--lam", default="3", help="signal strength λ ≥ 0 (default 3)")
    parser.add_argument("--eta", required=True, help="step sizes a:b:n (n values from a to b) or one value")
    parser.add_argument("--eta-scale", choices=("linear", "log"), default="linear", help="spacing of a:b:n")
    parser.add_argument("--seed", default="0", help="seed of data and initialisation (default 0)")
    parser.add_argument("--n-test", default="2000", help="test samples (default 2000)")
    parser.add_argument("--steps-factor", default="10", help="T = ⌈factor/η⌉ GD steps per η (default 10)")
    parser.add_argument("--record-every", default="20", help="record sharpness every K steps (default 20)")
    parser.add_argument("--no-mean-model", action="store_true", help="skip the mean-model overlay")
    parser.add_argument("--out", help="write inputs, per-η records and histories to this JSON file")
    parser.add_argument("--plot", help="write the Figure-1 reproduction to this PNG")
    parser.add_argument("--json", action="store_true", help="print the per-η records as JSON")
    parser.set_defaults(func=run)


def parse_eta_range(text: str, scale: str = "linear") -> np.ndarray:
    """``"a:b:n"`` → n values from a to b (linear or log spacing); ``"a"`` → [a]; all > 0 (names ``--eta``).

    Raises:
        InputError: not a:b:n or a number, a value ≤ 0, or more than ``MAX_ETAS`` step sizes.
    """
    from ._network import MAX_ETAS, MAX_RECORDS

    axis = parse_axis(text, "--eta", scale, positive=True)
    if axis.num > MAX_ETAS:  # before the values are made
        raise InputError(f"--eta {text!r}: {axis.num} step sizes exceed the limit of {MAX_ETAS} "
                         f"(each keeps ≥ 2 history records of the {MAX_RECORDS} allowed)")
    return axis.values


def run(args) -> int:
    from ._mean_model_sweep import mean_model_limits
    from ._network import check_network_inputs, network_sweep

    d, n, lam, n_test = check_network_inputs(args.d, args.n, args.lam, args.n_test,
                                             names=("--d", "--n", "--lam", "--n-test"))
    etas = parse_eta_range(args.eta, args.eta_scale)
    seed = parse_count(args.seed, "--seed")
    steps_factor = check_positive(args.steps_factor, "--steps-factor")
    record_every = check_count(args.record_every, "--record-every", 1)
    if args.plot:
        check_output_path(args.plot)
    if args.out:
        check_output_path(args.out, "--out")
    sweep = network_sweep(etas, d, n, lam, seed, n_test=n_test, steps_factor=steps_factor,
                          record_every=record_every, progress=True)
    mean_rows = []
    if not args.no_mean_model:
        mean_rows = mean_model_limits(etas, d, sweep.init, progress=True)
    records = sweep.records()
    for record, mean in zip(records, mean_rows or [None] * len(records)):
        record["mean_model_b_inf"] = None if mean is None else mean["b_inf"]
    result = {"inputs": sweep.inputs(), "status": str(sweep.status), "message": sweep.message, "records": records}
    if args.out:
        full = dict(result, histories=[sweep.history(i) for i in range(len(etas))])
        write_text_atomically(args.out, json.dumps(_jsonable(full), allow_nan=False))
    if args.plot:
        from ._figure_network import network as network_figure
        from ._figure_save import save_figure

        save_figure(network_figure(sweep, mean_rows, scale=args.eta_scale), args.plot)
    if args.json:
        print_json(result)
        return 0
    eta_c = sweep.critical_eta
    print(f"network d = {d}, n = {n}, λ = {lam:g}, seed {seed}; η_c = 8π/d² = {eta_c:.6g}; {sweep.message}")
    print(f"{'eta':>10} {'eta/eta_c':>9} {'b_final':>9} {'mean b∞':>9} {'a_plus':>8} {'a_minus':>8} "
          f"{'train':>6} {'test':>6} {'S_final':>9} {'eta*S/2':>7}")
    for r in records:
        mean = r["mean_model_b_inf"]
        mean_text = f"{mean:9.4f}" if mean is not None and math.isfinite(mean) else f"{'-':>9}"
        print(f"{r['eta']:10.4g} {r['eta_over_eta_c']:9.3f} {r['b_final']:9.4f} {mean_text} {r['a_plus']:8.4f} "
              f"{r['a_minus']:8.4f} {r['train_accuracy']:6.3f} {r['test_accuracy']:6.3f} "
              f"{r['final_sharpness']:9.4g} {r['eta_sharpness_half']:7.3f}")
    for path in (args.out, args.plot):
        if path:
            print(f"wrote {path}", file=sys.stderr)
    return 0
