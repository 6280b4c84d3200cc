"""Custom losses: absurd ones are refused when built (one line, exit 2), singular-at-0 ones simulate (issue 10)."""
import time

import pytest

from eoscope.derivations import InputError, build_model, get_loss, parse_expression
from eoscope.derivations._losses import S, Loss, check_custom_loss
from eoscope.dynamics import trajectory


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Abs(s)", "not twice differentiable"),
        ("sqrt(1 + s**2) + abs(s)", "not twice differentiable"),
        ("sqrt(-1-s**2)", "not real-valued"),
        ("log(-1-s**2)", "not real-valued"),
        ("(-8)**(1/3)*s**2", "not real-valued"),
    ],
)
def test_refused_with_the_reason(text, fragment):
    with pytest.raises(InputError) as info:
        get_loss(expression=text)
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["log(s)**2", "1/s", "abs(s)**3", "log(-s)", "sqrt(s)", "log(1 + s**2)"])
def test_singular_or_one_sided_losses_are_accepted(text):
    loss = get_loss(expression=text)
    assert len(loss.function.derivatives) >= 3  # derived (and cached) when built


def test_derivation_time_budget():
    loss = Loss("custom", parse_expression("s**s**s**s**s", {"s": S}), source="s**s**s**s**s")
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"loss s\*\*s\*\*s\*\*s\*\*s: SymPy did not finish deriving it within 0.5 s"):
        check_custom_loss(loss, seconds=0.5)
    assert time.perf_counter() - start < 5.0


@pytest.mark.parametrize("expr", ["log(s)**2", "1/s"])
def test_singular_at_zero_losses_simulate(cli, expr):
    result = cli("simulate", "single-neuron", "--loss-expr", expr, "--eta", "0.05", "--init", "x=2,y=1.5", "--max-steps", "20000")
    assert result.returncode == 0, result.stderr
    assert "status:" in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["derive", "single-neuron", "--loss-expr", "Abs(s)"], "not twice differentiable"),
        (["derive", "single-neuron", "--loss-expr", "(((s**64)**64)**64)**64"], "too large after folding"),
        (["simulate", "single-neuron", "--loss", "sqrt1p", "--eta", "\u0661", "--init", "x=2,y=1.5"], "ASCII digits"),
        (["simulate", "single-neuron", "--loss", "sqrt1p", "--eta", "1e-400", "--init", "x=2,y=1.5"], "'1e-400' underflows to 0"),
        (["simulate", "single-neuron", "--loss", "sqrt1p", "--eta", "0.1", "--init", "x=1_0,y=1"], "'_'"),
    ],
)
def test_cli_refuses_with_one_line(cli, args, fragment):
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eoscope: error:") and fragment in lines[0]


@pytest.mark.parametrize("model", [
    build_model("single-neuron", loss_expr="1e10*s**2"),  # 1e10 > 2⁵³ after the derivation's products
    build_model("single-neuron", loss_expr="1e19*s**2"),  # beyond int64: numba refused the literal
    build_model("mean-model", params={"d": 1e12}),  # d² = 1e24 in the Hessian
], ids=["1e10", "1e19", "mean-model-d-1e12"])
def test_huge_integer_constants_compile_as_floats(model):
    """Integers beyond 2⁵³ are printed as float literals (numba types integer literals as int64 and used to
    fail with 'Int value is too large'); the run then ends with a status, not a crash."""
    init = dict.fromkeys(model.state_names, 0.5)
    result = trajectory(model, 1e-3, init, max_steps=5)
    assert result.status in ("converged", "diverged", "max_steps")
