"""Figures of docs/bifurcations.md: orbit diagrams with Lyapunov curves, a continuation diagram with labelled
PD points, and the offset of the numeric critical-step bracket from the symbolic η_c against x0.

Settings:
* single neuron, ℓ = sqrt1p, from (x0, y0) = (0.1, 4) (gradient-flow limit y∞² = 15.99, η_c = 0.125),
  η ∈ [0.01, 1.2], 600 values, 2·10⁴ transient steps, 64 recorded: where GD settles (y∞), η·S∞/2 and the
  Lyapunov exponents;
* scalar factorisation ℓ(s) = (1 − s)²/2 (a custom single-neuron loss): continuation of the minimiser
  (1, 1) from η = 0.5 with branch switching up to period 16, and the orbit diagram from (1.2, 1.2);
* critical step size from (x0, y0 = 2) for x0 ∈ [1e-4, 0.3], sqrt1p and logcosh.
"""
from __future__ import annotations

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from ..derivations import get_loss, single_neuron  # noqa: E402
from ..dynamics import continue_orbit, critical_step_size, orbit_diagram  # noqa: E402

from ._figure_bifurcation import plot_continuation, plot_orbit_diagram  # noqa: E402

SCALAR_FACTORIZATION = "(1-s)**2/2"
OFFSET_X0 = np.geomspace(1e-4, 0.3, 12)
OFFSET_Y0 = 2.0


def work_units() -> int:
    return 4 + 2 * len(OFFSET_X0)


def offset_sweep(loss_name: str, progress=None) -> list[dict]:
    """Bracket midpoint vs symbolic η_c = 2/(ℓ''(0)(y0² − x0²)) for each x0 (y0 = 2), plus the first-step
    prediction 2/(y0²·ℓ'(x0y0)/(x0y0)) (where the oscillating coordinate's first step stops contracting)."""
    loss = get_loss(loss_name)
    model = single_neuron(loss)
    s = loss.function.var
    ratio = sp.lambdify(s, loss.function.derivatives[1] / s, "math")  # ℓ'(s)/s, derived
    rows = []
    for x0 in OFFSET_X0:
        result = critical_step_size(model, {"x": float(x0), "y": OFFSET_Y0}, tol=1e-9)
        first_step = 2 / (OFFSET_Y0**2 * ratio(float(x0) * OFFSET_Y0))
        rows.append(
            {
                "x0": float(x0),
                "bracket": list(result.bracket),
                "eta_c_symbolic": result.eta_c_symbolic,
                "relative_offset": (result.midpoint - result.eta_c_symbolic) / result.eta_c_symbolic,
                "first_step_prediction": first_step,
                "status": result.status,
            }
        )
        if progress is not None:
            progress.advance(note=f"critical {loss_name} x0={x0:.2g}")
    return rows


def make_figures(out: str, progress) -> list[str]:
    written = []
    # 1. single neuron, catalogue loss: orbit diagram + Lyapunov + 2/η equilibrium
    model = single_neuron(get_loss("sqrt1p"))
    diagram = orbit_diagram(model, np.linspace(0.01, 1.2, 600), {"x": 0.1, "y": 4.0}, observables=["y"],
                            transient=20_000, keep=64)
    written.append(plot_orbit_diagram(
        diagram, os.path.join(out, "bifurcation_single_neuron_sqrt1p.png"),
        title="single neuron ℓ = √(1+s²) from (x0, y0) = (0.1, 4): where GD settles (y), Lyapunov exponents, "
              "η·S∞/2 and 2/η − S∞",
    ))
    progress.advance(note="sqrt1p orbit diagram")
    # 2. scalar factorisation: continuation with labelled PD points + orbit diagram
    factorization = single_neuron(get_loss(expression=SCALAR_FACTORIZATION))
    cascade = continue_orbit(factorization, 0.5, {"x": 1.0, "y": 1.0}, 1, (0.5, 1.31), max_period=16)
    written.append(plot_continuation(
        cascade, os.path.join(out, "continuation_scalar_factorization.png"),
        title="GD on (1 − xy)²/2 from the minimiser (1, 1): period-doubling cascade on the diagonal x = y "
              "(solid stable, dashed unstable)",
    ))
    progress.advance(note="continuation")
    diagonal = orbit_diagram(factorization, np.linspace(0.8, 1.45, 700), {"x": 1.2, "y": 1.2}, observables=["x"],
                             transient=10_000, keep=128)
    written.append(plot_orbit_diagram(
        diagonal, os.path.join(out, "bifurcation_scalar_factorization.png"),
        title="GD on (1 − xy)²/2 from (1.2, 1.2): orbit diagram of x, Lyapunov exponents, η·S∞/2",
    ))
    progress.advance(note="scalar factorisation orbit diagram")
    # 3. bracket vs symbolic η_c, against x0
    sweeps = {name: offset_sweep(name, progress) for name in ("sqrt1p", "logcosh")}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (name, rows) in enumerate(sweeps.items()):
        x0 = np.array([r["x0"] for r in rows])
        offset = np.array([r["relative_offset"] for r in rows])
        predicted = np.array([r["first_step_prediction"] / r["eta_c_symbolic"] - 1 for r in rows])
        ax.loglog(x0, np.abs(offset), "o", color=f"C{i}", label=f"{name}: |bracket/η_c − 1| (measured)")
        ax.loglog(x0, np.abs(predicted), "-", color=f"C{i}", lw=1,
                  label=f"{name}: first step stops contracting x, 2/(y0²ℓ'(x0y0)/(x0y0))")
    ax.axhline(1e-6, color="k", ls=":", lw=1, label="1e-6 (acceptance at x0 = 1e-4)")
    ax.set(xlabel="x0 (start of the oscillating coordinate), y0 = 2",
           ylabel="relative offset of the bracket from η_c = 2/(ℓ''(0)(y0² − x0²))",
           title="numeric transition for this init vs stability edge of the gradient-flow limit")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(out, "critical_offset_vs_x0.png")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    written.append(path)
    data = os.path.join(out, "bifurcations.json")
    with open(data, "w") as handle:
        json.dump(
            {
                "scalar_factorization_points": [p.to_dict() for p in cascade.points],
                "critical_offset_y0": OFFSET_Y0,
                "critical_offset": sweeps,
            },
            handle,
            indent=1,
            default=lambda v: v.tolist() if hasattr(v, "tolist") else str(v),
        )
    written.append(data)
    progress.advance(note="offset figure")
    return written
