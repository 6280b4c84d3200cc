"""Issue 10 §1: eoscope deletes nothing it cannot prove it wrote.

Every test runs inside pytest's tmp_path, with HOME pointed into it and the working folder inside it; no
test hands a real folder to ``--out``. Covered: refused targets, ``--overwrite`` of plain folders and of
stores, torn and corrupted stores under ``--resume`` (bit-identical result, foreign files kept),
garbled markers, concurrent writers, stale locks, and Ctrl-C (SIGINT) followed by ``--resume``.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eoscope.derivations import InputError
from eoscope.simulations._output_paths import check_store_target
from eoscope.simulations._sweep import open_sweep


GRID = ["phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.05:1:12", "--eta-scale", "log", "--x0", "0.1",
        "--y0", "0.5:8:10", "--max-steps", "4000", "--tile-points", "20"]  # 120 points, 8 tiles
LONGER = ["phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.01:1:400", "--eta-scale", "log", "--x0", "0.1",
          "--y0", "0.2:10:400", "--max-steps", "20000", "--tile-points", "400"]  # 400 tiles, half a minute
LONG = ["phase", "single-neuron", "--loss", "sqrt1p", "--eta", "0.01:1:160", "--eta-scale", "log", "--x0", "0.1",
        "--y0", "0.2:10:160", "--max-steps", "20000", "--tile-points", "400"]  # 64 tiles, several seconds


def _digest(path: Path) -> dict:
    """sha256 of every file under ``path`` (a file: itself)."""
    path = Path(path)
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _data_digest(path: Path) -> dict:
    """The store's files without .eoscope/ (its marker holds a random store id)."""
    return {k: v for k, v in _digest(path).items() if not k.startswith(".eoscope")}


@pytest.fixture
def sandbox(tmp_path):
    """A fake HOME and a working folder inside tmp_path, each with a sentinel file."""
    home = tmp_path / "home"
    work = home / "work"
    work.mkdir(parents=True)
    (home / "sentinel.txt").write_text("home sentinel")
    (work / "sentinel.txt").write_text("work sentinel")
    (tmp_path / "sentinel.txt").write_text("tmp sentinel")
    return tmp_path


def run(sandbox: Path, *args, wait=True, cwd=None):
    env = dict(os.environ, HOME=str(sandbox / "home"))
    env.pop("EOSCOPE_DEBUG", None)
    command = [sys.executable, "-m", "eoscope", *map(str, args)]
    cwd = cwd or sandbox / "home" / "work"
    if not wait:  # its own process group, so that a test can send Ctrl-C to the group as a terminal does
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _refused(result, fragment):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("eoscope: error:") and fragment in lines[0], result.stderr


@pytest.mark.parametrize("target, flags, fragment", [
    (".", ["--overwrite"], "current folder"),
    (".", ["--resume"], "current folder"),
    ("..", ["--overwrite"], "home folder"),
    ("~", ["--resume"], "home folder"),
    ("~", ["--overwrite"], "home folder"),
    ("../..", ["--overwrite"], "ancestor of the current folder"),
    ("precious", ["--overwrite"], "not an eoscope store"),
    ("precious", ["--resume"], "not an eoscope store"),
    ("precious", [], "not an eoscope store"),
    ("empty", ["--overwrite"], "not an eoscope store"),
    ("file.txt", ["--overwrite"], "not a folder"),
    ("link", ["--overwrite"], "symbolic link"),
    ("/proc/eoscope.zarr", [], "pseudo file system"),
    ("missing/run.zarr", [], "does not exist"),
])
def test_unsafe_targets_are_refused_and_left_untouched(sandbox, target, flags, fragment):
    work = sandbox / "home" / "work"
    (work / "precious").mkdir()
    (work / "precious" / "thesis.tex").write_text("years of work")
    (work / "empty").mkdir()
    (work / "file.txt").write_text("a user's file")
    (work / "link").symlink_to(work / "precious")
    before = _digest(sandbox)
    _refused(run(sandbox, *GRID, "--out", target, *flags), fragment)
    assert _digest(sandbox) == before
    assert sorted(p.name for p in work.iterdir()) == ["empty", "file.txt", "link", "precious", "sentinel.txt"]


def test_root_and_both_flags_are_refused_before_any_work(sandbox, monkeypatch):
    monkeypatch.setenv("HOME", str(sandbox / "home"))
    monkeypatch.chdir(sandbox / "home" / "work")
    for flags in ({"overwrite": True}, {"resume": True}, {}):
        with pytest.raises(InputError, match="root folder"):
            check_store_target("/", **flags)  # checked only: nothing is run against "/"
    with pytest.raises(InputError, match="not both"):
        check_store_target(sandbox / "new.zarr", resume=True, overwrite=True)


def test_a_path_inside_a_store_is_refused(sandbox):
    assert run(sandbox, *GRID, "--out", "run.zarr").returncode == 0
    before = _digest(sandbox)
    _refused(run(sandbox, *GRID, "--out", "run.zarr/inner.zarr"), "inside the store")
    _refused(run(sandbox, *GRID, "--out", "run.zarr/eta", "--overwrite"), "inside the store")
    assert _digest(sandbox) == before


def test_overwrite_replaces_an_eoscope_store_atomically(sandbox):
    work = sandbox / "home" / "work"
    assert run(sandbox, *GRID, "--out", "run.zarr").returncode == 0
    first = json.loads((work / "run.zarr" / ".eoscope" / "store.json").read_text())
    changed = [arg if arg != "4000" else "3000" for arg in GRID]
    result = run(sandbox, *changed, "--out", "run.zarr", "--overwrite")
    assert result.returncode == 0, result.stderr
    second = json.loads((work / "run.zarr" / ".eoscope" / "store.json").read_text())
    assert second["store_id"] != first["store_id"]
    assert second["manifest"]["options"]["max_steps"] == 3000
    assert open_sweep(work / "run.zarr").attrs["eoscope_manifest"]["options"]["max_steps"] == 3000
    assert sorted(p.name for p in work.iterdir()) == ["run.zarr", "sentinel.txt"]  # no sibling left behind
    assert not (work / "run.zarr" / ".eoscope" / "lock").exists()


def test_overwrite_refuses_a_store_holding_a_users_file(sandbox):
    work = sandbox / "home" / "work"
    assert run(sandbox, *GRID, "--out", "run.zarr").returncode == 0
    (work / "run.zarr" / "notes.txt").write_text("my notes")
    (work / "run.zarr" / "phase" / "plot.png").write_bytes(b"png")
    before = _digest(sandbox)
    _refused(run(sandbox, *GRID, "--out", "run.zarr", "--overwrite"), "did not create")
    assert _digest(sandbox) == before


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One finished store of GRID, made once for the module (copied into each test's sandbox)."""
    base = tmp_path_factory.mktemp("reference")
    (base / "home" / "work").mkdir(parents=True)
    result = run(base, *GRID, "--out", "whole.zarr")
    assert result.returncode == 0, result.stderr
    return base / "home" / "work" / "whole.zarr"


@pytest.fixture
def whole(sandbox, reference):
    return _copy(reference, sandbox / "home" / "work" / "whole.zarr")


def _copy(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize("damage", ["truncate_group_json", "delete_group_json", "garble_array_json",
                                    "truncate_chunk", "delete_chunk", "edit_chunk", "user_files"])
def test_resume_repairs_a_torn_store_bit_identically_and_keeps_foreign_files(sandbox, whole, damage):
    store = _copy(whole, whole.parent / "torn.zarr")
    chunks = sorted(p for p in (store / "steps" / "c").rglob("*") if p.is_file())
    assert len(chunks) >= 5
    if damage == "truncate_group_json":
        (store / "zarr.json").write_bytes((store / "zarr.json").read_bytes()[:100])
    elif damage == "delete_group_json":
        (store / "zarr.json").unlink()
    elif damage == "garble_array_json":
        (store / "sharpness" / "zarr.json").write_text("{ not json")
    elif damage == "truncate_chunk":
        chunks[2].write_bytes(chunks[2].read_bytes()[:7])
    elif damage == "delete_chunk":
        chunks[4].unlink()
    elif damage == "edit_chunk":
        data = bytearray(chunks[1].read_bytes())
        data[-1] ^= 0xFF
        chunks[1].write_bytes(bytes(data))
    if damage == "user_files" or damage.endswith("chunk"):
        (store / "README.txt").write_text("user notes")
        (store / "phase" / "c" / "keep.me").write_text("also mine")
    result = run(sandbox, *GRID, "--out", "torn.zarr", "--resume", "--json")
    assert result.returncode == 0, result.stderr
    repaired = _data_digest(store)
    expected = _data_digest(whole)
    if damage == "user_files" or damage.endswith("chunk"):
        assert (store / "README.txt").read_text() == "user notes"
        assert (store / "phase" / "c" / "keep.me").read_text() == "also mine"
        del repaired["README.txt"], repaired["phase/c/keep.me"]
    assert repaired == expected
    from eoscope.simulations._phase_classify import phase_counts

    reference = open_sweep(whole)
    assert json.loads(result.stdout)["counts"] == phase_counts(reference["phase"].values, reference["period"].values)


def test_resume_refuses_a_store_whose_marker_is_garbled(sandbox, whole):
    (whole / ".eoscope" / "store.json").write_text('{"format": "eoscope-sw')
    before = _digest(sandbox)
    for flags in (["--resume"], ["--overwrite"]):
        _refused(run(sandbox, *GRID, "--out", "whole.zarr", *flags), "cannot be read")
    assert _digest(sandbox) == before


def _wait_for_tiles(store: Path, count: int, proc, timeout=120.0) -> None:
    tiles = store / ".eoscope" / "tiles"
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if tiles.is_dir() and sum(1 for p in tiles.iterdir() if p.is_file()) >= count:
            return
        time.sleep(0.01)
    raise AssertionError(f"no {count} tiles stored in time (exit {proc.poll()}: {proc.stderr.read() if proc.poll() is not None else ''})")


@pytest.fixture
def long_whole(sandbox):
    result = run(sandbox, *LONG, "--out", "long.zarr")
    assert result.returncode == 0, result.stderr
    return sandbox / "home" / "work" / "long.zarr"


def test_sigint_then_resume_is_bit_identical(sandbox, long_whole):
    store = long_whole.parent / "cut.zarr"
    proc = run(sandbox, *LONG, "--out", "cut.zarr", wait=False)
    _wait_for_tiles(store, 3, proc)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    with pytest.raises(InputError, match="incomplete"):
        open_sweep(store)
    assert not (store / ".eoscope" / "lock").exists()  # the lock is released on the way out
    resumed = run(sandbox, *LONG, "--out", "cut.zarr", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert _data_digest(store) == _data_digest(long_whole)


def test_a_second_writer_is_refused_naming_the_first(sandbox):
    store = sandbox / "home" / "work" / "busy.zarr"
    first = run(sandbox, *LONGER, "--out", "busy.zarr", wait=False)
    try:
        _wait_for_tiles(store, 1, first)
        assert first.poll() is None, "the first run finished before the second one started"
        second = run(sandbox, *LONGER, "--out", "busy.zarr", "--resume")
        _refused(second, f"being written by process {first.pid}")
        third = run(sandbox, *LONGER, "--out", "busy.zarr", "--overwrite")
        _refused(third, f"being written by process {first.pid}")
        assert first.poll() is None, "the first run ended while the others were checked: the test proved nothing"
    finally:
        first.kill()
        first.communicate()


def test_a_stale_lock_is_taken_over(sandbox, whole):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid now names no process (or, if reused, one with another start time)
    store = _copy(whole, whole.parent / "stale.zarr")
    (store / ".eoscope" / "lock").write_text(json.dumps({"pid": gone.pid, "host": os.uname().nodename}))
    result = run(sandbox, *GRID, "--out", "stale.zarr", "--resume")
    assert result.returncode == 0, result.stderr
    assert not (store / ".eoscope" / "lock").exists()
    assert _data_digest(store) == _data_digest(whole)
    # a torn lock file (its writer died while writing it) holds no lock either
    (store / ".eoscope" / "lock").write_text('{"pid": ')
    assert run(sandbox, *GRID, "--out", "stale.zarr", "--resume").returncode == 0


def test_a_lock_held_by_a_live_process_blocks_resume_and_overwrite(sandbox, whole):
    lock = whole / ".eoscope" / "lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, json, os, sys, time\n"
        f"fd = os.open({str(lock)!r}, os.O_CREAT | os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, json.dumps({'pid': os.getpid(), 'host': os.uname().nodename}).encode())\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = _digest(sandbox)
        for flags in (["--resume"], ["--overwrite"]):
            _refused(run(sandbox, *GRID, "--out", "whole.zarr", *flags), f"process {holder.pid}")
        assert _digest(sandbox) == before
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone (SIGKILL): the kernel dropped its lock, and the next run takes the store over
    assert run(sandbox, *GRID, "--out", "whole.zarr", "--resume").returncode == 0
    assert not lock.exists()


def test_overwrite_refuses_a_store_holding_a_users_empty_folder_or_link(sandbox, whole):
    (whole / "my_results").mkdir()
    before = sorted(str(p.relative_to(sandbox)) for p in sandbox.rglob("*"))
    _refused(run(sandbox, *GRID, "--out", "whole.zarr", "--overwrite"), "my_results/")
    assert sorted(str(p.relative_to(sandbox)) for p in sandbox.rglob("*")) == before  # folders included
    (whole / "my_results").rmdir()
    (whole / "phase" / "c" / "scratch").mkdir(parents=True)
    _refused(run(sandbox, *GRID, "--out", "whole.zarr", "--overwrite"), "scratch/")
    (whole / "phase" / "c" / "scratch").rmdir()
    (whole / "elsewhere").symlink_to(sandbox / "home")
    _refused(run(sandbox, *GRID, "--out", "whole.zarr", "--overwrite"), "elsewhere")
    assert (sandbox / "home" / "sentinel.txt").read_text() == "home sentinel"


def test_resume_refuses_a_store_with_a_symlinked_array(sandbox, whole):
    other = sandbox / "other"
    (whole / "sharpness").rename(other)
    (whole / "sharpness").symlink_to(other)
    before = _digest(other)
    _refused(run(sandbox, *GRID, "--out", "whole.zarr", "--resume"), "symbolic links")
    assert _digest(other) == before and (whole / "sharpness").is_symlink()


def test_a_link_reached_through_dotdot_is_still_a_link(sandbox, whole):
    work = sandbox / "home" / "work"
    (work / "area").mkdir()
    (work / "area" / "real").mkdir()
    (work / "area" / "real" / "data.txt").write_text("user data")
    (work / "link").symlink_to(work / "area" / "real")
    before = _digest(sandbox)
    for target in ("link", "link/", "area/../link"):
        _refused(run(sandbox, *GRID, "--out", target, "--overwrite"), "")
    assert _digest(sandbox) == before


def test_resume_rewrites_a_garbled_tile_done_chunk(sandbox, whole):
    store = _copy(whole, whole.parent / "flags.zarr")
    flag = next(p for p in (store / "tile_done" / "c").rglob("*") if p.is_file())
    flag.write_bytes(b"garbage")
    result = run(sandbox, *GRID, "--out", "flags.zarr", "--resume")
    assert result.returncode == 0, result.stderr
    assert _data_digest(store) == _data_digest(whole)


def test_too_long_names_and_nul_bytes_are_input_errors(sandbox):
    _refused(run(sandbox, *GRID, "--out", "x" * 300), "longer than")
    with pytest.raises(InputError, match="NUL"):
        check_store_target("run\0.zarr")


def test_two_fresh_writers_on_one_path_one_wins_the_other_exits_2(sandbox):
    runs = [run(sandbox, *LONGER, "--out", "race.zarr", wait=False) for _ in range(2)]
    try:
        _wait_for_tiles(sandbox / "home" / "work" / "race.zarr", 1, runs[0] if runs[0].poll() is None else runs[1])
        time.sleep(1.0)
        ended = [r for r in runs if r.poll() is not None]
        assert len(ended) == 1, "exactly one of the two runs must have been refused"
        _, stderr = ended[0].communicate()
        assert ended[0].returncode == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and any(reason in lines[0] for reason in (
            "being written by process", "appeared while", "exists (use --resume")), stderr
    finally:
        for r in runs:
            r.kill()
            r.communicate()


def test_resume_refuses_a_store_started_with_other_package_versions(sandbox, whole):
    marker = whole / ".eoscope" / "store.json"
    content = json.loads(marker.read_text())
    content["manifest"]["versions"]["numba"] = "0.1.0"
    marker.write_text(json.dumps(content, indent=1))
    before = _digest(sandbox)
    _refused(run(sandbox, *GRID, "--out", "whole.zarr", "--resume"), "numba 0.1.0 →")
    assert _digest(sandbox) == before


def test_tile_digest_does_not_depend_on_the_nan_payload():
    """zarr skips an all-fill chunk and reads it back as +NaN, whatever NaN was written (x86's 0/0 is −NaN)."""
    import numpy as np

    from eoscope.simulations._store import tile_digest

    negative_nan = np.frombuffer(np.array([0xFFF8000000000000], dtype=np.uint64).tobytes(), dtype=np.float64)
    assert np.isnan(negative_nan[0]) and np.signbit(negative_nan[0])
    types = {"sharpness": "float64", "steps": "int64"}
    written = {"sharpness": np.repeat(negative_nan, 4), "steps": np.arange(4)}
    read_back = {"sharpness": np.full(4, np.nan), "steps": np.arange(4)}
    assert tile_digest(written, types) == tile_digest(read_back, types)
    read_back["sharpness"][0] = 1.0
    assert tile_digest(written, types) != tile_digest(read_back, types)


def test_reproduce_claims_page_never_replaces_a_users_file(tmp_path, monkeypatch):
    from eoscope.derivations import InputError
    from eoscope.simulations._reproduce_claims import claims_page_path

    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    figures = docs / "figures"
    figures.mkdir(parents=True)
    default = str(docs.relative_to(tmp_path) / "claims.md")
    # without --out: docs/claims.md, absent or generated
    assert claims_page_path("docs/figures", default_docs=True) == default
    (docs / "claims.md").write_text("<!-- Generated from the claim registry ... -->\n")
    assert claims_page_path("docs/figures", default_docs=True) == default
    (docs / "claims.md").write_text("my own claims")  # a user's: left alone, the page goes inside the figures
    assert claims_page_path("docs/figures", default_docs=True) == str(figures / "claims.md")
    # with --out DIR: always inside DIR, never beside it
    assert claims_page_path(str(figures)) == str(figures / "claims.md")
    (figures / "claims.md").write_text("my own page")
    with pytest.raises(InputError, match="not a claims page eoscope generated"):
        claims_page_path(str(figures))


def test_a_failed_swap_puts_the_old_store_back(sandbox, whole, monkeypatch):
    """--overwrite renames the old store aside, then the new one in; if that second rename fails, the old one
    is renamed back and nothing of it is lost."""
    from eoscope.simulations import _store

    before = _digest(whole)

    def refuse(source, target):
        raise OSError(5, "simulated I/O error", str(target))

    monkeypatch.setattr(_store, "rename_no_replace", refuse)
    manifest = _store.read_marker(whole)["manifest"]
    with pytest.raises(OSError, match="simulated"):
        _store.install_new_store(whole, lambda folder: (folder / "zarr.json").write_text("{}"), manifest, overwrite=True)
    assert _digest(whole) == before
    assert sorted(p.name for p in whole.parent.iterdir()) == ["sentinel.txt", "whole.zarr"]
