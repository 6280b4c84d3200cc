"""Figures of bifurcation analysis: the orbit diagram with its Lyapunov curve and 2/η equilibrium, and the
continuation diagram with labelled PD/LP points."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _observable_label(diagram, name: str) -> str:
    return {
        "loss": "loss L(θ)",
        "eta_sharpness_half": "η·S(θ)/2",
        "sharpness": "sharpness S(θ)",
        "inner": "inner product u(θ) (x·y for ℓ(xy))",
    }.get(name, f"state {name}")


def plot_orbit_diagram(diagram, path: str, title: str | None = None, observable: int = 0) -> str:
    """plot_orbit_diagram(diagram, path, title=None) -> path

    Top: the recorded values of one observable against η (the orbit diagram); below it the largest
    Lyapunov exponent against η (0 line: chaos above it); for GD models also η·S∞/2 (1 = edge of
    stability) and the deficit 2/η − S∞.
    """
    gd = diagram.model.get("model") != "custom-map"
    rows = 4 if gd else 2
    heights = [3, 1.4, 1.4, 1.4][:rows]
    fig, axes = plt.subplots(rows, 1, figsize=(8, 2.2 * sum(heights) / 1.6), sharex=True,
                             gridspec_kw={"height_ratios": heights})
    eta = diagram.eta
    values = diagram.values[:, :, observable]
    keep = values.shape[1]
    axes[0].plot(np.repeat(eta, keep), values.ravel(), ",", color="k", alpha=0.6, rasterized=True)
    axes[0].set_ylabel(_observable_label(diagram, diagram.observables[observable]))
    start = "warm start" if diagram.warm else f"from {diagram.init}"
    axes[0].set_title(title or f"orbit diagram ({start}; last {keep} of {diagram.transient + keep} steps)", fontsize=9)
    lyap = diagram.lyapunov
    for j in range(lyap.shape[1]):
        axes[1].plot(eta, lyap[:, j], lw=0.8, color=f"C{j}", label=f"λ{j + 1}")
    axes[1].axhline(0, color="k", lw=0.6)
    axes[1].set_ylabel("Lyapunov\nexponents (per step)")
    if lyap.shape[1] > 1:
        axes[1].legend(fontsize=7, loc="lower left")
    finite = lyap[np.isfinite(lyap)]
    if finite.size:
        low = max(float(np.min(finite)), -3.0)
        axes[1].set_ylim(low - 0.05, max(float(np.max(finite)), 0.1) + 0.05)
    if gd:
        axes[2].plot(eta, diagram.eta_sharpness_half, lw=0.8, color="C1")
        axes[2].axhline(1, color="k", ls="--", lw=0.6)
        axes[2].set_ylabel("η·S∞/2\n(1 = edge)")
        axes[3].plot(eta, diagram.sharpness_deficit, lw=0.8, color="C2")
        axes[3].axhline(0, color="k", ls="--", lw=0.6)
        axes[3].set_ylabel("deficit 2/η − S∞")
        axes[3].set_yscale("symlog", linthresh=0.1)
    axes[-1].set_xlabel("η (step size / map parameter)")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


def plot_continuation(continuation, path: str, coordinate: int = 0, title: str | None = None, label_points: bool = True) -> str:
    """plot_continuation(continuation, path, coordinate=0) -> path

    Each branch's state coordinate against η: solid where the orbit is stable, dashed where it is not;
    PD points as circles (labelled with η), LP points as squares.
    """
    fig, ax = plt.subplots(figsize=(8, 5))
    names = continuation.model.get("state", [])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    periods_seen = set()
    for branch in continuation.branches:
        if branch.eta.size < 2:
            continue
        color = colors[int(np.log2(branch.period)) % len(colors)] if branch.period & (branch.period - 1) == 0 else "0.4"
        stable = np.array([s == "stable" for s in branch.stability])
        y = branch.states[:, coordinate]
        for mask, style in ((stable, "-"), (~stable, "--")):
            segment = np.where(mask, y, np.nan)
            # extend each piece by one point so that stable and unstable pieces meet
            for e in np.where(mask[:-1] != mask[1:])[0]:
                segment[e : e + 2] = y[e : e + 2]
            label = None
            if style == "-" and branch.period not in periods_seen:
                label = f"period {branch.period}"
                periods_seen.add(branch.period)
            ax.plot(branch.eta, segment, style, color=color, lw=1.2, label=label)
    for i, point in enumerate(continuation.points):
        value = list(point.state.values())[coordinate]
        marker = "o" if point.type == "PD" else "s"
        ax.plot(point.eta, value, marker, mfc="none", mec="r", ms=7)
        if label_points:
            ax.annotate(f"{point.type} {point.eta:.10g}", (point.eta, value), xytext=(4, 6 - 10 * (i % 3)), textcoords="offset points",
                        fontsize=7, color="r")
    coordinate_name = names[coordinate] if coordinate < len(names) else f"θ[{coordinate}]"
    ax.set_xlabel("η (continuation parameter)")
    ax.set_ylabel(f"{coordinate_name} on the orbit (one point of each periodic orbit)")
    ax.set_title(title or f"continuation, η ∈ [{continuation.eta_range[0]:g}, {continuation.eta_range[1]:g}]: "
                 "solid stable, dashed unstable", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
