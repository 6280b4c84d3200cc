"""The trajectory figure: loss, sharpness against 2/η, the state, and the path over the invariant's level sets.

Public through :mod:`eoscope.plot` as ``plot.trajectories``. Draws only; saving is the caller's
(:func:`._figure_save.save_figure`).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from matplotlib import rcParams
from matplotlib.figure import Figure

from ..derivations import derive

from ._figure_text import math, model_title, root_figure, symbol

_STYLES = ["-", ":", "-.", "--"]


def trajectories(model, runs, fig=None, *, ax=None, labels=None, title: str | None = None):
    """trajectories(model, runs, fig=None, *, ax=None, labels=None, title=None) -> Figure

    Draw GD trajectories of one model. The full figure has four panels against the step k: the loss
    L(θ_k) (the excess over the minimum, log scale); the sharpness S(θ_k) = λ_max(∇²L) with the line 2/η;
    every state coordinate; and the path of the first two coordinates over level sets of the first
    gradient-flow invariant (hyperbolas x² − y² = c for ℓ(x·y)), which GD crosses while gradient flow
    stays on one. Every recorded step is drawn: ask :func:`eoscope.trajectory` for ``stride=1`` to see an
    every-step sign flip as such (a coarser stride aliases it).

    Arguments:
        model: the :class:`Model` the runs were made with.
        runs: a sequence of :class:`Trajectory` results (or one).
        fig: a Figure or SubFigure to draw the four panels into; a new Figure when None.
        ax: draw only the state panel (every coordinate against k) into this Axes instead.
        labels: one legend label per run (default ``η = …``).
        title: the figure title (default: the model in mathematical notation).

    Returns:
        The matplotlib Figure drawn into (``ax.figure`` when ``ax`` is given).

    Raises:
        ValueError: when both ``fig`` and ``ax`` are given, or ``labels`` and ``runs`` differ in length.
    """
    if fig is not None and ax is not None:
        raise ValueError("give fig (all four panels) or ax (the state panel), not both")
    if not isinstance(runs, (list, tuple)):
        runs = [runs]
    labels = list(labels) if labels is not None else [rf"$\eta = {r.eta:g}$" for r in runs]
    if len(labels) != len(runs):
        raise ValueError(f"{len(labels)} labels for {len(runs)} runs")
    colors = rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(model.state_names)
    if ax is not None:
        _state_panel(ax, runs, labels, names, colors)
        ax.set_title(title or model_title(model))
        return root_figure(ax.figure)
    figure = fig if fig is not None else Figure(figsize=(11, 8), layout="constrained")
    axes = figure.subplots(2, 2)
    floor, floor_label = _loss_floor(model)
    for i, (run, label) in enumerate(zip(runs, labels)):
        c = colors[i % len(colors)]
        k = run.history_step
        axes[0, 0].plot(k, np.abs(run.history_loss - floor), color=c, lw=1, label=label)
        axes[0, 1].plot(k, run.history_sharpness, color=c, lw=1, label=label)
    # one 2/η line (and legend entry) per distinct step size, not one per run
    for j, eta in enumerate(dict.fromkeys(float(r.eta) for r in runs)):
        axes[0, 1].axhline(2 / eta, color="k", ls=(0, (4, 2 + 2 * j)), lw=1, zorder=1,
                           label=rf"$2/\eta = {2 / eta:.4g}$")
    _state_panel(axes[1, 0], runs, labels, names, colors)
    if len(names) >= 2:
        for i, (run, label) in enumerate(zip(runs, labels)):
            c = colors[i % len(colors)]
            axes[1, 1].plot(run.history_state[:, 0], run.history_state[:, 1], ".-", color=c, ms=2, lw=0.5,
                            label=label)
    axes[0, 0].set(xlabel="step $k$", ylabel=floor_label, title="loss", yscale="log")
    axes[0, 1].set(xlabel="step $k$", ylabel=r"sharpness $S(\theta_k) = \lambda_{\max}(\nabla^2 L)$",
                   title=r"sharpness against $2/\eta$")
    axes[1, 1].set(xlabel=math(names[0]), ylabel=math(names[1]) if len(names) > 1 else "",
                   title="path over level sets of the gradient-flow invariant")
    _draw_invariant_levels(model, axes[1, 1])
    for panel in (axes[0, 0], axes[0, 1]):
        panel.set_xscale("symlog", linthresh=10)  # early steps (stable runs end fast) stay visible
        panel.set_xlim(left=0)
    for panel in axes.flat:
        panel.grid(alpha=0.3)
        # the path of an EoS run fills the top of its panel: its legend goes to a lower corner
        panel.legend(fontsize=7, loc="lower left" if panel is axes[1, 1] else "best")
    figure.suptitle(title or model_title(model))
    return root_figure(figure)


def _state_panel(ax, runs, labels, names, colors) -> None:
    """Every state coordinate against k: markers at every recorded step, joined by a thin line, so that a
    coordinate flipping sign each step shows as two branches ±|x_k| instead of an aliased zigzag."""
    for i, (run, label) in enumerate(zip(runs, labels)):
        c = colors[i % len(colors)]
        k = run.history_step
        for j, name in enumerate(names):
            ax.plot(k, run.history_state[:, j], color=c, ls=_STYLES[j % 4], lw=0.4, marker=".", ms=1.5,
                    label=f"{math(name)}, {label}")
    ax.set(xlabel="step $k$", ylabel="parameter value", title="state at every recorded step")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")


def _loss_floor(model):
    """The minimum value ℓ(s*) of L = ℓ(u), so the panel can show the excess loss on a log scale."""
    derivation = derive(model)
    if model.outer is None or not derivation.minimizers:
        return 0.0, r"loss $L(\theta_k)$"
    value = float(model.outer.value_at(0, derivation.minimizers[0]))
    if value == 0:
        return 0.0, r"loss $L(\theta_k)$"
    return value, rf"excess loss $|L(\theta_k) - {value:.4g}|$"


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
    ax.contour(X, Y, Z, levels=15, colors="0.7", linewidths=0.6, zorder=0)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi))
    names = {first: sp.Symbol(symbol(str(first))), second: sp.Symbol(symbol(str(second)))}
    ax.plot([], [], color="0.7", lw=0.6, label=f"level sets of ${sp.latex(q.subs(names))}$ = const")
