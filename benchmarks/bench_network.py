"""Benchmark: the Figure-1 sweep of the sparse-coding network (41 η log-spaced in [1e-4, 1.2e-2], T = 10/η).

Competitors, measured in the same run on the same data:
  fast      simulations._network.network_sweep: sorted coordinates + prefix sums, O(n) amortised per step,
            prange over η (all threads), then the same with one thread;
  numpy     tests/simulations/network_reference.numpy_gd: straightforward O(n·d) numpy per step, one η at a time.
The full numpy sweep takes minutes, so by default it runs the three largest η to completion plus a
fixed slice of steps at the smallest η, and extrapolates its per-step cost to the sweep's total step
count (printed as such); ``--full`` runs all 41 η with numpy too. Target: fast sweep ≤ 10 s.

Usage: python benchmarks/bench_network.py [--full]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests/ holds the numpy reference

from eoscope.simulations._network import make_data, network_sweep  # noqa: E402
from tests.simulations.network_reference import numpy_gd  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run the whole sweep with numpy too (minutes)")
    args = parser.parse_args()
    etas = np.geomspace(1e-4, 1.2e-2, 41)
    data = make_data(200, 300, 3.0, seed=0)
    steps = np.ceil(10 / etas).astype(int)
    total_steps = int(steps.sum())

    start = time.perf_counter()
    network_sweep(etas[-2:], data=data, steps_factor=0.05)  # compile / load numba's cache
    warm = time.perf_counter() - start
    threads = numba.get_num_threads()
    start = time.perf_counter()
    fast = network_sweep(etas, data=data)
    fast_s = time.perf_counter() - start
    numba.set_num_threads(1)
    start = time.perf_counter()
    serial = network_sweep(etas, data=data)
    serial_s = time.perf_counter() - start
    numba.set_num_threads(threads)
    assert np.array_equal(fast.b_final, serial.b_final)

    measured = list(range(len(etas) - 3, len(etas))) if not args.full else list(range(len(etas)))
    numpy_steps = 0
    start = time.perf_counter()
    worst = 0.0
    for i in measured:
        final = numpy_gd(data.x_train, data.y_train, etas[i], steps[i], fast.init)
        numpy_steps += int(steps[i])
        worst = max(worst, float(np.max(np.abs(final - [fast.a_minus[i], fast.a_plus[i], fast.b_final[i]]))))
    if not args.full:  # a slice of the smallest η, whose orbit stays near b = 0
        numpy_gd(data.x_train, data.y_train, etas[0], 3000, fast.init)
        numpy_steps += 3000
    numpy_s = time.perf_counter() - start
    per_step = numpy_s / numpy_steps
    numpy_total = numpy_s if args.full else per_step * total_steps

    print(f"network sweep: d = 200, n = 300, λ = 3, 41 η in [1e-4, 1.2e-2], T = ⌈10/η⌉: {total_steps} GD steps")
    print(f"numba threads: {threads}; first call (compile or cache load): {warm:.2f} s")
    print(f"{'implementation':<44} {'seconds':>9} {'µs/step':>9} {'vs fast':>8}")
    print(f"{'fast (prefix sums, prange over η)':<44} {fast_s:9.2f} {1e6 * fast_s / total_steps:9.2f} {1.0:8.1f}")
    print(f"{'fast, 1 thread':<44} {serial_s:9.2f} {1e6 * serial_s / total_steps:9.2f} {serial_s / fast_s:8.1f}")
    label = "numpy O(n·d), measured" if args.full else f"numpy O(n·d), extrapolated ({numpy_steps} steps run)"
    print(f"{label:<44} {numpy_total:9.2f} {1e6 * per_step:9.2f} {numpy_total / fast_s:8.1f}")
    print(f"max |fast − numpy| on the final states of the η run by numpy to the end: {worst:.2e}")
    print(f"target ≤ 10 s for the fast sweep: {'met' if fast_s <= 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
