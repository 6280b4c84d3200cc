"""Issue 4 (last bullet): the mean model in `eoscope phase` over (η/η_c, A0), A0 = a₋0 + a₊0 a derived axis."""
import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import zarr

from eoscope.derivations import InputError, build_model, get_loss, single_neuron
from eoscope.simulations._figure_phase_relative import uses_relative_figure
from eoscope.simulations._phase_classify import EOS_WINDOW, PHASE_CODES
from eoscope.simulations._sweep import open_sweep, sweep

from ..conftest import run_cli

D = 200
ETA_C = 8 * math.pi / D**2  # docs/reference_values.md §3
MEAN = build_model("mean-model", params={"d": D})
# docs/reference_values.md §3: d = 200, a₋ = a₊, A0 = a₋ + a₊ = 1/d, b0 = 0, to convergence (abs tol 2e-3)
REFERENCE_B_INF = {0.5: -1.5e-5, 2.0: -0.26198, 3.0: -0.40244}


def _tree_digest(path: Path) -> dict:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.rglob("*"))
            if p.is_file() and ".eoscope" not in p.relative_to(path).parts}  # marker: a random store id


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """η/η_c ∈ {0.5, 1, …, 3} × A0 ∈ {0.0025, 0.005, 0.0075, 0.01} through the CLI, with the figure."""
    folder = tmp_path_factory.mktemp("mean_phase")
    out = run_cli("phase", "mean-model", "--param", f"d={D}", "--eta", "0.5:3:6", "--eta-unit", "critical",
                  "--axis", "A0=0.0025:0.01:4", "--out", folder / "run.zarr", "--plot", folder / "f.png", "--json")
    return folder, out


def test_cli_run_has_named_a0_axis_and_manifest(cli_run):
    folder, out = cli_run
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["points"] == 24 and sum(summary["counts"].values()) == 24
    assert summary["grid"]["dims"] == ["eta", "A0"]
    assert summary["grid"]["axes"]["A0"] == "0.0025:0.01:4"
    assert summary["grid"]["derived_axes"] == {"A0": {"a_minus0": "A0/2", "a_plus0": "A0/2", "b0": "0"}}
    assert (folder / "f.png").stat().st_size > 20_000
    ds = open_sweep(folder / "run.zarr")
    assert ds["phase"].dims == ("eta", "A0")
    assert ds["A0"].values.tolist() == pytest.approx([0.0025, 0.005, 0.0075, 0.01], rel=1e-15)
    assert ds["eta_over_eta_c"].values.tolist() == pytest.approx([0.5, 1, 1.5, 2, 2.5, 3], rel=1e-15)
    assert ds["eta"].values == pytest.approx(ds["eta_over_eta_c"].values * ETA_C, rel=1e-12)
    assert {"eta_over_eta_c", "a_minus0", "a_plus0", "b0"} <= set(ds.coords) - set(ds.data_vars)
    assert np.array_equal(ds["a_minus0"].values, ds["A0"].values / 2) and np.array_equal(ds["a_plus0"].values, ds["A0"].values / 2)
    assert not ds["b0"].values.any()
    # a₊ − a₋ is conserved by GD: from a balanced start it stays 0
    assert np.array_equal(ds["a_plus_final"].values, ds["a_minus_final"].values)


def test_b_inf_at_a0_one_over_d_matches_reference(cli_run):
    folder, _ = cli_run
    ds = open_sweep(folder / "run.zarr")
    row = ds.sel(A0=1 / D)
    for ratio, expected in REFERENCE_B_INF.items():
        point = row.isel(eta=int(np.argmin(abs(row["eta_over_eta_c"].values - ratio))))
        assert float(point["eta_over_eta_c"]) == pytest.approx(ratio, rel=1e-12)
        assert int(point["status"]) == 0
        assert float(point["b_final"]) == pytest.approx(expected, abs=2e-3)


def test_labels_below_and_above_eta_c(cli_run):
    folder, _ = cli_run
    ds = open_sweep(folder / "run.zarr")
    ratio = ds["eta_over_eta_c"].values
    below, above = ds.isel(eta=np.flatnonzero(ratio < 1)), ds.isel(eta=np.flatnonzero(ratio > 1))
    assert (below["phase"].values == PHASE_CODES["stable"]).all()
    # gradient flow moves b by O(A0²) only: the bias barely moves below η_c
    assert np.abs(below["b_final"].values).max() < 1e-4
    assert (above["phase"].values == PHASE_CODES["eos"]).all()
    half = above["eta_sharpness_half"].values
    assert ((half >= EOS_WINDOW[0]) & (half <= 1.0)).all()
    assert (above["b_final"].values < -0.1).all()


def test_log_axis_scale_and_store_equals_memory_and_resume_is_bit_identical(tmp_path):
    args = dict(eta_scale="log", eta_unit="critical", axis_scales={"A0": "log"}, tile=(3, 2), max_steps=20_000)
    memory = sweep(MEAN, "0.5:4:6", {"A0": "1e-4:1e-2:5"}, **args)
    assert memory["A0"].values.tolist() == pytest.approx(np.geomspace(1e-4, 1e-2, 5).tolist(), rel=1e-15)
    assert memory.attrs["eoscope_manifest"]["model"]["axes"]["A0"] == "0.0001:0.01:5 log"
    whole = tmp_path / "whole.zarr"
    stored = sweep(MEAN, "0.5:4:6", {"A0": "1e-4:1e-2:5"}, store=whole, **args)
    for name in memory.variables:
        assert np.array_equal(memory[name].values, stored[name].values, equal_nan=True), name
    assert set(memory.coords) == set(stored.coords)
    # an interrupted store: two tiles unmarked and their chunks overwritten with garbage, `complete` cleared,
    # and a torn temporary chunk file as SIGKILL leaves during zarr's write-then-rename
    cut = tmp_path / "cut.zarr"
    sweep(MEAN, "0.5:4:6", {"A0": "1e-4:1e-2:5"}, store=cut, **args)
    root = zarr.open_group(str(cut), mode="r+")
    root["tile_done"][0, 1] = 0
    root["tile_done"][1, 2] = 0
    root["b_final"][0:3, 2:4] = 7.0
    root["phase"][3:6, 4:5] = 5
    root.attrs["complete"] = False
    (cut / "tile_done" / "c" / "0.5421e1d005784032bf4cbc8b14d13a60.partial").write_bytes(b"torn")  # zarr's temp file of a kill
    with pytest.raises(InputError, match="incomplete"):
        open_sweep(cut)
    sweep(MEAN, "0.5:4:6", {"A0": "1e-4:1e-2:5"}, store=cut, resume=True, **args)
    assert _tree_digest(cut) == _tree_digest(whole)


def test_derived_axis_with_an_explicit_state_axis(tmp_path):
    """A derived axis sets b0 = 0 only as a default: --axis b=… replaces it; a₊ is set by A0 and is refused."""
    ds = sweep(MEAN, "2", {"A0": "0.005:0.01:2", "b": "-0.1:0:2"}, eta_unit="critical")
    assert ds["phase"].dims == ("eta", "A0", "b0")
    assert "b0" not in ds.attrs["eoscope_manifest"]["grid"]["derived_axes"]["A0"]
    with pytest.raises(InputError, match="conflicts with the derived axis A0"):
        sweep(MEAN, "2", {"A0": "0.005", "a_plus": "0.01"}, eta_unit="critical")
    with pytest.raises(InputError, match="derived: A0"):
        sweep(MEAN, "2", {"Z0": "0.005"}, eta_unit="critical")
    with pytest.raises(InputError, match="missing initial-state axes: a_plus0"):
        sweep(MEAN, "2", {"a_minus": "0.005", "b": "0"}, eta_unit="critical")


def test_init_axes_is_not_part_of_the_model_hash():
    assert dataclasses.replace(MEAN, init_axes={}).hash == MEAN.hash
    assert set(MEAN.init_axes) == {"A0"}
    assert single_neuron(get_loss("sqrt1p")).init_axes == {}


def test_relative_figure_only_for_eta_against_eta_c():
    sqrt1p = single_neuron(get_loss("sqrt1p"))
    ds = sweep(sqrt1p, "0.1:0.5:3", {"x0": "0.1", "y0": "1:2:3"}, max_steps=2000)
    assert not uses_relative_figure(ds, sqrt1p)  # the single-neuron figure stays plot_phase
    ds = sweep(MEAN, "0.5:2:3", {"A0": "0.005:0.01:2"}, eta_unit="critical")
    assert uses_relative_figure(ds, MEAN)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--axis", "Z=1e-4:1e-2:3"], "unknown axis 'Z0'"),
        (["--axis", "A0=1e-4:1e-2:3", "--axis", "a_plus=0.1"], "conflicts with the derived axis A0"),
        (["--axis", "A0=0:1e-2:3", "--axis-scale", "log"], "log scale needs values > 0"),
        (["--axis", "A0=1e-4:1e-2:3", "--axis-scale", "A0=cubic"], "must be linear or log"),
        (["--axis", "A0=1e-4:1e-2:3", "--plot", "x.png", "--observable", "nope"], "not a sweep variable"),
    ],
)
def test_cli_bad_axis_exits_2_with_one_line(tmp_path, args, message):
    out = run_cli("phase", "mean-model", "--param", f"d={D}", "--eta", "0.5:3:3", "--eta-unit", "critical",
                  *args, "--out", tmp_path / "bad.zarr")
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert list(tmp_path.iterdir()) == []


def test_approach_to_the_edge_from_below_with_a_falling_loss_is_stable_by_the_loss_rule():
    """η = 1.25·η_c, A0 = 0.025 (d = 200): the sharpness starts at 0.53·2/η (ℓ'' is small at large a₋ + a₊),
    rises as a₋ + a₊ shrinks while b goes negative (the threshold neuron), and settles at 0.998·2/η from
    below; a₋ + a₊ flips sign at every step (multiplier in (−1, 0)) and the loss falls at every step
    (checked on the trajectory, step by step). By the issue's rules (EoS needs a loss that rose) the grid
    labels it stable; η·S/2 at the start (``eta_sharpness_half0``) and at the end tell the story."""
    from eoscope.dynamics import trajectory

    eta, a0 = 1.25 * ETA_C, 0.025
    path = trajectory(MEAN, eta, {"a_minus": a0 / 2, "a_plus": a0 / 2, "b": 0.0}, stride=1)
    assert path.status == "converged"
    assert not np.any(np.diff(path.history_loss) > 1e-12 * np.abs(path.history_loss[:-1]))
    assert float(np.max(path.history_sharpness)) * eta / 2 < 1.0
    total = path.history_state[:, 0] + path.history_state[:, 1]
    assert np.count_nonzero(total[1:] * total[:-1] < 0) > 1000
    ds = sweep(MEAN, f"{eta!r}", {"A0": f"{a0!r}"})
    point = ds.isel(eta=0, A0=0)
    assert int(point["loss_rises"]) == 0 and int(point["sign_flips"]) > 1000
    assert float(point["eta_sharpness_half0"]) == pytest.approx(path.history_sharpness[0] * eta / 2, rel=1e-12)
    assert float(point["eta_sharpness_half0"]) < 0.6 and float(point["eta_sharpness_half"]) > 0.99
    assert float(point["b_final"]) < -0.08
    assert int(point["phase"]) == PHASE_CODES["stable"]
