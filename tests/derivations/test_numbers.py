"""derivations.parse_real: plain ASCII numbers only, no silent under/overflow; any text → float or InputError."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eoscope.derivations import InputError, parse_real


@pytest.mark.parametrize(
    "text, value",
    [("0.1", 0.1), ("-3", -3.0), ("+2.5e-4", 2.5e-4), (".5", 0.5), ("5.", 5.0), ("1E3", 1000.0), (" 7 ", 7.0), ("0", 0.0),
     ("0e-999", 0.0), ("-0.0", 0.0), (3, 3.0), (0.25, 0.25)],
)
def test_accepts_plain_numbers(text, value):
    assert parse_real(text, "--eta") == value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("١", "ASCII digits"),
        ("1_0", "'_'"),
        ("1e-400", "'1e-400' underflows to 0"),
        ("1e400", "'1e400' is out of the float64 range"),
        ("-1e400", "out of the float64 range"),
        ("nan", "finite"),
        ("inf", "finite"),
        ("-Infinity", "finite"),
        ("0x10", "must be a number"),
        ("", "must be a number"),
        ("1e", "must be a number"),
        ("1..2", "must be a number"),
        ("\u00a01", "ASCII"),
        (None, "must be a number"),
        (True, "must be a number"),
        (math.inf, "finite"),
        ("9" * 500, "more than"),
    ],
)
def test_refuses_with_a_reason_quoting_the_text(text, fragment):
    with pytest.raises(InputError) as info:
        parse_real(text, "--eta")
    message = str(info.value)
    assert message.startswith("--eta") and fragment in message and "\n" not in message


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_a_finite_float_or_input_error(text):
    try:
        value = parse_real(text, "x")
    except InputError:
        return
    assert isinstance(value, float) and math.isfinite(value)
    assert text.strip(" \t\r\n").isascii()


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_of_every_finite_float_round_trips(value):
    assert parse_real(repr(value), "x") == value


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"\A[+-]?[0-9]{1,5}(\.[0-9]{0,5})?([eE][+-]?[0-9]{1,4})?\Z"))
def test_decimal_strings_are_read_as_python_reads_them_or_refused_for_range(text):
    try:
        value = parse_real(text, "x")
    except InputError as exc:
        assert "float64" in str(exc)
        return
    assert value == float(text)
