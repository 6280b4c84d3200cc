"""eoscope.simulations: everything at scale and everything a user touches: sweeps and their stores, the
sparse-coding network experiment, figures (:mod:`eoscope.plot`) and the ``eoscope`` command line.

Public API: :func:`sweep`, :func:`open_sweep`, :func:`network_sweep`, :func:`make_data`.
"""
from ._network import NetworkData, NetworkSweep, make_data, network_sweep
from ._sweep import sweep
from ._sweep_store import open_sweep

__all__ = ["NetworkData", "NetworkSweep", "make_data", "network_sweep", "open_sweep", "sweep"]
