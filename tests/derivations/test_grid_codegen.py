"""Issue 3: the generated grid kernel — vectorisable tanh accuracy, the step is the derived map, SIMD."""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from numba import njit

from eoscope.derivations import InputError, build_model, get_loss, single_neuron
from eoscope.derivations._codegen_grid import generate_grid_source
from eoscope.dynamics import compile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _ordinal(values: np.ndarray) -> np.ndarray:
    """Map doubles to integers that are consecutive across adjacent floats (ulp distance = difference)."""
    bits = values.view(np.int64)
    return np.where(bits < 0, np.int64(-(2**63)) - bits, bits)


def _elementwise(function):
    @njit
    def apply(xs):
        out = np.empty_like(xs)
        for i in range(xs.shape[0]):
            out[i] = function(xs[i])
        return out

    return apply


@pytest.fixture(scope="module")
def logcosh_grid():
    return compile(single_neuron(get_loss("logcosh"))).grid


def test_vectorisable_tanh_is_within_two_ulp_of_math_tanh(logcosh_grid):
    apply = _elementwise(logcosh_grid._vtanh)

    rng = np.random.default_rng(3)
    magnitudes = np.concatenate([
        10.0 ** rng.uniform(-300, 1.5, 100_000),  # tiny … 30
        rng.uniform(0, 3, 100_000),  # around the ln(3)/2 split and the exp range reduction
        np.nextafter(0.5493061443340548, [-1, 2]),
        [0.0, 5e-324, 1e-8, 0.5, 1.0, 19.0, 20.0, 21.0, 22.0, 50.0, 1e300],
    ])
    xs = np.concatenate([magnitudes, -magnitudes])
    got = apply(xs)
    expected = np.array([math.tanh(v) for v in xs])
    ulps = np.abs(_ordinal(got) - _ordinal(expected))
    assert ulps.max() <= 2, (xs[ulps.argmax()], got[ulps.argmax()], expected[ulps.argmax()])
    assert np.all(np.abs(got) <= 1.0)
    assert apply(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(apply(np.array([np.nan]))[0])


def test_vectorisable_tanh_is_within_one_and_a_half_ulp_of_the_exact_tanh(logcosh_grid):
    """Independent of libm: against mpmath's tanh (120 bits), in each regime of _vtanh."""
    mpmath = pytest.importorskip("mpmath")
    apply = _elementwise(logcosh_grid._vtanh)

    rng = np.random.default_rng(7)
    xs = np.concatenate([
        10.0 ** rng.uniform(-12, np.log10(0.625), 2000),  # rational form
        rng.uniform(0.625, 2.0, 4000),  # 1 − 2/(e^{2t}+1) where the quotient is largest
        rng.uniform(2.0, 20.0, 2000),
    ])
    xs = np.concatenate([xs, -xs])
    got = apply(xs)
    with mpmath.workprec(120):
        errors = [abs((mpmath.mpf(g) - mpmath.tanh(mpmath.mpf(x))) / mpmath.mpf(np.spacing(abs(g))))
                  for x, g in zip(xs, got)]
    worst = int(np.argmax(errors))
    assert float(errors[worst]) <= 1.5, (xs[worst], got[worst], float(errors[worst]))


def _libm(function, x):
    try:
        return function(x)
    except OverflowError:
        return math.inf
    except ValueError:
        return -math.inf if x == 0 else math.nan


@pytest.mark.parametrize("name, ulps", [("exp", 1), ("log", 2), ("cosh", 2)])
def test_vectorisable_exp_log_cosh_of_the_loss_sampler_match_libm(logcosh_grid, name, ulps):
    """_vexp, _vlog, _vcosh (the sampled loss) against math.* over their whole range, specials included."""
    apply = _elementwise(getattr(logcosh_grid, f"_v{name}"))
    rng = np.random.default_rng(11)
    if name == "log":
        xs = np.concatenate([10.0 ** rng.uniform(-323, 308, 50_000), rng.uniform(0.5, 2.0, 50_000),
                             [5e-324, 1e-310, 2.2250738585072014e-308, 0.5, 1.0, 2.0, 1.7976931348623157e308]])
        specials = np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan])
    else:
        xs = np.concatenate([rng.uniform(-750, 712, 50_000), rng.uniform(-3, 3, 50_000), 10.0 ** rng.uniform(-300, 0, 2000),
                             [0.0, 709.78, 709.79, 710.4, 710.5, -708.4, -745.1, -745.2, -746.0]])
        specials = np.array([np.inf, -np.inf, np.nan, 800.0, -800.0])
    reference = getattr(math, name)
    got = apply(xs)
    expected = np.array([_libm(reference, v) for v in xs])
    finite = np.isfinite(expected)
    distance = np.abs(_ordinal(got[finite]) - _ordinal(expected[finite]))
    assert distance.max() <= ulps, (xs[finite][distance.argmax()], got[finite][distance.argmax()])
    assert np.array_equal(got[~finite], expected[~finite])
    want = np.array([_libm(reference, v) for v in specials])
    assert np.array_equal(apply(specials), want, equal_nan=True)


def test_grid_step_is_the_spine_map_bit_for_bit_for_sqrt1p_and_to_ulps_for_logcosh():
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, (2000, 2))
    etas = rng.uniform(0.01, 1.0, 2000)
    for name in ("sqrt1p", "logcosh"):
        model = single_neuron(get_loss(name))
        grid, spine = compile(model).grid, compile(model).spine
        got = np.array([grid.step(x, y, e) for (x, y), e in zip(points, etas)])  # F(θ), N, D, osc
        ref = np.array([spine.gd_step(x, y, e) for (x, y), e in zip(points, etas)])  # F(θ), |∇L|², osc
        assert np.array_equal(got[:, 4], ref[:, 3])
        # |∇L|² = N/D: D = 1 + x²y² for √(1+s²) (no division in the step), D = 1 for log cosh
        assert np.all(np.abs(got[:, 2] / got[:, 3] - ref[:, 2]) <= 4 * np.finfo(float).eps * ref[:, 2])
        if name == "sqrt1p":  # only + − × ÷ √: the same IEEE operations, bit for bit
            assert np.array_equal(got[:, :2], ref[:, :2])
            assert np.array_equal(got[:, 3], 1.0 + points[:, 0] ** 2 * points[:, 1] ** 2)
        else:  # x' = x − η·tanh(xy)·y with tanh within 2 ulp: |Δ| ≤ a few ulp of the summands
            assert np.all(got[:, 3] == 1.0)
            scale = np.abs(points) + etas[:, None] * np.abs(points[:, ::-1])
            assert np.all(np.abs(got[:, :2] - ref[:, :2]) <= 4 * np.finfo(float).eps * scale)


@pytest.mark.parametrize("model, bitwise", [
    (single_neuron(get_loss(expression="sqrt(1 + s**2) + s**4/(1 + s**2)")), True),  # |∇L|² = X/Y, not as the spine prints it
    (build_model("mean-model", params={"d": 2}), False),  # denominator 2π·exp(b²) > 0; ℓ_sym' = tanh(s/2)/2 → _vtanh
], ids=["custom-quotient", "mean-model"])
def test_grid_step_keeps_the_spine_map_where_the_quotient_split_would_change_it(model, bitwise):
    """The N/D split is used only where it leaves the spine's CSE untouched; elsewhere D = 1, |∇L|² as the spine
    (bit for bit without tanh; within a few ulp where _vtanh replaces math.tanh)."""
    grid, spine = compile(model).grid, compile(model).spine
    n = model.dimension
    rng = np.random.default_rng(2)
    points = rng.uniform(-2, 2, (500, n))
    etas = rng.uniform(0.01, 1.0, 500)
    got = np.array([grid.step(*p, e) for p, e in zip(points, etas)])
    ref = np.array([spine.gd_step(*p, e) for p, e in zip(points, etas)])
    same = np.array_equal if bitwise else (lambda a, b: np.allclose(a, b, rtol=1e-13, atol=1e-300))
    assert same(got[:, :n], ref[:, :n])  # the map
    assert same(got[:, n], ref[:, n]) and np.all(got[:, n + 1] == 1.0)  # |∇L|² itself, D = 1
    assert np.array_equal(got[:, n + 2], ref[:, n + 1])
    source = generate_grid_source(model)
    assert f"(_out[{n}] < tol2)" in source and "_fma(-tol2" not in source


def test_generated_convergence_tests_read_the_right_outputs():
    assert "_stop = (_fma(-tol2, _out[3], _out[2]) < 0.0) | (abs(_osc) < tol)" in generate_grid_source(single_neuron(get_loss("sqrt1p")))
    assert "_stop = (_out[2] < tol2) | (abs(_osc) < tol)" in generate_grid_source(single_neuron(get_loss("logcosh")))


def test_start_sharpness_is_nan_outside_the_bound_instead_of_failing():
    """S(θ0) is computed only inside the bound (a 3×3 eigvalsh would raise on a non-finite Hessian)."""
    model = build_model("mean-model", params={"d": 200})
    from eoscope.dynamics import grid_run

    result = grid_run(model, np.array([6e-4, 6e-4]), np.array([[0.01, 0.01, 1e200], [0.005, 0.005, 0.0]]), max_steps=50)
    assert np.isnan(result.sharpness0[0]) and result.status[0] == 1  # diverged
    assert np.isfinite(result.sharpness0[1]) and result.sharpness0[1] > 0


def test_division_free_convergence_test_has_the_sign_of_the_exact_quotient():
    """N − t·D < 0 (one FMA) decides N/D < t exactly (checked with fractions), where fl(N/D) < t can err."""
    from fractions import Fraction

    grid = compile(single_neuron(get_loss("sqrt1p"))).grid
    fma = grid._fma

    @njit
    def below(num, den, t):
        out = np.empty(num.shape[0], np.bool_)
        for i in range(num.shape[0]):
            out[i] = fma(-t[i], den[i], num[i]) < 0.0
        return out

    rng = np.random.default_rng(5)
    num = 10.0 ** rng.uniform(-30, 2, 4000)
    den = 1.0 + 10.0 ** rng.uniform(-3, 3, 4000)
    t = num / den  # thresholds at the rounded quotient: the hardest cases
    t = np.where(rng.random(4000) < 0.5, t, np.nextafter(t, np.inf))
    got = below(num, den, t)
    exact = np.array([Fraction(n) < Fraction(tt) * Fraction(d) for n, d, tt in zip(num, den, t)])
    assert np.array_equal(got, exact)
    assert got.any() and not got.all()


def test_grid_source_routes_tanh_and_sqrt_to_vectorisable_forms():
    source = generate_grid_source(single_neuron(get_loss("logcosh")))
    step = source[source.index("def step("):source.index("def loss(")]
    assert "_vtanh(" in step and "math.tanh" not in step
    source = generate_grid_source(single_neuron(get_loss("sqrt1p")))
    step = source[source.index("def step("):source.index("def loss(")]
    assert "np.sqrt(" in step and "math.sqrt" not in step
    assert "fastmath" not in source
    with pytest.raises(InputError):
        generate_grid_source(single_neuron(get_loss("sqrt1p")), block=0)


_PROBE = r"""
import re, sys
import numpy as np
from eoscope.derivations import get_loss, single_neuron
from eoscope.dynamics import compile, grid_run
model = single_neuron(get_loss(sys.argv[1]))
grid_run(model, np.array([0.1]), np.array([[0.1, 1.0]]), max_steps=3)
ir = list(compile(model).grid._run_block.inspect_llvm().values())[0]
print(" ".join(sorted(set(re.findall(r"fdiv <(\d+) x double>", ir)))))
print(" ".join(sorted(set(re.findall(r"llvm\.sqrt\.v(\d+)f64", ir)))))
"""


@pytest.mark.parametrize("loss", ["sqrt1p", "logcosh"])
def test_lane_loop_vectorises(loss):
    """numba's LLVM IR of the block kernel holds vector divisions (and vector sqrt for √(1+s²))."""
    env = dict(os.environ, PYTHONPATH=ROOT, EOSCOPE_CACHE_DIR=tempfile.mkdtemp(prefix="eoscope-ir-"))
    out = subprocess.run([sys.executable, "-c", _PROBE, loss], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    divisions, roots = out.stdout.splitlines()[:2]
    assert divisions and int(divisions.split()[0]) >= 2
    if loss == "sqrt1p":
        assert roots and int(roots.split()[0]) >= 2
