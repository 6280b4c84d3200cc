"""Issue 10 §4: hostile input. Every case is refused with exit status 2 (the Python API: InputError),
exactly one line ``eoscope: error: …`` on stderr, no traceback, nothing written, nothing deleted.

Every case runs inside pytest's tmp_path: HOME points to ``tmp_path/home``, the current folder is
``tmp_path/work``, and sentinel files sit in tmp_path, the fake HOME, the working folder and a plain
folder ``work/plain``; after the case the whole tree under tmp_path must be byte-for-byte what it was.
Most cases run in-process through :func:`simulations.cli.main`; :data:`SUBPROCESS_CASES` run as real
processes (``python -m eoscope``) to prove no traceback escapes. Cases that could delete a folder
if the store-path checks were wrong are marked ``store_safety``.

Limits under test: ``derivations._limits`` (MAX_STEPS, MAX_AXIS_POINTS, MAX_GRID_POINTS, MAX_TILES, the
memory and disk budgets).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eoscope.derivations import InputError


SN = ["single-neuron", "--loss", "sqrt1p"]
SIM_INIT = "x=0.1,y=1"
MAP = ["--map-expr", "eta*x*(1-x)", "--state", "x"]


def sim(*, eta="0.1", init=SIM_INIT, extra=()):
    return ["simulate", *SN, f"--eta={eta}", f"--init={init}", "--max-steps", "50", *extra]


def phase(*, eta="0.1:1:3", x0="0.1", y0="1:2:3", out="run.zarr", extra=()):
    argv = ["phase", *SN, f"--eta={eta}", f"--x0={x0}"]  # --flag=value: a value may start with '-'
    if y0 is not None:
        argv += [f"--y0={y0}"]
    return argv + ["--out", out, "--max-steps", "50", *extra]


def bif(*, eta="0.1:1:3", init=SIM_INIT, extra=()):
    return ["bifurcation", *SN, f"--eta={eta}", f"--init={init}", "--transient", "10", "--keep", "4", *extra]


def crit(*, init=SIM_INIT, extra=()):
    return ["critical", *SN, f"--init={init}", "--max-steps", "100", *extra]


def cont(*, eta="2.5", orbit="x=0.5", eta_range="2.5:3.6", extra=()):
    return ["continue", *MAP, f"--from-orbit={orbit}", f"--eta={eta}", f"--eta-range={eta_range}", "--max-points", "5", *extra]


def net(*, eta="0.01", extra=()):
    return ["network", f"--eta={eta}", "--d", "4", "--n", "4", "--n-test", "4", "--no-mean-model", *extra]


def derive_loss(expr):
    return ["derive", "single-neuron", f"--loss-expr={expr}"]


# ------------------------------------------------------------------ the cases: (id, argv)
BAD_ANY = {  # not a finite ASCII number anywhere
    "nan": "nan", "inf": "inf", "minus-inf": "-inf", "1e400": "1e400", "arabic-digit": "١", "underscore": "1_0",
    "empty": "", "hex": "0x10", "word": "abc", "bare-exponent": "1e", "two-dots": "0.1.2",
}
BAD_POSITIVE = {**BAD_ANY, "zero": "0", "negative": "-0.1", "underflow": "1e-400"}  # η, tolerances

CASES: list = []


def case(name, argv, *marks):
    CASES.append(pytest.param(list(argv), id=name, marks=list(marks)))


store_safety = pytest.mark.store_safety

# bad numbers in every numeric position
for key, value in BAD_POSITIVE.items():
    case(f"simulate-eta-{key}", sim(eta=value))
    case(f"phase-eta-{key}", phase(eta=value))
    case(f"network-eta-{key}", net(eta=value))
for key, value in BAD_ANY.items():
    case(f"simulate-init-{key}", sim(init=f"x=0.1,y={value}"))
    case(f"phase-y0-{key}", phase(y0=value))
    case(f"mean-model-d-{key}", ["derive", "mean-model", "--param", f"d={value}"])
for key in ("zero", "negative"):
    case(f"mean-model-d-{key}", ["derive", "mean-model", "--param", f"d={BAD_POSITIVE[key]}"])
case("mean-model-d-below-1", ["derive", "mean-model", "--param", "d=0.5"])
for key in ("nan", "inf", "1e400", "word", "zero", "negative"):
    case(f"critical-tol-{key}", crit(extra=["--tol", BAD_POSITIVE[key]]))
for key in ("nan", "inf", "1e400", "word", "empty", "arabic-digit", "zero", "negative"):
    case(f"bifurcation-eta-start-{key}", bif(eta=f"{BAD_POSITIVE[key]}:1:3"))
for key in ("nan", "inf", "1e400", "word"):
    case(f"continue-eta-{key}", cont(eta=BAD_ANY[key]))
for key in ("nan", "zero", "negative", "word"):
    case(f"simulate-bound-{key}", sim(extra=["--bound", BAD_POSITIVE[key]]))

# ranges a:b:n
for name, spec in {
    "inverted": "1:0.1:3", "n-zero": "0.1:1:0", "n-negative": "0.1:1:-3", "n-fraction": "0.1:1:2.5",
    "a-equals-b": "0.5:0.5:3", "two-parts": "0.1:1", "four-parts": "0.1:1:3:4", "colon": ":", "n-nan": "0.1:1:nan",
    "n-inf": "0.1:1:inf", "through-zero": "-1:1:3", "from-zero": "0:1:3",
}.items():
    case(f"phase-eta-range-{name}", phase(eta=spec))
for name, spec in {"inverted": "2:1:3", "n-zero": "1:2:0", "a-equals-b": "1:1:3", "n-negative": "1:2:-1",
                   "n-fraction": "1:2:1.5"}.items():
    case(f"phase-y0-range-{name}", phase(y0=spec))
case("phase-log-scale-through-zero", phase(y0="-1:1:3", extra=["--axis-scale", "y=log"]))
case("phase-log-scale-from-zero", phase(y0="0:1:3", extra=["--axis-scale", "log"]))
case("phase-1e10-points", phase(eta="0.1:1:100000", y0="1:2:100000"))
case("phase-store-exceeds-disk", phase(eta="0.1:1:100000", y0="1:2:10000", extra=["--tail", "1000"]))  # 16 PB
case("phase-axis-1e9-points", phase(y0="1:2:1000000000"))
case("phase-eta-axis-1e9-points", phase(eta="0.1:1:1000000000"))
case("phase-too-many-tiles", phase(eta="0.1:1:100000", y0="1:2:10000", extra=["--tile-points", "1"]))
for name, spec in {"inverted": "1:0.1:3", "n-zero": "0.1:1:0", "n-fraction": "0.1:1:2.5", "a-equals-b": "0.5:0.5:3",
                   "too-many": "0.1:1:10000000", "two-parts": "0.1:1"}.items():
    case(f"bifurcation-eta-range-{name}", bif(eta=spec))
for name, spec in {"inverted": "0.01:0.001:3", "n-zero": "0.001:0.01:0", "n-fraction": "0.001:0.01:2.5",
                   "a-equals-b": "0.01:0.01:3", "through-zero": "-0.01:0.01:3", "1e10-points": "0.001:0.01:1e10"}.items():
    case(f"network-eta-range-{name}", net(eta=spec))
case("network-log-scale-from-zero", net(eta="0:0.01:3", extra=["--eta-scale", "log"]))
for name, spec in {"inverted": "3.6:2.5", "empty": "2.5:2.5", "one-part": "2.5", "words": "a:b", "nan": "nan:3"}.items():
    case(f"continue-eta-range-{name}", cont(eta_range=spec))
case("continue-eta-outside-range", cont(eta="5"))
case("critical-eta-range-inverted", crit(extra=["--eta-range", "2:1"]))

# axes
case("phase-unknown-axis", phase(extra=["--axis", "z=1"]))
case("phase-unknown-axis-0", phase(extra=["--axis", "z0=1:2:3"]))
case("phase-axis-twice", phase(extra=["--axis", "y=2"]))
case("phase-axis-twice-generic", phase(y0=None, extra=["--axis", "y0=1", "--axis", "y=2"]))
case("phase-missing-axis", phase(y0=None))
case("phase-axis-no-name", phase(y0=None, extra=["--axis", "=1"]))
case("phase-axis-no-value", phase(y0=None, extra=["--axis", "y"]))
case("phase-axis-scale-unknown-axis", phase(extra=["--axis-scale", "z=log"]))
case("phase-axis-scale-unknown-scale", phase(extra=["--axis-scale", "y=cubic"]))
case("phase-axis-scale-no-name", phase(extra=["--axis-scale", "=log"]))
case("phase-eta-scale-unknown", phase(extra=["--eta-scale", "cubic"]))
case("phase-eta-unit-critical-state-dependent", phase(extra=["--eta-unit", "critical"]))

# initial states
for name, init in {
    "missing-state": "x=0.1", "no-value": "x=0.1,y", "no-equals": "x0.1,y=1", "unknown-state": "x=0.1,y=1,z=2",
    "duplicate": "x=0.1,x=0.2,y=1", "empty": "", "comma": ",", "no-name": "=1,y=1", "double-equals": "x==1,y=1",
    "bad-name": "1x=2,y=1", "semicolon": "x=0.1;y=1", "empty-item": "x=0.1,,y=1",
}.items():
    case(f"simulate-init-{name}", sim(init=init))
case("bifurcation-init-unknown-state", bif(init="x=0.1,y=1,q=3"))
case("bifurcation-init-nan", bif(init="x=nan,y=1"))
case("critical-init-missing-state", crit(init="y=1"))
case("continue-orbit-nan", cont(orbit="x=nan"))
case("continue-orbit-empty", cont(orbit=""))
case("continue-orbit-unknown-state", cont(orbit="y=1"))

# model constants
case("param-unknown", ["derive", *SN, "--param", "foo=1"])
case("mean-model-no-d", ["derive", "mean-model"])
case("mean-model-d-twice", ["derive", "mean-model", "--param", "d=10", "--param", "d=20"])
case("mean-model-d-malformed", ["derive", "mean-model", "--param", "d"])
case("mean-model-other-param", ["derive", "mean-model", "--param", "d=10,e=1"])
case("mean-model-with-loss", ["derive", "mean-model", "--param", "d=10", "--loss", "sqrt1p"])

# expressions
EXPRESSIONS = {
    "import-system": "__import__('os').system('touch PWNED')",
    "lambda": "lambda s: s**2",
    "attribute": "s.__class__",
    "attribute-call": "(s**2).subs(s, 1)",
    "caret": "s^2",
    "unknown-function": "foo(s)",
    "sum-990-terms": " + ".join(f"cosh({i}*s)" for i in range(1, 991)),
    "huge-folded-power": "(((((9**64)**64)**64)**64)**64)*s**2",
    "huge-symbolic-power": "(((s**64)**64)**64)**64",
    "complex-valued": "sqrt(-1-s**2)",
    "abs": "Abs(s)",
    "empty": "",
    "blank": "   ",
    "unbalanced-open": "(s**2",
    "unbalanced-close": "s**2)",
    "string": "'abc'",
    "string-s": '"s"',
    "eval": "eval('s**2')",
    "getattr": "getattr(s, 'real')",
    "open": "open('PWNED', 'w')",
    "list": "[s, s]",
    "subscript": "s[0]",
    "statement": "s**2; import os",
    "conditional": "s**2 if s else 1",
    "unknown-symbol": "s*z",
    "nul": "s**2\x00",
    "very-long": "s+" * 50000 + "s",
    "zoo": "zoo*s**2",
}
for name, expr in EXPRESSIONS.items():
    case(f"loss-expr-{name}", derive_loss(expr))
case("map-expr-import", ["continue", "--map-expr", "__import__('os').system('touch PWNED')", "--state", "x",
                         "--from-orbit", "x=0.5", "--eta-range", "2.5:3.6"])
case("map-expr-unknown-symbol", ["continue", "--map-expr", "eta*z", "--state", "x", "--from-orbit", "x=0.5",
                                  "--eta-range", "2.5:3.6"])
case("map-expr-unbalanced", ["continue", "--map-expr", "eta*x*(1-x", "--state", "x", "--from-orbit", "x=0.5",
                             "--eta-range", "2.5:3.6"])
case("map-expr-empty", ["continue", "--map-expr", "", "--state", "x", "--from-orbit", "x=0.5", "--eta-range", "2.5:3.6"])
case("map-expr-lambda", ["bifurcation", "--map-expr", "lambda x: x", "--state", "x", "--eta", "2.5:3.6:3", "--init", "x=0.5"])
case("map-state-duplicate", ["bifurcation", "--map-expr", "eta*x*(1-x);x", "--state", "x,x", "--eta", "2.5:3.6:3",
                             "--init", "x=0.5"])
case("map-state-bad-name", ["bifurcation", "--map-expr", "eta*x", "--state", "1x", "--eta", "2.5:3.6:3", "--init", "x=0.5"])
case("map-without-state", ["continue", "--map-expr", "eta*x*(1-x)", "--from-orbit", "x=0.5", "--eta-range", "2.5:3.6"])
case("map-and-model", ["continue", "single-neuron", *MAP, "--from-orbit", "x=0.5", "--eta-range", "2.5:3.6"])
case("map-with-loss", ["continue", *MAP, "--loss", "sqrt1p", "--from-orbit", "x=0.5", "--eta-range", "2.5:3.6"])

# paths
case("phase-out-missing-folder", phase(out="missing/run.zarr"))
case("phase-plot-missing-folder", phase(extra=["--plot", "missing/p.png"]))
case("phase-out-proc", phase(out="/proc/x"))
case("phase-out-existing-file", phase(out="afile.zarr"))
case("phase-out-existing-plain-folder", phase(out="plain"))
case("simulate-plot-missing-folder", sim(extra=["--plot", "missing/p.png"]))
case("bifurcation-out-missing-folder", bif(extra=["--out", "missing/r.json"]))
case("bifurcation-out-bad-suffix", bif(extra=["--out", "r.txt"]))
case("bifurcation-plot-missing-folder", bif(extra=["--plot", "missing/p.png"]))
case("network-out-missing-folder", net(extra=["--out", "missing/r.json"]))
case("network-plot-missing-folder", net(extra=["--plot", "missing/p.png"]))
case("continue-plot-missing-folder", cont(extra=["--plot", "missing/p.png"]))
case("verify-latex-missing-folder", ["verify", "--list", "--latex", "missing/r.tex"])
case("verify-claims-missing-file", ["verify", "--claims", "missing.py"])
case("reproduce-no-job", ["reproduce", "--only", "no-such-job", "--out", "figures"])
# store targets that a wrong check would delete (marked; see module docstring)
case("store-home-resume", phase(out="~", extra=["--resume"]), store_safety)
case("store-home-overwrite", phase(out="~", extra=["--overwrite"]), store_safety)
case("store-home-slash-overwrite", phase(out="~/", extra=["--overwrite"]), store_safety)
case("store-cwd-overwrite", phase(out=".", extra=["--overwrite"]), store_safety)
case("store-cwd-resume", phase(out=".", extra=["--resume"]), store_safety)
case("store-parent-overwrite", phase(out="..", extra=["--overwrite"]), store_safety)
case("store-plain-folder-overwrite", phase(out="plain", extra=["--overwrite"]), store_safety)
case("store-plain-folder-resume", phase(out="plain", extra=["--resume"]), store_safety)
case("store-existing-file-overwrite", phase(out="afile.zarr", extra=["--overwrite"]), store_safety)
case("store-inside-plain-dots", phase(out="plain/..", extra=["--overwrite"]), store_safety)

# flags and combinations
case("phase-resume-and-overwrite", phase(extra=["--resume", "--overwrite"]))
case("phase-plot-one-axis", phase(y0="1", extra=["--plot", "p.png"]))
case("phase-observable-unknown", phase(extra=["--plot", "p.png", "--observable", "nope"]))
case("bifurcation-observable-unknown", bif(extra=["--observable", "nope"]))
case("unknown-model", ["simulate", "nope", "--eta", "0.1", "--init", "x=1"])
case("unknown-model-derive", ["derive", "nope"])
case("unknown-loss", ["derive", "single-neuron", "--loss", "nope"])
case("loss-and-loss-expr", ["derive", "single-neuron", "--loss", "sqrt1p", "--loss-expr", "s**2"])
case("unknown-verb", ["nope"])
case("unknown-flag", sim(extra=["--nope"]))
case("missing-eta", ["simulate", *SN, "--init", SIM_INIT])
case("verify-unknown-claim", ["verify", "no-such-claim"])
case("verify-unknown-loss", ["verify", "--loss", "nope"])
for name, value in {"1e30": "1e30", "1e13": "1e13", "negative": "-1", "fraction": "2.5", "nan": "nan"}.items():
    case(f"simulate-max-steps-{name}", sim(extra=["--max-steps", value]))
    case(f"phase-max-steps-{name}", phase(extra=["--max-steps", value]))
case("critical-max-steps-1e30", crit(extra=["--max-steps", "1e30"]))
case("critical-max-steps-0", crit(extra=["--max-steps", "0"]))
for flag in ("--transient", "--keep", "--lyapunov-steps"):
    case(f"bifurcation{flag}-1e30", bif(extra=[flag, "1e30"]))
    case(f"bifurcation{flag}-negative", bif(extra=[flag, "-1"]))
case("bifurcation-keep-0", bif(extra=["--keep", "0"]))
case("bifurcation-lyapunov-steps-0", bif(extra=["--lyapunov-steps", "0"]))
case("bifurcation-lyapunov-steps-nan", bif(extra=["--lyapunov-steps", "nan"]))
case("phase-tail-1e9", phase(extra=["--tail", "1e9"]))
case("phase-tail-1e9-one-point", phase(eta="0.1", y0="1", extra=["--tail", "1000000000"]))
case("phase-tail-negative", phase(extra=["--tail", "-1"]))
for value in ("0", "-1", "2.5", "nan"):
    case(f"phase-tile-points-{value}", phase(extra=["--tile-points", value]))
for name, extra in {
    "d-0": ["--d", "0"], "d-fraction": ["--d", "1.5"], "n-0": ["--n", "0"], "lam-negative": ["--lam", "-1"],
    "lam-nan": ["--lam", "nan"], "seed-negative": ["--seed", "-1"], "seed-fraction": ["--seed", "1.5"],
    "steps-factor-0": ["--steps-factor", "0"], "steps-factor-1e300": ["--steps-factor", "1e300"],
    "record-every-0": ["--record-every", "0"], "record-every-1e30": ["--record-every", "1e30"],
    "n-test-0": ["--n-test", "0"], "d-1e30": ["--d", "1e30"], "eta-too-small": ["--eta", "1e-9"],
}.items():
    case(f"network-{name}", net(extra=extra))
for name, extra in {"period-0": ["--period", "0"], "period-1e30": ["--period", "1e30"], "period-fraction": ["--period", "1.5"],
                    "max-period-0": ["--max-period", "0"], "max-points-1": ["--max-points", "1"],
                    "max-points-1e30": ["--max-points", "1e30"], "max-points-1e7": ["--max-points", "1e7"]}.items():
    case(f"continue-{name}", cont(extra=extra))
case("continue-eta-twice", ["continue", *MAP, "--from-orbit", "x=0.5,eta=2.5", "--eta", "2.5", "--eta-range", "2.5:3.6"])


# ------------------------------------------------------------------ machinery
@pytest.fixture(scope="session")
def mpl_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mplconfig")


def _layout(root: Path) -> dict:
    """Create the sandbox under ``root``; return its folders."""
    home, work = root / "home", root / "work"
    for folder in (home, work, work / "plain"):
        folder.mkdir(parents=True, exist_ok=True)
    (root / "sentinel.txt").write_text("tmp sentinel\n")
    (home / "sentinel.txt").write_text("home sentinel\n")
    (home / ".bashrc").write_text("# a dotfile\n")
    (work / "sentinel.txt").write_text("work sentinel\n")
    (work / "plain" / "notes.txt").write_bytes(bytes(range(256)))
    (work / "afile.zarr").write_text("not a store\n")
    return {"root": root, "home": home, "work": work}


def _snapshot(root: Path) -> dict:
    """{relative path: sha256 (files) | 'dir' | 'link'} of everything under ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "link"
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def sandbox(tmp_path, monkeypatch, mpl_dir):
    folders = _layout(tmp_path)
    monkeypatch.setenv("HOME", str(folders["home"]))
    monkeypatch.setenv("MPLCONFIGDIR", str(mpl_dir))
    # a kernel generated for a refused request would show in the snapshot: refusals come before any codegen
    monkeypatch.setenv("EOSCOPE_CACHE_DIR", str(folders["root"] / "kernel-cache"))
    monkeypatch.delenv("EOSCOPE_DEBUG", raising=False)
    monkeypatch.chdir(folders["work"])
    return folders


def _check_refusal(rc, out: str, err: str) -> None:
    assert "Traceback" not in out + err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, f"exit status {rc}, stderr: {err!r}"
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert lines[0].startswith("eoscope: error: "), lines[0]


@pytest.mark.parametrize("argv", CASES)
def test_cli_refuses(argv, sandbox, capfd):
    from eoscope.simulations.cli import main

    before = _snapshot(sandbox["root"])
    start = time.perf_counter()
    rc = main(list(argv))
    seconds = time.perf_counter() - start
    out, err = capfd.readouterr()
    _check_refusal(rc, out, err)
    assert _snapshot(sandbox["root"]) == before, "files changed"
    assert seconds < 20, f"refusal took {seconds:.1f} s"


LIMIT_CASES = {  # refused on counts alone: well under 2 s
    "grid-1e10": phase(eta="0.1:1:100000", y0="1:2:100000"),
    "axis-1e9": phase(y0="1:2:1000000000"),
    "tail-1e9": phase(extra=["--tail", "1000000000"]),
    "tiles": phase(eta="0.1:1:100000", y0="1:2:10000", extra=["--tile-points", "1"]),
    "max-steps": sim(extra=["--max-steps", "1e30"]),
}


@pytest.mark.parametrize("argv", list(LIMIT_CASES.values()), ids=list(LIMIT_CASES))
def test_limits_refused_fast(argv, sandbox, capfd):
    from eoscope.simulations.cli import main

    main(list(argv))  # warm: the model is built once per process
    capfd.readouterr()
    start = time.perf_counter()
    rc = main(list(argv))
    seconds = time.perf_counter() - start
    out, err = capfd.readouterr()
    _check_refusal(rc, out, err)
    assert "limit" in err
    assert seconds < 2, f"refusal took {seconds:.2f} s"


def test_limit_messages_state_limit_and_size(sandbox, capfd):
    from eoscope.simulations.cli import main

    assert main(phase(eta="0.1:1:100000", y0="1:2:100000")) == 2
    err = capfd.readouterr().err
    assert "10000000000 points" in err and "2e9" in err
    assert main(sim(extra=["--max-steps", "1e30"])) == 2
    err = capfd.readouterr().err
    assert "1e30" in err and "1e12" in err


# ------------------------------------------------------------------ Python API
def _model():
    from eoscope.derivations import build_model

    return build_model("single-neuron", loss="sqrt1p")


def _api_cases():
    import numpy as np

    from eoscope.derivations import build_model, custom_map
    from eoscope.dynamics import critical_step_size, grid_run, orbit_diagram, trajectory
    from eoscope.simulations._network import network_sweep
    from eoscope.derivations._validate import Axis, parse_axis
    from eoscope.simulations._sweep import plan_sweep, sweep

    m = _model
    axes = {"x0": 0.1, "y0": "1:2:3"}
    return {
        "parse-axis-nan": lambda tmp: parse_axis("nan", "--eta"),
        "parse-axis-inverted": lambda tmp: parse_axis("2:1:3", "--y0"),
        "parse-axis-n-zero": lambda tmp: parse_axis("1:2:0", "--y0"),
        "parse-axis-arabic": lambda tmp: parse_axis("١", "--y0"),
        "parse-axis-underscore": lambda tmp: parse_axis("1_0", "--y0"),
        "parse-axis-object": lambda tmp: parse_axis(object(), "--y0"),
        "axis-values-1e9": lambda tmp: Axis(0.0, 1.0, 10**9).values,
        "plan-1e10-points": lambda tmp: plan_sweep(m(), "0.1:1:100000", {"x0": 0.1, "y0": "1:2:100000"}),
        "plan-in-memory-1e9-points": lambda tmp: plan_sweep(m(), "0.1:1:100000", {"x0": 0.1, "y0": "1:2:10000"}),
        "plan-max-steps-1e30": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"max_steps": 1e30}),
        "plan-max-steps-inf": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"max_steps": float("inf")}),
        "plan-max-steps-nan": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"max_steps": float("nan")}),
        "plan-max-steps-bool": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"max_steps": True}),
        "plan-max-steps-text-1e30": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"max_steps": "1e30"}),
        "plan-tail-1e9": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"tail": 10**9}),
        "plan-tol-nan": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"tol": float("nan")}),
        "plan-unknown-option": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, options={"nope": 1}),
        "plan-tile-points-0": lambda tmp: plan_sweep(m(), "0.1:1:3", axes, tile_points=0),
        "plan-unknown-axis": lambda tmp: plan_sweep(m(), "0.1:1:3", {**axes, "z0": 1}),
        "plan-missing-axis": lambda tmp: plan_sweep(m(), "0.1:1:3", {"x0": 0.1}),
        "sweep-store-missing-folder": lambda tmp: sweep(m(), "0.1:1:3", axes, store=str(tmp / "work" / "missing" / "r.zarr"),
                                                        max_steps=50),
        "sweep-store-home": lambda tmp: sweep(m(), "0.1:1:3", axes, store=str(tmp / "home"), overwrite=True, max_steps=50),
        "sweep-store-disk-full": lambda tmp: sweep(m(), "0.1:1:100000", {"x0": 0.1, "y0": "1:2:10000"},
                                                   store=str(tmp / "work" / "big.zarr"), tail=1000),
        "grid-run-max-steps-1e30": lambda tmp: grid_run(m(), np.array([0.1]), np.array([[0.1, 1.0]]), max_steps=1e30),
        "grid-run-tail-1e9": lambda tmp: grid_run(m(), np.array([0.1]), np.array([[0.1, 1.0]]), tail=10**9 + 1),
        "grid-run-eta-nan": lambda tmp: grid_run(m(), np.array([np.nan]), np.array([[0.1, 1.0]])),
        "trajectory-max-steps-1e30": lambda tmp: trajectory(m(), 0.1, {"x": 0.1, "y": 1.0}, max_steps=1e30),
        "trajectory-eta-nan": lambda tmp: trajectory(m(), float("nan"), {"x": 0.1, "y": 1.0}),
        "trajectory-eta-zero": lambda tmp: trajectory(m(), 0.0, {"x": 0.1, "y": 1.0}),
        "trajectory-init-unknown": lambda tmp: trajectory(m(), 0.1, {"x": 0.1, "y": 1.0, "z": 2.0}),
        "trajectory-init-nan": lambda tmp: trajectory(m(), 0.1, {"x": float("nan"), "y": 1.0}),
        "orbit-diagram-transient-1e30": lambda tmp: orbit_diagram(m(), np.array([0.1]), {"x": 0.1, "y": 1.0}, transient=1e30),
        "critical-max-steps-1e30": lambda tmp: critical_step_size(m(), {"x": 0.1, "y": 1.0}, max_steps=1e30),
        "build-unknown-model": lambda tmp: build_model("nope"),
        "build-unknown-loss": lambda tmp: build_model("single-neuron", loss="nope"),
        "build-loss-and-expr": lambda tmp: build_model("single-neuron", loss="sqrt1p", loss_expr="s**2"),
        "build-loss-expr-import": lambda tmp: build_model("single-neuron", loss_expr="__import__('os').system('touch PWNED')"),
        "build-mean-model-d-nan": lambda tmp: build_model("mean-model", params={"d": float("nan")}),
        "custom-map-import": lambda tmp: custom_map("__import__('os').system('touch PWNED')", "x"),
        "network-eta-too-small": lambda tmp: network_sweep([1e-9], d=4, n=4, n_test=4),
        "network-steps-factor-1e300": lambda tmp: network_sweep([0.01], d=4, n=4, n_test=4, steps_factor=1e300),
        "network-record-every-1e30": lambda tmp: network_sweep([0.01], d=4, n=4, n_test=4, record_every=1e30),
        "network-max-steps-1e30": lambda tmp: network_sweep([1e-9], d=4, n=4, n_test=4, max_steps=1e30),
        "network-eta-nan": lambda tmp: network_sweep([float("nan")], d=4, n=4, n_test=4),
    }


API_CASES = list(_api_cases())


@pytest.mark.parametrize("name", API_CASES)
def test_api_refuses(name, sandbox):
    call = _api_cases()[name]
    before = _snapshot(sandbox["root"])
    start = time.perf_counter()
    with pytest.raises(InputError):
        call(sandbox["root"])
    seconds = time.perf_counter() - start
    assert _snapshot(sandbox["root"]) == before, "files changed"
    assert seconds < 20, f"refusal took {seconds:.1f} s"


def test_plan_size_check_runs_before_materialising(sandbox):
    """10¹⁰ points are refused in well under 2 s (no axis is materialised)."""
    from eoscope.simulations._sweep import plan_sweep

    model = _model()
    start = time.perf_counter()
    with pytest.raises(InputError, match="limit"):
        plan_sweep(model, "0.1:1:100000", {"x0": 0.1, "y0": "1:2:100000"}, store="run.zarr")
    with pytest.raises(InputError, match="per axis"):
        plan_sweep(model, "0.1:1:3", {"x0": 0.1, "y0": "1:2:1000000000"})
    assert time.perf_counter() - start < 2


def test_limits_are_documented_constants():
    from eoscope.derivations import _limits

    assert _limits.MAX_STEPS == 10**12
    assert _limits.MAX_AXIS_POINTS == 10**8
    assert _limits.MAX_GRID_POINTS == 2 * 10**9
    assert _limits.MAX_TILES == 10**6
    assert 0 < _limits.memory_budget() <= _limits.physical_memory()
    source = Path(_limits.__file__).read_text()
    for name in ("MAX_STEPS", "MAX_AXIS_POINTS", "MAX_GRID_POINTS", "MAX_TILES", "MEMORY_FRACTION"):
        assert f'{name} = ' in source and '"""' in source.split(f"{name} = ", 1)[1].split("\n", 2)[1]


# ------------------------------------------------------------------ real processes
SUBPROCESS_CASES = {
    "eta-nan": sim(eta="nan"),
    "unknown-model": ["simulate", "nope", "--eta", "0.1", "--init", "x=1"],
    "loss-expr-import": derive_loss("__import__('os').system('touch PWNED')"),
    "loss-expr-unbalanced": derive_loss("(s**2"),
    "max-steps-1e30": sim(extra=["--max-steps", "1e30"]),
    "grid-1e10": phase(eta="0.1:1:100000", y0="1:2:100000"),
    "tail-1e9": phase(extra=["--tail", "1e9"]),
    "plot-missing-folder": sim(extra=["--plot", "missing/p.png"]),
    "unknown-verb": ["nope"],
    "network-record-every-1e30": net(extra=["--record-every", "1e30"]),
    "bifurcation-lyapunov-1e30": bif(extra=["--lyapunov-steps", "1e30"]),
}


@pytest.fixture(scope="module")
def subprocess_results(tmp_path_factory, mpl_dir):
    """Start every subprocess case at once (each in its own sandbox), then collect them."""
    running = {}
    for name, argv in SUBPROCESS_CASES.items():
        folders = _layout(tmp_path_factory.mktemp(f"proc-{name}"))
        env = dict(os.environ, HOME=str(folders["home"]), MPLCONFIGDIR=str(mpl_dir))
        env.pop("EOSCOPE_DEBUG", None)
        before = _snapshot(folders["root"])
        process = subprocess.Popen([sys.executable, "-m", "eoscope", *argv], cwd=folders["work"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running[name] = (process, folders, before)
    results = {}
    for name, (process, folders, before) in running.items():
        try:
            out, err = process.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        results[name] = (process.returncode, out, err, before, _snapshot(folders["root"]))
    return results


@pytest.mark.parametrize("name", list(SUBPROCESS_CASES))
def test_subprocess_refuses(name, subprocess_results):
    rc, out, err, before, after = subprocess_results[name]
    _check_refusal(rc, out, err)
    assert after == before, "files changed"
