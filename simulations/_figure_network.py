"""Figure 1 of Ahn et al. 2023 on eoscope's network sweep, plus the mean model and the sharpness.

network(sweep, mean_rows=None, fig=None, *, ax=None, scale="linear") -> Figure
mean_model_limits(rows, d, a0, fig=None, *, ax=None) -> Figure

Public through :mod:`eoscope.plot`. Draws only; saving is the caller's. Panels of ``network``: (a) final bias b vs η, the mean model's b∞(η) overlaid, dashed η_c = 8π/d²,
inset zoom around η_c; (b) final train/test accuracy vs η with the zero-bias baseline Φ(λ/√d);
(c) final sharpness vs η against 2/η; (d) sharpness trajectories for η below and above η_c against
their 2/η.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

from ._figure_text import new_figure, root_figure
from ._mean_model_sweep import relu_mean, threshold_law_bias


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


def network(sweep, mean_rows=None, fig=None, *, ax=None, scale: str = "linear"):
    """network(sweep, mean_rows=None, fig=None, *, ax=None, scale="linear") -> Figure

    Draw Figure 1 of Ahn et al. (2023) from a network sweep, in four panels: (a) the final bias b against η
    with the mean model's b∞(η) and the network's bias at the edge, the threshold η_c = 8π/d² dashed and
    an inset zoom around η_c; (b) final train/test accuracy with the zero-bias baseline Φ(λ/√d); (c) the
    final sharpness against 2/η; (d) sharpness during training for η below and above η_c against their 2/η.

    Arguments:
        sweep: the :class:`NetworkSweep` of :func:`eoscope.network_sweep`.
        mean_rows: the mean model's limits from the same initial weights (rows with ``eta`` and ``b_inf``,
            as returned by ``mean_model_limits``), overlaid on panel (a); None for none.
        fig: a Figure or SubFigure to draw the four panels into; a new Figure when None.
        ax: draw only panel (a), the final bias, into this Axes instead.
        scale: ``"linear"`` or ``"log"``, the η axis.

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        ValueError: when both ``fig`` and ``ax`` are given, or ``scale`` is neither linear nor log.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (all four panels) or ax (the bias panel), not both")
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log', got {scale!r}")
    eta_c = sweep.critical_eta
    etas = sweep.etas
    if ax is not None:
        _bias_panel(ax, sweep, mean_rows, scale)
        return root_figure(ax.figure)
    figure, axes = new_figure(fig, (13, 9), nrows=2, ncols=2)
    ax_b, ax_acc, ax_s, ax_traj = axes.ravel()
    _bias_panel(ax_b, sweep, mean_rows, scale)

    ax_acc.plot(etas, sweep.test_accuracy, "o-", ms=3, color="C2", label="test accuracy")
    ax_acc.plot(etas, sweep.train_accuracy, ".:", ms=3, color="C1", label="train accuracy")
    baseline = float(ndtr(sweep.lam / math.sqrt(sweep.d)))
    ax_acc.axhline(baseline, color="0.5", ls=":", lw=1,
                   label=rf"zero-bias baseline $\Phi(\lambda/\sqrt{{d}}) = {baseline:.3f}$")
    ax_acc.axvline(eta_c, color="k", ls="--", lw=1, label=rf"$\eta_c = 8\pi/d^2$")
    ax_acc.set(xscale=scale, xlabel=r"step size $\eta$", ylabel="final accuracy (fraction correct)",
               title=f"(b) accuracy (test set of {sweep.n_test})")
    ax_acc.legend(fontsize=8, loc="best")
    ax_acc.grid(alpha=0.3)

    ax_s.plot(etas, sweep.final_sharpness, "o-", ms=3, color="C4", label=r"network: final sharpness $S$")
    grid = np.geomspace(etas.min(), etas.max(), 200) if scale == "log" else np.linspace(etas.min(), etas.max(), 200)
    ax_s.plot(grid, 2 / grid, "k-", lw=1, label=r"$2/\eta$")
    ax_s.axvline(eta_c, color="k", ls="--", lw=1, label=r"$\eta_c = 8\pi/d^2$")
    s0 = sweep.d**2 * relu_mean(0.0) ** 2 / 2
    ax_s.axhline(s0, color="0.5", ls=":", lw=1, label=rf"mean model at $b = 0$: $d^2 r(0)^2/2 = {s0:.0f}$")
    ax_s.set(xscale=scale, yscale="log", xlabel=r"step size $\eta$", ylabel=r"sharpness $\lambda_{\max}(\nabla^2 L)$",
             title=r"(c) sharpness at the end against $2/\eta$")
    ax_s.legend(fontsize=8, loc="best")
    ax_s.grid(alpha=0.3, which="both")

    for colour, i in zip(("C0", "C1", "C2", "C3"), _trajectory_indices(sweep)):
        h = sweep.history(i)
        eta = float(etas[i])
        time_axis = eta * np.asarray(h["step"])
        ax_traj.plot(time_axis, h["sharpness"], "-", lw=1, color=colour, label=rf"$\eta = {eta / eta_c:.2f}\,\eta_c$")
        ax_traj.axhline(2 / eta, color=colour, ls="--", lw=0.8)
    ax_traj.plot([], [], "k--", lw=0.8, label=r"$2/\eta$ (same colour)")
    ax_traj.set(yscale="log", xlabel=r"time $\eta t$ ($t$ = GD step)", ylabel=r"sharpness $\lambda_{\max}(\nabla^2 L)$",
                title="(d) sharpness during training")
    ax_traj.legend(fontsize=8, loc="lower left", ncol=2)
    ax_traj.grid(alpha=0.3, which="both")
    figure.suptitle("Sparse-coding ReLU network (Ahn et al. 2023, Figure 1) with the derived mean model", fontsize=11)
    return root_figure(figure)


def _bias_panel(ax_b, sweep, mean_rows, scale: str) -> None:
    """Panel (a): final bias against η, the mean model's b∞, the bias at the edge, and a zoom near η_c."""
    eta_c = sweep.critical_eta
    etas = sweep.etas
    ax_b.plot(etas, sweep.b_final, "o-", ms=3, color="C0", label="network: final $b$")
    edge_b = np.array([sweep.edge_moment(i)[1] for i in range(len(etas))])
    if np.isfinite(edge_b).any():
        ax_b.plot(etas, edge_b, "s", ms=4, mfc="none", color="C1", label=r"network: $b$ at the edge ($\eta S/2 \approx 1$)")
    m_eta = m_b = None
    if mean_rows:
        m_eta = np.array([r["eta"] for r in mean_rows])
        m_b = np.array([r["b_inf"] for r in mean_rows])
        ax_b.plot(m_eta, m_b, "-", color="C3", lw=1.5, label=r"mean model: $b_\infty$")
    ax_b.axvline(eta_c, color="k", ls="--", lw=1, label=rf"$\eta_c = 8\pi/d^2 = {eta_c:.3g}$")
    ax_b.set(xscale=scale, xlabel=r"step size $\eta$", ylabel="final bias $b$",
             title=rf"(a) bias after $T = {sweep.steps_factor:g}/\eta$ steps ($d = {sweep.d}$, $n = {sweep.n}$, "
                   rf"$\lambda = {sweep.lam:g}$)")
    low = float(np.nanmin(np.concatenate([sweep.b_final, edge_b[np.isfinite(edge_b)]])))
    ax_b.set_ylim(low - 0.05 * abs(low) - 0.05, 0.45 * abs(low) + 0.1)  # headroom for the legend
    ax_b.legend(fontsize=7, loc="upper right", ncol=2)
    ax_b.grid(alpha=0.3)
    near = (etas >= 0.3 * eta_c) & (etas <= 2.5 * eta_c)
    if not near.any():
        return
    inset = ax_b.inset_axes([0.15, 0.13, 0.36, 0.36], zorder=10)  # above the main panel's lines
    inset.set_facecolor("white")
    inset.plot(etas[near] / eta_c, sweep.b_final[near], "o-", ms=2.5, color="C0")
    inset.plot(etas[near] / eta_c, edge_b[near], "s", ms=3, mfc="none", color="C1")
    if m_eta is not None:
        keep = (m_eta >= 0.3 * eta_c) & (m_eta <= 2.5 * eta_c)
        inset.plot(m_eta[keep] / eta_c, m_b[keep], "-", color="C3", lw=1.2)
    inset.axvline(1.0, color="k", ls="--", lw=1)
    inset.set_xlabel(r"$\eta/\eta_c$", fontsize=7, labelpad=1)
    inset.set_ylabel("$b$", fontsize=7, labelpad=1)
    inset.set_title(r"zoom near $\eta_c$", fontsize=8, backgroundcolor="white")
    inset.tick_params(labelsize=7)
    inset.grid(alpha=0.3)


def mean_model_limits(rows, d: float, a0: float, fig=None, *, ax=None):
    """mean_model_limits(rows, d, a0, fig=None, *, ax=None) -> Figure

    Draw where GD on the mean model settles against η/η_c (log axis): left, the final bias b∞ with the edge
    law r(b∞) = r(0)·√(η_c/η); right, η·S∞/2 (below η_c a stable minimiser, above it the edge).

    Arguments:
        rows: the limits, one per step size (rows with ``eta_over_eta_c``, ``b_inf`` and
            ``eta_sharpness_half``), as returned by ``mean_model_limits`` of the simulations layer.
        d: the input dimension of the mean model.
        a0: the initial A0 = a₋0 + a₊0 (split evenly; b0 = 0), for the title.
        fig: a Figure or SubFigure to draw both panels into; a new Figure when None.
        ax: draw only the left panel (b∞) into this Axes instead.

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        ValueError: when both ``fig`` and ``ax`` are given, or ``rows`` is empty.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (both panels) or ax (the b∞ panel), not both")
    if not rows:
        raise ValueError("no rows to draw")
    ratios = np.array([r["eta_over_eta_c"] for r in rows])
    b_inf = np.array([r["b_inf"] for r in rows])
    if ax is not None:
        panel, figure = ax, None
    else:
        figure, (panel, ax2) = new_figure(fig, (12, 4.6), nrows=1, ncols=2)
    panel.plot(ratios, b_inf, "o", ms=4, label=r"mean model: $b_\infty$ (GD to convergence)")
    grid = np.geomspace(1.0, ratios.max(), 200)
    panel.plot(grid, [threshold_law_bias(g) for g in grid], "k-", lw=1,
               label=r"edge law: $r(b_\infty) = r(0)\sqrt{\eta_c/\eta}$")
    panel.axvline(1.0, color="k", ls="--", lw=1, label=r"$\eta = \eta_c = 8\pi/d^2$")
    panel.set(xscale="log", xlabel=r"step size $\eta/\eta_c$", ylabel=r"final bias $b_\infty$",
              title=rf"mean model, $d = {d:g}$, $a_{{-,0}} = a_{{+,0}} = A_0/2$ ($A_0 = {a0:.3g}$), $b_0 = 0$")
    panel.legend(fontsize=8, loc="lower left")
    panel.grid(alpha=0.3, which="both")
    if figure is None:
        return root_figure(ax.figure)
    ax2.axhline(1.0, color="k", ls="--", lw=1, label=r"edge: $\eta S/2 = 1$", zorder=1)
    ax2.axvline(1.0, color="k", ls=":", lw=1, label=r"$\eta = \eta_c$", zorder=1)
    ax2.plot(ratios, [r["eta_sharpness_half"] for r in rows], "o", ms=4, color="C1", label=r"$\eta S_\infty/2$")
    ax2.set(xscale="log", xlabel=r"step size $\eta/\eta_c$", ylabel=r"$\eta S_\infty/2$",
            title=r"where GD settles: below $\eta_c$ stable, above it at the edge")
    ax2.legend(fontsize=8, loc="lower right")
    ax2.grid(alpha=0.3, which="both")
    return root_figure(figure)
