"""The CLI of the spine: derive, simulate, reproduce, hostile input, and the kernel cache across processes."""
import json
import math

import pytest

from tests.conftest import run_cli

DERIVE_KEYS = {"map", "jacobian", "hessian", "sharpness_on_minimizers", "invariant", "invariant_factor", "stability_condition"}


def assert_one_line_error(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("eoscope: error:")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("loss", ["sqrt1p", "huber"])
def test_derive_json_has_every_key(loss):
    result = run_cli("derive", "single-neuron", "--loss", loss, "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert DERIVE_KEYS <= set(record)
    assert record["invariant"] == "x**2 - y**2"
    assert record["invariant_identity_residual"] == "0"
    assert record["sharpness_on_minimizers"] == "y**2"
    assert record["critical_eta"] == "2/y**2"
    assert set(record["map"]) == {"x", "y"}
    assert record["latex"]["invariant"] == "x^{2} - y^{2}"


def test_derive_custom_loss_pretty_and_latex():
    pretty = run_cli("derive", "single-neuron", "--loss-expr", "log(1 + s**2)")
    assert pretty.returncode == 0 and "invariant_factor" in pretty.stdout
    latex = run_cli("derive", "single-neuron", "--loss", "logcosh", "--latex")
    assert latex.returncode == 0 and "\\tanh" in latex.stdout and "\\begin{pmatrix}" in latex.stdout


def test_simulate_json_reproduces_reference():
    eta = 0.1
    result = run_cli("simulate", "single-neuron", "--loss", "sqrt1p", "--eta", eta, "--init", f"x=0.1,y={math.sqrt(3 / eta)!r}", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert {"status", "steps", "final", "sharpness", "eta_sharpness_half", "loss_value"} <= set(record)
    assert record["status"] == "converged"
    assert record["command"].startswith("eoscope simulate single-neuron --loss sqrt1p")
    assert set(record["final"]) == {"x", "y"}
    assert record["final"]["y"] ** 2 == pytest.approx(19.899495, rel=1e-5)
    assert record["eta_sharpness_half"] == pytest.approx(eta * record["sharpness"] / 2)


def test_simulate_plot_writes_png(tmp_path):
    out = tmp_path / "run.png"
    result = run_cli("simulate", "single-neuron", "--loss", "logcosh", "--eta", "0.3", "--init", "x=0.1,y=3.2", "--plot", out)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_diverged_status():
    result = run_cli("simulate", "single-neuron", "--loss", "square", "--eta", "1", "--init", "x=0.1,y=2", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["status"] == "diverged"


HOSTILE = [
    ["--loss", "sqrt1p", "--eta", "0", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "-0.1", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "nan", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "inf", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "abc", "--init", "x=0.1,y=2"],
    ["--loss", "nosuchloss", "--eta", "0.1", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=two"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x0.1,y=2"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=2,z=3"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=nan"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=2", "--max-steps", "-5"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=2", "--tol", "0"],
    ["--loss", "sqrt1p", "--eta", "0.1", "--init", "x=0.1,y=2", "--plot", "/nonexistent-dir/x.png"],
    ["--loss-expr", "s +* 2", "--eta", "0.1", "--init", "x=0.1,y=2"],
    ["--loss-expr", "foo(s)", "--eta", "0.1", "--init", "x=0.1,y=2"],
    ["--eta", "0.1", "--init", "x=0.1,y=2"],
    ["--loss", "sqrt1p", "--init", "x=0.1,y=2"],
]


@pytest.mark.parametrize("args", HOSTILE, ids=[" ".join(a) for a in HOSTILE])
def test_hostile_simulate_input_exits_2_with_one_line(args):
    assert_one_line_error(run_cli("simulate", "single-neuron", *args))


def test_unknown_model_and_unknown_command():
    assert_one_line_error(run_cli("simulate", "no-such-model", "--loss", "sqrt1p", "--eta", "0.1", "--init", "x=1,y=1"))
    assert_one_line_error(run_cli("frobnicate"))


def test_injected_loss_expression_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payloads = [
        "__import__('os').system('echo pwned')",
        f"__import__('os').system('touch {marker}')",
        f"exec(\"open('{marker}', 'w')\")",
        "(lambda: __import__('os'))()",
    ]
    for payload in payloads:
        for verb in (["derive", "single-neuron"], ["simulate", "single-neuron", "--eta", "0.1", "--init", "x=0.1,y=2"]):
            result = run_cli(*verb, "--loss-expr", payload)
            assert_one_line_error(result)
            assert "pwned" not in result.stdout
            assert not marker.exists()


def test_second_process_reuses_the_kernel_cache(tmp_path):
    env = {"EOSCOPE_CACHE_DIR": str(tmp_path / "cache")}
    args = ["simulate", "single-neuron", "--loss-expr", "sqrt(1 + s**2) + s**2/8", "--eta", "0.1", "--init", "x=0.1,y=5", "--json"]
    first = run_cli(*args, env=env)
    second = run_cli(*args, env=env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["kernel_cache"] == "miss" and two["kernel_cache"] == "hit"
    assert "cache miss" in first.stderr and "cache hit" in second.stderr
    assert two["compile_seconds"] < 0.2 * one["compile_seconds"]
    assert one["final"] == two["final"]
    kernels = list((tmp_path / "cache" / "kernels").glob("eoscope_single_neuron_*.py"))
    assert len(kernels) == 1
    assert list((tmp_path / "cache" / "kernels" / "__pycache__").glob("*.nbi"))


def test_reproduce_writes_single_neuron_figures(tmp_path):
    result = run_cli("reproduce", "--out", tmp_path, "--only", "single_neuron")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "single_neuron_trajectories.png").exists()
    data = json.loads((tmp_path / "single_neuron_limit_vs_eta.json").read_text())
    sqrt1p = {round(r["eta"], 6): r for r in data["sweeps"]["sqrt1p"]}
    assert sqrt1p[0.01]["normalised_limit"] == pytest.approx(1.0, abs=2e-3)
    assert "single_neuron" in result.stderr  # progress on stderr


def test_reproduce_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(run_cli("reproduce", "--out", blocker / "sub"))
