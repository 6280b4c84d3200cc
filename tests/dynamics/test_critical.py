"""Issue 5: the critical step size, symbolic and as a bisection bracket (acceptance cases)."""
import math

import pytest

from eoscope.derivations import InputError, build_model, custom_map, get_loss, single_neuron
from eoscope.dynamics import Status, critical_step_size


@pytest.mark.parametrize("loss", ["sqrt1p", "logcosh"])
@pytest.mark.parametrize("y0", [1.0, 2.0, 5.0])
def test_single_neuron_bracket_agrees_with_symbolic(loss, y0):
    x0 = 1e-4
    result = critical_step_size(single_neuron(get_loss(loss)), {"x": x0, "y": y0})
    expected = 2 / (1.0 * (y0**2 - x0**2))  # ℓ''(0) = 1 for both losses
    assert result.eta_c_symbolic == pytest.approx(expected, rel=1e-14)
    lo, hi = result.bracket
    assert result.status == Status.BRACKETED == "bracketed"
    assert (hi - lo) <= 1e-10 * min(1.0, hi)
    assert abs(lo - expected) / expected < 1e-6 and abs(hi - expected) / expected < 1e-6
    assert result.outcome_lo["outcome"] in {"stable", "stable_running"}
    assert result.outcome_hi["outcome"] in {"edge", "unstable_running", "diverged"}
    assert "y0" in result.eta_c_expr and "x0" in result.eta_c_expr


def test_offset_grows_with_x0():
    model = single_neuron(get_loss("sqrt1p"))
    offsets = []
    for x0 in (1e-3, 1e-2, 1e-1):
        result = critical_step_size(model, {"x": x0, "y": 2.0}, tol=1e-8)
        offsets.append(result.relative_difference)
    assert offsets[0] < offsets[1] < offsets[2]
    assert offsets[2] > 1e-4


def test_custom_map_and_bad_tolerance_rejected():
    with pytest.raises(InputError, match="custom map"):
        critical_step_size(custom_map("eta*x*(1-x)", "x"), {"x": 0.5})
    with pytest.raises(InputError, match="tol"):
        critical_step_size(single_neuron(get_loss("sqrt1p")), {"x": 1e-4, "y": 2.0}, tol=0)
    with pytest.raises(InputError, match="bracket"):
        critical_step_size(single_neuron(get_loss("sqrt1p")), {"x": 1e-4, "y": 2.0}, eta_range=(0.6, 0.7))


def test_mean_model_bracket_finds_8pi_over_d2():
    d = 200
    model = build_model("mean-model", params={"d": d})
    names = model.state_names
    init = {names[0]: 1e-5, names[1]: 1e-5, names[2]: 0.0}
    result = critical_step_size(model, init)
    eta_c = 8 * math.pi / d**2
    assert result.eta_c_symbolic == pytest.approx(eta_c, rel=1e-12)
    lo, hi = result.bracket
    assert result.status == Status.BRACKETED == "bracketed"
    assert abs(lo - eta_c) / eta_c < 1e-6 and abs(hi - eta_c) / eta_c < 1e-6


def test_mean_model_minimiser_loses_stability_at_8pi_over_d2():
    from eoscope.dynamics import continue_orbit

    d = 200
    model = build_model("mean-model", params={"d": d})
    names = model.state_names
    start = {names[0]: 0.0, names[1]: 0.0, names[2]: 0.0}
    result = continue_orbit(model, 3e-4, start, 1, (3e-4, 1e-3), max_period=1)
    pd = [p for p in result.points if p.type == "PD"]
    assert len(pd) == 1
    assert pd[0].eta == pytest.approx(8 * math.pi / d**2, rel=1e-10)
