"""Claims about the reduced two-layer ("mean") model M(a₋, a₊, b) = ℓ_sym(d·(a₋ + a₊)·r(b))
(Ahn et al. 2023, arXiv 2212.07469, §3; docs/reference_values.md §3).

The model itself comes from ``build_model("mean-model", params={"d": D})`` (derivations/_mean_model.py,
the two-layer issue); every check takes the GD map, Hessian, invariants, sharpness and critical η from
``derive(model)``. The Gaussian expectation r(b) = E ReLU(Z + b) and the label-averaged loss are
re-derived here independently (SymPy integration) and compared with what the model uses. Where the model
is not installed, each claim reports ``error`` with that reason.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .._derive import derive
from .._errors import InputError
from .._model import ETA, build_model
from ._registry import claim
from ._symbolic import identity_outcome
from ._types import Outcome, Step

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang 2023 (arXiv 2212.07469), §3; docs/reference_values.md §3"
D_DEFAULT = 200
STATE_NAMES = ("a_minus", "a_plus", "b")

# b∞-law experiment (kind d): step sizes as multiples of η_c, start a₋ = a₊ = 1/(2d), b = 0.
LAW_RATIOS_BELOW = (0.5, 0.9)
LAW_RATIOS_ABOVE = (1.1, 2.0, 3.0, 8.0)
LAW_REL_TOL = 0.02  # |r(b∞)/(r(0)√(η_c/η)) − 1| above η_c
LAW_BELOW_TOL = 1e-3  # |b∞| below η_c ("the bias barely moves")
LAW_MAX_STEPS = 400_000


def _mean_model(d: int = D_DEFAULT):
    model = build_model("mean-model", params={"d": d})
    names = model.state_names
    if tuple(names) != STATE_NAMES:
        raise InputError(f"mean-model state is {names}, expected {STATE_NAMES}")
    return model


def independent_r():
    """r(b) = E[ReLU(Z + b)], Z ~ N(0, 1), by SymPy integration; and the stated closed form bΦ(b) + φ(b)."""
    b = sp.Symbol("b", real=True)
    z = sp.Symbol("z", real=True)
    phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    integral = sp.integrate((z + b) * phi, (z, -b, sp.oo))  # ReLU(z + b) = z + b on z > −b
    closed = b * (1 + sp.erf(b / sp.sqrt(2))) / 2 + sp.exp(-b**2 / 2) / sp.sqrt(2 * sp.pi)
    return b, integral, closed


def _logistic_average():
    s = sp.Symbol("s", real=True)
    logistic = sp.log(1 + sp.exp(-s))
    return s, (logistic + logistic.subs(s, -s)) / 2


def _model_r(model, b):
    """r(b) as the model uses it: u/(d·(a₋ + a₊)) from the model's inner u = d(a₋ + a₊)r(b)."""
    a_minus, a_plus, b_model = model.state
    if model.inner is not None:
        u = model.concrete(model.inner)
        d = model.constants.get("d", sp.Symbol("d", positive=True))
        return _exact(sp.simplify(u.subs({a_minus: 0, a_plus: 1}) / d)).subs(b_model, b)
    for function in model.functions:
        if function.name == "r":
            return _exact(function.expr.subs(function.var, b))
    raise InputError("mean-model declares neither an inner u = d(a₋ + a₊)r(b) nor a function named r")


def _d_value(model):
    return _exact(sp.sympify(model.constants.get("d", sp.Symbol("d", positive=True))))


def _exact(expr):
    """Integer-valued floats (e.g. a constant d = 200.0) as exact integers, so identities stay exact.
    (A model that carries other floats gives ``evidence`` at best: its exactness is lost at the source.)"""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(_exact)
    if not isinstance(expr, sp.Basic):
        return expr
    floats = {f: sp.Integer(int(f)) for f in expr.atoms(sp.Float) if f == int(f)}
    return expr.xreplace(floats) if floats else expr


def _derived(model):
    """derive(model) with integer-valued floats made exact in the pieces the claims use."""
    derivation = derive(model)
    return {
        "gd_map": _exact(derivation.gd_map),
        "hessian": _exact(derivation.hessian),
        "invariants": tuple(_exact(q) for q in derivation.invariants),
        "sharpness_on_minimizers": _exact(derivation.sharpness_on_minimizers),
        "critical_eta": _exact(derivation.critical_eta),
    }


@claim(
    id="mean-model.gaussian-expectation",
    statement="r(b) = E[ReLU(Z + b)] = bΦ(b) + φ(b) for Z ~ N(0, 1), and the mean model uses exactly this r.",
    latex=r"r(b) = \mathbb{E}\,\mathrm{ReLU}(Z + b) = \int_{-b}^{\infty}(z + b)\,\varphi(z)\,dz = b\,\Phi(b) + \varphi(b)",
    model="mean-model",
    assumptions=("Z ~ N(0, 1)",),
    kind="a",
    reference=PAPER,
)
def _gaussian(context):
    """SymPy integral ∫_{−b}^{∞}(z + b)φ(z)dz against bΦ + φ, then the model's r(b) (from its inner u = d(a₋ + a₊)r(b)) and r'(b) = Φ(b)."""
    b, integral, closed = independent_r()
    residuals = {"∫ − (bΦ + φ)": integral - closed}
    steps = [Step("∫_{−b}^{∞} (z + b) φ(z) dz (SymPy)", integral), Step("bΦ(b) + φ(b)", closed)]
    base = identity_outcome(residuals, steps=tuple(steps), what="Gaussian expectation")
    if base.status != "verified":
        return base
    try:
        model = _mean_model()
    except InputError as exc:
        raise InputError(f"{exc}; the model-independent part (∫ = bΦ + φ) is verified") from None
    r_model = _model_r(model, b)
    residuals["model's r − (bΦ + φ)"] = r_model - closed
    residuals["model's r' − Φ"] = sp.diff(r_model, b) - (1 + sp.erf(b / sp.sqrt(2))) / 2
    steps.append(Step("r(b) in the mean model", r_model))
    return identity_outcome(residuals, steps=tuple(steps), what="r(b) = E ReLU(Z + b) = bΦ + φ")


@claim(
    id="mean-model.label-averaged-loss",
    statement="Averaging the logistic loss over the label gives ℓ_sym(s) = ½[ℓ(s) + ℓ(−s)] = log(2cosh(s/2)), with ℓ_sym''(0) = 1/4; the mean model's outer loss is ℓ_sym.",
    latex=r"\ell_{\mathrm{sym}}(s) = \tfrac12\bigl[\log(1+e^{-s}) + \log(1+e^{s})\bigr] = \log\bigl(2\cosh\tfrac s2\bigr),\quad \ell_{\mathrm{sym}}''(0) = \tfrac14",
    model="mean-model",
    assumptions=("label uniform on {−1, +1}",),
    kind="a",
    reference=PAPER,
)
def _label_average(context):
    """½[ℓ(s) + ℓ(−s)] for the logistic ℓ against log 2cosh(s/2) and against the model's outer loss (as exp(2·difference) = 1); ℓ_sym''(0) by a limit."""
    s, average = _logistic_average()
    stated = sp.log(2 * sp.cosh(s / 2))
    # Both sides are real for real s and exp is injective on ℝ: average = stated ⇔ exp(2(average − stated)) = 1.
    residuals = {"exp(2(average − log 2cosh(s/2))) − 1": sp.exp(2 * (average - stated)) - 1}
    residuals["ℓ_sym''(0) − 1/4"] = sp.limit(sp.diff(average, s, 2), s, 0) - sp.Rational(1, 4)
    model = _mean_model()
    if model.outer is None:
        raise InputError("mean-model declares no outer loss ℓ_sym")
    outer = model.outer.expr.subs(model.outer.var, s)
    residuals["exp(2(model's ℓ_sym − average)) − 1"] = sp.exp(2 * (outer - average)) - 1
    residuals["model's ℓ_sym''(0) − 1/4"] = model.outer.value_at(2, 0) - sp.Rational(1, 4)
    return identity_outcome(
        residuals,
        steps=(
            Step("½[ℓ(s) + ℓ(−s)]", average),
            Step("model's outer loss", outer),
            Step("log identities are checked as exp(2·difference) = 1 (both sides real, exp injective on ℝ)", ""),
        ),
        what="label-averaged logistic loss",
    )


@claim(
    id="mean-model.conserved-difference",
    statement="a₊ − a₋ is conserved exactly by GD on the mean model (and the derivation finds it as an invariant).",
    latex=r"a_+' - a_-' = a_+ - a_-",
    model="mean-model",
    assumptions=("d = 200",),
    kind="a",
    reference=PAPER,
)
def _conserved(context):
    """(a₊' − a₋') − (a₊ − a₋) with the derived GD map; derive()'s linear invariant against ±(a₊ − a₋)."""
    model = _mean_model()
    derivation = _derived(model)
    a_minus, a_plus, b = model.state
    F = derivation["gd_map"]
    q = a_plus - a_minus
    linear = [inv for inv in derivation["invariants"] if sp.Poly(inv, *model.state).total_degree() == 1]
    found = sp.expand((linear[0] - q) * (linear[0] + q)) if linear else sp.Integer(1)
    return identity_outcome(
        {"Q(F(θ)) − Q(θ)": (F[1] - F[0]) - q, "derived linear invariant = ±(a₊ − a₋)": found},
        steps=(Step("derived GD map", F), Step("derived invariants", sp.Matrix(list(derivation["invariants"])) if derivation["invariants"] else "none")),
        what="a₊ − a₋ conserved",
    )


@claim(
    id="mean-model.hessian-at-zero",
    statement="At a₋ + a₊ = 0 the Hessian has eigenvalues 0, 0 and 2ℓ_sym''(0)·d²·r(b)² (= d²/(4π) at b = 0); this is the sharpness on the minimisers.",
    latex=r"\operatorname{spec}\nabla^2 M\big|_{a_-+a_+=0} = \{0, 0, 2\ell_{\mathrm{sym}}''(0)\,d^2 r(b)^2\},\quad 2\ell_{\mathrm{sym}}''(0)\,d^2 r(0)^2 = \frac{d^2}{4\pi}",
    model="mean-model",
    assumptions=("d = 200",),
    kind="a",
    reference=PAPER,
)
def _hessian(context):
    """Characteristic polynomial of the derived Hessian at a₊ = −a₋ against λ²(λ − 2ℓ''(0)d²r²) with r integrated independently; derive()'s sharpness on minimisers; the value d²/(4π) at b = 0."""
    model = _mean_model()
    derivation = _derived(model)
    a_minus, a_plus, b = model.state
    d = _d_value(model)
    b_indep, _, closed = independent_r()
    r = closed.subs(b_indep, b)
    top = 2 * sp.Rational(1, 4) * d**2 * r**2
    lam = sp.Symbol("lambda")
    H0 = derivation["hessian"].subs(a_plus, -a_minus)
    charpoly = H0.charpoly(lam).as_expr()
    residuals = {
        "char. polynomial − λ²(λ − 2ℓ''(0)d²r²)": charpoly - lam**2 * (lam - top),
        "derived sharpness on minimisers − 2ℓ''(0)d²r²": (derivation["sharpness_on_minimizers"] - top)
        if derivation["sharpness_on_minimizers"] is not None else sp.Integer(1),
        "value at b = 0 − d²/(4π)": top.subs(b, 0) - d**2 / (4 * sp.pi),
    }
    return identity_outcome(
        residuals,
        steps=(Step("∇²M at a₊ = −a₋", H0), Step("derived sharpness on minimisers", derivation["sharpness_on_minimizers"])),
        what="Hessian at A = 0",
    )


@claim(
    id="mean-model.critical-eta",
    statement="The critical step size at b = 0 is η_c = 2/S = 8π/d² (checked for d = 200 and d = 50).",
    latex=r"\eta_c = \frac{2}{2\ell_{\mathrm{sym}}''(0)\,d^2 r(0)^2} = \frac{8\pi}{d^2}",
    model="mean-model",
    assumptions=("b0 = 0",),
    kind="a",
    reference=PAPER,
)
def _critical_eta(context):
    """derive()'s critical η at b = 0 against 8π/d² for two model sizes."""
    residuals, steps = {}, []
    for d_value in (D_DEFAULT, 50):
        model = _mean_model(d_value)
        derivation = _derived(model)
        b = model.state[2]
        if derivation["critical_eta"] is None:
            residuals[f"d={d_value}: derived η_c exists"] = sp.Integer(1)
            continue
        eta_c = derivation["critical_eta"].subs(b, 0)
        residuals[f"d={d_value}: η_c(0) − 8π/d²"] = eta_c - 8 * sp.pi / sp.Integer(d_value) ** 2
        steps.append(Step(f"derived η_c(b = 0), d = {d_value}", sp.simplify(eta_c)))
    return identity_outcome(residuals, steps=tuple(steps), what="η_c = 8π/d²")


@claim(
    id="mean-model.bias-law",
    statement=(
        "Above η_c GD settles at the edge of stability with r(b∞) ≈ r(0)√(η_c/η) (relative error ≤ 2% for "
        "η/η_c ∈ {1.1, 2, 3, 8}); below η_c the bias barely moves (|b∞| ≤ 1e-3 for η/η_c ∈ {0.5, 0.9})."
    ),
    latex=r"r(b_\infty) \approx r(0)\sqrt{\eta_c/\eta}\quad(\eta > \eta_c),\qquad b_\infty \approx 0\quad(\eta < \eta_c)",
    model="mean-model",
    assumptions=("d = 200", "a₋ = a₊ = 1/(2d), b0 = 0", "float64 iteration of the derived map to convergence"),
    kind="d",
    reference=PAPER + " (b∞ table)",
)
def _bias_law(context):
    """Float64 iteration of the derived map (vectorised over η) to convergence; b∞ against the root of r(b) = r(0)√(η_c/η); errors and tolerances reported."""
    return bias_law_outcome()


def bias_law_outcome(ratios_below=LAW_RATIOS_BELOW, ratios_above=LAW_RATIOS_ABOVE) -> Outcome:
    """Iterate the derived mean-model map in float64 (vectorised over η) and compare b∞ with the law."""
    from scipy.optimize import brentq

    model = _mean_model()
    derivation = _derived(model)
    a_minus, a_plus, b = model.state
    d = float(_d_value(model))
    eta_c = float(derivation["critical_eta"].subs(b, 0))
    gd_map = [component.rewrite(sp.erf) for component in derivation["gd_map"]]  # Φ → erf for lambdify
    step = sp.lambdify((a_minus, a_plus, b, ETA), gd_map, modules=["scipy", "numpy"])
    b_sym, _, closed = independent_r()
    r = sp.lambdify(b_sym, closed, modules=["scipy", "numpy"])
    ratios = np.array(list(ratios_below) + list(ratios_above), dtype=float)
    eta = ratios * eta_c
    am = np.full(ratios.size, 1 / (2 * d))
    ap = am.copy()
    bb = np.zeros(ratios.size)
    steps_used, converged = LAW_MAX_STEPS, False
    previous = bb.copy()
    for k in range(1, LAW_MAX_STEPS + 1):
        am, ap, bb = (np.asarray(v, dtype=float) for v in step(am, ap, bb, eta))
        if k % 1000 == 0:
            if not np.all(np.isfinite(bb)):
                break
            if np.all(np.abs(am + ap) < 1e-14) and np.all(np.abs(bb - previous) < 1e-15):
                steps_used, converged = k, True
                break
            previous = bb.copy()
    rows, failures = [], []
    r0 = float(r(0.0))
    for ratio, b_inf in zip(ratios, bb):
        row = {"eta_over_eta_c": float(ratio), "eta": float(ratio * eta_c), "b_inf": float(b_inf)}
        if ratio > 1:
            target = r0 * math.sqrt(1 / ratio)
            b_law = brentq(lambda v: float(r(v)) - target, -10.0, 0.0, xtol=1e-14)
            rel = float(r(b_inf)) / target - 1
            row.update({"b_law": b_law, "r_rel_error": rel, "ok": bool(abs(rel) <= LAW_REL_TOL)})
        else:
            row.update({"ok": bool(abs(b_inf) <= LAW_BELOW_TOL)})
        rows.append(row)
        if not row["ok"]:
            failures.append(row)
    details = {"eta_c": eta_c, "d": d, "steps": steps_used, "converged": converged, "rows": rows,
               "tolerance": {"r_rel_error": LAW_REL_TOL, "below_threshold_abs_b": LAW_BELOW_TOL}}
    table = "; ".join(
        f"η/η_c={row['eta_over_eta_c']:g}: b∞={row['b_inf']:.5f}"
        + (f", law {row['b_law']:.5f}, r error {100 * row['r_rel_error']:+.2f}%" if "b_law" in row else "")
        for row in rows
    )
    steps = (Step("measured (float64, derived map)", table),)
    if not converged:
        return Outcome("not_checkable", f"the orbits did not converge within {LAW_MAX_STEPS} steps", details, steps)
    if failures:
        return Outcome("refuted", f"outside the stated tolerance: {failures}", details, steps, counterexample=failures[0])
    worst = max(abs(row.get("r_rel_error", 0.0)) for row in rows)
    return Outcome(
        "evidence",
        f"within tolerance (largest r error {100 * worst:.2f}% ≤ {100 * LAW_REL_TOL:g}%; |b∞| ≤ {LAW_BELOW_TOL:g} below η_c) "
        f"after {steps_used} steps: {table}",
        details,
        steps,
    )
