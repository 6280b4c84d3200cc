"""Figure 1 of Ahn et al. 2023 on eoscope's network sweep, plus the mean model and the sharpness.

plot_network(sweep, mean_rows, path, scale="linear") -> path
plot_mean_model_limits(rows, d, path) -> path

Panels of ``plot_network``: (a) final bias b vs η, the mean model's b∞(η) overlaid, dashed η_c = 8π/d²,
inset zoom around η_c; (b) final train/test accuracy vs η with the zero-bias baseline Φ(λ/√d);
(c) final sharpness vs η against 2/η; (d) sharpness trajectories for η below and above η_c against
their 2/η.
"""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.special import ndtr  # noqa: E402

from ._mean_model_sweep import relu_mean, threshold_law_bias  # noqa: E402


def _trajectory_indices(sweep, count: int = 4) -> list[int]:
    """Indices of η spread over [0.5, 4]·η_c (below and above the threshold), when present."""
    ratios = sweep.etas / sweep.critical_eta
    targets = [0.6, 1.2, 2.0, 4.0][:count]
    chosen = []
    for target in targets:
        i = int(np.argmin(np.abs(np.log(ratios / target))))
        if i not in chosen:
            chosen.append(i)
    return chosen


def plot_network(sweep, mean_rows, path: str, scale: str = "linear") -> str:
    """Write the four-panel Figure-1 reproduction for a :class:`NetworkSweep` to ``path``."""
    eta_c = sweep.critical_eta
    etas = sweep.etas
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    ax_b, ax_acc, ax_s, ax_traj = axes.ravel()

    def mark_threshold(ax):
        ax.axvline(eta_c, color="k", ls="--", lw=1)

    ax_b.plot(etas, sweep.b_final, "o-", ms=3, color="C0", label="network: final b")
    edge_b = np.array([sweep.edge_moment(i)[1] for i in range(len(etas))])
    if np.isfinite(edge_b).any():
        ax_b.plot(etas, edge_b, "s", ms=4, mfc="none", color="C1", label="network: b at the edge (η·S/2 ≈ 1)")
    if mean_rows:
        m_eta = np.array([r["eta"] for r in mean_rows])
        ax_b.plot(m_eta, [r["b_inf"] for r in mean_rows], "-", color="C3", lw=1.5, label="mean model: b∞")
    mark_threshold(ax_b)
    ax_b.plot([], [], "k--", lw=1, label=f"η_c = 8π/d² = {eta_c:.3g}")
    ax_b.set(xscale=scale, xlabel="step size η", ylabel="final bias b",
             title=f"(a) bias after T = {sweep.steps_factor:g}/η steps (d = {sweep.d}, n = {sweep.n}, λ = {sweep.lam:g})")
    low = float(np.nanmin(np.concatenate([sweep.b_final, edge_b[np.isfinite(edge_b)]])))
    ax_b.set_ylim(low - 0.05 * abs(low) - 0.05, 0.45 * abs(low) + 0.1)  # headroom for the legend
    ax_b.legend(fontsize=7, loc="upper right", ncol=2)
    ax_b.grid(alpha=0.3)
    inset = ax_b.inset_axes([0.08, 0.08, 0.4, 0.4])
    near = (etas >= 0.3 * eta_c) & (etas <= 2.5 * eta_c)
    if near.any():
        inset.plot(etas[near] / eta_c, sweep.b_final[near], "o-", ms=2.5, color="C0")
        inset.plot(etas[near] / eta_c, edge_b[near], "s", ms=3, mfc="none", color="C1")
        if mean_rows:
            keep = (m_eta >= 0.3 * eta_c) & (m_eta <= 2.5 * eta_c)
            inset.plot(m_eta[keep] / eta_c, np.array([r["b_inf"] for r in mean_rows])[keep], "-", color="C3", lw=1.2)
        inset.axvline(1.0, color="k", ls="--", lw=1)
        inset.set_xlabel("η / η_c", fontsize=7, labelpad=1)
        inset.set_ylabel("b", fontsize=7, labelpad=1)
        inset.set_title("zoom near η_c", fontsize=8)
        inset.tick_params(labelsize=7)
        inset.grid(alpha=0.3)

    ax_acc.plot(etas, sweep.test_accuracy, "o-", ms=3, color="C2", label="test accuracy")
    ax_acc.plot(etas, sweep.train_accuracy, ".:", ms=3, color="C1", label="train accuracy")
    baseline = float(ndtr(sweep.lam / math.sqrt(sweep.d)))
    ax_acc.axhline(baseline, color="0.5", ls=":", lw=1, label=f"zero-bias baseline Φ(λ/√d) = {baseline:.3f}")
    mark_threshold(ax_acc)
    ax_acc.set(xscale=scale, xlabel="step size η", ylabel="final accuracy (fraction correct)",
               title=f"(b) accuracy (test set of {sweep.n_test})")
    ax_acc.legend(fontsize=8, loc="upper left")
    ax_acc.grid(alpha=0.3)

    ax_s.plot(etas, sweep.final_sharpness, "o-", ms=3, color="C4", label="network: final sharpness S")
    grid = np.geomspace(etas.min(), etas.max(), 200) if scale == "log" else np.linspace(etas.min(), etas.max(), 200)
    ax_s.plot(grid, 2 / grid, "k-", lw=1, label="2/η")
    mark_threshold(ax_s)
    s0 = sweep.d**2 * relu_mean(0.0) ** 2 / 2
    ax_s.axhline(s0, color="0.5", ls=":", lw=1, label=f"mean model at b = 0: d²r(0)²/2 = {s0:.0f}")
    ax_s.set(xscale=scale, yscale="log", xlabel="step size η", ylabel="sharpness λ_max(∇²L)",
             title="(c) sharpness at the end vs 2/η")
    ax_s.legend(fontsize=8, loc="lower left")
    ax_s.grid(alpha=0.3, which="both")

    for colour, i in zip(("C0", "C1", "C2", "C3"), _trajectory_indices(sweep)):
        h = sweep.history(i)
        eta = float(etas[i])
        time_axis = eta * np.asarray(h["step"])
        ax_traj.plot(time_axis, h["sharpness"], "-", lw=1, color=colour, label=f"η = {eta / eta_c:.2f}·η_c")
        ax_traj.axhline(2 / eta, color=colour, ls="--", lw=0.8)
    ax_traj.set(yscale="log", xlabel="time η·t (t = GD step)", ylabel="sharpness λ_max(∇²L)",
                title="(d) sharpness during training; dashed: 2/η of the same colour")
    ax_traj.legend(fontsize=8)
    ax_traj.grid(alpha=0.3, which="both")
    fig.suptitle("Sparse-coding ReLU network (Ahn et al. 2023, Figure 1) with the derived mean model", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_mean_model_limits(rows, d: float, path: str, a0: float) -> str:
    """b∞ of the mean model vs η/η_c (log axis), with the law r(b∞) = r(0)√(η_c/η) and η·S∞/2."""
    ratios = np.array([r["eta_over_eta_c"] for r in rows])
    b_inf = np.array([r["b_inf"] for r in rows])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax.plot(ratios, b_inf, "o", ms=4, label="mean model: b∞ (GD to convergence)")
    grid = np.geomspace(1.0, ratios.max(), 200)
    ax.plot(grid, [threshold_law_bias(g) for g in grid], "k-", lw=1, label="law: r(b∞) = r(0)·√(η_c/η)")
    ax.axvline(1.0, color="k", ls="--", lw=1, label="η = η_c = 8π/d²")
    ax.set(xscale="log", xlabel="η / η_c", ylabel="final bias b∞",
           title=f"mean model, d = {d:g}, a₋ = a₊ (A0 = {a0:.3g}), b0 = 0")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax2.plot(ratios, [r["eta_sharpness_half"] for r in rows], "o", ms=4, color="C1")
    ax2.axhline(1.0, color="k", ls="--", lw=1, label="edge: η·S/2 = 1")
    ax2.axvline(1.0, color="k", ls=":", lw=1)
    ax2.set(xscale="log", xlabel="η / η_c", ylabel="η·S∞/2", title="where GD settles: below η_c stable, above at the edge")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
