"""Benchmark (issue 6): certified orbit of the single-neuron model, naive interval extension vs centred form.

Both propagate a box through the *derived* GD map with mpmath ``iv`` at the same precision (200 bits),
sqrt1p, η = 0.3, x0 = 0.1, y0 = √(3/η). Printed: box width of x after k steps and time per step, then the
ratio. The naive extension F(X) over-approximates by wrapping and its width explodes at the edge of
stability; the centred form F(c) + DF(X)(X − c) (used by the claim single-neuron.eos-limit) stays tight.
Then the wall time of every registered claim (default loss sqrt1p), as `eoscope verify` runs them.

Run: PYTHONPATH=. python benchmarks/bench_claims.py
"""
from __future__ import annotations

import time

import mpmath
from mpmath import iv

from eoscope.derivations import ETA, derive, get_loss, single_neuron
from eoscope.derivations.claims import registered_claims, run_claim
from eoscope.derivations.claims._interval import _interval_function

CHECKPOINTS = (50, 100, 200, 400, 575)


def propagate(method: str, steps: int = 575, prec: int = 200):
    model = single_neuron(get_loss("sqrt1p"))
    d = derive(model)
    x, y = model.state
    F = _interval_function((x, y, ETA), list(d.gd_map))
    J = _interval_function((x, y, ETA), list(d.jacobian))
    iv.prec = prec
    eta = iv.mpf("0.3")
    X = [iv.mpf("0.1"), iv.sqrt(3 / eta)]
    widths = {}
    start = time.perf_counter()
    for k in range(1, steps + 1):
        try:
            if method == "naive":
                X = F(X[0], X[1], eta)
            else:
                c = [iv.mpf(v.mid) for v in X]
                Fc = F(c[0], c[1], eta)
                Jx = J(X[0], X[1], eta)
                r = [X[0] - c[0], X[1] - c[1]]
                X = [Fc[0] + Jx[0] * r[0] + Jx[1] * r[1], Fc[1] + Jx[2] * r[0] + Jx[3] * r[1]]
        except (ValueError, ZeroDivisionError, mpmath.libmp.libmpf.ComplexResult):
            widths[k] = float("inf")
            break
        if k in CHECKPOINTS:
            widths[k] = float(mpmath.mpf(X[0].delta))
        if not mpmath.isfinite(X[0].delta) or X[0].delta > 1:
            widths[k] = float("inf") if not mpmath.isfinite(X[0].delta) else float(mpmath.mpf(X[0].delta))
            break
    seconds = time.perf_counter() - start
    return widths, seconds / k, k


def main() -> None:
    print("certified orbit, sqrt1p, eta = 0.3, 200-bit intervals: width of the x-box after k steps")
    results = {m: propagate(m) for m in ("naive", "centred")}
    print(f"{'k':>5} " + " ".join(f"{m:>14}" for m in results))
    keys = sorted(set().union(*[r[0] for r in results.values()]))
    for k in keys:
        print(f"{k:>5} " + " ".join(f"{results[m][0].get(k, float('nan')):>14.3e}" for m in results))
    for m, (widths, per_step, k) in results.items():
        print(f"{m:>8}: {1e3 * per_step:.3f} ms/step, stopped at step {k}")
    ratio = results["centred"][1] / results["naive"][1]
    print(f"time per step centred/naive: {ratio:.2f}x (the centred form also evaluates the Jacobian)")
    print("\nwall time of each registered claim (loss sqrt1p):")
    total = 0.0
    for c in registered_claims():
        r = run_claim(c)
        total += r.seconds
        print(f"  {c.id:<40} {c.kind}  {r.status:<13} {r.seconds:7.2f} s")
    print(f"  total {total:.1f} s")


if __name__ == "__main__":
    main()
