"""bench_grid.py [--json] [--points N] [--steps K] [--losses ...] [--rounds R] [--phase]: GD steps/s on a grid.

Measures, in the same run, for the single-neuron model ℓ(x·y):

* eoscope: the generated blocked SIMD grid kernel (``dynamics.grid_run``, all cores, stopping rules,
  loss sampling and sign-flip counting included);
* numpy: the derived GD map lambdified to numpy, iterated on whole arrays (no early exit);
* jax: the same map lambdified to jax.numpy inside ``jax.jit(lax.scan)`` (float64), when jax is importable.

The grid (N = 2^18 points by default) sits in the EoS region (η ∈ [0.01, 0.03], y0² ∈ [2.2, 3]/(ηℓ''(0)), x0 = 0.1),
where no point converges within K = 1000 steps, so every implementation does exactly N·K steps (checked).
``--phase`` also times a 1000 × 1000 phase diagram (η ∈ [0.01, 1] log, y0 ∈ [0.2, 12], ≤ 20 000 steps per
point with early exit). Timings are wall-clock: eoscope and jax are each run ``--rounds`` times (7), interleaved
(one eoscope run, then one jax run, per round, so that a busy moment of a shared machine hits both), and
their best and median are printed with the ratios of both; numpy (6–30× slower) runs once per loss, all
before jax is first used (so that jax's thread pool is not alive during it). The load average before the
run is printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sympy as sp  # noqa: E402

from eoscope.derivations import derive, get_loss, single_neuron  # noqa: E402
from eoscope.derivations._model import ETA  # noqa: E402
from eoscope.dynamics import grid_run  # noqa: E402


def grid(points: int, curvature: float = 1.0):
    """EoS starts: y0² = r/(η ℓ''(0)) with r ∈ [2.2, 3] (the edge is r = 2), x0 = 0.1."""
    side = int(round(points**0.5))
    etas = np.linspace(0.01, 0.03, side)
    ratios = np.linspace(2.2, 3.0, points // side)
    eta = np.repeat(etas, len(ratios))
    y0 = np.sqrt(np.tile(ratios, side) / (eta * curvature))
    return eta, np.column_stack([np.full(eta.size, 0.1), y0])


def eoscope_runner(model, eta, theta0, steps: int):
    """A callable doing one timed eoscope run (compiled / loaded from the cache here, outside the timing)."""
    grid_run(model, eta[:256], theta0[:256], max_steps=8)

    def run():
        result = grid_run(model, eta, theta0, max_steps=steps)
        return int(result.steps.sum()), result.state

    return run


def _lambdified(model, backend):
    derivation = derive(model)
    return sp.lambdify([*model.state, ETA], list(derivation.gd_map), backend)


def numpy_runner(model, eta, theta0, steps: int):
    step = _lambdified(model, "numpy")

    def run(count=steps):
        x, y = theta0[:, 0].copy(), theta0[:, 1].copy()
        for _ in range(count):
            x, y = step(x, y, eta)
        return eta.size * count, np.column_stack([x, y])

    # warm-up, untimed (first touch of numpy's 2 MB temporaries); numpy's one timed run is long (2–8 s), so
    # its figure still moves with the shared machine's load by up to 3× between runs
    run(min(steps, 50))
    return run


def jax_runner(model, eta, theta0, steps: int):
    """The derived map lambdified to jax.numpy inside jax.jit(lax.scan) (float64), or None without jax."""
    try:
        import jax
    except ImportError:
        return None, None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    step = _lambdified(model, "jax")
    e = jnp.asarray(eta)

    @jax.jit
    def scan(x, y):
        def body(carry, _):
            nx, ny = step(carry[0], carry[1], e)
            return (nx, ny), None

        return lax.scan(body, (x, y), None, length=steps)[0]

    x, y = jnp.asarray(theta0[:, 0]), jnp.asarray(theta0[:, 1])
    jax.block_until_ready(scan(x[:1].repeat(eta.size), y[:1].repeat(eta.size)))  # compile

    def run():
        out = jax.block_until_ready(scan(x, y))
        return eta.size * steps, np.column_stack([np.asarray(out[0]), np.asarray(out[1])])

    return run, jax.__version__


def timed_rounds(runners: dict, rounds: int) -> dict:
    """Time each runner once per round, the runners interleaved within a round (so that a busy moment of
    the shared machine hits all of them alike); per runner: best and median seconds over the rounds."""
    seconds = {name: [] for name in runners}
    outputs = {}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            outputs[name] = run()
            seconds[name].append(time.perf_counter() - start)
    rows = {}
    for name, times in seconds.items():
        steps, state = outputs[name]
        best, median = min(times), float(np.median(times))
        rows[name] = {"seconds": best, "median_seconds": median, "runs": len(times), "steps": steps,
                      "steps_per_second": steps / best, "median_steps_per_second": steps / median, "state": state}
    return rows


def bench_phase(model):
    from eoscope.simulations._sweep import sweep

    sweep(model, "0.01:1:8", {"x0": "0.1", "y0": "0.2:12:8"}, eta_scale="log")  # compile / cache load
    start = time.perf_counter()
    ds = sweep(model, "0.01:1:1000", {"x0": "0.1", "y0": "0.2:12:1000"}, eta_scale="log", max_steps=20_000)
    seconds = time.perf_counter() - start
    steps = int(ds["steps"].sum())
    return {"seconds": seconds, "points": int(ds["steps"].size), "steps": steps, "steps_per_second": steps / seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--points", type=int, default=1 << 18)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--losses", nargs="+", default=["sqrt1p", "logcosh", "symlogistic"])
    parser.add_argument("--rounds", type=int, default=7, help="timed runs of eoscope and jax, interleaved")
    parser.add_argument("--phase", action="store_true", help="also time a 1000 × 1000 phase diagram (sqrt1p)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.points < 1 or args.steps < 1:
        parser.error("--rounds, --points and --steps must be at least 1")
    import numba

    report = {"load_average_before": os.getloadavg()[0], "points": args.points, "steps": args.steps, "threads": numba.get_num_threads(),
              "cpu_count": os.cpu_count(), "losses": {}}
    problems = {}
    for loss in args.losses:  # numpy first, for every loss, before jax starts its thread pool
        model = single_neuron(get_loss(loss))
        eta, theta0 = grid(args.points, float(model.loss_spec.curvature_at_zero))
        problems[loss] = (model, eta, theta0, timed_rounds({"numpy": numpy_runner(model, eta, theta0, args.steps)}, 1))
    for loss, (model, eta, theta0, numpy_rows) in problems.items():  # then eoscope and jax, interleaved
        runners = {"eoscope": eoscope_runner(model, eta, theta0, args.steps)}
        jax_run, jax_version = jax_runner(model, eta, theta0, args.steps)
        if jax_run is not None:
            runners["jax"] = jax_run
            report["jax_version"] = jax_version
        rows = {**timed_rounds(runners, args.rounds), **numpy_rows}
        expected = eta.size * args.steps
        ref = rows["numpy"]["state"]
        for name, row in rows.items():
            row["all_points_ran_every_step"] = row["steps"] == expected
            row["max_rel_diff_vs_numpy"] = float(np.max(np.abs(row.pop("state") - ref) / np.abs(ref)))
        base = rows["eoscope"]
        ratios = {f"eoscope/{name}": base["steps_per_second"] / row["steps_per_second"]
                  for name, row in rows.items() if name != "eoscope"}
        median_ratios = {f"eoscope/{name}": base["median_steps_per_second"] / row["median_steps_per_second"]
                         for name, row in rows.items() if name not in ("eoscope", "numpy")}
        report["losses"][loss] = {"rows": rows, "ratios": ratios, "median_ratios": median_ratios}
    if args.phase:
        report["phase_1000x1000"] = bench_phase(single_neuron(get_loss("sqrt1p")))
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(f"grid {report['points']} points × {args.steps} steps, numba threads {report['threads']} "
          f"(cpu_count {report['cpu_count']}, load average before {report['load_average_before']:.2f})")
    for loss, entry in report["losses"].items():
        for name, row in entry["rows"].items():
            print(f"  {loss:12s} {name:8s} {row['steps_per_second']:10.3e} steps/s best of {row['runs']} "
                  f"(median {row['median_steps_per_second']:.3e}; {row['seconds']:.3f} s, "
                  f"max rel diff vs numpy {row['max_rel_diff_vs_numpy']:.1e})")
        print("  best: " + " ".join(f"{k} = {v:.2f}×" for k, v in entry["ratios"].items())
              + ("   median: " + " ".join(f"{k} = {v:.2f}×" for k, v in entry["median_ratios"].items())
                 if entry["median_ratios"] else ""))
    if args.phase:
        p = report["phase_1000x1000"]
        print(f"  phase diagram {p['points']} points: {p['seconds']:.1f} s ({p['steps']} steps, {p['steps_per_second']:.3e} steps/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
