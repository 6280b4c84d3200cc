"""Mathematical text for figure titles, labels and legends (matplotlib mathtext), shared by the figure modules.

Titles and legends name quantities the way the docs write them ($\\eta S_\\infty/2$, $x_0 = 0.1$), never as
Python reprs (``{'x': 0.1}``) or field names (``eta_sharpness_half``).
"""
from __future__ import annotations

import functools

import sympy as sp

_STATE_TEX = {"a_minus": "a_-", "a_plus": "a_+"}

# sweep variables -> label (units: eoscope's models are dimensionless; sharpness is in 1/η units)
OBSERVABLE_TEX = {
    "eta_sharpness_half": r"$\eta S_\infty/2$ (1 = edge of stability)",
    "eta_sharpness_half0": r"$\eta S(\theta_0)/2$ at the start",
    "sharpness": r"final sharpness $S_\infty = \lambda_{\max}(\nabla^2 L)$",
    "loss0": r"loss at the start $L(\theta_0)$",
    "loss_final": r"final loss $L(\theta_\infty)$",
    "max_loss": r"largest loss $\max_k L(\theta_k)$",
    "loss_rises": "number of steps where the loss rose",
    "sign_flips": "number of sign flips of the oscillating coordinate",
    "steps": "GD steps run",
    "period": "period of the final orbit (0: none)",
}


@functools.lru_cache(maxsize=None)
def renders(text: str) -> bool:
    """Whether matplotlib's mathtext can draw ``text`` (a string with ``$…$`` parts)."""
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(text)
    except (ValueError, RuntimeError):
        return False
    return True


def symbol(name: str) -> str:
    """The TeX form of a state or axis name, without dollars: ``x`` → ``x``, ``a_minus`` → ``a_-``,
    ``y0`` → ``y_0``, ``a_minus0`` → ``a_{-,0}``."""
    if name in _STATE_TEX:
        return _STATE_TEX[name]
    if name.endswith("0") and len(name) > 1 and not name[:-1].endswith("_"):
        base = symbol(name[:-1])
        if base.endswith(("_-", "_+")):
            return f"{base[:-2]}_{{{base[-1]},0}}"
        return f"{base}_0"
    return sp.latex(sp.Symbol(name))


def math(name: str) -> str:
    """``$symbol(name)$``."""
    return f"${symbol(name)}$"


def assignments(values: dict, digits: str = "g") -> str:
    """``{'x': 0.1, 'y': 4}`` → ``$x_0 = 0.1$, $y_0 = 4$`` (initial values)."""
    return ", ".join(f"${symbol(k + '0')} = {float(v):{digits}}$" for k, v in values.items())


def observable(name: str, ds=None) -> str:
    """A label for a sweep variable: its mathematical form, else the variable's ``long_name``, else
    ``final x`` for ``x_final``, else the name with spaces."""
    if name in OBSERVABLE_TEX:
        return OBSERVABLE_TEX[name]
    if name.endswith("_final"):
        return f"final {math(name[: -len('_final')])}"
    if ds is not None and name in ds and ds[name].attrs.get("long_name"):
        return str(ds[name].attrs["long_name"])
    return name.replace("_", " ")


def loss_tex(loss) -> str | None:
    """``$\\ell(s) = …$`` for a loss, or None when mathtext cannot draw its LaTeX (e.g. a piecewise loss)."""
    try:
        text = rf"$\ell(s) = {sp.latex(loss.expr)}$"
    except Exception:  # noqa: BLE001 - any printing failure falls back to the plain label
        return None
    return text if renders(text) else None


def model_title(model) -> str:
    """A figure title for a model: ``single neuron, $\\ell(s) = \\sqrt{s^2+1}$``, the mean model with its
    dimension, else the model's label."""
    name = getattr(model, "name", "")
    loss = getattr(model, "loss_spec", None)
    if name == "single-neuron" and loss is not None:
        tex = loss_tex(loss)
        if tex:
            return f"single neuron $f = xy$, {tex}"
        return f"single neuron $f = xy$, loss {loss.name if loss.name != 'custom' else loss.source}"
    if name == "mean-model":
        d = _param(model, "d")
        law = r"mean model $\ell_{\mathrm{sym}}(d\,(a_- + a_+)\,r(b))$"
        return law + (f", $d = {d:g}$" if d is not None else "")
    label = getattr(model, "label", None) or name
    return label.replace("_", " ") if not renders(label) or "_" in label else label


def _param(model, key: str):
    for attribute in ("params", "parameters", "constants"):
        values = getattr(model, attribute, None)
        if isinstance(values, dict):
            for k, v in values.items():
                if str(k) == key:
                    try:
                        return float(v)
                    except (TypeError, ValueError):
                        return None
    return None


def new_figure(fig, figsize, **subplots):
    """(figure, axes): ``fig.subplots(**subplots)`` in the given Figure/SubFigure, or in a new
    constrained-layout Figure of ``figsize`` (a plain ``Figure``: pyplot holds no reference to it)."""
    from matplotlib.figure import Figure

    figure = fig if fig is not None else Figure(figsize=figsize, layout="constrained")
    return figure, figure.subplots(**subplots)


def root_figure(fig):
    """The top-level Figure of a Figure or SubFigure."""
    while getattr(fig, "figure", None) is not None and fig.figure is not fig:
        fig = fig.figure
    return fig
