"""The two-panel phase-diagram figure of a sweep.

Left: the phase label of every grid point (stable, EoS, catapult, periodic-k, unclassified, divergent)
with the stability boundary of the minimisers, η = η_c(θ0) from the derivation's ``critical_eta``
(for ℓ(x·y): y0² = 2/(ηℓ''(0))), overlaid. Right: a continuous observable at convergence, by default
η·S∞/2 (= y∞²·η·ℓ''(0)/2 on the y-axis branch of ℓ(x·y); 1 = the edge of stability).

Public through :mod:`eoscope.plot` as ``plot.phase``. Draws only; saving is the caller's.
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from ..derivations import InputError, derive

from ._figure_text import model_title, new_figure, observable as observable_label, root_figure, symbol
from ._phase_classify import PHASE_LABELS

PHASE_COLOURS = ("#4c72b0", "#dd8452", "#c44e52", "#8172b3", "#bbbbbb", "#222222")
PHASE_NAMES = {"eos": "EoS"}


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
        raise InputError(f"a phase figure needs exactly two sweep axes with more than one value, got {varying or 'none'}")
    return varying[0], varying[1]


def check_observable(ds, observable: str) -> None:
    if observable not in ds:
        raise InputError(f"observable {observable!r} is not a sweep variable (choose from {', '.join(ds.data_vars)})")


def phase_handles(phase: np.ndarray, period: np.ndarray) -> list:
    """Legend patches of the phase labels present (periodic-k with the periods found)."""
    handles = []
    for code in sorted(set(np.unique(phase).tolist())):
        label = PHASE_LABELS[code]
        if label == "periodic":
            label = "periodic-" + ",".join(str(k) for k in sorted(set(period[phase == code].tolist())))
        handles.append(Patch(color=PHASE_COLOURS[code], label=PHASE_NAMES.get(label, label)))
    return handles


def draw_phase_mesh(ax, xe, ye, phase) -> None:
    cmap = ListedColormap(PHASE_COLOURS)
    norm = BoundaryNorm(np.arange(-0.5, len(PHASE_LABELS) + 0.5), cmap.N)
    ax.pcolormesh(xe, ye, phase, cmap=cmap, norm=norm, shading="flat", rasterized=True)


def axis_label(dim: str) -> str:
    return r"step size $\eta$" if dim == "eta" else f"initial ${symbol(dim)}$"


def phase(ds, model, fig=None, *, ax=None, observable: str = "eta_sharpness_half", title: str | None = None):
    """phase(ds, model, fig=None, *, ax=None, observable="eta_sharpness_half", title=None) -> Figure

    Draw a phase diagram of a sweep over two axes. Left panel: the phase label of every grid point with
    the derived stability edge η = η_c(θ0) (for ℓ(x·y): y0² = 2/(ηℓ''(0))); right panel: ``observable``
    at convergence (blank where GD did not converge), with the same edge. The legend sits below the
    panels, never over the data.

    Arguments:
        ds: the Dataset of :func:`eoscope.sweep` (or :func:`eoscope.open_sweep`) with exactly two axes of
            more than one value.
        model: the :class:`Model` (or :class:`System`) the sweep was made with.
        fig: a Figure or SubFigure to draw both panels into; a new Figure when None.
        ax: draw only the phase labels (left panel, with its legend) into this Axes instead.
        observable: the sweep variable of the right panel.
        title: the figure title (default: the model and the fixed axes).

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        InputError: when ``observable`` is not a sweep variable or the sweep does not have exactly two
            axes with more than one value.
        ValueError: when both ``fig`` and ``ax`` are given.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (both panels) or ax (the phase labels), not both")
    model = getattr(model, "model", model)  # a compiled System carries its Model
    check_observable(ds, observable)
    horizontal, vertical = plot_axes(ds)
    squeeze = {d: 0 for d in ds["phase"].dims if d not in (horizontal, vertical)}
    phase_codes = ds["phase"].isel(squeeze).transpose(vertical, horizontal).values
    period = ds["period"].isel(squeeze).transpose(vertical, horizontal).values
    value = ds[observable].isel(squeeze).transpose(vertical, horizontal).values.astype(float)
    converged = ds["status"].isel(squeeze).transpose(vertical, horizontal).values == 0
    if observable not in ("eta_sharpness_half0", "loss0"):
        value = np.where(converged, value, np.nan)
    hx, vy = ds[horizontal].values, ds[vertical].values
    axes_spec = ds.attrs.get("eoscope_manifest", {}).get("grid", {}).get("axes", {})
    log_h = horizontal == "eta" and "log" in str(axes_spec.get("eta", ""))
    xe, ye = _edges(hx, log_h), _edges(vy, False)
    fixed = ", ".join(f"${symbol(d)} = {float(ds[d].values[0]):g}$" for d in squeeze)
    default_title = model_title(model) + (f"; {fixed}" if fixed else "")

    if ax is not None:
        panels, figure = [ax], None
    else:
        figure, panels = new_figure(fig, (12, 5.4), nrows=1, ncols=2)
    left = panels[0]
    draw_phase_mesh(left, xe, ye, phase_codes)
    if horizontal == "eta":
        for panel in panels:
            _overlay_boundary(panel, ds, model, vertical, squeeze, legend=panel is left)
    if len(panels) == 2:
        right = panels[1]
        mesh = right.pcolormesh(xe, ye, value, cmap="viridis", shading="flat", rasterized=True)
        figure.colorbar(mesh, ax=right, label=observable_label(observable, ds))
        right.set_title(observable_label(observable, ds).split(" (")[0] + " at convergence (blank: not converged)",
                        fontsize=10)
    for panel in panels:
        panel.set_xlabel(axis_label(horizontal))
        panel.set_ylabel(axis_label(vertical))
        if log_h:
            panel.set_xscale("log")
        panel.set_xlim(xe[0], xe[-1])
        panel.set_ylim(ye[0], ye[-1])
    handles = phase_handles(phase_codes, period) + left.get_legend_handles_labels()[0]
    left.set_title("phase of every grid point", fontsize=10)
    if figure is None:
        left.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4,
                    frameon=False)
        return root_figure(ax.figure)
    figure.legend(handles=handles, fontsize=8, loc="outside lower center", ncol=min(len(handles), 7), frameon=False)
    figure.suptitle(title or default_title)
    return root_figure(figure)


def _overlay_boundary(ax, ds, model, vertical: str, squeeze: dict, legend: bool = True) -> None:
    """η = η_c(θ0) from the derived critical step size, drawn through the vertical axis' values."""
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
    names = {s: sp.Symbol(symbol(str(s) + "0")) for s in expr.free_symbols}
    text = sp.latex(expr.subs(names), fold_short_frac=True)
    label = (rf"stability edge $\eta = \eta_c = {text}$" if len(text) <= 60
             else r"stability edge $\eta = \eta_c(\theta_0)$ (derived)")
    if model.loss_spec is not None and model.loss_spec.is_even and len(model.state) == 2:
        v = symbol(vertical)
        label = rf"stability edge ${v}^2 = 2/(\eta\,\ell''(0))$, $\ell''(0) = {model.loss_spec.curvature_at_zero}$"
    ax.plot(curve, values, "w--", lw=1.6)  # white dashes under black dots: visible on every phase colour
    ax.plot(curve, values, "k:", lw=1.0, label=label if legend else None)
