"""issue 4: generated kernels of the 3-state mean model against docs/reference_values.md §3."""
import math

import mpmath

import numpy as np
import pytest

from eoscope.derivations import build_model, relu_moments
from eoscope.dynamics import compile, trajectory

D = 200
ETA_C = 8 * math.pi / D**2
INIT = {"a_minus": 1 / (2 * D), "a_plus": 1 / (2 * D), "b": 0.0}
REFERENCE_TABLE = {0.5: -1.5e-5, 0.9: -7.3e-5, 1.1: -0.03836, 2: -0.26198, 3: -0.40244, 8: -0.71414}


@pytest.fixture(scope="module")
def model():
    return build_model("mean-model", params={"d": D})


def _r(b):
    return b * 0.5 * math.erfc(-b / math.sqrt(2)) + math.exp(-b * b / 2) / math.sqrt(2 * math.pi)


def _loss(a_minus, a_plus, b):
    s = D * (a_minus + a_plus) * _r(b)
    return abs(s) / 2 + math.log1p(math.exp(-abs(s)))


@pytest.mark.parametrize("point", [(0.01, -0.003, 0.0), (-0.002, 0.004, -0.6), (0.0, 0.0, 0.3)])
def test_kernel_gradient_and_hessian_match_finite_differences(model, point):
    compiled = compile(model).spine
    assert compiled.loss(*point) == pytest.approx(_loss(*point), rel=1e-13)
    h = 1e-6
    grad = np.array(compiled.gradient(*point))
    hess = np.array(compiled.hessian(*point)).reshape(3, 3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fd = (_loss(*(np.array(point) + e)) - _loss(*(np.array(point) - e))) / (2 * h)
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-8)
        fd_col = (np.array(compiled.gradient(*(np.array(point) + e))) - np.array(compiled.gradient(*(np.array(point) - e)))) / (2 * h)
        assert np.allclose(hess[:, i], fd_col, rtol=1e-6, atol=1e-6)
    assert compiled.sharpness(*point) == pytest.approx(np.linalg.eigvalsh(hess)[-1], rel=1e-12)


def test_sharpness_at_zero_bias_is_d2_over_4pi(model):
    assert compile(model).spine.sharpness(0.0, 0.0, 0.0) == pytest.approx(D**2 / (4 * math.pi), rel=1e-13)


def test_kernel_is_finite_for_large_arguments(model):
    compiled = compile(model).spine
    assert all(np.isfinite(compiled.gradient(1e3, 1e3, -6.0)))
    assert all(np.isfinite(compiled.hessian(1e3, 1e3, -6.0)))
    assert np.isfinite(compiled.sharpness(-1e3, 1e3, 8.0))
    assert compiled.loss(0.0, 0.0, -40.0) == pytest.approx(math.log(2))
    # far into the negative tail r(b) ≈ φ(b)/b² is still accurate (no 1 − erfc/2 cancellation)
    for b in (-5.0, -12.0, -30.0):
        r = relu_moments().first.subs(model.state[2], b)
        oracle = float(mpmath.quad(lambda z: (z + b) * mpmath.npdf(z), [-b, mpmath.inf]))
        assert float(r.evalf(40)) == pytest.approx(oracle, rel=1e-12)
        a = 1e-3 / oracle / D  # s = d·A·r(b) = 1e-3, so ∂L/∂a± = ℓ_sym'(s)·d·r(b) ≈ s·d·r/4
        assert compiled.gradient(a, 0.0, b)[1] == pytest.approx(math.tanh(5e-4) / 2 * D * oracle, rel=1e-9)


@pytest.mark.parametrize("ratio, b_inf", sorted(REFERENCE_TABLE.items()))
def test_reference_table(model, ratio, b_inf):
    run = trajectory(model, ratio * ETA_C, INIT)
    assert run.status == "converged"
    assert run.final["b"] == pytest.approx(b_inf, abs=2e-3)
    assert run.final["a_plus"] - run.final["a_minus"] == pytest.approx(0.0, abs=1e-15)  # conserved a₊ − a₋


@pytest.mark.parametrize("ratio", [1.01, 1.1, 1.5, 2.0, 2.5, 3.0])
def test_mean_model_ends_at_the_edge(model, ratio):
    run = trajectory(model, ratio * ETA_C, INIT)
    assert run.status == "converged"
    assert 0.99 <= run.eta_sharpness_half <= 1.0


@pytest.mark.parametrize("ratio", [1.1, 2.0, 3.0, 8.0])
def test_threshold_law_r_b_inf(model, ratio):
    run = trajectory(model, ratio * ETA_C, INIT)
    law = _r(0.0) * math.sqrt(1 / ratio)
    assert _r(run.final["b"]) == pytest.approx(law, rel=0.02)
