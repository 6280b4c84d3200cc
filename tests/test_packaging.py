"""The installed package: one top-level import name (``eoscope``), ``python -m eoscope``, and imports that only
point downward (cli → simulations → dynamics → derivations).

The wheel is built from a copy of the sources in a temporary folder (nothing is written into the checkout), and
its file list is the proof of what ``pip install .`` puts into site-packages.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("derivations", "dynamics", "simulations")
RANK = {"derivations": 0, "dynamics": 1, "simulations": 2}
CLI_MODULES = ("cli", "_cli_", "_cmd_", "_reproduce_")  # the command line: above the rest of simulations


def _run(argv, cwd, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def _installed_files() -> set[str] | None:
    """The files a regular (not editable) install put into site-packages, or None for an editable install
    (found through the folder that holds the imported package, not through sys.path, which may hold a
    checkout's stale ``eoscope.egg-info``)."""
    from importlib import metadata

    import eoscope

    site = Path(eoscope.__file__).resolve().parents[1]
    found = [d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "eoscope"]
    if not found:
        return None
    names = {str(f).replace(os.sep, "/") for f in found[0].files or []}
    return {name for name in names if not name.startswith("..")}  # console scripts live outside site-packages


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    installed = _installed_files()
    if installed is not None:  # `pip install .` (CI): what it installed is the proof
        return installed
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("src", *LAYERS):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."],
                cwd=source)
    if proc.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {proc.stderr.strip()[-300:]}")
    (wheel,) = out.glob("eoscope-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_installs_one_top_level_name(wheel_names):
    top = {name.split("/")[0] for name in wheel_names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"eoscope"}
    for layer in LAYERS:
        assert f"eoscope/{layer}/__init__.py" in wheel_names
    assert "eoscope/__main__.py" in wheel_names and "eoscope/plot.py" in wheel_names
    assert not any("network_numpy" in name or "/tests/" in name for name in wheel_names)
    assert not any(name.endswith("/simulations/__main__.py") for name in wheel_names)


def test_import_from_another_folder_finds_only_eoscope(tmp_path):
    (tmp_path / "simulations").mkdir()  # an unrelated local folder must not be merged into eoscope
    proc = _run([sys.executable, "-c", "import eoscope, eoscope.simulations as s; print(eoscope.__version__); "
                 "print(s.__file__)"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    version, simulations_file = proc.stdout.split()
    assert version == __import__("eoscope").__version__
    assert Path(simulations_file).parent != tmp_path / "simulations"
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in LAYERS:
        proc = _run([sys.executable, "-c", f"import {name}"], cwd=empty)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, name


def test_python_dash_m_runs_the_cli_from_the_repository_root():
    proc = _run([sys.executable, "-m", "eoscope", "--version"], cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("eoscope ")


def _imports(path: Path, package: str):
    """(line, absolute module) for every import of ``path``, whose own package is ``package``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                yield node.lineno, ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.lineno, node.module or ""


def test_imports_only_point_downward():
    wrong = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            package = ".".join(["eoscope", *path.relative_to(ROOT).parent.parts])
            for line, module in _imports(path, package):
                parts = module.split(".")
                if parts[0] in LAYERS:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} by a top-level name")
                    continue
                if parts[0] != "eoscope" or len(parts) < 2:
                    continue
                if parts[1] not in RANK:  # eoscope itself, eoscope.plot: the table of contents sits above all
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} (above the layers)")
                elif RANK[parts[1]] > RANK[layer]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module} (upward)")
                elif layer == "simulations" and not path.name.startswith(CLI_MODULES):
                    if len(parts) > 2 and parts[2].startswith(CLI_MODULES):
                        wrong.append(f"{path.relative_to(ROOT)}:{line} imports the CLI module {module}")
    assert not wrong, "\n".join(wrong)
