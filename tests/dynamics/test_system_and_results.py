"""Issue 11: one compiled System per model, `init` everywhere, results on one base, xarray datasets with units,
validation naming the parameter, option objects, and numerical failure reported as such (not as bad input)."""
import math
import subprocess
import sys

import numpy as np
import pytest

from eoscope.derivations import ConvergenceError, InputError, build_model, custom_map, kernel_path
from eoscope.dynamics import (
    ContinuationOptions,
    GridOptions,
    Status,
    System,
    compile,
    continue_orbit,
    critical_step_size,
    grid_run,
    lyapunov_exponents,
    orbit_diagram,
    periodic_orbit,
    trajectory,
)

LOGISTIC = custom_map("eta*x*(1-x)", "x")


@pytest.fixture(scope="module")
def sqrt1p():
    return build_model("single-neuron", loss="sqrt1p")


def test_compile_is_one_cached_system_whose_kernels_load_lazily(sqrt1p):
    system = compile(sqrt1p)
    assert isinstance(system, System) and system.model.hash == sqrt1p.hash
    assert compile(sqrt1p) is system and compile(system) is system
    assert compile(build_model("single-neuron", loss="sqrt1p")) is system  # keyed by model.hash
    assert system.spine is system.spine and system.dynamics is system.dynamics and system.grid is system.grid
    assert system.spine.path == str(kernel_path(sqrt1p))
    assert system.grid.__file__ == str(kernel_path(sqrt1p, "grid"))
    assert system.dynamics.__file__ == str(kernel_path(sqrt1p, "dynamics"))
    assert kernel_path(sqrt1p, "grid", 32).name.endswith("_b32.py")
    with pytest.raises(InputError, match="kind"):
        kernel_path(sqrt1p, "nope")
    with pytest.raises(InputError, match="model"):
        compile("single-neuron")


def test_every_verb_accepts_a_model_or_a_system_and_init_as_dict_or_array(sqrt1p):
    system = compile(sqrt1p)
    init = {"x": 0.1, "y": 2.0}
    a = trajectory(sqrt1p, 0.1, init, max_steps=50)
    b = trajectory(system, 0.1, [0.1, 2.0], max_steps=50)
    assert np.array_equal(a.history_state, b.history_state) and b.init == init
    assert a.model is sqrt1p and b.model is system.model  # the caller's Model, else the System's
    grid = grid_run(system, [0.1, 0.2], {"x": 0.1, "y": [2.0, 3.0]}, {"max_steps": 100})
    same = grid_run(sqrt1p, [0.1, 0.2], np.array([[0.1, 2.0], [0.1, 3.0]]), GridOptions(max_steps=100))
    assert np.array_equal(grid.state, same.state) and grid.options.max_steps == 100
    assert grid_run(sqrt1p, [0.1, 0.2], [0.1, 2.0], max_steps=10).state.shape == (2, 2)  # one state for all
    logistic = compile(LOGISTIC)
    assert periodic_orbit(logistic, 3.2, [0.5], 2).converged
    assert lyapunov_exponents(logistic, 2.5, {"x": 0.3}, steps=100).status == Status.BOUNDED
    assert orbit_diagram(logistic, [2.5], [0.3], transient=10, keep=4).values.shape == (1, 4, 1)
    assert continue_orbit(logistic, 2.5, [0.5], 1, (2.5, 2.9), max_period=1).status == Status.COMPLETED
    assert critical_step_size(system, [1e-4, 2.0], tol=1e-6).status == Status.BRACKETED


@pytest.mark.parametrize(
    "call, parameter",
    [
        (lambda m: trajectory(m, 0.0, {"x": 0.1, "y": 1.0}), "eta"),
        (lambda m: trajectory(m, 0.1, {"x": 0.1, "y": 1.0}, max_steps=-1), "max_steps"),
        (lambda m: trajectory(m, 0.1, {"x": 0.1}), "init"),
        (lambda m: trajectory(m, 0.1, [0.1, 1.0, 2.0]), "init"),
        (lambda m: grid_run(m, [0.1], [[0.1]]), "init"),
        (lambda m: grid_run(m, [0.1], [[0.1, 1.0]], max_steps=2.5), "max_steps"),
        (lambda m: periodic_orbit(m, 0.1, {"x": 0.0, "y": 1.0}, 0), "period"),
        (lambda m: critical_step_size(m, {"x": 1e-4, "y": 2.0}, tol=2), "tol"),
        (lambda m: continue_orbit(m, 0.1, {"x": 0.0, "y": 1.0}, 1, (0.2, 0.3)), "eta_range"),
    ],
)
def test_library_errors_name_the_parameter_not_a_flag(sqrt1p, call, parameter):
    with pytest.raises(InputError) as info:
        call(sqrt1p)
    assert parameter in str(info.value) and "--" not in str(info.value)


def test_results_share_the_base(sqrt1p):
    run = trajectory(sqrt1p, 0.1, {"x": 0.1, "y": 2.0}, max_steps=20)
    record = run.to_dict()
    assert run.model is sqrt1p and record["model"]["hash"] == sqrt1p.hash
    assert record["status"] == "max_steps" and run.status is Status.MAX_STEPS and run.status.description
    assert "history_state" not in record and "history" in run.to_dict(arrays=True)
    assert record["version"] == run.version
    for status in Status:
        assert status.description and str(status) == status.value


def _check_cf(dataset):
    for name, var in {**dataset.data_vars, **dataset.coords}.items():
        assert var.attrs.get("long_name"), name
        assert "units" in var.attrs, name
    assert dataset.attrs["eoscope_version"] and dataset.attrs["model"] and dataset.attrs["status"]


def test_trajectory_dataset(sqrt1p):
    run = trajectory(sqrt1p, 0.1, {"x": 0.1, "y": math.sqrt(30)}, stride=1)
    assert run.stride == 1  # the default keeps every step while it fits in memory
    assert trajectory(sqrt1p, 0.1, {"x": 0.1, "y": math.sqrt(30)}).stride == 1
    ds = run.to_dataset()
    _check_cf(ds)
    assert np.array_equal(ds["step"].values, run.history_step)
    assert np.array_equal(ds["x"].values, run.history_state[:, 0])
    assert np.array_equal(ds["loss"].values, run.history_loss)
    assert np.array_equal(ds["sharpness"].values, run.history_sharpness)
    assert ds.attrs["eta"] == 0.1 and ds.attrs["model"] == "single-neuron"
    thin = run.to_dataset(stride=7)
    assert thin["step"].values[1] == 7 and thin["step"].values[-1] == run.steps


def test_orbit_diagram_dataset_with_flags():
    etas = np.linspace(2.8, 4.5, 6)
    diagram = orbit_diagram(LOGISTIC, etas, {"x": 0.3}, transient=100, keep=8)
    ds = diagram.to_dataset()
    _check_cf(ds)
    assert np.array_equal(ds["x"].values, diagram.values[:, :, 0], equal_nan=True)
    assert np.array_equal(ds["status"].values.astype(bool), diagram.diverged)
    assert ds["status"].attrs["flag_meanings"] == "bounded diverged"
    assert list(ds["status"].attrs["flag_values"]) == [0, 1]
    assert np.array_equal(ds["lyapunov"].values, diagram.lyapunov, equal_nan=True)
    assert np.array_equal(ds["eta"].values, etas)


def test_continuation_dataset_and_options():
    result = continue_orbit(LOGISTIC, 2.5, {"x": 0.5}, 1, (2.5, 3.5), max_period=4)
    ds = result.to_dataset()
    _check_cf(ds)
    assert ds.sizes["point"] == sum(b.eta.size for b in result.branches)
    assert np.array_equal(ds["eta"].values, np.concatenate([b.eta for b in result.branches]))
    assert set(np.unique(ds["branch"].values)) == set(range(len(result.branches)))
    assert "stable" in ds["stability"].attrs["flag_meanings"]
    assert np.allclose(ds["special_eta"].values, [p.eta for p in result.points])
    assert ds["special_type"].attrs["flag_meanings"] == "PD LP"
    coarse = continue_orbit(LOGISTIC, 2.5, {"x": 0.5}, 1, (2.5, 3.5), max_period=1,
                            options=ContinuationOptions(max_step=1 / 10, initial_step=1 / 20))
    assert sum(b.eta.size for b in coarse.branches) < sum(b.eta.size for b in result.branches if b.period == 1)
    assert coarse.points[0].eta == pytest.approx(3.0, abs=1e-9)
    with pytest.raises(InputError, match="unknown continuation options"):
        ContinuationOptions.from_mapping({"ds": 1})
    with pytest.raises(InputError, match="grow"):
        ContinuationOptions(grow=0.9)


def test_lyapunov_and_critical_datasets(sqrt1p):
    spectrum = lyapunov_exponents(LOGISTIC, 4.0, {"x": 0.1234}, steps=1000)
    ds = spectrum.to_dataset()
    _check_cf(ds)
    assert ds["exponent"].values.tolist() == list(spectrum.exponents)
    critical = critical_step_size(sqrt1p, {"x": 1e-4, "y": 2.0}, tol=1e-6)
    ds = critical.to_dataset()
    _check_cf(ds)
    assert tuple(ds["eta"].values) == critical.bracket
    assert "bracket" in critical.message and "certif" not in critical.message


def test_newton_failure_is_a_status_or_a_convergence_error():
    drift = custom_map("x + 1 + eta*x**2", "x")  # no fixed point for η > 1/4
    orbit = periodic_orbit(drift, 1.0, {"x": 0.3}, 1)
    assert orbit.status == Status.NOT_CONVERGED and orbit.to_dict()["status"] == "not_converged"
    with pytest.raises(ConvergenceError, match="residual"):
        continue_orbit(drift, 1.0, {"x": 0.3}, 1, (0.5, 2.0))


def test_cli_reports_a_convergence_error_in_one_line_with_status_1():
    run = subprocess.run(
        [sys.executable, "-m", "eoscope", "continue", "--map-expr", "x + 1 + eta*x**2", "--state", "x",
         "--from-orbit", "x=0.3", "--eta", "1", "--eta-range", "0.5:2"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eoscope: error: Newton") and "Traceback" not in run.stderr


def test_default_stride_is_1_within_the_history_budget_and_said_otherwise(sqrt1p):
    from eoscope.dynamics._trajectory import history_budget

    init = {"x": 0.1, "y": math.sqrt(30)}
    fits = history_budget() // (8 * 5) - 2  # records of (step, x, y, loss, sharpness)
    assert trajectory(sqrt1p, 0.1, init, max_steps=fits).stride == 1
    run = trajectory(sqrt1p, 0.1, init, max_steps=50 * fits)
    assert run.stride == 50 and "every 50 steps" in run.message and run.converged
    assert run.history_step[-1] == run.steps and run.history_step[1] == 50
