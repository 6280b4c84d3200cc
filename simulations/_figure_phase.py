"""plot_phase(ds, model, path, observable="eta_sharpness_half") -> path: the two-panel phase-diagram figure.

Left: the phase label of every grid point (stable, EoS, catapult, periodic-k, unclassified, divergent)
with the stability boundary of the minimisers, η = η_c(θ0) from the derivation's ``critical_eta``
(for ℓ(x·y): y0² = 2/(ηℓ''(0))), overlaid. Right: a continuous observable at convergence, by default
η·S∞/2 (= y∞²·η·ℓ''(0)/2 on the y-axis branch of ℓ(x·y); 1 = the edge of stability).
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402

from ..derivations import InputError, derive  # noqa: E402

from ._phase_classify import PHASE_LABELS  # noqa: E402

PHASE_COLOURS = ("#4c72b0", "#dd8452", "#c44e52", "#8172b3", "#bbbbbb", "#222222")
OBSERVABLE_LABELS = {"eta_sharpness_half": "η·S∞/2  (= y∞²·η·ℓ''(0)/2 on the y-axis)"}


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    if len(values) == 1:
        step = abs(values[0]) * 0.05 or 0.5
        return np.array([values[0] - step, values[0] + step]) if not log else values[0] * np.array([0.95, 1.05])
    v = np.log(values) if log else values
    mids = (v[1:] + v[:-1]) / 2
    edges = np.concatenate([[v[0] - (mids[0] - v[0])], mids, [v[-1] + (v[-1] - mids[-1])]])
    return np.exp(edges) if log else edges


def plot_axes(ds) -> tuple[str, str]:
    """The two varying dimensions to plot (horizontal, vertical); InputError unless exactly two vary."""
    varying = [d for d in ds["phase"].dims if ds.sizes[d] > 1]
    if len(varying) != 2:
        raise InputError(f"--plot needs exactly two axes with n > 1, got {varying or 'none'}")
    return varying[0], varying[1]


def plot_phase(ds, model, path: str, observable: str = "eta_sharpness_half", title: str | None = None) -> str:
    """Write the figure to ``path`` (PNG) and return the path."""
    if observable not in ds:
        raise InputError(f"--observable {observable!r} is not a sweep variable (choose from {', '.join(ds.data_vars)})")
    horizontal, vertical = plot_axes(ds)
    squeeze = {d: 0 for d in ds["phase"].dims if d not in (horizontal, vertical)}
    phase = ds["phase"].isel(squeeze).transpose(vertical, horizontal).values
    period = ds["period"].isel(squeeze).transpose(vertical, horizontal).values
    value = ds[observable].isel(squeeze).transpose(vertical, horizontal).values.astype(float)
    converged = ds["status"].isel(squeeze).transpose(vertical, horizontal).values == 0
    if observable in ("eta_sharpness_half", "sharpness"):
        value = np.where(converged, value, np.nan)
    hx, vy = ds[horizontal].values, ds[vertical].values
    log_h = horizontal == "eta" and "log" in ds.attrs["eoscope_manifest"]["grid"]["axes"]["eta"]
    xe, ye = _edges(hx, log_h), _edges(vy, False)

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    cmap = ListedColormap(PHASE_COLOURS)
    norm = BoundaryNorm(np.arange(-0.5, len(PHASE_LABELS) + 0.5), cmap.N)
    left.pcolormesh(xe, ye, phase, cmap=cmap, norm=norm, shading="flat")
    present = sorted(set(np.unique(phase).tolist()))
    handles = []
    for code in present:
        label = PHASE_LABELS[code]
        if label == "periodic":
            ks = sorted(set(period[phase == code].tolist()))
            label = "periodic-" + ",".join(str(k) for k in ks)
        handles.append(plt.Rectangle((0, 0), 1, 1, color=PHASE_COLOURS[code], label=label))
    if horizontal == "eta":
        _overlay_boundary(left, ds, model, vertical, squeeze)
        _overlay_boundary(right, ds, model, vertical, squeeze, legend=False)
    units = {"eta": "step size η"}
    for ax in (left, right):
        ax.set_xlabel(units.get(horizontal, f"initial {horizontal} (model units)"))
        ax.set_ylabel(units.get(vertical, f"initial {vertical} (model units)"))
        if log_h:
            ax.set_xscale("log")
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
    left.legend(handles=handles + left.get_legend_handles_labels()[0], fontsize=7, loc="upper right", framealpha=0.85)
    left.set_title("phase (from the recorded kernel outputs)")
    mesh = right.pcolormesh(xe, ye, value, cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=right, label=OBSERVABLE_LABELS.get(observable, observable))
    right.set_title(f"{observable} at convergence" if observable in OBSERVABLE_LABELS else observable)
    fixed = ", ".join(f"{d} = {float(ds[d].values[0]):g}" for d in squeeze)
    fig.suptitle(title or f"{model.label}" + (f"; {fixed}" if fixed else ""))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _overlay_boundary(ax, ds, model, vertical: str, squeeze: dict, legend: bool = True) -> None:
    """η = η_c(θ0) from the derived critical step size, drawn through the vertical axis' values."""
    import sympy as sp

    eta_c = derive(model).critical_eta
    if eta_c is None or not vertical.endswith("0"):
        return
    symbols = {str(s): s for s in model.state}
    if not eta_c.free_symbols <= set(model.state):
        return
    values = ds[vertical].values
    substitutions = {symbols[d[:-1]]: float(ds[d].values[0]) for d in squeeze if d[:-1] in symbols}
    expr = eta_c.subs(substitutions)
    var = symbols.get(vertical[:-1])
    func = sp.lambdify([var], expr, "numpy")
    with np.errstate(all="ignore"):
        curve = np.broadcast_to(np.asarray(func(values), dtype=float), values.shape)
    text = sp.sstr(expr)
    label = f"η = η_c = {text} (derived stability edge)" if len(text) <= 40 else "η = η_c(θ0): derived stability edge"
    if model.loss_spec is not None and model.loss_spec.is_even and len(model.state) == 2:
        label = f"{vertical}² = 2/(η·ℓ''(0)), ℓ''(0) = {model.loss_spec.curvature_at_zero}"
    ax.plot(curve, values, "w--", lw=1.6, label=label if legend else None)
    ax.plot(curve, values, "k:", lw=0.8)
