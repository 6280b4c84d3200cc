"""Claims about the single-neuron model, GD on (x, y) ↦ ℓ(x·y) (Ahn et al. 2023, arXiv 2212.07469, §2).

Every check takes its objects from ``derive(single_neuron(loss))`` — the project's own derivation — and
compares them with the claim as stated in the paper; generic forms (ℓ unspecified, as heads ℓ', ℓ'')
make the identities hold for every ℓ, the concrete forms for the loss chosen with ``--loss``.
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp
from mpmath import iv

from .._derive import derive
from .._model import ETA, single_neuron
from ._interval import certify_limit, outward_decimal
from ._registry import claim
from ._symbolic import identity_outcome
from ._types import Outcome, Step

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang 2023 (arXiv 2212.07469), §2"


@lru_cache(maxsize=16)
def _model_for(loss):
    """One single-neuron Model per loss, so derive()'s per-model cache is shared by the claims."""
    return single_neuron(loss)


def _setup(context):
    model = _model_for(context.loss)
    x, y = model.state
    ell = model.outer
    g = ell.heads[1](x * y)  # generic ℓ'(xy)
    return model, derive(model), x, y, ell, g


@claim(
    id="single-neuron.map",
    statement="GD on ℓ(x·y) is x' = x − η ℓ'(xy) y, y' = y − η ℓ'(xy) x.",
    latex=r"x' = x - \eta\,\ell'(xy)\,y,\qquad y' = y - \eta\,\ell'(xy)\,x",
    model="single-neuron",
    assumptions=("ℓ ∈ C¹",),
    kind="a",
    requires=("C1",),
    loss_dependent=True,
    reference=PAPER,
)
def _map(context):
    """Residual derived map − stated map, for generic ℓ (heads) and for the chosen ℓ."""
    model, d, x, y, ell, g = _setup(context)
    stated = sp.Matrix([x - ETA * g * y, y - ETA * g * x])
    return identity_outcome(
        {"generic": d.generic["gd_map"] - stated, "concrete": d.gd_map - model.concrete(stated)},
        concrete=model.concrete,
        steps=(Step("derived GD map (generic ℓ)", d.generic["gd_map"]), Step("derived GD map (concrete ℓ)", d.gd_map)),
        what="derived GD map = stated map",
    )


@claim(
    id="single-neuron.invariant-evolution",
    statement="x² − y² (conserved by gradient flow) evolves under GD as x'² − y'² = (1 − η²ℓ'(xy)²)(x² − y²).",
    latex=r"x'^2 - y'^2 = \bigl(1 - \eta^2 \ell'(xy)^2\bigr)\,(x^2 - y^2)",
    model="single-neuron",
    assumptions=("ℓ ∈ C¹",),
    kind="a",
    requires=("C1",),
    loss_dependent=True,
    reference=PAPER,
)
def _invariant(context):
    """Q(F(θ)) − (1 − η²ℓ'²)Q(θ) with F the derived generic map; derive()'s invariant, its factor and its concrete residual are compared too."""
    model, d, x, y, ell, g = _setup(context)
    q = x**2 - y**2
    factor = 1 - ETA**2 * g**2
    mapped = d.generic["gd_map"]
    q_next = q.subs({x: mapped[0], y: mapped[1]}, simultaneous=True)
    derived_q = d.invariants[0] if d.invariants else sp.Integer(0)
    residuals = {
        "identity (generic ℓ)": q_next - factor * q,
        "derived invariant = ±(x² − y²)": sp.expand((derived_q - q) * (derived_q + q)),
        "derived factor = stated factor": d.generic["invariant_factors"][0] - factor if d.invariants else sp.Integer(1),
        "concrete identity (derive)": d.invariant_residuals[0] if d.invariants else sp.Integer(1),
    }
    return identity_outcome(
        residuals,
        concrete=model.concrete,
        steps=(
            Step("derived invariant Q", derived_q),
            Step("Q(F(θ)) with the derived map", q_next),
            Step("derived evolution factor", d.generic["invariant_factors"][0] if d.invariants else "none"),
        ),
        what="x'² − y'² = (1 − η²ℓ'²)(x² − y²)",
    )


@claim(
    id="single-neuron.product-evolution",
    statement="The product evolves as x'y' = xy(1 + η²g²) − ηg(x² + y²), g = ℓ'(xy).",
    latex=r"x'y' = xy\,(1 + \eta^2 g^2) - \eta g\,(x^2 + y^2),\quad g = \ell'(xy)",
    model="single-neuron",
    assumptions=("ℓ ∈ C¹",),
    kind="a",
    requires=("C1",),
    loss_dependent=True,
    reference=PAPER,
)
def _product(context):
    """Residual x'y' − stated, with x', y' from the derived map (generic and concrete ℓ)."""
    model, d, x, y, ell, g = _setup(context)
    mapped = d.generic["gd_map"]
    stated = x * y * (1 + ETA**2 * g**2) - ETA * g * (x**2 + y**2)
    return identity_outcome(
        {"generic": mapped[0] * mapped[1] - stated, "concrete": d.gd_map[0] * d.gd_map[1] - model.concrete(stated)},
        concrete=model.concrete,
        steps=(Step("x'·y' from the derived map", sp.expand(mapped[0] * mapped[1])),),
        what="x'y' = xy(1 + η²g²) − ηg(x² + y²)",
    )


@claim(
    id="single-neuron.sharpness-on-minimizers",
    statement="On the minimisers (0, y) the sharpness is S = ℓ''(0)·y² (the Hessian has eigenvalues 0 and ℓ''(0)y²).",
    latex=r"S(0, y) = \lambda_{\max}\nabla^2 L(0, y) = \ell''(0)\,y^2",
    model="single-neuron",
    assumptions=("ℓ is C² near 0", "ℓ'(0) = 0"),
    kind="a",
    requires=("C2_at_0", "critical_at_0"),
    loss_dependent=True,
    reference=PAPER,
)
def _sharpness(context):
    """derive()'s sharpness on minimisers, the characteristic polynomial of the derived Hessian at x = 0, and the closed-form λ_max at x = 0, each against ℓ''(0)y²."""
    model, d, x, y, ell, g = _setup(context)
    c = context.loss.curvature_at_zero
    lam = sp.Symbol("lambda")
    hessian_0 = d.hessian.subs(x, 0)
    charpoly = hessian_0.charpoly(lam).as_expr()
    residuals = {
        "derived sharpness on minimisers": d.sharpness_on_minimizers - c * y**2,
        "char. polynomial of ∇²L(0, y)": charpoly - lam * (lam - c * y**2),
    }
    if d.sharpness is not None:
        residuals["closed-form λ_max at x = 0"] = sp.simplify(d.sharpness.subs(x, 0)) - c * y**2
    return identity_outcome(
        residuals,
        steps=(Step("ℓ''(0) (derived)", c), Step("∇²L(0, y)", hessian_0), Step("derived S on minimisers", d.sharpness_on_minimizers)),
        what="S(0, y) = ℓ''(0) y²",
        details={"curvature_at_zero": str(c)},
    )


@claim(
    id="single-neuron.stability-threshold",
    statement="The minimiser (0, y) is linearly stable for GD iff y² ≤ 2/(ηℓ''(0)); equivalently η ≤ η_c = 2/(ℓ''(0)y²).",
    latex=r"\bigl|1 - \eta\,\ell''(0)\,y^2\bigr| \le 1 \iff y^2 \le \frac{2}{\eta\,\ell''(0)}",
    model="single-neuron",
    assumptions=("ℓ is C² near 0", "ℓ'(0) = 0", "ℓ''(0) > 0", "η > 0"),
    kind="b",
    requires=("C2_at_0", "critical_at_0", "curved_at_0"),
    loss_dependent=True,
    reference=PAPER,
)
def _stability(context):
    """Derived multipliers {1, 1 − ηS}; with m = ηℓ''(0)y² ≥ 0 proved from SymPy assumptions, |1 − m| ≤ 1 is solved exactly for t = y² and compared with [0, 2/(ηℓ''(0))]; derive()'s stability condition and η_c are checked as identities."""
    model, d, x, y, ell, g = _setup(context)
    c = context.loss.curvature_at_zero
    t = sp.Symbol("t", nonnegative=True)  # t = y²
    steps = [Step("derived multipliers of DF on (0, y)", sp.Matrix(list(d.multipliers_on_minimizers)))]
    multipliers = sorted(d.multipliers_on_minimizers, key=lambda e: 0 if e == 1 else 1)
    if len(multipliers) != 2 or multipliers[0] != 1:
        return Outcome("refuted", f"derived multipliers {multipliers} are not {{1, 1 − ηS}}", steps=tuple(steps))
    m = sp.expand(1 - multipliers[1])  # η S = η ℓ''(0) y²
    identity = identity_outcome(
        {
            "ηS − ηℓ''(0)y²": m - ETA * c * y**2,
            "derived stability condition ⇔ ηS ≤ 2": sp.expand(ETA * (d.stability_condition.lhs - d.stability_condition.rhs)) - (m - 2)
            if isinstance(d.stability_condition, sp.core.relational.Relational) else sp.Integer(1),
            "derived η_c − 2/(ℓ''(0)y²)": d.critical_eta - 2 / (c * y**2),
        },
        steps=tuple(steps),
        what="multipliers and critical η",
    )
    if identity.status != "verified":
        return identity
    # Inequality: |1 − m| ≤ 1 with m = η ℓ''(0) t, t = y² ≥ 0.
    m_t = m.subs(y**2, t)
    if not m_t.is_nonnegative:
        return Outcome("not_checkable", f"could not prove ηℓ''(0)y² = {m_t} ≥ 0 under the assumptions", steps=tuple(steps))
    solved = sp.solve_univariate_inequality(sp.Abs(1 - m_t) <= 1, t, relational=False)
    expected = sp.Interval(0, 2 / (ETA * c))
    steps += [
        Step("m = ηS on (0, y), t = y²", m_t),
        Step("m ≥ 0 (SymPy assumptions: η > 0, ℓ''(0) > 0, t ≥ 0), so |1 − m| ≤ 1 ⇔ m ≤ 2", sp.Le(m_t, 2)),
        Step("solution set of |1 − m| ≤ 1 in t = y²", solved),
    ]
    if solved == expected:
        return Outcome(
            "verified",
            "|1 − ηℓ''(0)y²| ≤ 1 ⇔ y² ∈ [0, 2/(ηℓ''(0))] (solved exactly in SymPy); derived η_c = 2/(ℓ''(0)y²)",
            {"solution_set": sp.sstr(solved), "critical_eta": sp.sstr(d.critical_eta)},
            tuple(steps),
        )
    return Outcome(
        "refuted",
        f"stable set in y² is {solved}, not {expected}",
        {"solution_set": sp.sstr(solved)},
        tuple(steps),
        counterexample={"solution_set": sp.sstr(solved), "expected": sp.sstr(expected)},
    )


@claim(
    id="single-neuron.gradient-flow-limit",
    statement="Gradient flow conserves x² − y²; from y0 > |x0| it ends on the minimiser (0, y∞) with y∞² = y0² − x0².",
    latex=r"\frac{d}{dt}(x^2 - y^2) = 0,\qquad y_\infty^2 = y_0^2 - x_0^2",
    model="single-neuron",
    assumptions=("ℓ ∈ C¹, convex", "ℓ'(0) = 0, ℓ''(0) > 0 (unique minimum at 0)", "y0 > |x0|"),
    kind="a",
    requires=("C1", "convex", "critical_at_0", "curved_at_0"),
    loss_dependent=True,
    reference=PAPER,
)
def _flow_limit(context):
    """−∇Q·∇L ≡ 0 for Q = x² − y² and generic ℓ; derive()'s gradient-flow limit on x = 0 against y0² − x0²."""
    model, d, x, y, ell, g = _setup(context)
    q = x**2 - y**2
    gradient = d.generic["gradient"]
    flow_derivative = -(sp.diff(q, x) * gradient[0] + sp.diff(q, y) * gradient[1])
    x0, y0 = sp.Symbol("x0", real=True), sp.Symbol("y0", real=True)
    limit = d.gradient_flow_limit
    if not isinstance(limit, sp.Eq):
        return Outcome("refuted", f"the derivation gives no gradient-flow limit on the branch x = 0 (got {limit})")
    residuals = {
        "dQ/dt along −∇L (generic ℓ)": flow_derivative,
        "derived limit": sp.expand((limit.lhs - limit.rhs) - (y**2 - (y0**2 - x0**2))),
    }
    return identity_outcome(
        residuals,
        steps=(Step("dQ/dt = −∇Q·∇L", flow_derivative), Step("derived limit on x = 0", limit)),
        what="gradient-flow invariant and limit",
    )


EOS_INSTANCES = (("0.3", "0.1"), ("0.1", "0.1"))


@claim(
    id="single-neuron.eos-limit",
    statement=(
        "GD from x0 = 0.1, y0 = √(3/(ηℓ''(0))) (η = 0.3 and η = 0.1) converges to (0, y∞) with "
        "y∞² ∈ [2/(ηℓ''(0)) − δ, 2/(ηℓ''(0))] with δ ≤ 0.1·2/(ηℓ''(0)) (η·S∞/2 ∈ [0.9, 1]): it settles "
        "just below the edge of stability; δ certified."
    ),
    latex=r"y_\infty^2 \in \Bigl[\frac{2}{\eta\ell''(0)} - \delta,\ \frac{2}{\eta\ell''(0)}\Bigr],\quad x_0 = 0.1,\ y_0 = \sqrt{3/(\eta\ell''(0))}",
    model="single-neuron",
    assumptions=(
        "ℓ ∈ C²(ℝ)", "ℓ'(0) = 0, ℓ''(0) > 0", "ℓ' bounded (linear tails)",
        "η ∈ {0.3, 0.1}, x0 = 0.1, y0 = √(3/(ηℓ''(0)))",
    ),
    kind="c",
    requires=("C2", "critical_at_0", "curved_at_0", "bounded_slope"),
    loss_dependent=True,
    reference=PAPER + "; docs/reference_values.md §1 (y∞² table)",
)
def _eos_limit(context):
    """Interval iteration (mpmath iv, 200 bits, centred form with the derived map and Jacobian) until |x| ≤ 1e-25, then a certified contraction bound for all remaining steps; states the enclosure of y∞² and δ."""
    return eos_limit_outcome(context.loss, EOS_INSTANCES)


def eos_limit_outcome(loss, instances, prec: int = 200) -> Outcome:
    """Certify y∞² for each (η, x0) of ``instances`` (strings); see derivations.claims._interval."""
    model = _model_for(loss)
    c = loss.curvature_at_zero
    curvature = loss.function.derivatives[2]
    c_iv = lambda: iv.mpf(sp.Rational(c).p) / sp.Rational(c).q if c.is_Rational else iv.mpf(str(sp.N(c, 80)))  # noqa: E731
    enclosure, details, steps, failures = {}, {}, [], []
    for eta, x0 in instances:
        key = f"eta={eta}"
        cert = certify_limit(model, curvature, eta, x0, lambda e: iv.sqrt(3 / (e * c_iv())), prec=prec)
        if not cert.certified:
            failures.append(f"η = {eta}: {cert.reason}")
            details[key] = {"certified": False, "reason": cert.reason, "steps": cert.steps}
            continue
        old = iv.prec
        iv.prec = prec
        try:
            edge = 2 / (iv.mpf(eta) * c_iv())
            below = cert.y_inf_sq.b <= edge.a
            delta = (edge - cert.y_inf_sq).b  # upper bound of 2/(ηℓ''(0)) − y∞²
            in_band = delta <= (edge / 10).a
        finally:
            iv.prec = old
        lo, hi = outward_decimal(cert.y_inf_sq, 30)
        delta_str = outward_decimal(iv.mpf([delta, delta]), 6)[1]  # rounded up: still an upper bound
        enclosure[key] = {"y_inf_sq": [lo, hi], "edge_2_over_eta_curvature": outward_decimal(edge, 30), "delta": delta_str}
        details[key] = {
            "certified": True,
            "steps": cert.steps,
            "below_edge": bool(below),
            "delta": delta_str,
            "in_eos_band": bool(in_band),
            "final_x_bound": mpmath.nstr(mpmath.mpf(abs(cert.x_box).b), 5),
            "tail_contraction_q": mpmath.nstr(mpmath.mpf(cert.tail_q), 8),
            "tail_drop_of_y": mpmath.nstr(mpmath.mpf(cert.tail_drop), 5),
            "precision_bits": prec,
        }
        steps.append(Step(f"η = {eta}: certified enclosure of y∞² after {cert.steps} interval steps + tail bound", rf"y_\infty^2 \in [{lo},\ {hi}]", True))
        steps.append(Step(f"η = {eta}: certified δ (upper bound of 2/(ηℓ''(0)) − y∞²)", rf"\delta \le {delta_str}", True))
        if not (below and in_band):
            where = "not below the edge 2/(ηℓ''(0))" if not below else f"below the EoS band (δ ≤ {delta_str} > 0.1·2/(ηℓ''(0)))"
            return Outcome(
                "refuted",
                f"η = {eta}: certified y∞² ∈ [{lo}, {hi}] is {where}",
                details,
                tuple(steps),
                counterexample={"eta": eta, "x0": x0, "y_inf_sq": [lo, hi]},
                enclosure=enclosure,
            )
    if failures and not enclosure:
        return Outcome("not_checkable", "no instance could be certified: " + "; ".join(failures), details, tuple(steps))
    if failures:
        return Outcome(
            "not_checkable",
            "certified for " + ", ".join(enclosure) + "; not certified: " + "; ".join(failures),
            details, tuple(steps), enclosure=enclosure,
        )
    message = "; ".join(f"{k}: y∞² ∈ [{v['y_inf_sq'][0][:12]}…, {v['y_inf_sq'][1][:12]}…], δ ≤ {v['delta']}" for k, v in enclosure.items())
    return Outcome("verified", "certified by interval iteration: " + message, details, tuple(steps), enclosure=enclosure)

