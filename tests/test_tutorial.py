"""docs/tutorial.md runs: every ```python block, in order, in one namespace, as a notebook would.

The blocks run in a temporary working folder (HOME pointed there too), so the files they write, a sweep store
and figures, land there. ``python tests/test_tutorial.py [DIR]`` runs the same blocks in a temporary folder and copies the
``tutorial_*.png`` figures into DIR (default docs/figures): that is how the tutorial's figures are made.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def tutorial_blocks() -> list[str]:
    """The tutorial's Python blocks, in order."""
    return BLOCK.findall(TUTORIAL.read_text(encoding="utf-8"))


def run_tutorial(folder: Path) -> dict:
    """Runs every block in ``folder`` (the working folder), returns the namespace."""
    import matplotlib

    matplotlib.use("Agg")  # the test's choice: the tutorial itself uses the user's backend
    namespace: dict = {"__name__": "__tutorial__"}
    previous = os.getcwd()
    os.chdir(folder)
    try:
        for number, block in enumerate(tutorial_blocks(), start=1):
            try:
                exec(compile(block, f"{TUTORIAL.name} block {number}", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"docs/tutorial.md block {number} failed: {type(exc).__name__}: {exc}\n{block}") from exc
    finally:
        os.chdir(previous)
    return namespace


def test_the_tutorial_has_blocks_for_every_step():
    text = "\n".join(tutorial_blocks())
    for verb in ("eo.derive", "eo.trajectory", "eo.sweep", "eo.open_sweep", "eo.orbit_diagram", "eo.continue_orbit",
                 "eo.critical_step_size", "eo.network_sweep", "eo.verify", "eo.plot."):
        assert verb in text, verb


def test_every_tutorial_block_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    namespace = run_tutorial(tmp_path)
    assert "eo" in namespace
    written = {p.name for p in tmp_path.iterdir()}
    assert any(name.endswith(".png") for name in written), written


if __name__ == "__main__":
    import shutil
    import tempfile

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/figures").resolve()
    with tempfile.TemporaryDirectory() as work:  # the store and everything else stay in the temporary folder
        run_tutorial(Path(work))
        for figure in sorted(Path(work).glob("tutorial_*.png")):
            shutil.copyfile(figure, out / figure.name)
            print(f"wrote {out / figure.name}")
