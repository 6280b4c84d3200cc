"""Custom maps (issue 5): whitelisted parsing, derived Jacobian, hashes, generated dynamics kernels."""
import pytest
import sympy as sp

from eoscope.derivations import ETA, InputError, custom_map, derive, generate_dynamics_source, single_neuron, get_loss


def test_logistic_map_derivation():
    model = custom_map("eta*x*(1-x)", "x")
    d = derive(model)
    x = model.state[0]
    assert sp.simplify(d.gd_map[0] - ETA * x * (1 - x)) == 0
    assert sp.simplify(d.jacobian[0, 0] - (ETA - 2 * ETA * x)) == 0
    assert d.critical_eta is None and d.invariants == ()
    assert model.describe()["map_expr"] == ["eta*x*(1 - x)"]


@pytest.mark.parametrize("text", ["x + eta*y; y - eta*x", "x + eta*y, y - eta*x", "x + eta*sin(y), y - eta*x"])
def test_two_dimensional_map_and_separators(text):
    model = custom_map(text, "x,y")
    d = derive(model)
    x, y = model.state
    assert d.jacobian.shape == (2, 2)
    assert sp.simplify(d.jacobian[1, 0] + ETA) == 0
    assert model.state_names == ("x", "y")


def test_hash_depends_on_the_map():
    a = custom_map("eta*x*(1-x)", "x")
    b = custom_map("eta*x*(1-x**2)", "x")
    assert a.hash != b.hash
    assert a.hash == custom_map("eta*x*(1-x)", "x").hash
    # an ordinary model's hash is unchanged by the new optional field
    assert single_neuron(get_loss("sqrt1p")).explicit_map is None


@pytest.mark.parametrize(
    "expr,state,fragment",
    [
        ("eta*x*(1-x)", "x,y", r"1 expression\(s\) for 2"),
        ("__import__('os')", "x", "not allowed"),
        ("eta*z", "x", "unknown name"),
        ("eta*x", "eta", "not allowed"),
        ("eta*x;", "x", "empty expression"),
        ("x.real", "x", "attribute"),
        ("eta*x", "x,x", "repeats"),
    ],
)
def test_bad_custom_maps(expr, state, fragment):
    with pytest.raises(InputError, match=fragment):
        custom_map(expr, state)


def test_generated_dynamics_source_has_kernels():
    source = generate_dynamics_source(custom_map("eta*x*(1-x)", "x"))
    for name in ("def orbit_power", "def lyapunov_kernel", "def orbit_diagram_kernel", "def map_eta_derivative",
                 "def stability_run"):
        assert name in source


def test_sign_dependent_eta_is_refused():
    with pytest.raises(InputError, match="sign of eta"):
        custom_map("x + abs(eta)", "x")
    custom_map("x + sqrt(eta)*x", "x")  # fine: unchanged by η > 0
