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

from ._grid import GRID_FIELDS, GRID_STATUS_CODES, GRID_STATUS_NAMES, MAX_PERIOD, GridResult, compile_grid, grid_run  # noqa: E402

__all__ += ["GRID_FIELDS", "GRID_STATUS_CODES", "GRID_STATUS_NAMES", "MAX_PERIOD", "GridResult", "compile_grid", "grid_run"]
