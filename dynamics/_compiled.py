"""load_spine(model) -> CompiledMap: the model's spine kernels (maps, loss, sharpness, one trajectory).

Reached through :attr:`System.spine` (``compile(model).spine``), which loads it once per process. The source
comes from :func:`eoscope.derivations.generate_kernel_module`, a real file in the kernel cache, so
``@njit(cache=True)`` persists machine code across processes. ``runtime_start_seconds`` is numba's one-off
start-up in a process (paid by any cached function), ``compile_seconds`` the wall time of the kernel's first
call after it (a compile, or a cache load: ~0 on a warm cache) and ``cache_hits`` counts numba's cache hits
for it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ..derivations import Model, generate_kernel_module

from ._system import import_kernel_file
from ._warmup import numba_runtime_probe


@dataclass(frozen=True, eq=False)
class CompiledMap:
    """CompiledMap: a model's generated spine module, plus how long loading it took.

    Attributes:
        model: the Model; module: the imported generated module; path: its file in the kernel cache;
        compile_seconds: first call of ``run_trajectory`` (compile or cache load); cache_hits: numba cache hits;
        runtime_start_seconds: numba's one-off start-up in this process.
        The kernels are reachable as attributes: ``gd_map``, ``gd_step``, ``loss``, ``gradient``, ``hessian``,
        ``jacobian``, ``sharpness``, ``run_trajectory``.
    """

    model: Model
    module: ModuleType
    path: str
    compile_seconds: float
    cache_hits: int
    runtime_start_seconds: float

    @property
    def kernel_cache(self) -> str:
        """"hit" when numba loaded the machine code from its cache, else "miss"."""
        return "hit" if self.cache_hits > 0 else "miss"

    def __getattr__(self, name):  # gd_map, loss, sharpness, run_trajectory, ...
        if name.startswith("_") or name in {"module", "model"}:
            raise AttributeError(name)
        return getattr(self.module, name)


def load_spine(model: Model) -> CompiledMap:
    """load_spine(model) -> CompiledMap

    Generate (if needed) and import the spine module, then trigger numba's compile or cache load of
    ``run_trajectory`` and time it. Not cached here: :attr:`System.spine` calls it once per model hash.
    """
    path = generate_kernel_module(model)
    module = import_kernel_file(path)
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
    return CompiledMap(model, module, str(path), seconds, hits, runtime_start)
