"""compile_model(model) -> CompiledMap: load (generating if needed) the numba kernels of a model.

The source comes from :func:`derivations.generate_kernel_module`, a real file in the kernel cache,
so ``@njit(cache=True)`` persists machine code across processes. ``runtime_start_seconds`` is numba's
one-off start-up in a process (paid by any cached function), ``compile_seconds`` the wall time of the
kernel's first call after it (a compile, or a cache load: ~0 on a warm cache) and ``cache_hits``
counts numba's cache hits for it.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ..derivations import Model, generate_kernel_module

from ._warmup import numba_runtime_probe


@dataclass(frozen=True, eq=False)
class CompiledMap:
    """A model's generated kernel module, plus how long loading it took."""

    model: Model
    module: ModuleType
    path: str
    compile_seconds: float
    cache_hits: int
    runtime_start_seconds: float

    @property
    def kernel_cache(self) -> str:
        return "hit" if self.cache_hits > 0 else "miss"

    def __getattr__(self, name):  # gd_map, loss, sharpness, run_trajectory, ...
        if name.startswith("_") or name in {"module", "model"}:
            raise AttributeError(name)
        return getattr(self.module, name)


_LOADED: dict[str, CompiledMap] = {}


def _import_file(path) -> ModuleType:
    name = f"eoscope_kernels.{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def compile_model(model: Model) -> CompiledMap:
    """compile_model(model) -> CompiledMap

    Generate (once per model hash) and import the kernel module, then trigger numba's compile or
    cache load of ``run_trajectory`` and time it.
    """
    cached = _LOADED.get(model.hash)
    if cached is not None:
        return cached
    path = generate_kernel_module(model)
    module = _import_file(path)
    n = len(module.STATE)
    start = time.perf_counter()
    numba_runtime_probe(0.0)  # numba's one-off start-up (~0.3 s), paid even on a warm cache
    runtime_start = time.perf_counter() - start
    start = time.perf_counter()
    # Warm up at a NaN state, not at θ = 0: a loss singular at s = 0 (log(s)**2, 1/s) would raise there in
    # numba (x/0.0 under the Python error model of older cached kernels, x**(-2) at x = 0.0 under any model),
    # while NaN passes every zero-divisor check and the orbit is simply diverged at step 0.
    module.run_trajectory(
        np.full(n, np.nan), 0.1, 0, 1e-12, 1e8, 1, np.zeros(2, np.int64), np.zeros((2, n)), np.zeros(2), np.zeros(2)
    )
    seconds = time.perf_counter() - start
    hits = sum(module.run_trajectory.stats.cache_hits.values())
    compiled = CompiledMap(model, module, str(path), seconds, hits, runtime_start)
    _LOADED[model.hash] = compiled
    return compiled
