"""eoscope.plot: the figures of eoscope, for notebooks and scripts.

Every function draws into the Axes (``ax=``) or Figure/SubFigure (``fig=``) it is given, or into a new
``matplotlib.figure.Figure``, and returns the Figure; none writes a file or chooses a matplotlib backend
(a notebook keeps its own; the ``eoscope`` CLI alone selects Agg). Save with ``fig.savefig(path)``.

Multi-panel figures take ``fig=`` for all their panels, or ``ax=`` for their main panel alone.
"""
from .simulations._figure_bifurcation import continuation, orbit_diagram
from .simulations._figure_network import mean_model_limits, network
from .simulations._figure_phase import phase
from .simulations._figure_phase_relative import phase_relative
from .simulations._figure_trajectory import trajectories

__all__ = ["continuation", "mean_model_limits", "network", "orbit_diagram", "phase", "phase_relative", "trajectories"]
