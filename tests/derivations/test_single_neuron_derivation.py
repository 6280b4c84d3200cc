"""Symbolic facts of GD on ℓ(x·y) (docs/reference_values.md §1), derived by eoscope and checked independently."""
import pytest
import sympy as sp

from eoscope.derivations import CATALOGUE_NAMES, ETA, derive, get_loss, single_neuron

x, y = sp.symbols("x y", real=True)
s = sp.Symbol("s", real=True)
CURVATURES = {"sqrt1p": 1, "logcosh": 1, "symlogistic": sp.Rational(1, 2), "square": 1, "huber": 1}
CUSTOM = ["log(cosh(s))", "2*sqrt(1 + s**2)", "s**4/4 + s**2", "log(1 + s**2)"]


def simplifies_to_zero(expr) -> bool:
    """Exactly 0 after simplify, trying the exp-rewritten form too (tanh vs exp spellings)."""
    expr = sp.expand(expr)
    return sp.simplify(expr) == 0 or sp.simplify(expr.rewrite(sp.exp)) == 0


def _all_losses():
    return [get_loss(name) for name in CATALOGUE_NAMES] + [get_loss(expression=text) for text in CUSTOM]


@pytest.fixture(scope="module", params=range(len(CATALOGUE_NAMES) + len(CUSTOM)), ids=list(CATALOGUE_NAMES) + CUSTOM)
def case(request):
    loss = _all_losses()[request.param]
    return loss, derive(single_neuron(loss))


def test_catalogue_curvature_at_zero():
    for name, expected in CURVATURES.items():
        assert get_loss(name).curvature_at_zero == expected


def test_map_is_gradient_step_of_the_composed_loss(case):
    """Independent route: differentiate ℓ(xy) directly (no chain-rule heads)."""
    loss, derivation = case
    direct = loss.expr.subs(s, x * y)
    for v, component in zip((x, y), derivation.gd_map):
        assert simplifies_to_zero(component - (v - ETA * sp.diff(direct, v)))


def test_invariant_identity_simplifies_to_zero(case):
    """x'² − y'² = (1 − η²ℓ'(xy)²)(x² − y²) exactly, for catalogue and custom losses."""
    loss, derivation = case
    assert derivation.invariants[0] == x**2 - y**2
    assert derivation.invariant_residuals[0] == 0
    ell_prime = sp.diff(loss.expr, s).subs(s, x * y)
    xn, yn = derivation.gd_map
    assert simplifies_to_zero(xn**2 - yn**2 - (1 - ETA**2 * ell_prime**2) * (x**2 - y**2))
    assert simplifies_to_zero(derivation.invariant_factors[0] - (1 - ETA**2 * ell_prime**2))


def test_generic_invariant_factor_is_one_minus_eta_squared_g_squared():
    model = single_neuron(get_loss("sqrt1p"))
    derivation = derive(model)
    ell = model.outer
    expected = 1 - ETA**2 * ell.heads[1](x * y) ** 2
    assert sp.expand(derivation.generic["invariant_factors"][0] - expected) == 0


def test_product_evolution(case):
    """x'y' = xy(1 + η²g²) − ηg(x² + y²) with g = ℓ'(xy)."""
    loss, derivation = case
    g = sp.diff(loss.expr, s).subs(s, x * y)
    xn, yn = derivation.gd_map
    assert simplifies_to_zero(xn * yn - (x * y * (1 + ETA**2 * g**2) - ETA * g * (x**2 + y**2)))


def test_sharpness_on_minimisers_and_stability(case):
    loss, derivation = case
    c = loss.curvature_at_zero
    assert derivation.minimizers == (0,)
    assert sp.simplify(derivation.sharpness_on_minimizers - c * y**2) == 0
    assert sp.simplify(derivation.critical_eta - 2 / (c * y**2)) == 0
    assert set(derivation.multipliers_on_minimizers) == {1, sp.expand(1 - ETA * c * y**2)}
    holds = derivation.stability_condition.subs({ETA: sp.Rational(1, 10), y: sp.sqrt(2 / (c * sp.Rational(1, 10))) * 0.99})
    fails = derivation.stability_condition.subs({ETA: sp.Rational(1, 10), y: sp.sqrt(2 / (c * sp.Rational(1, 10))) * 1.01})
    assert bool(holds) and not bool(fails)


def test_gradient_flow_limit(case):
    _, derivation = case
    x0, y0 = sp.symbols("x0 y0", real=True)
    assert derivation.gradient_flow_limit == sp.Eq(y**2, y0**2 - x0**2)


def test_sharpness_is_the_largest_root_of_the_characteristic_polynomial(case):
    _, derivation = case
    h = derivation.hessian
    lam = derivation.sharpness
    point = {x: sp.Rational(3, 10), y: sp.Rational(-17, 10)}
    charpoly = (lam**2 - h.trace() * lam + h.det()).subs(point)
    assert abs(sp.N(charpoly, 30)) < 1e-25
    eigenvalues = [sp.N(e, 30) for e in h.subs(point).eigenvals()]
    assert abs(sp.N(lam.subs(point), 30) - max(eigenvalues)) < 1e-25


def test_jacobian_is_identity_minus_eta_hessian(case):
    _, derivation = case
    assert sp.simplify(derivation.jacobian - (sp.eye(2) - ETA * derivation.hessian)) == sp.zeros(2, 2)


def test_huber_is_flagged_piecewise_and_smooth_losses_are_not():
    assert get_loss("huber").is_piecewise
    assert not any(get_loss(n).is_piecewise for n in ("sqrt1p", "logcosh", "symlogistic", "square"))
    assert all(get_loss(n).is_even for n in CATALOGUE_NAMES)


def test_scalar_factorisation_minimisers_are_the_hyperbola():
    """ℓ(s) = (1 − s)²/2 (docs/reference_values.md §4): minimisers xy = 1 with sharpness x² + y² ≥ 2; the branch
    x = 0 is not a minimiser, so no gradient-flow limit on it is claimed."""
    derivation = derive(single_neuron(get_loss(expression="(1 - s)**2/2")))
    assert derivation.minimizers == (1,)
    assert sp.simplify(derivation.sharpness_on_minimizers - (x**2 + y**2)) == 0
    assert derivation.gradient_flow_limit is None
    assert derivation.invariant_residuals[0] == 0
    # on xy = 1, x² + y² − 2 = (x − y)² ≥ 0
    assert sp.simplify((derivation.sharpness_on_minimizers - 2).subs(y, 1 / x) - (x - 1 / x) ** 2) == 0
