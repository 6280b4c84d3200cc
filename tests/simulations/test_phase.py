"""Issue 3: sweeps, zarr stores (determinism, kill/resume, dask), classification and `eoscope phase`."""
import dataclasses
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from eoscope.derivations import InputError, build_model, get_loss, single_neuron
from eoscope.derivations._validate import parse_axis
from eoscope.dynamics import grid_run
from eoscope.dynamics._options import GridOptions
from eoscope.simulations._phase_classify import PHASE_CODES, PHASE_LABELS, classify, phase_counts
from eoscope.simulations._sweep import open_sweep, sweep

from ..conftest import ROOT, run_cli

SQRT1P = single_neuron(get_loss("sqrt1p"))
SMALL = dict(eta="0.05:1:12", axes={"x0": "0.1", "y0": "0.5:8:10"}, eta_scale="log", max_steps=4000)


def _tree_digest(path: Path) -> dict:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".eoscope" not in p.relative_to(path).parts  # marker: a random store id
    }


def test_parse_axis_accepts_ranges_and_rejects_bad_ones():
    assert parse_axis("0.1:0.3:3", "--eta").values.tolist() == pytest.approx([0.1, 0.2, 0.3])
    assert parse_axis("0.01:1:3", "--eta", "log").values.tolist() == pytest.approx([0.01, 0.1, 1.0])
    assert parse_axis("2", "--y0").values.tolist() == [2.0]
    for bad in ("1:0:3", "0.1:1:0", "0.1:1:-1", "a:1:3", "0.1:1:x", "1:2", "", "0.1:0.1:3", "nan"):
        with pytest.raises(InputError):
            parse_axis(bad, "--x0")
    for bad in ("0:1:3", "-1:1:3", "0"):
        with pytest.raises(InputError):
            parse_axis(bad, "--eta", positive=True)


def test_classify_rules_from_recorded_outputs():
    status = np.array([0, 0, 0, 0, 3, 1, 2, 4, 0])
    period = np.array([0, 0, 0, 0, 4, 0, 0, 0, 0])
    half = np.array([0.5, 0.97, 0.3, 0.95, 1.2, np.nan, 0.5, 0.5, 0.5])
    loss0 = np.ones(9)
    max_loss = np.array([1, 1.5, 3, 1, 1, 1, 1, 1, 0.9])
    rises = np.array([0, 2, 1, 1, 0, 0, 0, 0, 1])
    phase = classify(status, period, half, loss0, max_loss, rises)
    expected = ["stable", "eos", "catapult", "eos", "periodic", "divergent", "unclassified", "unclassified", "unclassified"]
    assert phase.tolist() == [PHASE_CODES[name] for name in expected]
    assert phase_counts(phase, period) == {"stable": 1, "eos": 2, "catapult": 1, "periodic-4": 1, "unclassified": 3, "divergent": 1}


def test_reference_points_get_their_phase_labels():
    """η = 0.1: y0² = 15 is stable (η y∞²/2 = 0.75), y0² = 30 settles at the edge; (0.1, 2, η = 1) overshoots."""
    ds = sweep(SQRT1P, "0.1", {"x0": "0.1", "y0": f"{math.sqrt(15)}:{math.sqrt(30)}:2"}, max_steps=200_000)
    assert ds["phase"].values.ravel().tolist() == [PHASE_CODES["stable"], PHASE_CODES["eos"]]
    ds = sweep(SQRT1P, "1", {"x0": "0.1", "y0": "2"})
    assert int(ds["phase"].values.ravel()[0]) == PHASE_CODES["catapult"]
    ds = sweep(single_neuron(get_loss("square")), "1", {"x0": "0.1", "y0": "2"})
    assert int(ds["phase"].values.ravel()[0]) == PHASE_CODES["divergent"]


def test_sweep_store_matches_memory_and_is_bit_identical_run_after_run(tmp_path):
    memory = sweep(SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(5, 1, 4))
    first = sweep(SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(5, 1, 4), store=tmp_path / "a.zarr")
    sweep(SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(5, 1, 4), store=tmp_path / "b.zarr")
    assert _tree_digest(tmp_path / "a.zarr") == _tree_digest(tmp_path / "b.zarr")
    for name in memory.data_vars:
        assert np.array_equal(memory[name].values, first[name].values, equal_nan=True), name
        assert memory[name].dims == first[name].dims == ("eta", "x0", "y0")
    assert first["eta"].values.tolist() == pytest.approx(np.geomspace(0.05, 1, 12).tolist())
    manifest = first.attrs["eoscope_manifest"]
    assert manifest["model"]["hash"] == SQRT1P.hash
    assert manifest["model"]["axes"] == {"eta": "0.05:1.0:12 log", "x0": "0.1", "y0": "0.5:8.0:10"}
    assert {"numpy", "numba", "zarr", "xarray", "eoscope"} <= set(manifest["versions"])
    assert "commit" in manifest["git"]
    assert first.attrs["complete"] is True


def test_dask_local_cluster_gives_the_same_store(tmp_path):
    distributed = pytest.importorskip("distributed")
    reference = sweep(SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(4, 1, 5), store=tmp_path / "local.zarr")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = sweep(
                SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(4, 1, 5),
                store=tmp_path / "dask.zarr", scheduler=client,
            )
            address = cluster.scheduler_address
            by_address = sweep(SQRT1P, SMALL["eta"], SMALL["axes"], eta_scale="log", max_steps=4000, tile=(4, 1, 5), scheduler=address)
    assert _tree_digest(tmp_path / "local.zarr") == _tree_digest(tmp_path / "dask.zarr")
    for name in reference.data_vars:
        assert np.array_equal(reference[name].values, remote[name].values, equal_nan=True)
        assert np.array_equal(reference[name].values, by_address[name].values, equal_nan=True)


PHASE_ARGS = ["phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.01:1:160", "--eta-scale", "log",
              "--x0", "0.1", "--y0", "0.2:10:160", "--max-steps", "20000", "--tile-points", "400"]


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    whole = tmp_path / "whole.zarr"
    done = run_cli(*PHASE_ARGS, "--out", whole, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["out"] == str(whole) and sum(summary["counts"].values()) == 160 * 160
    assert summary["seconds"] > 0

    killed = tmp_path / "killed.zarr"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "eoscope", *PHASE_ARGS, "--out", str(killed)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marks = killed / "tile_done" / "c"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if marks.exists() and sum(1 for p in marks.rglob("*") if p.is_file()) >= 3:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = sum(1 for p in marks.rglob("*") if p.is_file())
    assert 3 <= stored < 64  # killed part-way: some tiles stored, not all
    with pytest.raises(InputError, match="incomplete"):
        open_sweep(killed)  # a killed store never looks complete
    again = run_cli(*PHASE_ARGS, "--out", killed)
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = run_cli(*PHASE_ARGS, "--out", killed, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["counts"] == summary["counts"]
    assert _tree_digest(killed) == _tree_digest(whole)


def test_cli_plot_and_text_output(tmp_path):
    out = run_cli("phase", "single-neuron", "--loss", "logcosh", "--eta", "0.05:1:8", "--x0", "0.1", "--y0", "0.5:6:6",
                  "--out", tmp_path / "p.zarr", "--plot", tmp_path / "p.png")
    assert out.returncode == 0, out.stderr
    assert "store:" in out.stdout and (tmp_path / "p.png").stat().st_size > 10_000
    assert "phase:" in out.stderr and "point/s" in out.stderr  # tqdm bar on stderr, with its rate


@pytest.mark.parametrize(
    "args, message",
    [
        (["--eta", "1:0.1:4", "--x0", "0.1", "--y0", "1:2:3"], "larger than its end"),
        (["--eta", "0:1:4", "--x0", "0.1", "--y0", "1:2:3"], "> 0"),
        (["--eta=-1:1:4", "--x0", "0.1", "--y0", "1:2:3"], "> 0"),
        (["--eta", "0.1:1:0", "--x0", "0.1", "--y0", "1:2:3"], "n must be"),
        (["--eta", "0.1:1:4", "--x0", "zero", "--y0", "1:2:3"], "must be a number"),
        (["--eta", "0.1:1:4", "--x0", "0.1"], "missing initial-state axes: y0"),
        (["--eta", "0.1:1:4", "--x0", "0.1", "--y0", "1:2:3", "--axis", "z=1:2:3"], "unknown axis"),
        (["--eta", "0.1:1:4", "--x0", "0.1", "--y0", "1:2:3", "--max-steps", "-5"], "non-negative integer"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, args, message):
    out = run_cli("phase", "single-neuron", "--loss", "sqrt1p", *args, "--out", tmp_path / "bad.zarr")
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_unwritable_out_and_mismatched_resume(tmp_path):
    out = run_cli("phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.1:1:3", "--x0", "0.1", "--y0", "1:2:3",
                  "--out", tmp_path / "missing" / "r.zarr")
    assert out.returncode == 2 and "does not exist" in out.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # root ignores permissions
            out = run_cli("phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.1:1:3", "--x0", "0.1",
                          "--y0", "1:2:3", "--out", locked / "r.zarr")
            assert out.returncode == 2 and "not writable" in out.stderr
    finally:
        locked.chmod(0o700)
    base = ["phase", "single-neuron", "--loss", "sqrt1p", "--x0", "0.1", "--y0", "1:2:3", "--out", tmp_path / "r.zarr"]
    assert run_cli(*base, "--eta", "0.1:1:3").returncode == 0
    other = run_cli(*base, "--eta", "0.1:1:4", "--resume")
    assert other.returncode == 2 and "different arguments" in other.stderr
    assert open_sweep(tmp_path / "r.zarr").sizes["eta"] == 3  # untouched
    # a store of another grid-kernel version (other outputs and variables) is not resumed
    marker = tmp_path / "r.zarr" / ".eoscope" / "store.json"  # the store's ownership marker holds its manifest
    content = json.loads(marker.read_text())
    content["manifest"]["grid_codegen"] = "10"
    marker.write_text(json.dumps(content))
    older = run_cli(*base, "--eta", "0.1:1:3", "--resume")
    assert older.returncode == 2 and "another version of the grid kernel" in older.stderr
    assert "Traceback" not in older.stderr and len(older.stderr.strip().splitlines()) == 1


def test_relative_eta_needs_a_state_independent_critical_step():
    with pytest.raises(InputError, match="depends on"):
        sweep(SQRT1P, "0.5:2:3", {"x0": "0.1", "y0": "1"}, eta_unit="critical")
    out = run_cli("phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.5:2:3", "--eta-unit", "critical",
                  "--x0", "0.1", "--y0", "1", "--out", "unused.zarr")
    assert out.returncode == 2 and "absolute units" in out.stderr


def test_sweep_of_a_user_built_model_equals_grid_run(tmp_path):
    """A Model the user built (custom loss text) runs as given, in-process and on dask workers (issue 11)."""
    model = build_model("single-neuron", loss_expr="log(cosh(s))")
    options = GridOptions(max_steps=3000)
    ds = sweep(model, "0.05:1:5", {"x0": "0.1", "y0": "0.5:6:7"}, options=options, tile_points=8)
    eta, y0 = np.meshgrid(ds["eta"].values, ds["y0"].values, indexing="ij")
    direct = grid_run(model, eta.ravel(), np.column_stack([np.full(eta.size, 0.1), y0.ravel()]), options=options)
    assert np.array_equal(ds["x_final"].values.ravel(), direct.state[:, 0], equal_nan=True)
    assert np.array_equal(ds["y_final"].values.ravel(), direct.state[:, 1], equal_nan=True)
    assert np.array_equal(ds["status"].values.ravel(), direct.status)
    assert np.array_equal(ds["sharpness"].values.ravel(), direct.sharpness, equal_nan=True)
    assert ds.attrs["eoscope_manifest"]["model"]["loss_expr"] == "log(cosh(s))"
    assert ds.attrs["eoscope_manifest"]["model"]["hash"] == model.hash
    seen = []
    again = sweep(model, "0.05:1:5", {"x0": "0.1", "y0": "0.5:6:7"}, options={"max_steps": 3000}, tile_points=8,
                  progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (35, 35) and len(seen) >= 5  # advances by points, not once per tile
    for name in ds.data_vars:
        assert np.array_equal(ds[name].values, again[name].values, equal_nan=True)
    from eoscope.dynamics import compile as compile_system

    system = sweep(compile_system(model), "0.05:1:5", {"x0": "0.1", "y0": "0.5:6:7"}, options=options)
    for name in ds.data_vars:
        assert np.array_equal(ds[name].values, system[name].values, equal_nan=True)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = sweep(model, "0.05:1:5", {"x0": "0.1", "y0": "0.5:6:7"}, options=options, scheduler=client,
                           store=tmp_path / "r.zarr", tile=(2, 1, 3))
    for name in ds.data_vars:
        assert np.array_equal(ds[name].values, remote[name].values, equal_nan=True), name


def test_sweep_follows_xarray_conventions_and_opens_without_warnings(tmp_path):
    import warnings

    import xarray as xr

    ds = sweep(SQRT1P, "0.1:1:3", {"x0": "0.1", "y0": "1:2:3"}, max_steps=500, tail=2, store=tmp_path / "s.zarr",
               tile=(2, 1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with xr.open_zarr(tmp_path / "s.zarr") as lazy:
            opened = lazy.load()
    for data in (ds, opened):
        for name in data.variables:
            assert data[name].attrs.get("units") == "1" and data[name].attrs.get("long_name"), name
        assert data["phase"].attrs["flag_values"] == list(range(len(PHASE_LABELS)))
        assert data["phase"].attrs["flag_meanings"].split() == list(PHASE_LABELS)
        assert data["status"].attrs["flag_meanings"].split()[0] == "converged"
        assert data["status"].dtype == np.int8
    for name in ds.data_vars:
        assert np.array_equal(ds[name].values, opened[name].values, equal_nan=True), name


def test_sweep_refuses_a_model_dask_cannot_rebuild():
    model = build_model("single-neuron", loss_expr="log(cosh(s))")
    unrebuildable = dataclasses.replace(model, name="my-neuron")  # not in the catalogue, and does not pickle
    with pytest.raises(InputError, match="scheduler"):
        sweep(unrebuildable, "0.1", {"x0": "0.1", "y0": "1"}, scheduler="tcp://127.0.0.1:1")
    ds = sweep(unrebuildable, "0.1", {"x0": "0.1", "y0": "1"}, max_steps=100)  # in-process it runs as given
    assert ds.attrs["eoscope_manifest"]["model"]["model"] == "my-neuron"
