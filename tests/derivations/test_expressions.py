"""The whitelist parser: accepted grammar, rejected input, and agreement with SymPy's own objects."""
import math

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from eoscope.derivations import InputError, parse_expression
from eoscope.derivations._expressions import ALLOWED_FUNCTIONS as ALLOWED

s = sp.Symbol("s", real=True)
SYMBOLS = {"s": s}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("log(cosh(s))", sp.log(sp.cosh(s))),
        ("sqrt(1 + s**2)", sp.sqrt(1 + s**2)),
        ("-s**2/2 + 3*s", -(s**2) / 2 + 3 * s),
        ("log1p(exp(s))", sp.log(1 + sp.exp(s))),
        ("abs(s) - 0.5", sp.Abs(s) - sp.Rational(1, 2)),
        ("pi*s + E", sp.pi * s + sp.E),
        ("erf(s/sqrt(2))", sp.erf(s / sp.sqrt(2))),
    ],
)
def test_accepts_whitelisted_expressions(text, expected):
    assert sp.simplify(parse_expression(text, SYMBOLS) - expected) == 0


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('echo pwned')", "attribute access '.system' is not allowed"),
        ("__import__('os')", "function '__import__' is not allowed"),
        ("s.real", "attribute"),
        ("(lambda q: q)(s)", "not allowed"),
        ("open('/etc/passwd')", "not allowed"),
        ("t + 1", "unknown name 't'"),
        ("s ^ 2", "use '**'"),
        ("exp(s, 2)", "exactly one"),
        ("exp(x=s)", "exactly one"),
        ("[s][0]", "not allowed"),
        ("'s'", "only numbers"),
        ("s +", "malformed"),
        ("", "empty"),
        ("s**1000", "too large"),
        ("1/0", "undefined"),
    ],
)
def test_rejects_everything_else(text, fragment):
    with pytest.raises(InputError) as info:
        parse_expression(text, SYMBOLS)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


_leaf = st.one_of(st.just("s"), st.integers(1, 9).map(str))
_expr = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "atan"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(_expr, st.floats(-2, 2))
def test_parsed_value_matches_python_math(text, value):
    """Reference: the same text evaluated by Python's own grammar over the math module (test-only)."""
    namespace = {"s": value, "sin": math.sin, "cos": math.cos, "tanh": math.tanh, "atan": math.atan}
    expected = eval(text, {"__builtins__": {}}, namespace)  # test oracle on generated, trusted text
    got = float(parse_expression(text, SYMBOLS).subs(s, value))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


# --- limits (issue 10): absurd input is refused up front, quickly, with one line ---------------------------

import time  # noqa: E402


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("+".join(["s"] * 990), "nested more than"),
        ("-" * 1999 + "s", "nested more than"),
        ("(((((9**64)**64)**64)**64)**64)*s**2", "out of the float64 range"),
        ("((1/9)**64)**64*s", "digits"),
        ("(((s**64)**64)**64)**64", "exponent 4096 too large after folding"),
        ("s**40*s**40", "exponent 80 too large after folding"),
        ("s**exp(exp(exp(100)))", "out of the float64 range"),
        ("s**2 + exp(exp(exp(100)))", "out of the float64 range"),
        ("exp(710)*s", "out of the float64 range"),
        ("1e-400*s", "underflows to 0"),
        ("1e400*s", "out of the float64 range"),
        ("1_0*s", "plain decimal"),
        ("0x10*s", "plain decimal"),
        ("\uff53**2", "ASCII"),
        ("s\x00", "malformed"),
        ("log(0)*s", "undefined"),
        ("0**-1*s", "undefined"),
    ],
)
def test_refuses_absurd_input_quickly(text, fragment):
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_expression(text, SYMBOLS)
    assert time.perf_counter() - start < 2.0
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_limits_leave_ordinary_expressions_alone():
    assert parse_expression("s**64 + 2**-64*s", SYMBOLS) == s**64 + s / 2**64
    assert parse_expression("+".join(["s"] * 90), SYMBOLS) == 90 * s
    assert parse_expression("s**s**s**s**s", SYMBOLS).has(s)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_an_expression_or_input_error(text):
    try:
        expr = parse_expression(text, SYMBOLS)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(expr, sp.Expr)


_any_leaf = st.one_of(
    st.just("s"), st.just("pi"), st.just("E"), st.integers(0, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr), st.sampled_from(["1e400", "1e-400", "64", "9", "0.5"]),
)
_any_expr = st.recursive(
    _any_leaf,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(st.sampled_from(sorted(ALLOWED)), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda t: f"-({t})"),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(_any_expr)
def test_nested_expressions_give_an_expression_or_input_error_quickly(text):
    start = time.perf_counter()
    try:
        parse_expression(text, SYMBOLS)
    except InputError as exc:
        assert "\n" not in str(exc)
    assert time.perf_counter() - start < 5.0
