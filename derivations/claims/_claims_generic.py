"""Generic claims: the period-doubling criterion of 1-D GD maps, and the catapult uv model's closure.

Both build a Model and take the GD map from ``derive(model)`` — the same derivation every other model
goes through — then check the stated formulas against it.
"""
from __future__ import annotations

import sympy as sp

from .._derive import derive
from .._functions import derived_function
from .._model import ETA, Model
from ._registry import claim
from ._symbolic import identity_outcome
from ._types import Step

CATAPULT_DIMENSIONS = (1, 2, 3)


def _one_dimensional_model():
    """GD on a generic f(x) near a minimiser at 0: f = f2 x²/2 + f3 x³/6 + f4 x⁴/24 + f5 x⁵/120 (f2 > 0).

    The O(x⁵) term is kept to show that the cubic coefficient of F∘F does not depend on it.
    """
    x = sp.Symbol("x", real=True)
    f2 = sp.Symbol("f2", positive=True)
    f3, f4, f5 = sp.symbols("f3 f4 f5", real=True)
    f = derived_function("f", f2 * x**2 / 2 + f3 * x**3 / 6 + f4 * x**4 / 24 + f5 * x**5 / 120, x)
    model = Model(name="gd-1d", state=(x,), loss=f(x), functions=(f,), label="GD on a generic f(x)")
    return model, x, (f2, f3, f4, f5)


@claim(
    id="generic.period-doubling-criterion",
    statement=(
        "For a 1-D GD map F(x) = x − ηf'(x) at a minimiser x* (f'(x*) = 0, f''(x*) > 0), the multiplier is −1 "
        "at ηf''(x*) = 2 and F∘F(x* + u) = x* + u − 2(3f'''² − f''f'''')/(3f''²)·u³ + O(u⁴): the period doubling "
        "is supercritical (fixed point still attracting at criticality, a stable 2-cycle is born) when "
        "3f'''² − f''f'''' > 0 and subcritical when it is < 0."
    ),
    latex=(
        r"F(x) = x - \eta f'(x),\ \eta f'' = 2:\quad F\circ F(x^*+u) = x^* + u"
        r" - \frac{2\,(3f'''^2 - f''f'''')}{3f''^2}\,u^3 + O(u^4)"
    ),
    model="gd-1d (any C⁴ function f of one variable)",
    assumptions=("f ∈ C⁵ near x*", "f'(x*) = 0, f''(x*) > 0", "η = 2/f''(x*)"),
    kind="a",
    reference="Kuznetsov, Elements of Applied Bifurcation Theory, §4.4 (flip normal form); applied to GD maps",
)
def _period_doubling(context):
    """derive() of GD on f = f2x²/2 + f3x³/6 + f4x⁴/24 + f5x⁵/120; F∘F at η = 2/f2 expanded in u; its coefficients against 0, 1, 0 and the stated cubic; transversality dF'(0)/dη = −f''."""
    model, x, (f2, f3, f4, f5) = _one_dimensional_model()
    derivation = derive(model)
    F = derivation.gd_map[0]
    u = sp.Symbol("u", real=True)
    critical = 2 / f2
    F_crit = F.subs(ETA, critical)
    second = sp.expand(F_crit.subs(x, F_crit.subs(x, u)))
    coefficients = [sp.expand(second).coeff(u, k) for k in range(4)]
    stated_cubic = -2 * (3 * f3**2 - f2 * f4) / (3 * f2**2)
    multiplier = sp.diff(F, x).subs(x, 0)
    residuals = {
        "F(0) (fixed point)": F.subs(x, 0),
        "F'(0) + 1 at η = 2/f''": multiplier.subs(ETA, critical) + 1,
        "F∘F: constant term": coefficients[0],
        "F∘F: u coefficient − 1": coefficients[1] - 1,
        "F∘F: u² coefficient": coefficients[2],
        "F∘F: u³ coefficient − stated": coefficients[3] - stated_cubic,
        "transversality d/dη F'(0) + f''": sp.diff(multiplier, ETA) + f2,
    }
    return identity_outcome(
        residuals,
        steps=(
            Step("derived GD map F(x) (f = f2x²/2 + f3x³/6 + f4x⁴/24 + f5x⁵/120)", F),
            Step("multiplier F'(0)", multiplier),
            Step("u³ coefficient of F∘F at η = 2/f''", sp.factor(coefficients[3])),
        ),
        what="period-doubling normal-form coefficient",
        details={"cubic_coefficient": sp.sstr(sp.factor(coefficients[3]))},
    )


def _uv_model(n: int):
    """Catapult model (Lewkowycz et al. 2020): f = v·u/√n, L = (f − y)²/2 on (u, v) ∈ ℝⁿ × ℝⁿ."""
    u = sp.symbols(f"u1:{n + 1}", real=True)
    v = sp.symbols(f"v1:{n + 1}", real=True)
    y = sp.Symbol("y_target", real=True)
    f = sum(a * b for a, b in zip(u, v)) / sp.sqrt(n)
    model = Model(name=f"uv-n{n}", state=tuple(u) + tuple(v), loss=(f - y) ** 2 / 2, label=f"catapult uv model, n = {n}")
    ntk = (sum(a**2 for a in u) + sum(b**2 for b in v)) / n
    return model, u, v, y, f, ntk


@claim(
    id="generic.catapult-closure",
    statement=(
        "For the uv model f = v·u/√n, L = (f − y)²/2, GD closes in (f, λ) with λ = (|u|² + |v|²)/n and g = f − y: "
        "f' = f − ηλg + (η²/n)g²f and λ' = λ − (4η/n)gf + (η²/n)g²λ."
    ),
    latex=(
        r"f' = f - \eta\lambda g + \tfrac{\eta^2}{n} g^2 f,\qquad"
        r" \lambda' = \lambda - \tfrac{4\eta}{n} g f + \tfrac{\eta^2}{n} g^2 \lambda,\qquad g = f - y"
    ),
    model="catapult uv model",
    assumptions=("one training sample, L = (f − y)²/2", f"checked for n ∈ {set(CATAPULT_DIMENSIONS)}"),
    kind="a",
    reference="Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari 2020 (arXiv 2003.02218); docs/reference_values.md §4",
)
def _catapult(context):
    """derive() of GD on (v·u/√n − y)²/2 for n = 1, 2, 3; f and λ of the mapped state against the stated closed forms in (f, λ)."""
    residuals, steps = {}, []
    for n in CATAPULT_DIMENSIONS:
        model, u, v, y, f, ntk = _uv_model(n)
        F = derive(model).gd_map
        after = dict(zip(model.state, F))
        f_next = f.xreplace(after)
        ntk_next = ntk.xreplace(after)
        g = f - y
        residuals[f"n={n}: f'"] = f_next - (f - ETA * ntk * g + ETA**2 / n * g**2 * f)
        residuals[f"n={n}: λ'"] = ntk_next - (ntk - 4 * ETA / n * g * f + ETA**2 / n * g**2 * ntk)
        if n == CATAPULT_DIMENSIONS[0]:
            steps.append(Step(f"derived GD map, n = {n}", F))
    return identity_outcome(residuals, steps=tuple(steps), what="(f, λ) closure of the uv GD map")
