"""issue 4: the mean model derived from the sparse-coding network (docs/reference_values.md §3)."""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from eoscope.derivations import InputError, build_model, derive, mean_model, relu_moments, symmetric_logistic

B = sp.Symbol("b", real=True)
S = sp.Symbol("s", real=True)
D = sp.Symbol("d", positive=True)


def _normal_relu_moment(b, power):
    """mpmath oracle: ∫_{-b}^{∞} (z + b)^power φ(z) dz."""
    return mpmath.quad(lambda z: (z + b) ** power * mpmath.npdf(z), [-b, mpmath.inf])


@pytest.mark.parametrize("b", [-3.0, -0.7, 0.0, 0.4, 2.5])
def test_relu_moments_match_mpmath_quadrature(b):
    moments = relu_moments()
    first = float(moments.first.subs(B, b).evalf(30))
    second = float(moments.second.subs(B, b).evalf(30))
    assert first == pytest.approx(float(_normal_relu_moment(b, 1)), rel=1e-12)
    assert second == pytest.approx(float(_normal_relu_moment(b, 2)), rel=1e-12)


def test_relu_mean_is_b_Phi_plus_phi():
    # the closed form bΦ(b) + φ(b), written independently with erf
    Phi = (1 + sp.erf(B / sp.sqrt(2))) / 2
    phi = sp.exp(-B**2 / 2) / sp.sqrt(2 * sp.pi)
    r = relu_moments().first
    assert sp.simplify((r - (B * Phi + phi)).rewrite(sp.erf)) == 0
    assert sp.simplify((sp.diff(r, B) - Phi).rewrite(sp.erf)) == 0  # r' = Φ
    assert sp.simplify(sp.diff(r, B, 2) - phi) == 0  # r'' = φ
    assert not r.has(sp.erfc, sp.erf)  # held as Φ (printed as ½erfc(−b/√2): no cancellation)
    assert sp.simplify(relu_moments().second.subs(B, 0)) == sp.Rational(1, 2)


def test_cross_moment_vanishes_for_negative_bias():
    cross = relu_moments().cross
    assert cross.subs(B, -0.3) == 0
    oracle = mpmath.quad(lambda z: (z + 0.8) * (0.8 - z) * mpmath.npdf(z), [-0.8, 0.8])
    assert float(cross.subs(B, 0.8)) == pytest.approx(float(oracle), rel=1e-12)


def test_label_averaged_logistic_is_log_2cosh_half():
    average, closed = symmetric_logistic()
    for value in (-30.0, -1.3, 0.0, 0.7, 12.0):
        direct = 0.5 * (math.log1p(math.exp(-value)) + math.log1p(math.exp(value)))
        assert float(average.subs(S, value)) == pytest.approx(direct, rel=1e-13)
        assert float(closed.subs(S, value)) == pytest.approx(direct, rel=1e-13)
    model = mean_model(None)
    assert model.outer.value_at(2, 0) == sp.Rational(1, 4)


def test_symbolic_critical_eta_is_exactly_8pi_over_d2():
    records = derive(mean_model(None)).records()
    assert sp.simplify(records["critical_eta"] - 8 * sp.pi / D**2) == 0
    # general form 2/(2ℓ''(0)d²r(b0)²) with ℓ''(0) = 1/4
    r = relu_moments().first
    assert sp.simplify(records["critical_eta_general"] - 2 / (2 * sp.Rational(1, 4) * D**2 * r**2)) == 0


def test_conserved_difference_and_sharpness_on_minimisers():
    derivation = derive(mean_model(None))
    a_minus, a_plus, b = mean_model(None).state
    assert sp.expand(derivation.invariants[0] - (a_minus - a_plus)) == 0  # a₊ − a₋ up to sign
    assert derivation.invariant_factors[0] == 1  # conserved exactly by GD, not only by the flow
    assert derivation.invariant_residuals[0] == 0
    r = relu_moments().first
    assert sp.simplify(derivation.sharpness_on_minimizers - 2 * sp.Rational(1, 4) * D**2 * r**2) == 0
    assert sp.simplify(derivation.sharpness_on_minimizers.subs(B, 0) - D**2 / (4 * sp.pi)) == 0


def test_hessian_on_branch_has_one_nonzero_eigenvalue():
    model = mean_model(None)
    a_minus, a_plus, b = model.state
    hessian = derive(model).hessian.subs({a_minus: -a_plus, D: 200})
    for point in ({a_plus: 0.3, b: 0.0}, {a_plus: -1.2, b: -0.5}):
        eigenvalues = np.linalg.eigvalsh(np.array(hessian.subs(point).evalf(), dtype=float))
        r = float(relu_moments().first.subs(b, point[b]))
        assert eigenvalues[-1] == pytest.approx(200**2 * r**2 / 2, rel=1e-12)
        assert np.allclose(eigenvalues[:2], 0, atol=1e-9 * eigenvalues[-1])


def test_records_show_the_derivation_steps():
    records = derive(build_model("mean-model", params={"d": 200})).records()
    for key in ("relu_mean_integral", "relu_mean", "relu_second_moment", "label_averaged_loss", "critical_eta"):
        assert key in records
    assert float(records["critical_eta"]) == pytest.approx(8 * math.pi / 200**2, rel=1e-15)


@pytest.mark.parametrize(
    "params, message",
    [({}, "needs the width"), ({"d": 0.5}, "≥ 1"), ({"d": 200, "n": 3}, "only the parameter d")],
)
def test_bad_params(params, message):
    with pytest.raises(InputError, match=message):
        build_model("mean-model", params=params)
    with pytest.raises(InputError, match="own loss"):
        build_model("mean-model", loss="sqrt1p", params={"d": 200})
