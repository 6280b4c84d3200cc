"""Issue 10 §4: property tests of the range and initial-state parsers: any input gives a valid value or
InputError, never another exception (parse_axis, parse_assignments, check_init).

No example database is written (``database=None``): the tests leave nothing in the working folder.
"""
from __future__ import annotations

import math
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eoscope.derivations import InputError

SETTINGS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["", " ", "nan", "-inf", "1e400", "1e-400", "١", "1_0", "0x10", "1e", ".", "-", "+1", "٣.٥",
                     "\u2212" + "1", "1\u00a0", "0.1.2", "1e+", "e5", "1ee5", "1,5", "٫"]),
    st.text(alphabet=string.digits + ".eE+-_ x", max_size=8),
)
COUNT_TEXT = st.one_of(NUMBER_TEXT, st.integers(min_value=-5, max_value=10**12).map(str))
RANGE_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.digits + ":.-+eE ", max_size=20),
    st.tuples(NUMBER_TEXT, NUMBER_TEXT, COUNT_TEXT).map(":".join),
    st.tuples(NUMBER_TEXT, NUMBER_TEXT).map(":".join),
    NUMBER_TEXT,
)
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40), st.floats(), st.text(max_size=10),
    st.binary(max_size=5), st.lists(st.floats(), max_size=3), st.complex_numbers(max_magnitude=10),
)


def _check_axis(axis, positive: bool, scale: str) -> None:
    from eoscope.derivations._validate import Axis

    assert isinstance(axis, Axis)
    assert isinstance(axis.num, int) and axis.num >= 1
    assert math.isfinite(axis.start) and math.isfinite(axis.stop)
    assert axis.start <= axis.stop
    if axis.num > 1:
        assert axis.start < axis.stop
    if positive:
        assert axis.start > 0
    if scale == "log" and axis.num > 1:
        assert axis.start > 0


@SETTINGS
@given(text=RANGE_TEXT, positive=st.booleans(), scale=st.sampled_from(["linear", "log"]))
def test_parse_axis_text_gives_axis_or_input_error(text, positive, scale):
    from eoscope.derivations._validate import parse_axis

    try:
        axis = parse_axis(text, "--y0", scale, positive=positive)
    except InputError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip()
        return
    _check_axis(axis, positive, scale)


@SETTINGS
@given(value=ANY_VALUE, positive=st.booleans(), scale=st.sampled_from(["linear", "log", "cubic", ""]))
def test_parse_axis_any_object_gives_axis_or_input_error(value, positive, scale):
    from eoscope.derivations._validate import parse_axis

    try:
        axis = parse_axis(value, "--eta", scale, positive=positive)
    except InputError:
        return
    assert scale in ("linear", "log")
    _check_axis(axis, positive, scale)


@SETTINGS
@given(a=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6), n=st.integers(1, 1000))
def test_parse_axis_accepts_plain_ranges(a, width, n):
    from eoscope.derivations._validate import parse_axis

    b = a + width
    axis = parse_axis(f"{a!r}:{b!r}:{n}", "--y0")
    assert (axis.start, axis.stop, axis.num) == (a, b, n)
    values = axis.values
    assert values.shape == (n,) and values[0] == a
    if n > 1:
        assert values[-1] == b


NAMES = st.one_of(st.sampled_from(["x", "y", "z", "a_minus", "eta", "period", "_", "x0", "1x", "", " x", "é", "x y"]),
                  st.text(max_size=4))
ASSIGNMENT_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="xyz=,.0123456789-+e ", max_size=25),
    st.lists(st.tuples(NAMES, NUMBER_TEXT).map("=".join), max_size=4).map(",".join),
    st.lists(st.tuples(NAMES, NUMBER_TEXT).map("=".join), max_size=4).map(";".join),
)


@SETTINGS
@given(text=st.one_of(ASSIGNMENT_TEXT, st.none()))
def test_parse_assignments_gives_dict_or_input_error(text):
    from eoscope.simulations._cli_common import parse_assignments

    try:
        values = parse_assignments(text, "--init")
    except InputError as exc:
        assert str(exc).strip()
        return
    assert isinstance(values, dict) and values
    for name, value in values.items():
        assert isinstance(name, str) and name.isidentifier()
        assert isinstance(value, float) and math.isfinite(value)


@SETTINGS
@given(values=st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True),
                              st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
def test_parse_assignments_round_trip(values):
    from eoscope.simulations._cli_common import parse_assignments

    text = ",".join(f"{name}={value!r}" for name, value in values.items())
    assert parse_assignments(text, "--init") == {name: float(value) for name, value in values.items()}


@pytest.fixture(scope="module")
def single_neuron():
    from eoscope.derivations import build_model

    return build_model("single-neuron", loss="sqrt1p")


@SETTINGS
@given(init=st.dictionaries(st.one_of(st.sampled_from(["x", "y", "z", ""]), st.text(max_size=3)), ANY_VALUE, max_size=4))
def test_check_init_gives_state_or_input_error(single_neuron, init):
    from eoscope.dynamics._trajectory import check_init

    try:
        state = check_init(single_neuron, init)
    except InputError:
        return
    assert set(init) == {"x", "y"}
    assert state.shape == (2,) and all(math.isfinite(v) for v in state)


@SETTINGS
@given(x=st.floats(allow_nan=False, allow_infinity=False), y=st.floats(allow_nan=False, allow_infinity=False))
def test_check_init_accepts_finite_states(single_neuron, x, y):
    from eoscope.dynamics._trajectory import check_init

    state = check_init(single_neuron, {"y": y, "x": x})
    assert list(state) == [x, y]
