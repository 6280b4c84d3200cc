"""Four-panel trajectory figure: loss, sharpness vs 2/η, state, and the path over invariant level sets."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from ..derivations import derive  # noqa: E402


def plot_trajectories(model, runs, path: str, labels=None, title: str | None = None) -> str:
    """plot_trajectories(model, runs, path, labels=None) -> path

    ``runs`` are :class:`dynamics.Trajectory` results of ``model``. Panels against step k: loss L(θ_k)
    (log scale); sharpness S(θ_k) with the 2/η line; each state coordinate; and the path of the first
    two coordinates over level sets of the first gradient-flow invariant (hyperbolas x² − y² = c for
    ℓ(x·y)), which GD crosses while gradient flow would stay on one.
    """
    labels = labels or [f"η = {r.eta:g}" for r in runs]
    floor, floor_label = _loss_floor(model)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = model.state_names
    for i, (run, label) in enumerate(zip(runs, labels)):
        c = colors[i % len(colors)]
        k = run.history_step
        axes[0, 0].plot(k, np.abs(run.history_loss - floor), color=c, lw=1, label=label)
        axes[0, 1].plot(k, run.history_sharpness, color=c, lw=1, label=f"S, {label}")
        axes[0, 1].axhline(2 / run.eta, color=c, ls="--", lw=1, label=f"2/η = {2 / run.eta:.4g}")
        styles = ["-", ":", "-.", "--"]
        for j, name in enumerate(names):
            axes[1, 0].plot(k, run.history_state[:, j], color=c, ls=styles[j % 4], lw=1, label=f"{name}, {label}")
        if len(names) >= 2:
            axes[1, 1].plot(run.history_state[:, 0], run.history_state[:, 1], ".-", color=c, ms=2, lw=0.5, label=label)
    axes[0, 0].set(xlabel="step k", ylabel=floor_label, title="loss", yscale="log")
    axes[0, 1].set(xlabel="step k", ylabel="sharpness S = λ_max(∇²L)", title="sharpness vs 2/η")
    axes[1, 0].set(xlabel="step k", ylabel="parameter value", title="state")
    axes[1, 1].set(xlabel=names[0], ylabel=names[1] if len(names) > 1 else "", title="path over gradient-flow invariant")
    _draw_invariant_levels(model, axes[1, 1])
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0]):
        ax.set_xscale("symlog", linthresh=10)  # early steps (stable runs end fast) stay visible
        ax.set_xlim(left=0)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title or model.label)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _loss_floor(model):
    """The minimum value ℓ(s*) of L = ℓ(u), so the panel can show the excess loss on a log scale."""
    derivation = derive(model)
    if model.outer is None or not derivation.minimizers:
        return 0.0, "loss L(θ_k)"
    value = float(model.outer.value_at(0, derivation.minimizers[0]))
    return value, f"excess loss |L(θ_k) − {value:.4g}|"


def _draw_invariant_levels(model, ax) -> None:
    derivation = derive(model)
    if not derivation.invariants or model.dimension < 2:
        return
    q = derivation.invariants[0]
    first, second = model.state[0], model.state[1]
    if q.free_symbols - {first, second}:
        return
    func = sp.lambdify((first, second), q, "numpy")
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, 300), np.linspace(y_lo, y_hi, 300))
    Z = np.broadcast_to(func(X, Y), X.shape)
    ax.contour(X, Y, Z, levels=15, colors="0.7", linewidths=0.6)
    ax.plot([], [], color="0.7", lw=0.6, label=f"level sets of {sp.sstr(q)}")
