"""Issue 5: the `bifurcation`, `continue` and `critical` verbs in a subprocess (JSON keys, exit codes)."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def eoscope(*args, timeout=300):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "eoscope", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


LOGISTIC = ["--map-expr", "eta*x*(1-x)", "--state", "x"]


def test_continue_logistic_json():
    run = eoscope("continue", *LOGISTIC, "--from-orbit", "x=0.5", "--eta", "2.5", "--eta-range", "2.5:3.5",
                  "--max-period", "4", "--json")
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    points = record["points"]
    assert [p["type"] for p in points] == ["PD", "PD"]
    for p in points:
        assert set(p) >= {"type", "eta", "period", "state"}
    assert abs(points[0]["eta"] - 3) < 1e-9 and points[0]["period"] == 1
    assert abs(points[1]["eta"] - (1 + math.sqrt(6))) < 1e-9 and points[1]["period"] == 2
    assert points[1]["state"].keys() == {"x"}


def test_continue_text_and_plot(tmp_path):
    plot = tmp_path / "c.png"
    run = eoscope("continue", *LOGISTIC, "--from-orbit", "x=0.5,eta=2.8", "--eta-range", "2.5:3.1",
                  "--plot", str(plot))
    assert run.returncode == 0, run.stderr
    assert "PD" in run.stdout and plot.stat().st_size > 1000


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--from-orbit", "x=0.5", "--eta", "2.5", "--period", "0", "--eta-range", "2.5:3"], "period must be an integer ≥ 1"),
        (["--from-orbit", "x=0.5", "--eta", "2.5", "--eta-range", "2.6:3"], "does not contain the start"),
        (["--from-orbit", "x=0.5", "--eta", "2.5", "--eta-range", "3:2"], "a < b"),
        (["--from-orbit", "y=0.5", "--eta-range", "2.5:3"], "init must set exactly x"),
    ],
)
def test_continue_bad_input(args, fragment):
    run = eoscope("continue", *LOGISTIC, *args)
    assert run.returncode == 2
    assert fragment in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_continue_newton_failure_reports_residual():
    run = eoscope("continue", "--map-expr", "x + 1 + eta*x**2", "--state", "x", "--from-orbit", "x=0.3",
                  "--eta", "1", "--eta-range", "0.5:2")
    assert run.returncode == 1  # a numerical failure (ConvergenceError), not bad input (2)
    assert len(run.stderr.strip().splitlines()) == 1 and run.stderr.startswith("eoscope: error:")
    assert "did not converge" in run.stderr and "residual" in run.stderr


def test_bad_map_expression():
    run = eoscope("continue", "--map-expr", "eta*x*(1-x) + __import__('os')", "--state", "x", "--from-orbit", "x=0.5",
                  "--eta-range", "2.5:3")
    assert run.returncode == 2 and "not allowed" in run.stderr
    run = eoscope("continue", "single-neuron", "--map-expr", "eta*x", "--state", "x", "--from-orbit", "x=0.5",
                  "--eta-range", "2.5:3")
    assert run.returncode == 2 and "not both" in run.stderr


def test_bifurcation_json_and_outputs(tmp_path):
    out, plot = tmp_path / "d.npz", tmp_path / "d.png"
    run = eoscope("bifurcation", *LOGISTIC, "--eta", "2.95:3.95:11", "--init", "x=0.3", "--transient", "2000",
                  "--keep", "32", "--out", str(out), "--plot", str(plot), "--json")
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert len(record["eta"]) == 11 and len(record["values"]["x"][0]) == 32
    assert record["period_estimate"][0] == 1 and record["period_estimate"][1] == 2
    assert len(record["lyapunov"]) == 11
    assert out.stat().st_size > 0 and plot.stat().st_size > 1000


def test_bifurcation_single_neuron_sharpness_keys():
    run = eoscope("bifurcation", "single-neuron", "--loss", "sqrt1p", "--eta", "0.1:0.3:3", "--init", "x=0.1,y=4",
                  "--observable", "x*y,eta_sharpness_half", "--transient", "5000", "--keep", "4", "--json")
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert set(record) >= {"eta_sharpness_half", "sharpness_deficit", "sharpness_final", "values"}
    assert set(record["values"]) == {"inner", "eta_sharpness_half"}
    for eta, ratio, deficit, s in zip(record["eta"], record["eta_sharpness_half"], record["sharpness_deficit"],
                                      record["sharpness_final"]):
        assert ratio == pytest.approx(eta * s / 2) and deficit == pytest.approx(2 / eta - s)


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--eta", "1:2", "--init", "x=0.3"], "a:b:n"),
        (["--eta", "2:3:0", "--init", "x=0.3"], "count"),
        (["--eta", "2:3:5", "--init", "x=0.3", "--observable", "loss"], "unknown observable"),
        (["--eta", "2:3:5", "--init", "x=0.3", "--keep", "0"], "keep"),
    ],
)
def test_bifurcation_bad_input(args, fragment):
    run = eoscope("bifurcation", *LOGISTIC, *args)
    assert run.returncode == 2 and fragment in run.stderr and "Traceback" not in run.stderr


def test_critical_json_keys():
    run = eoscope("critical", "single-neuron", "--loss", "logcosh", "--init", "x=1e-4,y=2", "--json")
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert set(record) >= {"eta_c_symbolic", "eta_c_expr", "bracket"}
    lo, hi = record["bracket"]
    assert lo < hi and (hi - lo) <= 1e-10 * min(1.0, hi)
    expected = 2 / (4 - 1e-8)
    assert record["eta_c_symbolic"] == pytest.approx(expected, rel=1e-14)
    assert abs(0.5 * (lo + hi) - expected) / expected < 1e-6
    text = eoscope("critical", "single-neuron", "--loss", "logcosh", "--init", "x=1e-4,y=2")
    assert text.returncode == 0 and "bracket" in text.stdout and "agreement" in text.stdout


def test_critical_bad_input():
    run = eoscope("critical", *LOGISTIC, "--init", "x=0.5")
    assert run.returncode == 2 and "custom map" in run.stderr
    run = eoscope("critical", "single-neuron", "--loss", "sqrt1p", "--init", "x=1e-4,y=2", "--tol", "2")
    assert run.returncode == 2 and "--tol" in run.stderr
