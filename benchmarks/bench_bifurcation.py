"""Benchmark (issue 5): a 2000-η orbit diagram, 10⁴ transient steps and 256 recorded, in one numba call,
against a numpy loop over the same grid (vectorised over η, the map lambdified from the same derivation)
and a plain per-η Python loop (timed on 10 η and scaled).

Run: PYTHONPATH=. python benchmarks/bench_bifurcation.py [--n 2000] [--transient 10000] [--keep 256]
Prints the time of each implementation, their ratio, and the largest difference of the recorded values.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import sympy as sp

from eoscope.derivations import ETA, custom_map, derive, get_loss, single_neuron
from eoscope.dynamics import orbit_diagram


def numpy_loop(model, etas, init, transient, keep, observable=0):
    """The same orbit diagram with numpy: one vectorised map evaluation per step for all η at once."""
    derivation = derive(model)
    step = sp.lambdify(list(model.state) + [ETA], list(derivation.gd_map), "numpy")
    state = [np.full(etas.size, float(init[name])) for name in model.state_names]
    for _ in range(transient):
        state = [np.asarray(v, dtype=float) for v in step(*state, etas)]
    values = np.empty((etas.size, keep))
    for t in range(keep):
        values[:, t] = state[observable]
        state = [np.asarray(v, dtype=float) for v in step(*state, etas)]
    return values


def python_loop_seconds(model, etas, init, transient, keep, sample=10):
    """Seconds of a plain per-η Python loop (math on floats, map lambdified from the derivation), measured on
    ``sample`` η values and scaled to the whole grid."""
    derivation = derive(model)
    step = sp.lambdify(list(model.state) + [ETA], list(derivation.gd_map), "math")
    chosen = etas[:: max(1, etas.size // sample)][:sample]
    start = time.perf_counter()
    for eta in chosen:
        state = [float(init[name]) for name in model.state_names]
        for _ in range(transient + keep):
            state = step(*state, float(eta))
    return (time.perf_counter() - start) * etas.size / chosen.size


def bench(label, model, etas, init, transient, keep):
    start = time.perf_counter()
    orbit_diagram(model, etas[:2], init, transient=1, keep=1)  # compile or load from numba's cache
    first = time.perf_counter() - start
    runs = {}
    for lyapunov in (False, True):
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            diagram = orbit_diagram(model, etas, init, transient=transient, keep=keep, lyapunov=lyapunov)
            best = min(best, time.perf_counter() - start)
        runs[lyapunov] = (best, diagram)
    start = time.perf_counter()
    reference = numpy_loop(model, etas, init, transient, keep)
    numpy_seconds = time.perf_counter() - start
    python_seconds = python_loop_seconds(model, etas, init, transient, keep)
    kernel_seconds, diagram = runs[False]
    finite = np.isfinite(reference) & np.isfinite(diagram.values[:, :, 0])
    difference = float(np.max(np.abs(reference[finite] - diagram.values[:, :, 0][finite]), initial=0.0))
    steps = etas.size * (transient + keep)
    print(f"\n{label}: {etas.size} η × ({transient} transient + {keep} recorded) = {steps:.3g} map steps")
    print(f"  first call (compile or cache load)     {first:8.3f} s")
    print(f"  numba kernel, no Lyapunov              {kernel_seconds:8.3f} s  ({steps / kernel_seconds / 1e6:6.1f} M steps/s)")
    print(f"  numba kernel, with Lyapunov (QR)       {runs[True][0]:8.3f} s")
    print(f"  numpy loop, vectorised over η          {numpy_seconds:8.3f} s  ({steps / numpy_seconds / 1e6:6.1f} M steps/s)")
    print(f"  plain Python loop per η (extrapolated) {python_seconds:8.1f} s")
    print(f"  speed-up numba / numpy                 {numpy_seconds / kernel_seconds:8.1f} ×")
    print(f"  speed-up numba / Python loop           {python_seconds / kernel_seconds:8.0f} ×")
    print(f"  max |difference| of recorded values    {difference:.2e} (chaotic η amplify round-off; 0 elsewhere)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--transient", type=int, default=10_000)
    parser.add_argument("--keep", type=int, default=256)
    args = parser.parse_args()
    bench("logistic map (custom map)", custom_map("eta*x*(1-x)", "x"), np.linspace(2.8, 4.0, args.n), {"x": 0.3},
          args.transient, args.keep)
    bench("single neuron, sqrt1p", single_neuron(get_loss("sqrt1p")), np.linspace(0.01, 1.2, args.n),
          {"x": 0.1, "y": 4.0}, args.transient, args.keep)


if __name__ == "__main__":
    main()
