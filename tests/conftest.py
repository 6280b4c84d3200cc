"""Test configuration: float64 everywhere, an isolated kernel cache, and a CLI runner."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("EOSCOPE_CACHE_DIR", tempfile.mkdtemp(prefix="eoscope-test-cache-"))


def run_cli(*args, env=None, timeout=600):
    """Run ``python -m eoscope ARGS`` in a subprocess from the repository root."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.pop("EOSCOPE_DEBUG", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "eoscope", *map(str, args)],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli
