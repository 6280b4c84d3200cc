"""Issue 6: the claim registry (derivations.claims).

Oracles: docs/reference_values.md numbers (y∞² table, b∞ table), 50-digit mpmath orbits, closed forms typed here
independently of the project's derivations, and deliberately false claims that must be refuted.
"""
from __future__ import annotations

import os
import re

import mpmath
import pytest
import sympy as sp

from eoscope.derivations import ETA, MODEL_BUILDERS, derive, derived_function, get_loss, single_neuron
from eoscope.derivations import Model
from eoscope.derivations.claims import (
    Claim,
    Outcome,
    check_requirement,
    claims_markdown,
    get_claim,
    identity_outcome,
    latex_report,
    register,
    registered_claims,
    run_claim,
)
from eoscope.derivations.claims import _registry
from eoscope.derivations.claims._claims_single_neuron import eos_limit_outcome

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYMBOLIC_SINGLE_NEURON = [
    "single-neuron.map",
    "single-neuron.invariant-evolution",
    "single-neuron.product-evolution",
    "single-neuron.sharpness-on-minimizers",
    "single-neuron.stability-threshold",
    "single-neuron.gradient-flow-limit",
]
MEAN_MODEL_IDS = [c.id for c in registered_claims() if c.id.startswith("mean-model.")]


def test_registry_holds_the_issue_claims():
    ids = {c.id for c in registered_claims()}
    for required in SYMBOLIC_SINGLE_NEURON + [
        "single-neuron.eos-limit",
        "mean-model.gaussian-expectation",
        "mean-model.conserved-difference",
        "mean-model.hessian-at-zero",
        "mean-model.critical-eta",
        "mean-model.bias-law",
        "generic.period-doubling-criterion",
        "generic.catapult-closure",
    ]:
        assert required in ids
    kinds = {c.kind for c in registered_claims()}
    assert kinds == {"a", "b", "c", "d"}
    for c in registered_claims():
        assert c.statement and c.latex and c.model


@pytest.mark.parametrize("claim_id", SYMBOLIC_SINGLE_NEURON)
@pytest.mark.parametrize("loss", ["sqrt1p", "huber"])
def test_single_neuron_symbolic_claims_verified(claim_id, loss):
    result = run_claim(get_claim(claim_id), get_loss(loss))
    assert result.status == "verified", result.outcome.message
    assert result.to_dict()["kind"] == get_claim(claim_id).kind
    assert result.loss == loss


def test_huber_eos_limit_is_not_checkable_with_reason():
    result = run_claim(get_claim("single-neuron.eos-limit"), get_loss("huber"))
    assert result.status == "not_checkable"
    assert "C²" in result.outcome.message and "jumps at s = " in result.outcome.message
    assert result.outcome.enclosure is None


def test_square_eos_limit_not_checkable_and_certified_far_below_edge():
    # The claim assumes linear tails; the square loss (a control, never EoS) is not checkable ...
    assert run_claim(get_claim("single-neuron.eos-limit"), get_loss("square")).status == "not_checkable"
    # ... and forcing the certification shows y∞² far below the edge: a certified refutation of the band.
    outcome = eos_limit_outcome(get_loss("square"), [("0.3", "0.1")])
    assert outcome.status == "refuted"
    lo, hi = map(mpmath.mpf, outcome.counterexample["y_inf_sq"])
    assert hi < 0.9 * 2 / 0.3


def _orbit_50_digits(ell_prime, eta, x0, y0_sq):
    """GD on ℓ(xy) at 50 digits, typed here independently of the derivation, until |x| < 1e-45."""
    with mpmath.workdps(50):
        eta = mpmath.mpf(eta)
        x, y = mpmath.mpf(x0), mpmath.sqrt(y0_sq)
        for _ in range(200_000):
            g = ell_prime(x * y)
            x, y = x - eta * g * y, y - eta * g * x
            if abs(x) < mpmath.mpf("1e-45"):
                return y * y
    raise AssertionError("no convergence")


@pytest.mark.parametrize(
    "loss, ell_prime, reference",
    [
        ("sqrt1p", lambda s: s / mpmath.sqrt(1 + s * s), 6.351917),
        ("logcosh", lambda s: mpmath.tanh(s), 6.201692),
    ],
)
def test_certified_enclosure_contains_50_digit_value(loss, ell_prime, reference):
    outcome = eos_limit_outcome(get_loss(loss), [("0.3", "0.1")])
    assert outcome.status == "verified", outcome.message
    lo, hi = outcome.enclosure["eta=0.3"]["y_inf_sq"]
    with mpmath.workdps(60):
        value = _orbit_50_digits(ell_prime, mpmath.mpf(3) / 10, mpmath.mpf(1) / 10, 10)
        assert mpmath.mpf(lo) <= value <= mpmath.mpf(hi)
        assert mpmath.mpf(hi) - mpmath.mpf(lo) < mpmath.mpf("1e-25")
        delta = mpmath.mpf(outcome.enclosure["eta=0.3"]["delta"])
        assert delta >= mpmath.mpf(20) / 3 - value  # δ is an upper bound of 2/(ηℓ''(0)) − y∞²
        assert delta - (mpmath.mpf(20) / 3 - value) < mpmath.mpf("1e-5")
    assert float(value) == pytest.approx(reference, rel=1e-5)  # docs/reference_values.md §1


def _wrong_invariant_claim(sign):
    def check(context):
        model = single_neuron(context.loss)
        x, y = model.state
        g = model.outer.heads[1](x * y)
        x1, y1 = derive(model).generic["gd_map"]
        stated = (1 + sign * ETA**2 * g**2) * (x**2 - y**2)
        return identity_outcome(x1**2 - y1**2 - stated, concrete=model.concrete, what="invariant factor")

    return Claim(
        id=f"test.invariant-sign{sign:+d}", statement="x'² − y'² = (1 ± η²g²)(x² − y²)", latex="", model="single-neuron",
        assumptions=(), kind="a", check=check, requires=("C1",), loss_dependent=True,
    )


def test_wrong_sign_invariant_is_refuted_with_concrete_counterexample():
    result = run_claim(_wrong_invariant_claim(+1), get_loss("sqrt1p"))
    assert result.status == "refuted"
    cx = result.outcome.counterexample
    point = {name: mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q for name, v in cx["point"].items()}
    assert set(point) == {"x", "y", "eta"}
    # Independent re-evaluation at 40 digits, with the sqrt1p map typed here.
    with mpmath.workdps(40):
        x, y, eta = point["x"], point["y"], point["eta"]
        g = x * y / mpmath.sqrt(1 + (x * y) ** 2)
        x1, y1 = x - eta * g * y, y - eta * g * x
        residual = x1**2 - y1**2 - (1 + eta**2 * g**2) * (x**2 - y**2)
        assert abs(residual) > 1e-6
        assert float(residual) == pytest.approx(float(mpmath.mpf(cx["value"])), rel=1e-10)
    # the correct sign is verified by the same machinery
    assert run_claim(_wrong_invariant_claim(-1), get_loss("sqrt1p")).status == "verified"


def test_wrong_catapult_closure_is_refuted():
    from eoscope.derivations.claims._claims_generic import _uv_model

    model, u, v, y, f, ntk = _uv_model(2)
    F = derive(model).gd_map
    after = dict(zip(model.state, F))
    g = f - y
    wrong = ntk.xreplace(after) - (ntk + 4 * ETA / 2 * g * f + ETA**2 / 2 * g**2 * ntk)  # sign of the 4ηgf/n term flipped
    outcome = identity_outcome(wrong)
    assert outcome.status == "refuted"
    assert "eta" in outcome.counterexample["point"]


def test_generic_claims_verified():
    for claim_id in ("generic.period-doubling-criterion", "generic.catapult-closure"):
        result = run_claim(get_claim(claim_id))
        assert result.status == "verified", result.outcome.message


def test_period_doubling_sign_matches_examples():
    """Independent check of the criterion's meaning: for f = log cosh (3f'''² − f''f'''' = 2 > 0) a stable
    2-cycle exists just above η = 2; for f = cosh (−1 < 0) the 2-cycle exists just *below* it (subcritical)."""
    result = run_claim(get_claim("generic.period-doubling-criterion"))
    cubic = sp.sympify(result.outcome.details["cubic_coefficient"], locals={n: sp.Symbol(n) for n in ("f2", "f3", "f4")})
    f2, f3, f4 = sp.symbols("f2 f3 f4")
    assert cubic.subs({f2: 1, f3: 0, f4: -2}) < 0  # logcosh: attracting at criticality → supercritical
    assert cubic.subs({f2: 1, f3: 0, f4: 1}) > 0  # cosh: repelling → subcritical
    # 2-cycle ±c of x ↦ x − η f'(x) solves 2c = η f'(c)
    c = mpmath.findroot(lambda c: 2 * c - 2.05 * mpmath.tanh(c), 0.5)
    assert abs(c) > 0.1 and abs((1 - 2.05 / mpmath.cosh(c) ** 2) ** 2) < 1  # stable cycle above η = 2
    c = mpmath.findroot(lambda c: 2 * c - 1.95 * mpmath.sinh(c), 0.5)
    assert abs(c) > 0.1 and abs((1 - 1.95 * mpmath.cosh(c)) ** 2) > 1  # unstable cycle below η = 2


@pytest.mark.parametrize(
    "loss, requirement, holds, text",
    [
        ("huber", "C1", True, ""),
        ("huber", "C2", False, "jumps at s = "),
        ("huber", "convex", True, ""),
        ("sqrt1p", "C2", True, ""),
        ("sqrt1p", "bounded_slope", True, ""),
        ("square", "bounded_slope", False, "oo"),
        ("logcosh", "convex", True, ""),
    ],
)
def test_loss_requirements(loss, requirement, holds, text):
    result, reason = check_requirement(get_loss(loss), requirement)
    assert result is holds
    assert text in reason


@pytest.mark.parametrize(
    "expression, requirement, holds",
    [("abs(s)", "C1", False), ("(1-s)**2/2", "even", False), ("(1-s)**2/2", "critical_at_0", False),
     ("s**4", "curved_at_0", False), ("s**2 + abs(s)**3", "C2", True), ("s**2 + abs(s)**3", "C4_at_0", False)],
)
def test_requirements_of_custom_losses(expression, requirement, holds):
    assert check_requirement(get_loss(expression=expression, require_smooth=False), requirement)[0] is holds


def test_claim_with_unmet_requirement_is_never_verified():
    result = run_claim(get_claim("single-neuron.sharpness-on-minimizers"), get_loss(expression="abs(s)", require_smooth=False))
    assert result.status == "not_checkable"
    assert "ℓ' jumps at s = 0" in result.outcome.message


def test_failing_check_becomes_error_not_crash():
    def broken(context):
        raise ZeroDivisionError("boom")

    result = run_claim(Claim(id="test.broken", statement="s", latex="", model="m", assumptions=(), kind="a", check=broken))
    assert result.status == "error" and "ZeroDivisionError: boom" in result.outcome.message


def test_registry_rejects_duplicates_and_bad_kinds():
    with pytest.raises(ValueError):
        register(get_claim("single-neuron.map"))
    with pytest.raises(ValueError):
        Claim(id="x", statement="", latex="", model="", assumptions=(), kind="e", check=lambda c: None)
    with pytest.raises(ValueError):
        Outcome("proved", "")


# ------------------------------------------------------------------------------------------ mean model

def _test_double_mean_model(loss=None, loss_expr=None, params=None):
    """A mean model declared in this test from docs/reference_values.md §3 (r = bΦ + φ typed in), used only to exercise
    the claims where the project's own mean-model is not installed."""
    d_value = int(params.get("d", 200))
    a_minus, a_plus, b = sp.symbols("a_minus a_plus b", real=True)
    s = sp.Symbol("s", real=True)
    ell = derived_function("ell", sp.log(2 * sp.cosh(s / 2)), s)
    bv = sp.Symbol("b", real=True)
    r = derived_function("r", bv * (1 + sp.erf(bv / sp.sqrt(2))) / 2 + sp.exp(-bv**2 / 2) / sp.sqrt(2 * sp.pi), bv)
    d = sp.Symbol("d", positive=True)
    inner = d * (a_minus + a_plus) * r(b)
    return Model("mean-model", (a_minus, a_plus, b), ell(inner), functions=(ell, r), inner=inner, outer=ell,
                 oscillating=a_minus + a_plus, minimizer_branch={a_plus: -a_minus}, constants={"d": sp.Integer(d_value)})


REFERENCE_B_INF = {0.5: -1.5e-5, 0.9: -7.3e-5, 1.1: -0.03836, 2.0: -0.26198, 3.0: -0.40244, 8.0: -0.71414}


def _check_mean_model_results():
    outcomes = {}
    for claim_id in MEAN_MODEL_IDS:
        result = run_claim(get_claim(claim_id))
        expected = "evidence" if get_claim(claim_id).kind == "d" else "verified"
        assert result.status == expected, (claim_id, result.outcome.message)
        outcomes[claim_id] = result.outcome
    outcome = outcomes["mean-model.bias-law"]
    for row in outcome.details["rows"]:
        assert row["b_inf"] == pytest.approx(REFERENCE_B_INF[row["eta_over_eta_c"]], abs=2e-3)  # docs/reference_values.md §3
    assert outcome.details["eta_c"] == pytest.approx(8 * 3.141592653589793 / 200**2, rel=1e-12)


def test_mean_model_claims():
    _check_mean_model_results()


def test_mean_model_claims_on_a_test_double(monkeypatch):
    monkeypatch.setitem(MODEL_BUILDERS, "mean-model", _test_double_mean_model)
    _check_mean_model_results()


def test_mean_model_wrong_model_is_refuted(monkeypatch):
    """A mean model with the wrong Gaussian expectation (r = φ only) must not pass."""

    def wrong(loss=None, loss_expr=None, params=None):
        model = _test_double_mean_model(params=params)
        bv = model.functions[1].var
        r_bad = derived_function("r", sp.exp(-bv**2 / 2) / sp.sqrt(2 * sp.pi), bv)
        a_minus, a_plus, b = model.state
        d = sp.Symbol("d", positive=True)
        inner = d * (a_minus + a_plus) * r_bad(b)
        return Model("mean-model", model.state, model.outer(inner), functions=(model.outer, r_bad), inner=inner,
                     outer=model.outer, minimizer_branch={a_plus: -a_minus}, constants=model.constants)

    monkeypatch.setitem(MODEL_BUILDERS, "mean-model", wrong)
    result = run_claim(get_claim("mean-model.gaussian-expectation"))
    assert result.status == "refuted"
    assert "b" in result.outcome.counterexample["point"]


# ------------------------------------------------------------------------------------------ renderings

def test_docs_claims_md_is_up_to_date():
    with open(os.path.join(ROOT, "docs", "claims.md"), encoding="utf-8") as handle:
        assert handle.read() == claims_markdown(), "regenerate with: eoscope verify --write-docs"


def test_latex_report_is_self_contained_ascii():
    results = [run_claim(get_claim(i), get_loss("huber")) for i in ("single-neuron.map", "single-neuron.eos-limit")]
    results.append(run_claim(_wrong_invariant_claim(+1), get_loss("sqrt1p")))
    text = latex_report(results)
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    assert all(ord(ch) < 128 for ch in text)
    for env in ("document", "equation*", "gathered", "longtable"):
        assert text.count(rf"\begin{{{env}}}") == text.count(rf"\end{{{env}}}") > 0
    assert _braces_balanced(text)
    assert "single-neuron.eos-limit" in text and "Counterexample" in text and "not\\_checkable" in text


def _braces_balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\[{}]|[{}]", text):
        token = match.group()
        if token in ("\\{", "\\}"):
            continue
        depth += 1 if token == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def test_user_claims_file_registers(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "from eoscope.derivations.claims import Claim, Outcome, register\n"
        "register(Claim(id='user.trivial', statement='1 = 1', latex='1 = 1', model='none', assumptions=(),\n"
        "               kind='a', check=lambda context: Outcome('verified', 'ok')))\n"
    )
    try:
        added = _registry.load_claims_file(str(path))
        assert [c.id for c in added] == ["user.trivial"]
        assert added[0].source == str(path)
        assert run_claim(added[0]).status == "verified"
        assert "user.trivial" not in claims_markdown()  # docs list built-in claims only
    finally:
        _registry._REGISTRY.pop("user.trivial", None)


def test_generic_identity_refuted_with_unknown_function_values():
    """Without a concrete loss the counterexample assigns a value to ℓ'(xy) itself (any C¹ ℓ can take it)."""
    model = single_neuron(get_loss("sqrt1p"))
    x, y = model.state
    g = model.outer.heads[1](x * y)
    x1, y1 = derive(model).generic["gd_map"]
    outcome = identity_outcome(x1**2 - y1**2 - (1 + ETA**2 * g**2) * (x**2 - y**2))
    assert outcome.status == "refuted"
    point = {k: sp.Rational(v) for k, v in outcome.counterexample["point"].items()}
    G = sp.Symbol("G")
    residual = ((x - ETA * G * y) ** 2 - (y - ETA * G * x) ** 2 - (1 + ETA**2 * G**2) * (x**2 - y**2)).subs(
        {x: point["x"], y: point["y"], ETA: point["eta"], G: point["ell'(x*y)"]})
    assert residual != 0
    assert float(residual) == pytest.approx(float(outcome.counterexample["value"]), rel=1e-12)


def test_latex_text_escapes():
    from eoscope.derivations.claims._report import latex_text

    text = latex_text("ℓ''(0) > 0, |x| < 1, 50% & a_b {c}")
    assert all(ord(ch) < 128 for ch in text)
    assert "~" not in text  # ordinary spaces stay breakable
    assert r"\%" in text and r"\&" in text and r"a\_b" in text and r"\{c\}" in text and r"\ensuremath{\ell}" in text
