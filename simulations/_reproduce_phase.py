"""Figures of docs/phase_diagrams.md: phase diagrams over (η, y0) from the grid engine.

* ``phase_sqrt1p.png``: ℓ(s) = √(1+s²), η ∈ [0.01, 1] (log), y0 ∈ [0.2, 12], x0 = 0.1 — stable below the
  curve y0² = 2/(ηℓ''(0)), EoS above it, catapult (overshoot far below 2/η) at large η;
* ``phase_scalar_factorisation.png``: ℓ(s) = (1 − s)²/2 (docs/reference_values.md §4), η ∈ [0.1, 2], y0 ∈ [0.2, 4],
  x0 = 0.1 — period doubling (periodic-2, -4, -8) and chaos before divergence.

Each is a 250 × 250 grid with ≤ 20 000 steps per point; the counts per label go to ``phase_diagrams.json``.
"""
from __future__ import annotations

import json
import os
import time

from ..derivations import get_loss, single_neuron

from ._figure_phase import phase
from ._figure_save import save_figure
from ._sweep import sweep, sweep_summary

JOBS = [
    ("phase_sqrt1p.png", "sqrt1p", None, "0.01:1:250", "log", "0.2:12:250"),
    ("phase_scalar_factorisation.png", None, "(1 - s)**2/2", "0.1:2:250", "linear", "0.2:4:250"),
]


def work_units() -> int:
    return len(JOBS)


def make_figures(out: str, progress) -> list[str]:
    written, summaries = [], {}
    for name, loss, expression, eta, scale, y0 in JOBS:
        model = single_neuron(get_loss(loss, expression))
        start = time.perf_counter()
        ds = sweep(model, eta, {"x0": "0.1", "y0": y0}, eta_scale=scale, max_steps=20_000)
        seconds = time.perf_counter() - start
        path = save_figure(phase(ds, model), os.path.join(out, name))
        summary = sweep_summary(ds, None, seconds)
        summaries[name] = {"command": f"eoscope phase single-neuron {'--loss ' + loss if loss else '--loss-expr ' + repr(expression)} "
                                      f"--eta {eta} --eta-scale {scale} --x0 0.1 --y0 {y0} --out run.zarr --plot {name}",
                           "counts": summary["counts"], "seconds": round(seconds, 2)}
        written.append(path)
        progress.advance(note=name)
    data = os.path.join(out, "phase_diagrams.json")
    with open(data, "w") as handle:
        json.dump(summaries, handle, indent=1)
    return written + [data]
