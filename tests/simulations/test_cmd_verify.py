"""Issue 6: ``eoscope verify`` in a subprocess: table, --json records, --latex, --claims, exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args, cwd=ROOT):
    env = dict(os.environ)
    env.pop("EOSCOPE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "eoscope", "verify", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_every_registered_claim_runs_without_failure(tmp_path):
    report = tmp_path / "report.tex"
    proc = _run("--json", "--latex", str(report))
    records = json.loads(proc.stdout)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) >= 15
    for record in records:
        assert set(record) >= {"id", "statement", "kind", "status", "seconds", "message", "derivation"}
        assert record["status"] in ("verified", "evidence"), record
        assert record["status"] == "evidence" or record["kind"] != "d"
    eos = next(r for r in records if r["id"] == "single-neuron.eos-limit")
    assert eos["kind"] == "c" and set(eos["enclosure"]) == {"eta=0.3", "eta=0.1"}
    for key, reference in (("eta=0.3", 6.351917), ("eta=0.1", 19.899495)):  # docs/reference_values.md §1
        lo, hi = map(float, eos["enclosure"][key]["y_inf_sq"])
        assert abs(lo / reference - 1) < 1e-5 and abs(hi / reference - 1) < 1e-5
    assert proc.returncode == 0
    text = report.read_text()
    assert text.startswith(r"\documentclass") and r"\end{document}" in text
    assert "verify: 100%" in proc.stderr and "15/15" in proc.stderr  # the tqdm bar on stderr


def test_table_output_for_selected_claims():
    proc = _run("single-neuron.map", "generic.period-doubling-criterion")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "kind", "status", "time"]
    row = next(line for line in lines if line.startswith("single-neuron.map"))
    assert row.split()[1:3] == ["a", "verified"]
    assert "2 claims (2 verified)" in proc.stdout


def test_huber_not_checkable_reported():
    proc = _run("single-neuron.eos-limit", "single-neuron.invariant-evolution", "--loss", "huber", "--json")
    assert proc.returncode == 0
    records = {r["id"]: r for r in json.loads(proc.stdout)}
    assert records["single-neuron.eos-limit"]["status"] == "not_checkable"
    assert "C²" in records["single-neuron.eos-limit"]["message"]
    assert records["single-neuron.invariant-evolution"]["status"] == "verified"
    assert records["single-neuron.invariant-evolution"]["loss"] == "huber"


def test_unknown_claim_and_bad_loss_exit_2():
    proc = _run("no.such-claim")
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("eoscope: error: unknown claim 'no.such-claim'")
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = _run("single-neuron.map", "--loss", "nope")
    assert proc.returncode == 2 and "unknown loss" in proc.stderr


def test_latex_into_missing_folder_fails_before_running(tmp_path):
    target = tmp_path / "missing" / "r.tex"
    proc = _run("single-neuron.map", "--latex", str(target))
    assert proc.returncode == 2 and "--latex" in proc.stderr
    assert not target.exists() and proc.stdout == ""


USER_FILE = '''
import sympy as sp
from eoscope.derivations import ETA, derive, single_neuron
from eoscope.derivations.claims import Claim, identity_outcome, register


def make(sign):
    def check(context):
        model = single_neuron(context.loss)
        x, y = model.state
        g = model.outer.heads[1](x * y)
        x1, y1 = derive(model).generic["gd_map"]
        return identity_outcome(x1**2 - y1**2 - (1 + sign * ETA**2 * g**2) * (x**2 - y**2),
                                concrete=model.concrete, what="invariant factor")
    return check


register(Claim(id="user.right", statement="right sign", latex="", model="single-neuron", assumptions=(),
               kind="a", check=make(-1), requires=("C1",), loss_dependent=True))
CLAIMS = [Claim(id="user.wrong", statement="wrong sign", latex="", model="single-neuron", assumptions=(),
                kind="a", check=make(+1), requires=("C1",), loss_dependent=True)]
'''


def test_user_claims_file(tmp_path):
    path = tmp_path / "my_claims.py"
    path.write_text(USER_FILE)
    proc = _run("--claims", str(path), "--json")
    assert proc.returncode == 1  # one claim refuted
    records = {r["id"]: r for r in json.loads(proc.stdout)}
    assert set(records) == {"user.right", "user.wrong"}  # without ids: only the file's claims
    assert records["user.right"]["status"] == "verified"
    wrong = records["user.wrong"]
    assert wrong["status"] == "refuted" and set(wrong["counterexample"]["point"]) == {"x", "y", "eta"}
    assert abs(float(wrong["counterexample"]["value"])) > 0
    proc = _run("--claims", str(path), "user.right", "single-neuron.map")
    assert proc.returncode == 0 and "2 claims (2 verified)" in proc.stdout


def test_claims_file_errors(tmp_path):
    proc = _run("--claims", str(tmp_path / "absent.py"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('nope')\n")
    proc = _run("--claims", str(bad))
    assert proc.returncode == 2 and "RuntimeError: nope" in proc.stderr
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    proc = _run("--claims", str(empty))
    assert proc.returncode == 2 and "registers no claims" in proc.stderr


def test_write_docs_matches_committed_page(tmp_path):
    target = tmp_path / "claims.md"
    proc = _run("--write-docs", str(target))
    assert proc.returncode == 0
    with open(os.path.join(ROOT, "docs", "claims.md"), encoding="utf-8") as handle:
        assert target.read_text(encoding="utf-8") == handle.read()


def test_list_claims_json():
    proc = _run("--list", "--json")
    assert proc.returncode == 0
    listed = json.loads(proc.stdout)
    assert {"id", "statement", "latex", "kind", "assumptions"} <= set(listed[0])


def test_reproduce_job_regenerates_claims_page(tmp_path):
    env = dict(os.environ)
    out = tmp_path / "docs" / "figures"
    proc = subprocess.run([sys.executable, "-m", "eoscope", "reproduce", "--only", "claims", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / "claims.md")  # inside --out, even when --out is a docs/ folder
    assert not (tmp_path / "docs" / "claims.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]
    page = out / "claims.md"
    with open(os.path.join(ROOT, "docs", "claims.md"), encoding="utf-8") as handle:
        assert page.read_text(encoding="utf-8") == handle.read()
