"""One compiled system object per model: ``compile(model) -> System`` (the ChaosTools pattern).

compile(model_or_system) -> System     one process cache keyed by ``model.hash``

A :class:`System` holds the symbolic :class:`~eoscope.derivations.Model` and loads its three generated kernel
modules lazily, each on first use (generated into the kernel cache by
:func:`eoscope.derivations.kernel_path` and imported once per process):

* ``spine``: the :class:`CompiledMap` of the model's maps (``gd_map``, ``loss``, ``sharpness``,
  ``run_trajectory``), used by :func:`trajectory`;
* ``grid``: the blocked SIMD many-orbit kernel (``run_grid``), one module per block size
  (:meth:`System.grid_module`), used by :func:`grid_run` and the sweeps;
* ``dynamics``: the bifurcation kernels (``orbit_power``, ``lyapunov_kernel``, ``orbit_diagram_kernel``,
  ``stability_run``), used by :func:`periodic_orbit`, :func:`continue_orbit`, :func:`lyapunov_exponents`,
  :func:`orbit_diagram` and :func:`critical_step_size`.
"""
from __future__ import annotations

import importlib.util
import sys
import threading
from dataclasses import dataclass, field
from types import ModuleType

from ..derivations import InputError, Model, generate_dynamics_module, generate_grid_module
from ..derivations._codegen_grid import DEFAULT_BLOCK


def import_kernel_file(path) -> ModuleType:
    """import_kernel_file(path) -> module: import a generated kernel file once per process (``sys.modules``)."""
    name = f"eoscope_kernels.{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True, eq=False)
class System:
    """System(model)

    A model with its generated kernels, loaded lazily. Made by :func:`compile` (one per model hash).

    Arguments:
        model: the symbolic :class:`~eoscope.derivations.Model`.

    Attributes:
        model: the symbolic :class:`~eoscope.derivations.Model`.
        spine: :class:`CompiledMap`, the maps and the one-orbit kernel (loaded on first access).
        grid: the grid module at the default block size of 64 lanes (loaded on first access);
            :meth:`grid_module` gives other block sizes.
        dynamics: the bifurcation kernels module (loaded on first access).

    Every verb (:func:`trajectory`, :func:`grid_run`, :func:`orbit_diagram`, :func:`periodic_orbit`,
    :func:`continue_orbit`, :func:`lyapunov_exponents`, :func:`critical_step_size`) accepts a System as well as
    a Model; passing the System skips the cache look-up.

    Raises (on first access to a kernel attribute):
        InputError: a state name that cannot be used in generated code, or a kernel cache that cannot be written
            (set EOSCOPE_CACHE_DIR).
    """

    model: Model
    _modules: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The model's name."""
        return self.model.name

    @property
    def state_names(self) -> tuple[str, ...]:
        """The model's state variables in declaration order."""
        return self.model.state_names

    def _load(self, key, make):
        module = self._modules.get(key)
        if module is None:
            with self._lock:
                module = self._modules.get(key)
                if module is None:
                    module = make()
                    self._modules[key] = module
        return module

    @property
    def spine(self):
        """The :class:`CompiledMap` of the model (generated, imported and warmed up on first access)."""
        from ._compiled import load_spine

        return self._load("spine", lambda: load_spine(self.model))

    @property
    def dynamics(self) -> ModuleType:
        """The bifurcation kernels module (see :mod:`eoscope.derivations._codegen_dynamics`)."""
        return self._load("dynamics", lambda: import_kernel_file(generate_dynamics_module(self.model)))

    @property
    def grid(self) -> ModuleType:
        """The grid module at the default block size (see :mod:`eoscope.derivations._codegen_grid`)."""
        return self.grid_module(DEFAULT_BLOCK)

    def grid_module(self, block: int = DEFAULT_BLOCK) -> ModuleType:
        """grid_module(block=64) -> module

        The grid module with SIMD blocks of ``block`` lanes (generated, imported and loaded once per block).

        Arguments:
            block: lanes per SIMD block, a positive integer (default 64).

        Returns:
            module: the generated grid kernels of the model for that block size.

        Raises:
            InputError: ``block`` ≤ 0, a state name unusable in generated code, or an unwritable kernel cache.
            ValueError, TypeError: ``block`` that ``int()`` cannot convert.
        """
        block = int(block)
        return self._load(("grid", block), lambda: import_kernel_file(generate_grid_module(self.model, block)))


_SYSTEMS: dict[str, System] = {}
_SYSTEMS_LOCK = threading.Lock()


def compile(model) -> System:  # noqa: A001 - the public name of the verb
    """compile(model_or_system) -> System

    The compiled system of a model: one per model hash and process (a second call returns the same object).
    Nothing is generated or compiled until a kernel is first used.

    Arguments:
        model: a :class:`~eoscope.derivations.Model` (e.g. ``build_model("single-neuron", loss="sqrt1p")``), or
            a :class:`System` (returned as it is).

    Returns:
        System: the model with its lazily loaded spine, grid and dynamics kernels.

    Raises:
        InputError: ``model`` is neither a Model nor a System.
    """
    if isinstance(model, System):
        return model
    if not isinstance(model, Model):
        raise InputError(f"model must be an eoscope Model or System, got {type(model).__name__}")
    system = _SYSTEMS.get(model.hash)
    if system is None:
        with _SYSTEMS_LOCK:
            system = _SYSTEMS.get(model.hash)
            if system is None:
                system = System(model)
                _SYSTEMS[model.hash] = system
    return system


def resolve(model) -> tuple[System, Model]:
    """resolve(model_or_system) -> (System, Model): the system, and the model to record on a result (the
    caller's own Model object when one was given; the System's otherwise).

    Raises:
        InputError: ``model`` is neither a Model nor a System.
    """
    system = compile(model)
    return system, (model if isinstance(model, Model) else system.model)


__all__ = ["System", "compile", "import_kernel_file", "resolve"]
