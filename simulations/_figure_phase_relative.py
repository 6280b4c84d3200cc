"""A phase figure over (η/η_c, an initial-condition axis), for models whose critical step size η_c does not
depend on the state at their reference point (the mean model: η_c = 8π/d² at b0 = 0, Ahn et al. 2023 §3;
docs/reference_values.md §3). The η axis is drawn in units of η_c:

* left: the phase label of every grid point (same labels and colours as :func:`._figure_phase.phase`), with
  the derived stability edge η = η_c(θ0) (a vertical line at η/η_c = 1 when θ0 sits at the reference point,
  e.g. the mean model's A0 axis with b0 = 0);
* middle: the continuous observable at the end (default b∞, the final bias; ``loss0`` and
  ``eta_sharpness_half0`` are shown at the start, for every point), same axes and line;
* right (when the vertical axis has ≥ 3 values): the observable against η/η_c along three rows of the
  vertical axis; for the mean model's b∞ also the edge law r(b∞) = r(0)·√(η_c/η).

The vertical axis is a state axis or a derived initial-condition axis of ``Model.init_axes`` (A0).
Public through :mod:`eoscope.plot` as ``plot.phase_relative``. Draws only; saving is the caller's.
"""
from __future__ import annotations

import re

import numpy as np

from ..derivations import InputError, derive

from ._figure_phase import _edges, check_observable, draw_phase_mesh, phase_handles, plot_axes
from ._figure_text import model_title, new_figure, observable as observable_label, root_figure, symbol

START_VARIABLES = ("loss0", "eta_sharpness_half0")  # recorded at θ0, not at the end
OBSERVABLE_LABELS = {"b_final": r"final bias $b_\infty$"}


def _observable_label(name: str, ds=None) -> str:
    return OBSERVABLE_LABELS.get(name) or observable_label(name, ds)


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
    derived = ds.attrs.get("eoscope_manifest", {}).get("grid", {}).get("derived_axes", {}).get(vertical)
    label = f"initial ${symbol(vertical)}$"
    if derived:
        def tex(text) -> str:
            return re.sub(r"[A-Za-z_][A-Za-z_0-9]*", lambda m: symbol(m.group(0)), str(text))

        label += "\n" + ", ".join(f"${symbol(k)} = {tex(v)}$" for k, v in derived.items())
    return label


def phase_relative(ds, model, fig=None, *, ax=None, observable: str = "b_final", title: str | None = None):
    """phase_relative(ds, model, fig=None, *, ax=None, observable="b_final", title=None) -> Figure

    Draw the phase diagram of a sweep over (η, an initial-condition axis) with η in units of the critical
    step size η_c (sweeps made with ``eta_unit="critical"`` or of models with derived initial-condition
    axes, e.g. the mean model's A0). Left: the phase label of every grid point with the derived edge
    η = η_c(θ0); middle: ``observable`` at convergence (or at the start for ``loss0`` and
    ``eta_sharpness_half0``); right (three or more rows): ``observable`` against η/η_c along three rows,
    with the edge law r(b∞) = r(0)·√(η_c/η) for the mean model's b∞.

    Arguments:
        ds: the Dataset of :func:`eoscope.sweep` with η and one other axis of more than one value.
        model: the :class:`Model` (or :class:`System`) the sweep was made with.
        fig: a Figure or SubFigure to draw the panels into; a new Figure when None.
        ax: draw only the phase labels (left panel, with its legend) into this Axes instead.
        observable: the sweep variable of the middle and right panels.
        title: the figure title (default: the model and the fixed axes).

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        InputError: when ``observable`` is not a sweep variable, or the sweep does not have exactly two
            axes with more than one value, one of them η.
        ValueError: when both ``fig`` and ``ax`` are given.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (all panels) or ax (the phase labels), not both")
    model = getattr(model, "model", model)  # a compiled System carries its Model
    check_observable(ds, observable)
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
    rows = vy.size >= 3 and ax is None
    if ax is not None:
        panels, figure = [ax], None
    else:
        figure, panels = new_figure(fig, (18 if rows else 12, 5.6), nrows=1, ncols=3 if rows else 2)
    left = panels[0]
    draw_phase_mesh(left, xe, ye, phase)
    handles = phase_handles(phase, period)
    label = _observable_label(observable, ds)
    if len(panels) > 1:
        middle = panels[1]
        mesh = middle.pcolormesh(xe, ye, value, cmap="viridis", shading="flat", rasterized=True)
        figure.colorbar(mesh, ax=middle, label=label)
        middle.set_title(f"{label} at the start" if at_start else f"{label} at convergence (blank: not converged)",
                         fontsize=10)
    eta_c_text = rf"$\eta_c = {eta_c:.4g}$"
    reference = getattr(model, "reference_point", None)
    if reference:
        eta_c_text += " at " + ", ".join(f"${symbol(f'{k}0')} = {v}$" for k, v in reference.items())
    for panel in panels[:2]:
        if edge is not None:
            panel.plot(edge, vy, "w--", lw=1.6)  # white dashes under black dots: visible on every colour
            panel.plot(edge, vy, "k:", lw=1.0,
                       label=r"stability edge $\eta = \eta_c(\theta_0)$ (derived)" if panel is left else None)
        panel.set_xlabel(rf"step size $\eta/\eta_c$ ({eta_c_text})")
        panel.set_ylabel(_vertical_label(ds, vertical))
        if log_x:
            panel.set_xscale("log")
        if log_y:
            panel.set_yscale("log")
        panel.set_xlim(xe[0], xe[-1])
        panel.set_ylim(ye[0], ye[-1])
    handles += left.get_legend_handles_labels()[0]
    left.set_title("phase of every grid point", fontsize=10)
    if rows:
        _plot_rows(panels[2], ratio, vy, value, vertical, observable, model, log_x, label)
    if figure is None:
        left.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
                    frameon=False)
        return root_figure(ax.figure)
    figure.legend(handles=handles, fontsize=8, loc="outside lower center", ncol=len(handles), frameon=False)
    fixed = ", ".join(f"${symbol(d)} = {float(ds[d].values[0]):g}$" for d in squeeze)
    figure.suptitle(title or model_title(model) + (f"; {fixed}" if fixed else ""))
    return root_figure(figure)


def _plot_rows(ax, ratio, vy, value, vertical, observable, model, log_x, label) -> None:
    """The observable against η/η_c along the lowest, middle and highest row of the vertical axis."""
    picks = sorted({0, vy.size // 2, vy.size - 1})
    for colour, i in zip(("#4c72b0", "#55a868", "#c44e52"), picks):
        ax.plot(ratio, value[i], "o-", ms=3, lw=1, color=colour, label=f"${symbol(vertical)} = {vy[i]:.3g}$")
    if model.name == "mean-model" and observable == "b_final":
        from ._mean_model_sweep import threshold_law_bias

        grid = np.geomspace(max(1.0, ratio.min()), ratio.max(), 200) if ratio.max() > 1 else np.array([])
        if grid.size:
            ax.plot(grid, [threshold_law_bias(r) for r in grid], "k--", lw=1.2,
                    label=r"edge law $r(b_\infty) = r(0)\sqrt{\eta_c/\eta}$")
    ax.axvline(1.0, color="grey", ls=":", lw=1, label=r"$\eta = \eta_c$")
    ax.set_xlabel(r"step size $\eta/\eta_c$")
    ax.set_ylabel(label)
    if log_x:
        ax.set_xscale("log")
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"{label.split(' (')[0]} along three rows of ${symbol(vertical)}$", fontsize=10)
    ax.grid(alpha=0.3, which="both")
