"""plot_phase_relative(ds, model, path, observable="b_final") -> path: a phase figure over (η/η_c, θ0-axis).

For models whose critical step size η_c does not depend on the state at their reference point (the mean
model: η_c = 8π/d² at b0 = 0, Ahn et al. 2023 §3; docs/reference_values.md §3), the η axis is drawn in units of η_c:

* left: the phase label of every grid point (same labels and colours as :func:`plot_phase`), with the
  derived stability edge η = η_c(θ0) (a vertical line at η/η_c = 1 when θ0 sits at the reference point,
  e.g. the mean model's A0 axis with b0 = 0);
* middle: the continuous observable at the end (default b∞, the final bias; ``loss0`` and
  ``eta_sharpness_half0`` are shown at the start, for every point), same axes and line;
* right (when the vertical axis has ≥ 3 values): the observable against η/η_c along three rows of the
  vertical axis; for the mean model's b∞ also the edge law r(b∞) = r(0)·√(η_c/η).

The vertical axis is a state axis or a derived initial-condition axis of ``Model.init_axes`` (A0).
The single-neuron figure (:mod:`._figure_phase`) is unchanged.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402

from ..derivations import InputError, derive  # noqa: E402

from ._figure_phase import PHASE_COLOURS, _edges, plot_axes  # noqa: E402
from ._phase_classify import PHASE_LABELS  # noqa: E402

START_VARIABLES = ("loss0", "eta_sharpness_half0")  # recorded at θ0, not at the end
OBSERVABLE_LABELS = {
    "b_final": "b∞ (final bias, model units)",
    "eta_sharpness_half": "η·S∞/2 (1 = edge of stability)",
    "sharpness": "S∞ (final sharpness, 1/step-size units)",
}


def uses_relative_figure(ds, model) -> bool:
    """True when ``eoscope phase --plot`` draws this figure: η varies and is plotted against η_c, i.e. the
    sweep was made with ``--eta-unit critical`` or the model declares derived initial-condition axes."""
    varying = [d for d in ds["phase"].dims if ds.sizes[d] > 1]
    if len(varying) != 2 or "eta" not in varying:
        return False
    return "eta_over_eta_c" in ds.coords or bool(getattr(model, "init_axes", None))


def _ratio_and_eta_c(ds, model) -> tuple[np.ndarray, float]:
    from ._sweep import critical_step

    eta_c = critical_step(model)
    if "eta_over_eta_c" in ds.coords:
        return ds["eta_over_eta_c"].values.astype(float), eta_c
    return ds["eta"].values / eta_c, eta_c


def _is_log(ds, dim: str) -> bool:
    spec = ds.attrs["eoscope_manifest"]["grid"]["axes"].get(dim, "")
    return spec.split(")")[0].endswith(" log") or spec.endswith(" log")


def _initial_values(ds, model, vertical: str, squeeze: dict):
    """{state symbol: initial values along ``vertical`` (array) or fixed (float)}; None if a state is unknown."""
    values = {}
    for symbol in model.state:
        name = f"{symbol}0"
        if name not in ds.coords:
            return None
        coord = ds[name]
        if coord.dims == (vertical,):
            values[symbol] = coord.values.astype(float)
        elif coord.dims and coord.dims[0] in squeeze:
            values[symbol] = float(coord.values[0])
        else:
            return None
    return values


def _edge_curve(ds, model, vertical: str, squeeze: dict, eta_c: float):
    """η_c(θ0)/η_c along the vertical axis, from the derived critical step size; None if unavailable."""
    expr = derive(model).critical_eta
    if expr is None:
        return None
    initial = _initial_values(ds, model, vertical, squeeze)
    if initial is None or not expr.free_symbols <= set(initial):
        return None
    n = ds.sizes[vertical]
    curve = np.empty(n)
    for i in range(n):
        point = {s: (v[i] if isinstance(v, np.ndarray) else v) for s, v in initial.items() if s in expr.free_symbols}
        curve[i] = float(expr.subs(point).evalf())
    return curve / eta_c


def _vertical_label(ds, vertical: str) -> str:
    derived = ds.attrs["eoscope_manifest"]["grid"].get("derived_axes", {}).get(vertical)
    if derived:
        return f"initial {vertical} (model units)\n" + ", ".join(f"{k} = {v}" for k, v in derived.items())
    return f"initial {vertical} (model units)"


def plot_phase_relative(ds, model, path: str, observable: str = "b_final", title: str | None = None) -> str:
    """Write the figure to ``path`` (PNG) and return the path; InputError for an unknown observable."""
    if observable not in ds:
        raise InputError(f"--observable {observable!r} is not a sweep variable (choose from {', '.join(ds.data_vars)})")
    horizontal, vertical = plot_axes(ds)
    if horizontal != "eta":
        horizontal, vertical = vertical, horizontal
    if horizontal != "eta":
        raise InputError("the η/η_c phase figure needs η as one of the two plotted axes")
    squeeze = {d: 0 for d in ds["phase"].dims if d not in (horizontal, vertical)}
    sub = ds.isel(squeeze)
    phase = sub["phase"].transpose(vertical, horizontal).values
    period = sub["period"].transpose(vertical, horizontal).values
    value = sub[observable].transpose(vertical, horizontal).values.astype(float)
    converged = sub["status"].transpose(vertical, horizontal).values == 0
    at_start = observable in START_VARIABLES  # a property of θ0: defined for every point
    if not at_start:
        value = np.where(converged, value, np.nan)  # an observable "at the end" only means something at convergence
    ratio, eta_c = _ratio_and_eta_c(ds, model)
    vy = ds[vertical].values.astype(float)
    log_x, log_y = _is_log(ds, "eta"), _is_log(ds, vertical)
    xe, ye = _edges(ratio, log_x), _edges(vy, log_y)
    edge = _edge_curve(ds, model, vertical, squeeze, eta_c)
    rows = vy.size >= 3
    fig, axes = plt.subplots(1, 3 if rows else 2, figsize=(18 if rows else 12, 4.9), constrained_layout=True)
    left, middle = axes[0], axes[1]

    cmap = ListedColormap(PHASE_COLOURS)
    norm = BoundaryNorm(np.arange(-0.5, len(PHASE_LABELS) + 0.5), cmap.N)
    left.pcolormesh(xe, ye, phase, cmap=cmap, norm=norm, shading="flat")
    handles = []
    for code in sorted(set(np.unique(phase).tolist())):
        label = PHASE_LABELS[code]
        if label == "periodic":
            label = "periodic-" + ",".join(str(k) for k in sorted(set(period[phase == code].tolist())))
        handles.append(plt.Rectangle((0, 0), 1, 1, color=PHASE_COLOURS[code], label=label))
    mesh = middle.pcolormesh(xe, ye, value, cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=middle, label=OBSERVABLE_LABELS.get(observable, observable))
    eta_c_text = f"η_c = {eta_c:.4g}"
    reference = getattr(model, "reference_point", None)
    if reference:
        eta_c_text += " at " + ", ".join(f"{k}0 = {v}" for k, v in reference.items())
    for ax in (left, middle):
        if edge is not None:
            ax.plot(edge, vy, "w--", lw=1.6, label="η = η_c(θ0) (derived stability edge)" if ax is left else None)
            ax.plot(edge, vy, "k:", lw=0.8)
        ax.set_xlabel(f"step size η/η_c  ({eta_c_text})")
        ax.set_ylabel(_vertical_label(ds, vertical))
        if log_x:
            ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
    left.legend(handles=handles + left.get_legend_handles_labels()[0], fontsize=7, loc="upper left", framealpha=0.85)
    left.set_title("phase (from the recorded kernel outputs)")
    middle.set_title(f"{observable} at the start θ0" if at_start else f"{observable} at convergence (blank: not converged)")
    if rows:
        _plot_rows(axes[2], ratio, vy, value, vertical, observable, model, log_x)
    fixed = ", ".join(f"{d} = {float(ds[d].values[0]):g}" for d in squeeze)
    fig.suptitle(title or f"{model.label}" + (f"; {fixed}" if fixed else ""))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_rows(ax, ratio, vy, value, vertical, observable, model, log_x) -> None:
    """The observable against η/η_c along the lowest, middle and highest row of the vertical axis."""
    picks = sorted({0, vy.size // 2, vy.size - 1})
    for colour, i in zip(("#4c72b0", "#55a868", "#c44e52"), picks):
        ax.plot(ratio, value[i], "o-", ms=3, lw=1, color=colour, label=f"{vertical} = {vy[i]:.3g}")
    if model.name == "mean-model" and observable == "b_final":
        from ._mean_model_sweep import threshold_law_bias

        grid = np.geomspace(max(1.0, ratio.min()), ratio.max(), 200) if ratio.max() > 1 else np.array([])
        if grid.size:
            ax.plot(grid, [threshold_law_bias(r) for r in grid], "k--", lw=1.2,
                    label="edge law r(b∞) = r(0)·√(η_c/η)")
    ax.axvline(1.0, color="grey", ls=":", lw=1, label="η = η_c")
    ax.set_xlabel("step size η/η_c")
    ax.set_ylabel(OBSERVABLE_LABELS.get(observable, observable))
    if log_x:
        ax.set_xscale("log")
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"{observable} along rows of {vertical}")
