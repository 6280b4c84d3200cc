"""issue 4: `eoscope network`, `eoscope simulate mean-model`, `eoscope derive mean-model` in a subprocess."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "eoscope", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--d", "0", "--eta", "1e-3"], "--d must be"),
        (["--n", "0", "--eta", "1e-3"], "--n must be"),
        (["--lam", "-1", "--eta", "1e-3"], "--lam must be"),
        (["--eta", "1e-2:1e-3:5"], "larger than its end"),
        (["--eta", "1e-3:1e-2:0"], "n must be ≥ 1"),
        (["--eta", "0:1e-2:3"], "must be > 0"),
        (["--eta", "0:1e-2:3", "--eta-scale", "log"], "> 0"),
        (["--eta", "abc"], "must be a number"),
        (["--eta", "1e-3", "--plot", "/nonexistent/dir/f.png"], "does not exist"),
        (["--d", "1.5", "--eta", "1e-3"], "integer ≥ 1"),
        (["--eta", "1e-6:1e-5:30", "--record-every", "1"], "raise record_every"),
        (["--eta", "1e-9"], "max_steps"),
    ],
)
def test_network_bad_input_exits_2(args, message, tmp_path):
    result = _run("network", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_network_json_records_and_outputs(tmp_path):
    plot, out = tmp_path / "fig.png", tmp_path / "run.json"
    result = _run("network", "--d", "40", "--n", "60", "--eta", "0.005:0.05:3", "--eta-scale", "log",
                  "--steps-factor", "2", "--n-test", "100", "--json", "--plot", str(plot), "--out", str(out))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["inputs"]["d"] == 40 and payload["status"] == "ok"
    assert len(payload["records"]) == 3
    for key in ("eta", "b_final", "a_plus", "a_minus", "train_accuracy", "test_accuracy", "final_sharpness"):
        assert all(key in record for record in payload["records"])
    assert [r["eta"] for r in payload["records"]] == pytest.approx([0.005, 0.005 * 10**0.5, 0.05])
    assert plot.stat().st_size > 10_000
    saved = json.loads(out.read_text())
    assert len(saved["histories"]) == 3 and saved["records"] == payload["records"]


def test_simulate_mean_model_reproduces_reference_row():
    eta = 2 * 8 * 3.141592653589793 / 200**2
    result = _run("simulate", "mean-model", "--param", "d=200", "--eta", repr(eta),
                  "--init", "a_minus=0.0025,a_plus=0.0025,b=0", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "converged"
    assert payload["final"]["b"] == pytest.approx(-0.26198, abs=2e-3)
    assert 0.99 <= payload["eta_sharpness_half"] <= 1.0


def test_derive_mean_model_json_shows_the_chain():
    result = _run("derive", "mean-model", "--param", "d=200", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["critical_eta"] == "pi/5000"
    assert "b*Phi(b)" in payload["relu_mean"] and "Integral" in payload["relu_mean_integral"]
    assert payload["label_averaged_loss_closed_form"] == "Eq(ell_sym(s), log(2*cosh(s/2)))"
    assert payload["invariant"] == "a_minus - a_plus"


def test_mean_model_bad_width_exits_2():
    result = _run("derive", "mean-model", "--param", "d=0.5")
    assert result.returncode == 2 and "d must be" in result.stderr
    result = _run("simulate", "mean-model", "--eta", "0.1", "--init", "a_minus=0,a_plus=0,b=0")
    assert result.returncode == 2 and "width d" in result.stderr
