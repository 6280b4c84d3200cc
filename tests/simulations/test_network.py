"""issue 4: the sparse-coding ReLU network (docs/reference_values.md §2) against an O(n·d) numpy reference."""
import math

import numpy as np
import pytest
from scipy.special import ndtr

from eoscope.derivations import build_model, derive
from eoscope.simulations._mean_model_sweep import critical_eta, mean_model_limits, threshold_law_bias
from eoscope.simulations._network import initial_state, make_data, network_sweep, network_terms
from .network_reference import numpy_gd, numpy_terms

D, N, LAM = 200, 300, 3.0
ETA_C = 8 * math.pi / D**2


@pytest.fixture(scope="module")
def data():
    return make_data(D, N, LAM, seed=0)


@pytest.fixture(scope="module")
def figure_sweep(data):
    """The acceptance sweep: 41 η log-spaced in [1e-4, 1.2e-2], T = 10/η."""
    return network_sweep(np.geomspace(1e-4, 1.2e-2, 41), data=data)


def test_data_is_seeded_and_has_the_signal_coordinate():
    a, b = make_data(30, 40, 3.0, seed=5, n_test=50), make_data(30, 40, 3.0, seed=5, n_test=50)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(make_data(30, 40, 3.0, seed=6).x_train, a.x_train)
    assert a.x_train.shape == (40, 30) and a.x_test.shape == (50, 30)
    assert set(np.unique(a.y_train)) <= {-1.0, 1.0}
    # the signal: y·x has one coordinate shifted by λ; with λ = 50 it is the row's arg-max
    big = make_data(30, 40, 50.0, seed=5)
    assert np.all(np.max(big.y_train[:, None] * big.x_train, axis=1) > 40)


def test_critical_eta_is_the_derived_one():
    records = derive(build_model("mean-model", params={"d": D})).records()
    assert critical_eta(D) == pytest.approx(float(records["critical_eta"]), rel=1e-15)


@pytest.mark.parametrize("point", [(0.005, -0.049, 0.0), (-0.8, 1.1, -0.7), (0.3, 0.2, 0.45), (-0.4, 0.43, -1.8)])
def test_fast_terms_match_the_numpy_reference(data, point):
    loss, grad, hess = network_terms(point, data)
    ref_loss, ref_grad, ref_hess = numpy_terms(point, data.x_train, data.y_train)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(hess, ref_hess, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("point", [(0.005, -0.049, 0.0123), (-0.8, 1.1, -0.7), (-0.4, 0.43, -1.8)])
def test_gradient_and_hessian_match_finite_differences(data, point):
    h = 1e-7
    _, grad, hess = network_terms(point, data)
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        up, down = np.array(point) + step, np.array(point) - step
        fd_grad = (network_terms(up, data)[0] - network_terms(down, data)[0]) / (2 * h)
        assert grad[i] == pytest.approx(fd_grad, rel=1e-5, abs=1e-7)
        fd_col = (network_terms(up, data)[1] - network_terms(down, data)[1]) / (2 * h)
        np.testing.assert_allclose(hess[:, i], fd_col, rtol=1e-4, atol=1e-4 * np.abs(hess).max())
    assert np.allclose(hess, hess.T)


@pytest.mark.parametrize(
    "eta, factor, init",
    [
        (1.2e-2, 10.0, None),
        (2e-3, 2.0, None),
        (3e-3, 2.0, {"a_minus": -0.3, "a_plus": 0.05, "b": -1.5}),
        (3e-3, 2.0, {"a_minus": 0.02, "a_plus": 0.03, "b": 0.8}),
    ],
)
def test_sweep_final_state_matches_plain_numpy_gd(data, eta, factor, init):
    sweep = network_sweep([eta], data=data, steps_factor=factor, init=init)
    steps = int(math.ceil(factor / eta))
    assert sweep.steps[0] == steps
    reference = numpy_gd(data.x_train, data.y_train, eta, steps, sweep.init)
    np.testing.assert_allclose([sweep.a_minus[0], sweep.a_plus[0], sweep.b_final[0]], reference, rtol=1e-9, atol=1e-11)
    assert abs(sweep.b_final[0] - sweep.init["b"]) > 0.1  # the pointers really walked


def test_parallel_sweep_equals_single_runs(data, figure_sweep):
    for i in (0, 17, 40):
        alone = network_sweep([figure_sweep.etas[i]], data=data)
        assert alone.b_final[0] == figure_sweep.b_final[i]
        assert alone.final_sharpness[0] == figure_sweep.final_sharpness[i]


def test_recorded_sharpness_is_lambda_max_of_the_hessian(data, figure_sweep):
    i = 20
    history = figure_sweep.history(i)
    assert history["step"][1] - history["step"][0] == figure_sweep.record_every
    for k in (0, len(history["step"]) // 2, -1):
        point = (history["a_minus"][k], history["a_plus"][k], history["b"][k])
        _, _, hess = numpy_terms(point, data.x_train, data.y_train)
        assert history["sharpness"][k] == pytest.approx(np.linalg.eigvalsh(hess)[-1], rel=1e-9)
    assert history["step"][-1] == figure_sweep.steps[i]


def test_figure_one_onset_of_negative_bias_is_at_eta_c(figure_sweep):
    ratios = figure_sweep.etas / ETA_C
    b = figure_sweep.b_final
    plateau = b[0]
    below = ratios < 1
    assert np.ptp(b[below]) < 0.01  # below η_c the final bias does not depend on η
    onset = ratios[np.argmax(b < plateau - 0.01)]  # first η whose bias leaves the plateau
    assert 0.9 <= onset <= 1.1
    assert b[-1] < plateau - 1.0  # well above η_c: a clearly negative threshold
    baseline = ndtr(LAM / math.sqrt(D))
    assert figure_sweep.test_accuracy[-1] > baseline + 0.1
    assert abs(figure_sweep.test_accuracy[0] - baseline) < 0.03


def test_final_sharpness_sits_below_two_over_eta(figure_sweep):
    half = figure_sweep.etas * figure_sweep.final_sharpness / 2
    assert np.all(half < 1.0)
    above = figure_sweep.etas > 1.5 * ETA_C
    assert np.all(half[above] < 0.6)  # well below the edge at the end (see docs/two_layer.md)
    # but during training the edge was reached: max over the history of η·S/2 ≈ 1 at 2η_c
    i = int(np.argmin(np.abs(figure_sweep.etas / ETA_C - 2)))
    peak = figure_sweep.etas[i] * max(figure_sweep.history(i)["sharpness"]) / 2
    assert 0.95 <= peak <= 1.1


def test_network_reaches_the_edge_where_the_mean_model_settles(figure_sweep):
    """The bridge: above η_c the network's b at its edge moment equals the mean model's b∞ (same init)."""
    above = np.flatnonzero((figure_sweep.etas > 1.15 * ETA_C))
    rows = mean_model_limits(figure_sweep.etas[above], D, figure_sweep.init)
    for i, row in zip(above, rows):
        step, b_edge, half = figure_sweep.edge_moment(i)
        assert 0.85 <= half <= 1.02  # records every 20 steps: the peak is sampled coarsely at large η
        assert b_edge == pytest.approx(row["b_inf"], abs=0.02)
        assert figure_sweep.b_final[i] < b_edge - 0.1  # ... and then keeps drifting (docs/two_layer.md)
    assert figure_sweep.edge_moment(0)[0] == -1 and math.isnan(figure_sweep.edge_moment(0)[1])


def test_mean_model_overlay_follows_the_law_above_threshold():
    init = {"a_minus": 1 / (2 * D), "a_plus": 1 / (2 * D), "b": 0.0}
    rows = mean_model_limits(np.array([0.5, 2.0, 3.0]) * ETA_C, D, init)
    assert abs(rows[0]["b_inf"]) < 1e-3 and math.isnan(rows[0]["law_b"])
    assert rows[1]["b_inf"] == pytest.approx(-0.26198, abs=2e-3)
    assert rows[2]["law_b"] == pytest.approx(-0.40032, abs=1e-4)
    assert threshold_law_bias(1.0) == 0.0


def test_initial_state_variance():
    draws = np.array([[initial_state(D, s)["a_plus"], initial_state(D, s)["a_minus"]] for s in range(400)])
    assert draws.var() == pytest.approx(1 / (2 * D), rel=0.15)
    assert initial_state(D, 3) == initial_state(D, 3)


def test_network_sweep_is_a_result_with_a_dataset(data):
    from eoscope.dynamics._result import Result, Status

    seen = []
    sweep = network_sweep([2e-3, 5e-3, 1e-2], data=data, steps_factor=0.5, progress=lambda done, total: seen.append(done))
    assert isinstance(sweep, Result) and sweep.status is Status.OK and seen[-1] == 3
    record = sweep.to_dict()
    assert record["model"]["model"] == "sparse-coding-network" and record["status"] == "ok"
    assert "history_loss" not in record and record["version"]
    ds = sweep.to_dataset()
    assert ds["b_final"].dims == ("eta",) and ds["history_loss"].dims == ("eta", "record")
    for name in ds.variables:
        assert ds[name].attrs.get("units") == "1" and ds[name].attrs.get("long_name"), name
    for i in range(3):
        k = int(sweep.n_records[i])
        assert ds["step"].values[i, :k].tolist() == sweep.history(i)["step"]
        assert ds["history_b"].values[i, :k].tolist() == sweep.history(i)["b"]
        assert np.isnan(ds["history_b"].values[i, k:]).all()
