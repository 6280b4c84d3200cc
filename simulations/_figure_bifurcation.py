"""Figures of bifurcation analysis: the orbit diagram with its Lyapunov exponents and η·S∞/2, and the
continuation diagram with its period-doubling (PD) and fold (LP) points.

Public through :mod:`eoscope.plot` as ``plot.orbit_diagram`` and ``plot.continuation``. Draws only; saving is
the caller's (:func:`._figure_save.save_figure`).
"""
from __future__ import annotations

import numpy as np
from matplotlib import rcParams
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ._figure_text import assignments, math, new_figure, root_figure


def _model_record(model) -> tuple[str, list[str], bool]:
    """(name, state names, is GD) of a result's ``model`` field, a Model object or a describe() dict."""
    if isinstance(model, dict):
        name = model.get("model", "")
        return name, list(model.get("state", [])), name != "custom-map"
    names = list(getattr(model, "state_names", []))
    return getattr(model, "name", ""), names, getattr(model, "explicit_map", None) is None


def _observable_label(name: str) -> str:
    return {
        "loss": r"loss $L(\theta)$",
        "eta_sharpness_half": r"$\eta S(\theta)/2$",
        "sharpness": r"sharpness $S(\theta)$",
        "inner": r"inner product $u(\theta)$ ($xy$ for $\ell(xy)$)",
    }.get(name, f"state {math(name)}" if name.isidentifier() else name)


def orbit_diagram(diagram, fig=None, *, ax=None, observable: int = 0, title: str | None = None):
    """orbit_diagram(diagram, fig=None, *, ax=None, observable=0, title=None) -> Figure

    Draw an :class:`OrbitDiagram`. Top panel: the recorded values of one observable against η (the orbit
    diagram); below it the Lyapunov exponents against η (chaos where λ₁ > 0); for GD models also
    η·S∞/2 (1 = edge of stability) and the deficit 2/η − S∞.

    Arguments:
        diagram: the result of :func:`eoscope.orbit_diagram`.
        fig: a Figure or SubFigure to draw all panels into; a new Figure when None.
        ax: draw only the orbit diagram (the top panel) into this Axes instead.
        observable: index into ``diagram.observables`` of the observable to draw.
        title: the title (default: where the runs started and how many steps were kept).

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        ValueError: when both ``fig`` and ``ax`` are given.
        IndexError: when ``observable`` is not an index of ``diagram.observables``.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (all panels) or ax (the orbit diagram only), not both")
    if not -len(diagram.observables) <= observable < len(diagram.observables):
        raise IndexError(f"observable {observable} is not an index of the {len(diagram.observables)} observables")
    _, _, gd = _model_record(diagram.model)
    eta = diagram.eta
    keep = diagram.values.shape[1]
    start = "warm start" if diagram.warm else f"from {assignments(diagram.init)}"
    default_title = f"orbit diagram ({start}; last {keep} of {diagram.transient + keep} steps)"
    if ax is not None:
        _orbit_panel(ax, diagram, observable)
        ax.set_xlabel(r"step size $\eta$")
        ax.set_title(title or default_title, fontsize=9)
        return root_figure(ax.figure)
    rows = 4 if gd else 2
    heights = [3, 1.4, 1.4, 1.4][:rows]
    figure, axes = new_figure(fig, (8, 2.2 * sum(heights) / 1.6), nrows=rows, ncols=1, sharex=True,
                              gridspec_kw={"height_ratios": heights})
    _orbit_panel(axes[0], diagram, observable)
    axes[0].set_title(title or default_title, fontsize=9)
    lyap = diagram.lyapunov
    axes[1].axhline(0, color="0.4", lw=0.8, ls="--", zorder=1)  # beneath the exponents
    for j in reversed(range(lyap.shape[1])):  # λ₁ drawn last, on top
        axes[1].plot(eta, lyap[:, j], lw=1.2 if j == 0 else 0.8, color=f"C{j}", label=rf"$\lambda_{{{j + 1}}}$",
                     zorder=3 + lyap.shape[1] - j)
    axes[1].set_ylabel("Lyapunov exponents\n(per step)")
    if lyap.shape[1] > 1:
        handles, labels = axes[1].get_legend_handles_labels()
        axes[1].legend(handles[::-1], labels[::-1], fontsize=7, loc="lower left", ncol=lyap.shape[1])
    finite = lyap[np.isfinite(lyap)]
    if finite.size:
        low = max(float(np.min(finite)), -3.0)
        axes[1].set_ylim(low - 0.05, max(float(np.max(finite)), 0.1) + 0.05)
    if gd:
        axes[2].axhline(1, color="k", ls="--", lw=0.6, zorder=1)
        axes[2].plot(eta, diagram.eta_sharpness_half, lw=0.8, color="C1", zorder=3)
        axes[2].set_ylabel("$\\eta S_\\infty/2$\n(1 = edge)")
        axes[3].axhline(0, color="k", ls="--", lw=0.6, zorder=1)
        axes[3].plot(eta, diagram.sharpness_deficit, lw=0.8, color="C2", zorder=3)
        axes[3].set_ylabel("deficit\n" + r"$2/\eta - S_\infty$")
        axes[3].set_yscale("symlog", linthresh=0.1)
    axes[-1].set_xlabel(r"step size $\eta$" if gd else r"map parameter $\eta$")
    for panel in axes:
        panel.grid(alpha=0.3)
    figure.align_ylabels(axes)
    return root_figure(figure)


def _orbit_panel(ax, diagram, observable: int) -> None:
    values = diagram.values[:, :, observable]
    keep = values.shape[1]
    ax.plot(np.repeat(diagram.eta, keep), values.ravel(), ",", color="k", alpha=0.6, rasterized=True)
    ax.set_ylabel(_observable_label(diagram.observables[observable]))
    ax.grid(alpha=0.3)


def continuation(continuation, ax=None, *, coordinate: int = 0, title: str | None = None, label_points: bool = True):
    """continuation(continuation, ax=None, *, coordinate=0, title=None, label_points=True) -> Figure

    Draw a :class:`Continuation`: each branch's state coordinate against η, solid where the periodic orbit
    is stable and dashed where it is not, one colour per period; PD points as circles and LP points as
    squares. With ``label_points`` the legend (outside the axes, right) lists every point's η, so that
    the accumulating points of a cascade never overlap as text.

    Arguments:
        continuation: the result of :func:`eoscope.continue_orbit`.
        ax: the Axes to draw into; a new Figure when None.
        coordinate: index of the state coordinate to draw.
        title: the title (default: the η range and the line styles).
        label_points: list each PD/LP point's η in the legend.

    Returns:
        The matplotlib Figure drawn into.

    Raises:
        IndexError: when ``coordinate`` is not an index of the state.
    """
    _, names, _ = _model_record(continuation.model)
    if names and not 0 <= coordinate < len(names):
        raise IndexError(f"coordinate {coordinate} is not an index of the state {names}")
    if ax is None:
        _, ax = new_figure(None, (9.5, 5), nrows=1, ncols=1)
    colors = rcParams["axes.prop_cycle"].by_key()["color"]

    def period_color(period: int):
        return colors[int(np.log2(period)) % len(colors)] if period & (period - 1) == 0 else "0.4"

    periods_seen = set()
    for branch in continuation.branches:
        if branch.eta.size < 2:
            continue
        color = period_color(branch.period)
        stable = np.array([s == "stable" for s in branch.stability])
        y = branch.states[:, coordinate]
        for mask, style in ((stable, "-"), (~stable, "--")):
            segment = np.where(mask, y, np.nan)
            # extend each piece by one point so that stable and unstable pieces meet
            for e in np.where(mask[:-1] != mask[1:])[0]:
                segment[e : e + 2] = y[e : e + 2]
            ax.plot(branch.eta, segment, style, color=color, lw=1.2)
        periods_seen.add(branch.period)
    handles = [Line2D([], [], color=period_color(p), lw=1.2, label=f"period {p}") for p in sorted(periods_seen)]
    handles += [Line2D([], [], color="0.3", lw=1.2, ls="-", label="stable"),
                Line2D([], [], color="0.3", lw=1.2, ls="--", label="unstable")]
    for point in continuation.points:
        value = list(point.state.values())[coordinate]
        marker = "o" if point.type == "PD" else "s"
        ax.plot(point.eta, value, marker, mfc="none", mec="r", ms=7, zorder=5)
        if label_points:
            what = (f"period {point.period} → {2 * point.period}" if point.type == "PD"
                    else f"fold, period {point.period}")
            handles.append(Line2D([], [], ls="none", marker=marker, mfc="none", mec="r", ms=6,
                                  label=rf"{point.type} $\eta = {point.eta:.10g}$ ({what})"))
    if continuation.points and not label_points:
        handles += [Line2D([], [], ls="none", marker=m, mfc="none", mec="r", ms=6, label=t)
                    for m, t in (("o", "PD: period doubling"), ("s", "LP: fold")) if any(p.type == t[:2] for p in continuation.points)]
    coordinate_name = math(names[coordinate]) if coordinate < len(names) else rf"$\theta_{{{coordinate}}}$"
    ax.set_xlabel(r"step size $\eta$ (continuation parameter)")
    ax.set_ylabel(f"{coordinate_name} at one point of each periodic orbit")
    lo, hi = continuation.eta_range
    ax.set_title(title or rf"continuation over $\eta \in [{lo:g}, {hi:g}]$: solid stable, dashed unstable", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    _zoom_cascade(ax, continuation, coordinate)
    return root_figure(ax.figure)


def _zoom_cascade(ax, continuation, coordinate: int) -> None:
    """An inset around the last points when three or more crowd within 5 % of the η range (a cascade)."""
    points = sorted(continuation.points, key=lambda p: p.eta)
    if len(points) < 3:
        return
    lo, hi = continuation.eta_range
    tail = [p for p in points if p.eta >= points[-1].eta - 0.05 * (hi - lo)]
    if len(tail) < 3:
        return
    e0, e1 = tail[0].eta, tail[-1].eta
    pad = max(0.25 * (e1 - e0), 1e-12)
    values = [list(p.state.values())[coordinate] for p in tail]
    inset = ax.inset_axes([0.05, 0.45, 0.38, 0.45])
    for line in ax.get_lines():
        x, y = line.get_xdata(), line.get_ydata()
        inset.plot(x, y, ls=line.get_linestyle(), marker=line.get_marker(), color=line.get_color(),
                   lw=line.get_linewidth(), ms=line.get_markersize(), mfc=line.get_markerfacecolor(),
                   mec=line.get_markeredgecolor())
    v0, v1 = min(values), max(values)
    vpad = max(0.6 * (v1 - v0), 1e-9)
    inset.set_xlim(e0 - pad, e1 + pad)
    inset.set_ylim(v0 - vpad, v1 + vpad)
    inset.xaxis.set_major_locator(MaxNLocator(3))
    inset.yaxis.set_major_locator(MaxNLocator(4))
    inset.tick_params(labelsize=6)
    inset.set_title("zoom on the last points", fontsize=7)
    inset.grid(alpha=0.3)
    ax.indicate_inset_zoom(inset, edgecolor="0.4")
