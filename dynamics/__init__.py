"""eoscope.dynamics: compiled maps and what one orbit can tell.

Public API: :func:`compile_model`, :class:`CompiledMap`, :func:`trajectory`, :class:`Trajectory`,
:func:`check_eta`, :func:`check_init`, :data:`STATUS_NAMES`.
"""
from ._compiled import CompiledMap, compile_model
from ._trajectory import STATUS_NAMES, Trajectory, check_eta, check_init, trajectory
from ._version import package_version

__all__ = [
    "STATUS_NAMES",
    "CompiledMap",
    "Trajectory",
    "check_eta",
    "check_init",
    "compile_model",
    "package_version",
    "trajectory",
]

from ._continuation import Branch, Continuation, SpecialPoint, continue_orbit  # noqa: E402
from ._dyn_kernels import compile_dynamics  # noqa: E402
from ._periodic import PeriodicOrbit, periodic_orbit  # noqa: E402

__all__ += ["Branch", "Continuation", "PeriodicOrbit", "SpecialPoint", "compile_dynamics", "continue_orbit", "periodic_orbit"]

from ._critical import CriticalStepSize, critical_step_size, symbolic_critical_eta  # noqa: E402
from ._lyapunov import LyapunovSpectrum, lyapunov_exponents  # noqa: E402
from ._orbit_diagram import OrbitDiagram, orbit_diagram  # noqa: E402

__all__ += [
    "CriticalStepSize",
    "LyapunovSpectrum",
    "OrbitDiagram",
    "critical_step_size",
    "lyapunov_exponents",
    "orbit_diagram",
    "symbolic_critical_eta",
]
from ._grid import (  # noqa: E402
    GRID_CODEGEN_VERSION,
    GRID_FIELDS,
    GRID_STATUS_CODES,
    GRID_STATUS_NAMES,
    MAX_PERIOD,
    GridResult,
    compile_grid,
    grid_run,
)

__all__ += ["GRID_CODEGEN_VERSION", "GRID_FIELDS", "GRID_STATUS_CODES", "GRID_STATUS_NAMES", "MAX_PERIOD", "GridResult", "compile_grid", "grid_run"]
