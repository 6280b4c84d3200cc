"""The reduced ("mean") two-layer model, derived in SymPy from the sparse-coding ReLU network.

mean_model(d=None) -> Model;  relu_moments() -> ReluMoments;  symmetric_logistic() -> (expr, function)

Derivation chain (Ahn et al. 2023, arXiv 2212.07469, §3; docs/reference_values.md §2–3):

1. Network: f(x) = a₊·Σᵢ ReLU(xᵢ + b) + a₋·Σᵢ ReLU(−xᵢ + b), logistic loss ℓ(z) = log(1 + e⁻ᶻ) of y·f(x).
2. Replace each feature sum by its mean over the noise ξᵢ ~ N(0, 1) (the one signal coordinate is O(1)
   against O(d)): E Σᵢ ReLU(±ξᵢ + b) = d·r(b), with r(b) = E[ReLU(Z + b)] = ∫_{z>−b} (z + b) φ(z) dz,
   integrated by SymPy (= bΦ(b) + φ(b)). The second moment E[ReLU(Z + b)²] (integrated the same way)
   gives the per-coordinate variance r₂(b) − r(b)² of the O(d) fluctuation that the mean model drops.
3. Average ℓ over the label y = ±1: ℓ_sym(s) = ½[ℓ(s) + ℓ(−s)], which simplifies to log(2 cosh(s/2)).
4. Mean model: M(a₋, a₊, b) = ℓ_sym(d·(a₋ + a₊)·r(b)); it has the single-neuron structure ℓ(x·y) with
   x ↔ a₋ + a₊ (oscillating) and y ↔ d·r(b). :func:`derivations.derive` then yields the GD map, the
   conserved a₊ − a₋, the sharpness 2ℓ_sym''(0)·d²·r(b)² on the minimisers a₋ + a₊ = 0 and the
   critical step size η_c(b0) = 2/(2ℓ_sym''(0)d²r(b0)²), which is 8π/d² at b0 = 0.

Numerical safety of the generated kernels: r is held as b·Φ(b) + φ(b) with Φ a SymPy head
(:class:`Phi`, Φ' = φ) printed as ½·erfc(−b/√2), so no 1 − erfc/2 cancellation as b → −∞;
exp(−b²/2) never overflows; ℓ_sym's derivatives simplify to tanh and 1/cosh² (no ∞/∞).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ._errors import InputError
from ._functions import DerivedFunction, derived_function
from ._model import Model

Z = sp.Symbol("z", real=True)
B = sp.Symbol("b", real=True)
S = sp.Symbol("s", real=True)
D = sp.Symbol("d", positive=True)


@dataclass(frozen=True)
class ReluMoments:
    """Gaussian moments of ReLU(Z + b), Z ~ N(0, 1), as integrated by SymPy.

    ``integrand`` (z + b)·φ(z) on z > −b; ``first`` r(b) = E[ReLU(Z + b)] (numerically safe form);
    ``first_raw`` SymPy's own integration result (with erfc); ``second`` E[ReLU(Z + b)²]; ``variance``
    r₂(b) − r(b)²; ``cross`` E[ReLU(Z + b)·ReLU(−Z + b)].
    """

    integrand: sp.Expr
    first_raw: sp.Expr
    first: sp.Expr
    second: sp.Expr
    variance: sp.Expr
    cross: sp.Expr


def _standard_normal_pdf(var: sp.Symbol) -> sp.Expr:
    return sp.exp(-var**2 / 2) / sp.sqrt(2 * sp.pi)


class Phi(sp.Function):
    """Φ(x) = ½·erfc(−x/√2), the standard normal cdf, kept as one SymPy head.

    SymPy canonicalises erfc(−x) to 2 − erfc(x), so the integrated r(b) = b − b·erfc(b/√2)/2 + φ(b) would be
    printed with the cancelling 1 − erfc/2 (Φ(−8) ≈ 6e-16 is lost to rounding). Holding Φ as a function
    with Φ' = φ lets the generated code print it as ``0.5*math.erfc(-x/math.sqrt(2))``: accurate for all x.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.Rational(1, 2)
        if arg is sp.oo:
            return sp.Integer(1)
        if arg is sp.S.NegativeInfinity:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)

    def _eval_rewrite_as_erfc(self, arg, **kwargs):
        return sp.erfc(-arg / sp.sqrt(2)) / 2

    def _eval_rewrite_as_erf(self, arg, **kwargs):
        return (1 + sp.erf(arg / sp.sqrt(2))) / 2

    def _eval_evalf(self, prec):
        return self.rewrite(sp.erfc)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _pythoncode(self, printer):
        return f"(0.5*math.erfc(-({printer._print(self.args[0])})/math.sqrt(2)))"


def _with_normal_cdf(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """Rewrite an integrated Gaussian expectation in terms of Φ(var) (erfc(var/√2) = 2 − 2Φ(var))."""
    return sp.expand(expr.replace(
        lambda e: isinstance(e, sp.erfc) and sp.simplify(e.args[0] - var / sp.sqrt(2)) == 0,
        lambda e: 2 - 2 * Phi(var),
    ))


@lru_cache(maxsize=1)
def relu_moments() -> ReluMoments:
    """relu_moments() -> ReluMoments

    r(b) = ∫_{−b}^{∞} (z + b) φ(z) dz and r₂(b) = ∫_{−b}^{∞} (z + b)² φ(z) dz by SymPy integration, plus
    the cross moment ∫_{|z|<b} (z + b)(b − z) φ(z) dz (zero for b ≤ 0).
    """
    phi = _standard_normal_pdf(Z)
    integrand = (Z + B) * phi
    first_raw = sp.integrate(integrand, (Z, -B, sp.oo))
    first = _with_normal_cdf(sp.simplify(first_raw), B)
    second_raw = sp.integrate((Z + B) ** 2 * phi, (Z, -B, sp.oo))
    second = _with_normal_cdf(sp.simplify(second_raw), B)
    for form, raw in ((first, first_raw), (second, second_raw)):
        if sp.simplify(form.rewrite(sp.erfc) - raw) != 0 or form.has(sp.erfc):  # pragma: no cover
            raise AssertionError("Φ form of a ReLU moment differs from the integral")
    b_pos = sp.Symbol("b", positive=True)
    cross_pos = sp.simplify(sp.integrate((Z + b_pos) * (b_pos - Z) * phi, (Z, -b_pos, b_pos))).subs(b_pos, B)
    cross = sp.Piecewise((cross_pos, B > 0), (0, True))
    variance = sp.expand(second - first**2)
    return ReluMoments(integrand, first_raw, first, second, variance, cross)


@lru_cache(maxsize=1)
def symmetric_logistic() -> tuple:
    """symmetric_logistic() -> (average, closed_form)

    ``average`` = ½[ℓ(s) + ℓ(−s)] for the logistic ℓ(z) = log(1 + e⁻ᶻ), simplified by SymPy;
    ``closed_form`` = log(2 cosh(s/2)), checked equal to it: exp(2·average) = 4cosh²(s/2) and both are
    logs of positive numbers.
    """
    logistic = sp.log(1 + sp.exp(-S))
    average = sp.simplify((logistic + logistic.subs(S, -S)) / 2)
    closed_form = sp.log(2 * sp.cosh(S / 2))
    if sp.simplify((sp.exp(2 * average) - sp.exp(2 * closed_form)).rewrite(sp.exp)) != 0:  # pragma: no cover
        raise AssertionError("label-averaged logistic loss is not log(2cosh(s/2))")
    return average, closed_form


@lru_cache(maxsize=8)
def _functions() -> tuple[DerivedFunction, DerivedFunction]:
    _, closed_form = symmetric_logistic()
    ell_sym = derived_function("ell_sym", closed_form, S)
    r = derived_function("r", relu_moments().first, B)
    return ell_sym, r


def mean_model(d=None) -> Model:
    """mean_model(d=None) -> Model

    The mean model of the two-layer sparse-coding network, with ℓ_sym and r derived (module docstring).

    Arguments:
        d: the width (input dimension), a number ≥ 1; None (default) keeps it symbolic (for exact derivations; no
            kernels can be generated then).

    Returns:
        Model: ``mean-model`` on the state (a₋, a₊, b); oscillating coordinate a₋ + a₊; minimiser branch
        {a₋ = −a₊}; reference point b0 = 0 for η_c; derived sweep axis ``A0`` (``init_axes``): a₋0 = a₊0 = A0/2,
        b0 = 0, the paper's balanced start.

    Raises:
        InputError: ``d`` not a number, or not finite and ≥ 1.

    M(a₋, a₊, b) = ℓ_sym(d·(a₋ + a₊)·r(b)), ℓ_sym(s) = ½[ℓ(s) + ℓ(−s)] = log(2 cosh(s/2)) (the logistic loss
    ℓ(z) = log(1 + e⁻ᶻ) averaged over the label sign), r(b) = E[ReLU(Z + b)] = bΦ(b) + φ(b), Z ~ N(0, 1);
    η_c(b0) = 2/(2ℓ_sym''(0)·d²·r(b0)²), which is 8π/d² at b0 = 0 (module docstring).
    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
    NeurIPS 2023, §3.
    """
    if d is not None:
        try:
            d = float(d)
        except (TypeError, ValueError):
            raise InputError(f"mean-model: d must be a number, got {d!r}") from None
        if not (d >= 1 and d < float("inf")):
            raise InputError(f"mean-model: d must be finite and ≥ 1, got {d:g}")
    a_minus, a_plus = sp.symbols("a_minus a_plus", real=True)
    ell_sym, r = _functions()
    inner = D * (a_minus + a_plus) * r(B)
    average, _ = symmetric_logistic()
    moments = relu_moments()
    steps = {
        "relu_mean_integral": sp.Eq(sp.Function("r")(B), sp.Integral(moments.integrand, (Z, -B, sp.oo))),
        "relu_mean": sp.Eq(sp.Function("r")(B), moments.first),
        "relu_second_moment": sp.Eq(sp.Function("r_2")(B), moments.second),
        "label_averaged_loss": sp.Eq(sp.Function("ell_sym")(S), average),
        "label_averaged_loss_closed_form": sp.Eq(sp.Function("ell_sym")(S), ell_sym.expr),
    }
    width = "d" if d is None else f"d = {d:g}"
    a0 = sp.Symbol("A0", real=True)  # A0 = a₋ + a₊ at the start, split evenly, b0 = 0 (docs/reference_values.md §3)
    return Model(
        name="mean-model",
        state=(a_minus, a_plus, B),
        loss=ell_sym(inner),
        functions=(ell_sym, r),
        inner=inner,
        outer=ell_sym,
        oscillating=a_minus + a_plus,
        minimizer_branch={a_minus: -a_plus},
        constants={} if d is None else {"d": sp.Float(d) if d != int(d) else sp.Integer(int(d))},
        label=f"mean model ℓ_sym(d·(a₋+a₊)·r(b)), {width}",
        reference_point={B: sp.Integer(0)},
        steps=steps,
        init_axes={"A0": {a_minus: a0 / 2, a_plus: a0 / 2, B: sp.Integer(0)}},
    )


def _mean_model_from_options(loss=None, loss_expr=None, params=None) -> Model:
    if loss is not None or loss_expr is not None:
        raise InputError("mean-model has its own loss ℓ_sym(s) = log(2cosh(s/2)); give no loss or loss_expr")
    params = dict(params or {})
    if "d" not in params:
        raise InputError("mean-model needs the width d ≥ 1: params={'d': VALUE}")
    d = params.pop("d")
    if params:
        raise InputError(f"mean-model takes only the parameter d (got {', '.join(params)})")
    return mean_model(d)
