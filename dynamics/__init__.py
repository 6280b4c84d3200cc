"""eoscope.dynamics: compiled systems and what one orbit (or a grid of orbits) can tell.

Public API (every verb takes a :class:`~eoscope.derivations.Model` or a :class:`System`; the initial state is
``init``, a dict {state name: value} or values in state order):

compile(model) -> System
trajectory(model, eta, init, ...) -> Trajectory
grid_run(model, eta, init, options=None, ...) -> GridResult
orbit_diagram(model, etas, init, ...) -> OrbitDiagram
periodic_orbit(model, eta, init, period, ...) -> PeriodicOrbit
continue_orbit(model, eta, init, period, eta_range, ..., options=ContinuationOptions()) -> Continuation
lyapunov_exponents(model, eta, init, ...) -> LyapunovSpectrum
critical_step_size(model, init, ...) -> CriticalStepSize
Result, Status; GridOptions, NewtonOptions, ContinuationOptions; progress_bar
"""
from ._compiled import CompiledMap
from ._continuation import Branch, Continuation, SpecialPoint, continue_orbit
from ._critical import CriticalStepSize, critical_step_size, symbolic_critical_eta
from ._grid import (
    GRID_CODEGEN_VERSION,
    GRID_FIELDS,
    GRID_STATUS_CODES,
    GRID_STATUS_NAMES,
    MAX_PERIOD,
    GridResult,
    grid_run,
)
from ._lyapunov import LyapunovSpectrum, lyapunov_exponents
from ._options import ContinuationOptions, GridOptions, NewtonOptions
from ._orbit_diagram import OrbitDiagram, orbit_diagram
from ._periodic import PeriodicOrbit, periodic_orbit
from ._progress import progress_bar
from ._result import Result, Status
from ._state import check_eta, check_init
from ._system import System, compile
from ._trajectory import STATUS_NAMES, Trajectory, trajectory
from ._version import package_version

__all__ = [
    "GRID_CODEGEN_VERSION",
    "GRID_FIELDS",
    "GRID_STATUS_CODES",
    "GRID_STATUS_NAMES",
    "MAX_PERIOD",
    "STATUS_NAMES",
    "Branch",
    "CompiledMap",
    "Continuation",
    "ContinuationOptions",
    "CriticalStepSize",
    "GridOptions",
    "GridResult",
    "LyapunovSpectrum",
    "NewtonOptions",
    "OrbitDiagram",
    "PeriodicOrbit",
    "Result",
    "SpecialPoint",
    "Status",
    "System",
    "Trajectory",
    "check_eta",
    "check_init",
    "compile",
    "continue_orbit",
    "critical_step_size",
    "grid_run",
    "lyapunov_exponents",
    "orbit_diagram",
    "package_version",
    "periodic_orbit",
    "progress_bar",
    "symbolic_critical_eta",
    "trajectory",
]
