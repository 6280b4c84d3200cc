"""Generate a blocked, SIMD-friendly numba *grid* kernel for a model, keyed by model hash + grid version.

generate_grid_source(model, block=64) -> str
generate_grid_module(model, block=64) -> pathlib.Path

The GD map is the derived ``gd_map`` of :func:`derive`, printed with the same printer and CSE as
:mod:`derivations._codegen` (the step computes the same ``F(θ)`` and ``osc(θ)`` as ``gd_step``), so for
maps built from + − × ÷ and √ the per-point arithmetic is bit-for-bit the one of
``run_trajectory`` (no ``fastmath``: LLVM neither reassociates nor contracts to FMA). ``tanh`` is the
one exception: ``math.tanh`` is a libm call that blocks vectorisation, so the grid step calls
``_vtanh``, a branch-free tanh with a single division: a rational minimax form for |x| < 0.625 and
1 − 2/(e^{2|x|} + 1) above, e^{2|x|} from a Cody–Waite reduction, fdlibm's exp rational form and an exact
power of two built from the exponent bits (≤ 2 ulp against ``math.tanh``, ≤ 1.5 ulp against the exact
tanh; tested), which LLVM vectorises.

Generated functions (state arguments in declaration order):

* ``step(*θ, eta) -> (F(θ)..., N, D, osc(θ))`` with |∇L(θ)|² = N/D (vector maths; D = 1 unless |∇L|² is a
  quotient with a denominator SymPy proves positive, tested then as N − tol²·D < 0 with one FMA instead of
  a division: see ``_step_block``), ``loss`` (vector maths: ``_vexp``, ``_vlog``, ``_vcosh``),
  ``hessian``, ``sharpness`` (``math.*``, used at θ0 and at the final state of each point);
* ``run_grid(theta0[N, n], eta[N], max_steps, tol, bound, check_every, dense_steps, period_tol, state[N, n],
  steps[N], status[N], period[N], sharpness[N], sharpness0[N], loss0[N], loss_final[N], max_loss[N],
  loss_rises[N], sign_flips[N], tail[N, K, n])`` (``sharpness0``: S(θ0), the sharpness at the start):
  lanes are grouped in blocks of ``BLOCK`` points (a ``prange`` over blocks); a block advances all its lanes ``check_every`` steps at a time with no branch in the lane
  loop (a lane that meets a stopping rule keeps its state through a select) and stops when no lane is
  running. Stopping rules per lane, checked before each step exactly as ``run_trajectory`` does:
  diverged (|θ_i| > bound or non-finite), converged (|∇L| < tol; or |osc| < tol, but only where the
  derivation proves osc = 0 to be a set of critical points: ``derive(model).oscillation_stops``), max_steps.
  The loss of each lane is sampled (a vectorised loop) after each of the first ``dense_steps`` steps
  (where catapult and EoS spikes start), then at every ``LOSS_EVERY_CHECKS``-th check (every 64 steps by
  default) and when the block stops: ``loss0``, ``loss_final`` and ``max_loss`` come from the same
  vectorised loss (a few ulp of its intermediate values from the ``math.*`` loss of the trajectory kernel:
  ≈ 1e-16 absolute for log cosh near 0, where that is a large relative difference); ``max_loss`` is the
  largest sample (the catapult height, sampled), ``loss_rises`` counts samples larger than the previous one
  by more than 1e-12 relative. ``sign_flips`` counts steps where osc(θ) changes sign (every step).
  A lane still running at ``max_steps`` is probed for 2·``MAX_PERIOD`` further steps: the smallest
  k ≤ ``MAX_PERIOD`` with |θ_{j+k} − θ_j| ≤ period_tol·(1 + |θ|) over the probe gives PERIODIC (k ≥ 2) or
  MAX_STEPS (k = 1: creeping towards a fixed point; or an orbit that still drifts over the farthest
  multiple of k in the probe: a slowly converging oscillation); none gives UNCLASSIFIED. ``tail`` (K may be 0)
  receives θ_n, …, θ_{n+K−1}: the orbit continued from its final state θ_n (the attractor samples of a
  bifurcation diagram).
"""
from __future__ import annotations

import ast
import math
from pathlib import Path

import sympy as sp

from ._codegen import (
    _IDENTIFIER,
    _KernelPrinter,
    _code_block,
    _function,
    _sharpness_source,
    convergence_vector,
    kernel_path,
    write_module_once,
)
from ._derive import derive
from ._errors import InputError
from ._model import CODEGEN_VERSION, ETA, Model

GRID_CODEGEN_VERSION = "16"  # 16: a custom map converges on |F(θ) − θ| < tol (was: at step 0); 15: |osc| < tol stops a lane only where derive(model).oscillation_stops
GRID_STATUS_CODES = {"converged": 0, "diverged": 1, "max_steps": 2, "periodic": 3, "unclassified": 4}
MAX_PERIOD = 16
LOSS_EVERY_CHECKS = 4  # after the dense start, the loss is sampled at every 4th check (libm calls are costly)
DEFAULT_BLOCK = 64


class _GridPrinter(_KernelPrinter):
    """The kernel printer with ``tanh`` routed to the vectorisable ``_vtanh``."""

    def _print_tanh(self, expr):
        return f"_vtanh({self._print(expr.args[0])})"

    # np.sqrt lowers to the llvm.sqrt intrinsic (vectorisable); math.sqrt to a libm call that LLVM must
    # keep for errno. Both are IEEE correctly rounded, so the values are identical.
    sqrt_function = "np.sqrt"


_GRID_PRINTER = _GridPrinter({"fully_qualified_modules": True, "standard": "python3"})


class _LossPrinter(_GridPrinter):
    """The grid printer with exp, log and cosh routed to ``_vexp``, ``_vlog`` and ``_vcosh`` (loss sampling)."""

    def _print_exp(self, expr):
        return f"_vexp({self._print(expr.args[0])})"

    def _print_log(self, expr):
        if len(expr.args) != 1:
            return super()._print_log(expr)
        return f"_vlog({self._print(expr.args[0])})"

    def _print_cosh(self, expr):
        return f"_vcosh({self._print(expr.args[0])})"


_LOSS_PRINTER = _LossPrinter({"fully_qualified_modules": True, "standard": "python3"})

# Branch-free tanh with one division (≈ 35 AVX-512 instructions per 8 values, 0.9 ns per value and core
# here, against ≈ 60 and 2.9 ns for the previous double-double expm1 version). t = |x| clamped to 20
# (tanh(20) rounds to 1); both forms are computed and one is selected:
# * t < 0.625: tanh x = x + x·z·P(z)/Q(z), z = x² (Cephes' tanh coefficients);
# * t ≥ 0.625: tanh t = 1 − 2/(e^{2t} + 1). With 2t = k·ln2 + r (Cody–Waite, |r| ≤ ln2/2) and fdlibm's
#   e^r = 1 + 2r/(2 − c) = (B + 2r)/B, B = 2 − c, c = r − r²·R(r²) (R: fdlibm's degree-4 minimax),
#   2/(e^{2t} + 1) = 2B/(2^k·(B + 2r) + B): one division shared with the small form (a select picks the
#   numerator and denominator). 2^k = bits((k + 1023) << 52), with k + 1023 read from the low bits of
#   2t/ln2 + 1.5·2^52 + 1023 (no float → int conversion, so NaN stays harmless: it propagates through r).
# Error (measured against mpmath on 2·10⁴ random points per range): ≤ 0.7 ulp below 0.625, ≤ 1.25 ulp on
# [0.625, 2], ≤ 0.55 ulp above; glibc's tanh is itself up to 2.1 ulp off below 0.625, so the distance to
# math.tanh is ≤ 2 ulp (measured on 2·10⁷ random points). ``_fma`` is LLVM's fused multiply-add (vfmadd); the
# bit intrinsics are LLVM bitcasts and integer shifts.
_VTANH_SOURCE = '''
from numba import types
from numba.extending import intrinsic


@intrinsic
def _fma(typingctx, a, b, c):
    """a·b + c with a single rounding (llvm.fma)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


def _float_bits_intrinsic(name, doc, body):
    """An intrinsic float64 -> float64 that works on the 64 bits of its argument:
    body(builder, bits, i64, f64) returns the result as an LLVM float64 value."""

    def typer(typingctx, x):
        def codegen(context, builder, signature, args):
            i64, f64 = context.get_value_type(types.int64), context.get_value_type(types.float64)
            return body(builder, builder.bitcast(args[0], i64), i64, f64)

        return types.float64(types.float64), codegen

    typer.__name__, typer.__doc__ = name, doc
    return intrinsic(typer)


_scale_from_shifted = _float_bits_intrinsic(
    "_scale_from_shifted", "2^k from kd = k + 1023 + 1.5·2^52 (the low 11 bits hold k + 1023): bitcast, shift, bitcast.",
    lambda b, bits, i64, f64: b.bitcast(b.shl(bits, i64(52)), f64),
)


@intrinsic
def _with_sign_of(typingctx, magnitude, x):
    """|magnitude| with the sign bit of x (magnitude ≥ 0 or nan): bit or."""
    sig = types.float64(types.float64, types.float64)

    def codegen(context, builder, signature, args):
        i64 = context.get_value_type(types.int64)
        m = builder.bitcast(args[0], i64)
        s = builder.and_(builder.bitcast(args[1], i64), i64(-(2**63)))
        return builder.bitcast(builder.or_(m, s), context.get_value_type(types.float64))

    return sig, codegen


_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_SHIFTER = 6755399441055744.0 + 1023.0  # 1.5·2^52 + 1023


@njit(cache=True, inline="always", error_model="numpy")
def _vtanh(x):
    """tanh(x) without libm calls (vectorisable); ≤ 2 ulp from math.tanh (tests/derivations)."""
    t = abs(x)
    t = 20.0 if t > 20.0 else t
    small = t < 0.625
    a = t + t
    kd = _fma(a, _INV_LN2, _SHIFTER)
    kf = kd - _SHIFTER
    scale = _scale_from_shifted(kd)
    r = _fma(-kf, _LN2_HI, a)
    r = _fma(-kf, _LN2_LO, r)
    rr = r * r
    p = _fma(4.13813679705723846039e-08, rr, -1.65339022054652515390e-06)
    p = _fma(p, rr, 6.61375632143793436117e-05)
    p = _fma(p, rr, -2.77777777770155933842e-03)
    p = _fma(p, rr, 1.66666666666666019037e-01)
    c = _fma(-rr, p, r)
    b = 2.0 - c
    z = x * x
    pp = _fma(_fma(-9.64399179425052238628e-1, z, -9.92877231001918586564e1), z, -1.61468768441708447952e3)
    qq = _fma(_fma(z + 1.12811678491632931402e2, z, 2.23548839060100448583e3), z, 4.84406305325125486048e3)
    num = z * pp if small else b
    den = qq if small else _fma(scale, _fma(r, 2.0, b), b)
    q = num / den
    return _fma(x, q, x) if small else _with_sign_of(_fma(-2.0, q, 1.0), x)
'''


# Vectorisable exp, log and cosh for the *loss* that the kernel samples (the step keeps math.* for these so
# that it stays the spine's map; only tanh is replaced there). With libm calls the sampling loop cannot
# vectorise and cost about a fifth of a tanh-loss run (two scalar calls per lane for log(cosh(xy))).
# * _vexp: x = k·ln2 + r (Cody–Waite, |r| ≤ ln2/2), e^r by its degree-13 Taylor polynomial (truncation
#   < 5e-18), 2^k applied as 2^⌊k/2⌋·2^(k−⌊k/2⌋) so that overflow gives inf and underflow gradual zeros;
# * _vlog: x = 2^e·m with m ∈ [√½, √2) read from the bits (subnormals scaled by 2^54 first);
#   log m = 2·atanh(s), s = (m − 1)/(m + 1), by its odd series to s^23 (|s| ≤ 0.172: truncation < 1e-18);
#   log 0 = −inf, log of a negative number or nan = nan, log inf = inf;
# * _vcosh: h + 1/(4h) with h = e^|u|/2 (2^−1 applied in the exponent, so cosh stays finite up to 710.48).
# Distance to math.exp / math.log / math.cosh: ≤ 1, 2 and 2 ulp (tests/derivations/test_grid_codegen.py).
def _horner_lines(accumulator: str, variable: str, coefficients) -> str:
    """Generated lines evaluating Σ c_k·v^k (coefficients from the highest power down) by fused Horner steps."""
    c = [repr(float(value)) for value in coefficients]
    lines = [f"    {accumulator} = _fma({c[0]}, {variable}, {c[1]})"]
    lines += [f"    {accumulator} = _fma({accumulator}, {variable}, {value})" for value in c[2:]]
    return "\n".join(lines)


# e^r = Σ_{k ≤ 13} r^k/k!;  log m = 2·atanh(s) = s + s + s·z·Σ_{k ≤ 10} 2z^k/(2k + 3), z = s²
_EXP_HORNER = _horner_lines("p", "r", [1 / math.factorial(k) for k in range(13, -1, -1)])
_LOG_HORNER = _horner_lines("q", "z", [2 / (2 * k + 1) for k in range(11, 0, -1)])
_VMATH_SOURCE = '''
_biased_exponent = _float_bits_intrinsic(
    "_biased_exponent", "The 11-bit biased exponent field of x, as a float64.",
    lambda b, bits, i64, f64: b.sitofp(b.and_(b.lshr(bits, i64(52)), i64(0x7FF)), f64),
)
_mantissa_in_one_two = _float_bits_intrinsic(
    "_mantissa_in_one_two", "x's significand with the exponent of 1.0: a float64 in [1, 2) for finite normal x.",
    lambda b, bits, i64, f64: b.bitcast(b.or_(b.and_(bits, i64(0x000FFFFFFFFFFFFF)), i64(0x3FF0000000000000)), f64),
)


@njit(cache=True, inline="always", error_model="numpy")
def _vexp_times_power_of_two(x, m):
    """e^x·2^m (m a small integer-valued float) without libm calls (vectorisable)."""
    xc = -746.0 if x < -746.0 else x
    xc = 711.0 if xc > 711.0 else xc  # nan passes both clamps
    kf = _fma(xc, _INV_LN2, _SHIFTER) - _SHIFTER
    r = _fma(-kf, _LN2_HI, xc)
    r = _fma(-kf, _LN2_LO, r)
{_EXP_HORNER}
    half = np.floor(kf * 0.5)
    return p * _scale_from_shifted(half + _SHIFTER) * _scale_from_shifted((kf - half + m) + _SHIFTER)


@njit(cache=True, inline="always", error_model="numpy")
def _vexp(x):
    """exp(x) without libm calls (vectorisable); ≤ 1 ulp from math.exp (tests/derivations)."""
    return _vexp_times_power_of_two(x, 0.0)


@njit(cache=True, inline="always", error_model="numpy")
def _vlog(x):
    """log(x) without libm calls (vectorisable); ≤ 2 ulp from math.log (tests/derivations)."""
    tiny = x < 2.2250738585072014e-308
    xs = x * 18014398509481984.0 if tiny else x
    e = _biased_exponent(xs) - (1077.0 if tiny else 1023.0)
    m = _mantissa_in_one_two(xs)
    big = m > 1.4142135623730951
    m = m * 0.5 if big else m
    e = e + 1.0 if big else e
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
{_LOG_HORNER}
    log_m = _fma(s * z, q, s + s)
    out = _fma(e, _LN2_HI, _fma(e, _LN2_LO, log_m))
    out = out if x > 0.0 else (-np.inf if x == 0.0 else np.nan)
    return x if x == np.inf else out


@njit(cache=True, inline="always", error_model="numpy")
def _vcosh(u):
    """cosh(u) = h + 1/(4h) with h = e^|u|/2 (finite up to |u| ≈ 710.48, like math.cosh; vectorisable)."""
    h = _vexp_times_power_of_two(abs(u), -1.0)
    return h + 0.25 / h
'''.format(_EXP_HORNER=_EXP_HORNER, _LOG_HORNER=_LOG_HORNER)


def _check_names(names) -> None:
    for name in names:
        if (
            not _IDENTIFIER.match(name)
            or name.startswith("_")
            or name in {"eta", "math", "np", "njit", "prange"}
        ):
            raise InputError(f"state name {name!r} cannot be used in generated grid code")


def _step_block(gd_map: list, gradient: list, oscillation) -> tuple:
    """(CSE lines, printed outputs F(θ)..., N, D, osc, convergence test on ``_out``) of the grid step.

    The spine's step returns (F(θ)..., |∇L|², osc) after one CSE. Where that |∇L|² is printed as a quotient
    X/Y whose denominator SymPy proves positive (ℓ = √(1+s²): Y = 1 + x²y²), the grid step returns N = X and
    D = Y instead and tests N − tol²·D < 0 with one FMA: no division in the step (the division was a fifth of
    a √(1+s²) step), and the sign is that of the exact N/D − tol², so the test agrees with the spine's
    fl(N/D) < tol² except when N/D lies within half an ulp below tol². The split is used only when the CSE
    lines, the map and osc come out exactly as in the spine (so the map stays bit-for-bit the spine's) and
    the spine's printed |∇L|² is literally N/D (checked on the Python syntax tree). Otherwise N = |∇L|²,
    D = 1 and the test is |∇L|² < tol², as in the spine."""
    n = len(gd_map)
    norm_sq = sum(g**2 for g in gradient)
    # Same CSE as derivations._codegen (identical expressions), printed with np.sqrt and _vtanh.
    spine_lines, spine = _code_block(list(gd_map) + [norm_sq, oscillation], printer=_GRID_PRINTER)
    plain = (spine_lines, spine[:n + 1] + ["1.0", spine[n + 1]], f"(_out[{n}] < tol2)")
    numerator, denominator = sp.fraction(sp.together(norm_sq))
    if denominator == 1 or not denominator.is_positive:
        return plain
    split_lines, split = _code_block(list(gd_map) + [numerator, denominator, oscillation], printer=_GRID_PRINTER)
    quotient = ast.parse(spine[n], mode="eval").body
    same = (
        split_lines == spine_lines
        and split[:n] == spine[:n]
        and split[n + 2] == spine[n + 1]
        and isinstance(quotient, ast.BinOp)
        and isinstance(quotient.op, ast.Div)
        and ast.dump(quotient.left) == ast.dump(ast.parse(split[n], mode="eval").body)
        and ast.dump(quotient.right) == ast.dump(ast.parse(split[n + 1], mode="eval").body)
    )
    return (split_lines, split, f"(_fma(-tol2, _out[{n + 1}], _out[{n}]) < 0.0)") if same else plain


def _step_source(model: Model, derivation) -> tuple:
    """(source of ``step(*θ, eta) -> (F(θ)..., N, D, osc(θ))``, the convergence test on its outputs and osc).

    The test is the |∇L| < tol test of :func:`_step_block`, or'ed with |osc| < tol only when
    ``derivation.oscillation_stops`` (osc = 0 is a set of critical points, e.g. ℓ'(0) = 0 for ℓ(x·y))."""
    args = ", ".join(model.state_names)
    oscillation = model.concrete(model.oscillating) if model.oscillating is not None else sp.Float(0.0)
    lines, printed, test = _step_block(list(derivation.gd_map), convergence_vector(model, derivation), oscillation)
    if derivation.oscillation_stops:
        test = f"{test} | (abs(_osc) < tol)"
    body = "\n".join(lines + [f"    return ({', '.join(printed)})"])
    return f"@njit(cache=True, inline=\"always\", error_model=\"numpy\")\ndef step({args}, {ETA}):\n{body}\n", test


def _loss_source(args: str, expr) -> str:
    """The loss, printed with np.sqrt, _vtanh, _vexp, _vlog and _vcosh so that its sampling loop vectorises."""
    source = _function("loss", args, [expr], tuple_result=False, printer=_LOSS_PRINTER)
    # inlined, or the sampling loop holds a call and LLVM keeps it scalar
    return source.replace("@njit(cache=True)", '@njit(cache=True, inline="always", error_model="numpy")', 1)


def _block_source(names: tuple, converged_test: str) -> str:
    """The block kernel. All per-lane data live in ONE float64 buffer ``_L`` at constant offsets
    (state i at i·BLOCK, then η, running flag, steps, sign flips, previous osc), so LLVM can prove the
    lane loop free of aliasing and vectorise it without runtime checks."""
    n = len(names)
    off = {f"s{i}": i for i in range(n)}
    off.update({"eta": n, "act": n + 1, "steps": n + 2, "flips": n + 3, "posc": n + 4})
    width = n + 5

    def at(key, lane="_l"):
        return f"_L[{off[key]} * BLOCK + {lane}]"

    cur = [f"_v{i}" for i in range(n)]
    new = [f"_w{i}" for i in range(n)]
    cur_args = ", ".join(cur)
    lane_state = ", ".join(at(f"s{i}") for i in range(n))
    bounded = " & ".join(f"(abs({c}) <= bound)" for c in cur)  # false for nan and ±inf too
    unpack = f"{', '.join(cur)}{',' if n == 1 else ''} = step({cur_args}, _e)[:{n}]"

    def lines(template, indent, items):
        return "\n".join(" " * indent + template.format(i=i, c=c, w=w) for i, (c, w) in enumerate(items))

    pairs = list(zip(cur, new))
    return f'''
@njit(cache=True)
def _run_block(start, theta0, eta, max_steps, tol, bound, check_every, dense_steps, period_tol, state, steps, status,
               period, sharpness_out, sharpness0, loss0, loss_final, max_loss, loss_rises, sign_flips, tail):
    """Advance the points start … start+BLOCK−1 (see the module docstring)."""
    total = theta0.shape[0]
    count = min(BLOCK, total - start)
    _L = np.zeros({width} * BLOCK)
    _lmax = np.empty(BLOCK)
    _lprev = np.empty(BLOCK)
    _rises = np.zeros(BLOCK, np.int64)
    tol2 = tol * tol
    for _l in range(BLOCK):
        _p = start + _l if _l < count else start  # padding lanes repeat the first point and never run
{lines("_L[{i} * BLOCK + _l] = theta0[_p, {i}]", 8, pairs)}
        {at("eta")} = eta[_p]
        {at("act")} = 1.0 if _l < count else 0.0
    for _l in range(BLOCK):
        _lv = loss({lane_state})
        _lmax[_l] = _lv
        _lprev[_l] = _lv
        {at("posc")} = step({lane_state}, {at("eta")})[{n + 2}]
    k = 0
    _checks = 0
    while k < max_steps:
        m = min(1 if k < dense_steps else check_every, max_steps - k)
        for _j in range(m):
            for _l in range(BLOCK):
{lines("{c} = _L[{i} * BLOCK + _l]", 16, pairs)}
                _out = step({cur_args}, {at("eta")})
{lines("{w} = _out[{i}]", 16, pairs)}
                _osc = _out[{n + 2}]
                _stop = {converged_test} | (not ({bounded}))
                _go = ({at("act")} != 0.0) & (not _stop)
{lines("_L[{i} * BLOCK + _l] = {w} if _go else {c}", 16, pairs)}
                {at("steps")} += 1.0 if _go else 0.0
                {at("flips")} += 1.0 if (({at("act")} != 0.0) & (_osc * {at("posc")} < 0.0)) else 0.0
                {at("posc")} = _osc
                {at("act")} = 1.0 if _go else 0.0
        k += m
        running = 0.0
        for _l in range(BLOCK):
            running += {at("act")}
        _checks += 1
        if k <= dense_steps or _checks % LOSS_EVERY_CHECKS == 0 or running == 0.0 or k >= max_steps:
            for _l in range(BLOCK):  # selects, no branches: vectorises unless the loss keeps a libm call (erfc)
                _lv = loss({lane_state})
                _lmax[_l] = _lv if _lv > _lmax[_l] else _lmax[_l]
                _rises[_l] += 1 if _lv > _lprev[_l] + 1e-12 * abs(_lprev[_l]) else 0
                _lprev[_l] = _lv
        if running == 0.0:
            break
    # periodicity probe, vectorised over the lanes: the orbit continued 2·MAX_PERIOD steps from the final
    # state of every lane (used only by lanes still running at max_steps), stored as _buf[j, i, lane]
    _buf = np.empty((2 * MAX_PERIOD + 1, {n}, BLOCK))
    if running > 0.0:
        _P = _L[:{n} * BLOCK].copy()
        for _j in range(2 * MAX_PERIOD + 1):
            for _l in range(BLOCK):
{lines("{c} = _P[{i} * BLOCK + _l]", 16, pairs)}
{lines("_buf[_j, {i}, _l] = {c}", 16, pairs)}
                _out = step({cur_args}, {at("eta")})
{lines("_P[{i} * BLOCK + _l] = _out[{i}]", 16, pairs)}
    for _l in range(count):
        _p = start + _l
{lines("{c} = _L[{i} * BLOCK + _l]", 8, pairs)}
        _e = {at("eta")}
{lines("state[_p, {i}] = {c}", 8, pairs)}
        steps[_p] = int({at("steps")})
        sign_flips[_p] = int({at("flips")})
        max_loss[_p] = _lmax[_l]
        loss_rises[_p] = _rises[_l]
        loss0[_p] = loss({", ".join(f"theta0[_p, {i}]" for i in range(n))})
        # S(θ0) only where θ0 is inside the bound (eigvalsh raises on non-finite Hessians), as at the end
        sharpness0[_p] = sharpness({", ".join(f"theta0[_p, {i}]" for i in range(n))}) if {" and ".join(f"abs(theta0[_p, {i}]) <= bound" for i in range(n))} else np.nan
        loss_final[_p] = loss({cur_args})
        period[_p] = 0
        _out = step({cur_args}, _e)
        if {" or ".join(f"not (abs({c}) <= bound)" for c in cur)}:
            status[_p] = DIVERGED
            sharpness_out[_p] = np.nan
        else:
            sharpness_out[_p] = sharpness({cur_args})
            _osc = _out[{n + 2}]
            if {converged_test}:
                status[_p] = CONVERGED
            else:
                status[_p] = UNCLASSIFIED
                for _k in range(1, MAX_PERIOD + 1):
                    repeats = True  # all gaps over k steps within period_tol (no division, early exit)
                    for _j in range(MAX_PERIOD + 1):
                        for _i in range({n}):
                            a = _buf[_j, _i, _l]
                            if not (abs(a - _buf[_j + _k, _i, _l]) <= period_tol * (1.0 + abs(a))):
                                repeats = False
                                break
                        if not repeats:
                            break
                    if repeats:
                        worst = 0.0
                        for _j in range(MAX_PERIOD + 1):
                            for _i in range({n}):
                                a = _buf[_j, _i, _l]
                                gap = abs(a - _buf[_j + _k, _i, _l]) / (1.0 + abs(a))
                                worst = gap if gap > worst else worst
                        # a slowly converging oscillation also repeats to period_tol over k steps, but it
                        # drifts: over the farthest multiple of k in the probe the gap grows ~linearly
                        far = (2 * MAX_PERIOD // _k) * _k
                        drift = 0.0
                        for _i in range({n}):
                            a = _buf[0, _i, _l]
                            gap = abs(a - _buf[far, _i, _l]) / (1.0 + abs(a))
                            drift = gap if gap > drift else drift
                        if _k == 1 or not (drift <= 1.5 * worst + 4e-15):
                            status[_p] = MAX_STEPS
                        else:
                            status[_p] = PERIODIC
                            period[_p] = _k
                        break
        if tail.shape[1] > 0:
{lines("{c} = state[_p, {i}]", 12, pairs)}
            for _j in range(tail.shape[1]):
{lines("tail[_p, _j, {i}] = {c}", 16, pairs)}
                {unpack}
'''


def generate_grid_source(model: Model, block: int = DEFAULT_BLOCK) -> str:
    """The full text of the generated grid module for ``model`` (``block`` lanes per SIMD block)."""
    names = model.state_names
    _check_names(names)
    if int(block) != block or block < 1:
        raise InputError(f"block must be a positive integer, got {block!r}")
    derivation = derive(model)
    args = ", ".join(names)
    step_source, converged_test = _step_source(model, derivation)
    header = [
        f'"""Generated by eoscope (grid codegen v{GRID_CODEGEN_VERSION}, codegen v{CODEGEN_VERSION}) '
        f"for {model.label}; hash {model.hash}. Do not edit."
        '"""',
        "import math",
        "import numpy as np",
        "from numba import njit, prange",
        "",
        f"STATE = {tuple(names)!r}",
        f"MODEL_HASH = {model.hash!r}",
        f"GRID_CODEGEN_VERSION = {GRID_CODEGEN_VERSION!r}",
        f"BLOCK = {int(block)}",
        f"MAX_PERIOD = {MAX_PERIOD}",
        f"LOSS_EVERY_CHECKS = {LOSS_EVERY_CHECKS}",
        *(f"{key.upper()} = {value}" for key, value in GRID_STATUS_CODES.items()),
    ]
    parts = [
        "\n".join(header),
        _VTANH_SOURCE,
        _VMATH_SOURCE,
        step_source,
        _loss_source(args, model.concrete(model.loss)),
        _function("hessian", args, list(derivation.hessian)),
        _sharpness_source(args, len(names)),
        _block_source(names, converged_test),
        '''
@njit(cache=True, parallel=True)
def run_grid(theta0, eta, max_steps, tol, bound, check_every, dense_steps, period_tol, state, steps, status, period,
             sharpness_out, sharpness0, loss0, loss_final, max_loss, loss_rises, sign_flips, tail):
    """All points of a grid, BLOCK lanes at a time, blocks in parallel (see the module docstring)."""
    nblocks = (theta0.shape[0] + BLOCK - 1) // BLOCK
    for b in prange(nblocks):
        _run_block(b * BLOCK, theta0, eta, max_steps, tol, bound, check_every, dense_steps, period_tol, state, steps,
                   status, period, sharpness_out, sharpness0, loss0, loss_final, max_loss, loss_rises, sign_flips, tail)
''',
    ]
    # numpy error model everywhere: Python's ZeroDivisionError check is an early exit that stops LLVM from
    # vectorising the lane loop (a zero divisor gives inf/nan instead, caught by the divergence rule).
    source = "\n\n".join(parts) + "\n"
    return source.replace("@njit(cache=True)", '@njit(cache=True, error_model="numpy")').replace(
        "@njit(cache=True, parallel=True)", '@njit(cache=True, parallel=True, error_model="numpy")'
    )


def generate_grid_module(model: Model, block: int = DEFAULT_BLOCK) -> Path:
    """generate_grid_module(model, block=64) -> Path of the generated grid module (written once, atomically)."""
    return write_module_once(kernel_path(model, "grid", block), lambda: generate_grid_source(model, block))
