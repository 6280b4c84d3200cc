"""Figures of docs/single_neuron.md: an EoS trajectory against a stable one, and y∞²·η·ℓ''(0)/2 vs η.

Settings (docs/reference_values.md §1): sqrt1p at η = 0.1; stable start (x0, y0²) = (1e-3, 15) (gradient flow would
end at η y∞²/2 = 0.75 < 1), EoS start (0.1, 30) (gradient flow would end at 1.5 > 1). For the sweep, every
catalogue loss starts at x0 = 0.1, y0² = 3/(η ℓ''(0)), i.e. 1.5× the stability edge.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
from matplotlib.figure import Figure

from ..derivations import CATALOGUE_NAMES, get_loss, single_neuron
from ..dynamics import GRID_STATUS_NAMES, grid_run, trajectory

from ._figure_save import save_figure
from ._figure_trajectory import trajectories

SWEEP_ETAS = np.geomspace(0.01, 1.0, 25)
SWEEP_MAX_STEPS = 5_000_000


def work_units() -> int:
    return 2 + len(CATALOGUE_NAMES) * len(SWEEP_ETAS)


def limit_sweep(loss_name: str, etas=SWEEP_ETAS, progress=None) -> list[dict]:
    """y∞²·η·ℓ''(0)/2 for each η, from x0 = 0.1, y0² = 3/(ηℓ''(0)); None where GD does not converge.

    All step sizes run in one call of the generated grid kernel (no Python loop over points).
    """
    loss = get_loss(loss_name)
    model = single_neuron(loss)
    curvature = float(loss.curvature_at_zero)
    etas = np.asarray(etas, dtype=np.float64)
    theta0 = np.column_stack([np.full(etas.size, 0.1), np.sqrt(3 / (etas * curvature))])
    if progress is not None:  # say what runs (a first run of a loss compiles its kernel) before the long call
        progress.advance(0, note=f"{loss_name}: compiling and running {etas.size} step sizes")
    result = grid_run(model, etas, theta0, max_steps=SWEEP_MAX_STEPS)
    rows = []
    for i, eta in enumerate(etas):
        status = GRID_STATUS_NAMES[int(result.status[i])]
        converged = status == "converged"
        y_sq = float(result.state[i, 1]) ** 2
        rows.append(
            {
                "eta": float(eta),
                "status": status,
                "steps": int(result.steps[i]),
                "y_inf_sq": y_sq if converged else None,
                "normalised_limit": y_sq * eta * curvature / 2 if converged else None,
            }
        )
    if progress is not None:
        progress.advance(len(etas), note=loss_name)
    return rows


def limit_figure(sweeps: dict) -> Figure:
    """η·S∞/2 = y∞²·η·ℓ''(0)/2 against η for each catalogue loss (rows of :func:`limit_sweep`)."""
    fig = Figure(figsize=(9, 4.8), layout="constrained")
    ax = fig.subplots()
    styles = ["o-", "s--", "^:", "D-", "v-."]  # distinct markers and dashes: curves that coincide stay visible
    for (name, rows), style in zip(sweeps.items(), styles * len(sweeps)):
        etas = np.array([r["eta"] for r in rows])
        values = np.array([np.nan if r["normalised_limit"] is None else r["normalised_limit"] for r in rows])
        line = ax.plot(etas, values, style, ms=4, mfc="none", label=name)[0]
        diverged = np.isnan(values)
        if diverged.any():
            ax.plot(etas[diverged], np.full(diverged.sum(), 0.05), "x", color=line.get_color(), label=f"{name}: diverged")
    ax.axhline(1.0, color="k", ls="--", lw=1, label=r"edge: $\eta S/2 = 1$")
    ax.axhline(1.5, color="0.5", ls=":", lw=1, label="gradient-flow limit (1.5)")
    ax.set(
        xscale="log",
        xlabel=r"step size $\eta$",
        ylabel=r"$y_\infty^2\,\eta\,\ell''(0)/2 = \eta S_\infty/2$",
        title=r"single neuron: where GD settles, from $y_0^2 = 3/(\eta\,\ell''(0))$, $x_0 = 0.1$",
        ylim=(0, 1.7),
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # beside the data
    return fig


def make_figures(out: str, progress) -> list[str]:
    model = single_neuron(get_loss("sqrt1p"))
    eta = 0.1
    # every step recorded (stride 1): x flips sign each step, which a coarser stride would alias
    stable = trajectory(model, eta, {"x": 1e-3, "y": math.sqrt(15.0)}, stride=1)
    progress.advance(note="stable trajectory")
    eos = trajectory(model, eta, {"x": 0.1, "y": math.sqrt(30.0)}, stride=1)
    progress.advance(note="EoS trajectory")
    first = save_figure(
        trajectories(model, [stable, eos], labels=[r"stable: $y_0^2 = 15$", r"EoS: $y_0^2 = 30$"],
                     title=r"GD on $\sqrt{1 + (xy)^2}$, $\eta = 0.1$: stable start against edge of stability"),
        os.path.join(out, "single_neuron_trajectories.png"),
    )
    sweeps = {name: limit_sweep(name, progress=progress) for name in CATALOGUE_NAMES}
    second = save_figure(limit_figure(sweeps), os.path.join(out, "single_neuron_limit_vs_eta.png"))
    data = os.path.join(out, "single_neuron_limit_vs_eta.json")
    with open(data, "w") as handle:
        json.dump({"x0": 0.1, "y0_sq": "3/(eta*ell''(0))", "sweeps": sweeps}, handle, indent=1)
    return [first, second, data]
