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

import numpy as np
import sympy as sp
from matplotlib.figure import Figure

from ..derivations import get_loss, single_neuron
from ..dynamics import continue_orbit, critical_step_size, orbit_diagram

from ._figure_bifurcation import continuation, orbit_diagram as orbit_diagram_figure
from ._figure_save import save_figure

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


def offset_figure(sweeps: dict) -> Figure:
    """|bracket/η_c − 1| against x0 with the first-step prediction, one colour per loss."""
    fig = Figure(figsize=(7.5, 5), layout="constrained")
    ax = fig.subplots()
    for i, (name, rows) in enumerate(sweeps.items()):
        x0 = np.array([r["x0"] for r in rows])
        offset = np.array([r["relative_offset"] for r in rows])
        predicted = np.array([r["first_step_prediction"] / r["eta_c_symbolic"] - 1 for r in rows])
        ax.loglog(x0, np.abs(offset), "o", color=f"C{i}", label=rf"{name}: $|\eta_{{\rm bracket}}/\eta_c - 1|$ (measured)")
        ax.loglog(x0, np.abs(predicted), "-", color=f"C{i}", lw=1,
                  label=rf"{name}: first step stops contracting $x$, $\eta = 2/(y_0^2\,\ell'(x_0 y_0)/(x_0 y_0))$")
    ax.axhline(1e-6, color="k", ls=":", lw=1, label=r"$10^{-6}$ (acceptance at $x_0 = 10^{-4}$)")
    ax.set(xlabel=r"$x_0$ (start of the oscillating coordinate), $y_0 = 2$",
           ylabel=r"relative offset of the bracket from $\eta_c = 2/(\ell''(0)(y_0^2 - x_0^2))$")
    ax.set_title("numeric transition for this start against the stability edge of the gradient-flow limit",
                 fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left")
    return fig


def make_figures(out: str, progress) -> list[str]:
    written = []
    # 1. single neuron, catalogue loss: orbit diagram + Lyapunov + 2/η equilibrium
    model = single_neuron(get_loss("sqrt1p"))
    diagram = orbit_diagram(model, np.linspace(0.01, 1.2, 600), {"x": 0.1, "y": 4.0}, observables=["y"],
                            transient=20_000, keep=64)
    written.append(save_figure(orbit_diagram_figure(
        diagram,
        title=r"single neuron $\ell(s) = \sqrt{1+s^2}$ from $(x_0, y_0) = (0.1, 4)$: where GD settles ($y$),"
              "\n" r"Lyapunov exponents, $\eta S_\infty/2$ and $2/\eta - S_\infty$",
    ), os.path.join(out, "bifurcation_single_neuron_sqrt1p.png"), dpi=130))
    progress.advance(note="sqrt1p orbit diagram")
    # 2. scalar factorisation: continuation with its PD points + orbit diagram
    factorization = single_neuron(get_loss(expression=SCALAR_FACTORIZATION))
    cascade = continue_orbit(factorization, 0.5, {"x": 1.0, "y": 1.0}, 1, (0.5, 1.31), max_period=16)
    written.append(save_figure(continuation(
        cascade,
        title=r"GD on $(1 - xy)^2/2$ from the minimiser $(1, 1)$: period-doubling cascade on the diagonal $x = y$"
              "\n(solid stable, dashed unstable)",
    ), os.path.join(out, "continuation_scalar_factorization.png"), dpi=130))
    progress.advance(note="continuation")
    diagonal = orbit_diagram(factorization, np.linspace(0.8, 1.45, 700), {"x": 1.2, "y": 1.2}, observables=["x"],
                             transient=10_000, keep=128)
    written.append(save_figure(orbit_diagram_figure(
        diagonal,
        title=r"GD on $(1 - xy)^2/2$ from $(1.2, 1.2)$: orbit diagram of $x$, Lyapunov exponents, $\eta S_\infty/2$",
    ), os.path.join(out, "bifurcation_scalar_factorization.png"), dpi=130))
    progress.advance(note="scalar factorisation orbit diagram")
    # 3. bracket vs symbolic η_c, against x0
    sweeps = {name: offset_sweep(name, progress) for name in ("sqrt1p", "logcosh")}
    written.append(save_figure(offset_figure(sweeps), os.path.join(out, "critical_offset_vs_x0.png"), dpi=130))
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
