"""eoscope: an analytical and symbolic explorer of gradient-descent dynamics at the edge of stability.

    import eoscope as eo
    model = eo.single_neuron(eo.get_loss("sqrt1p"))       # GD on ℓ(x·y)   (Ahn et al., NeurIPS 2023)
    eo.derive(model)                                       # map, Hessian, sharpness, invariants, η_c (SymPy)
    run = eo.trajectory(model, eta=0.1, init={"x": 0.1, "y": 5.477})
    run.to_dataset()                                       # xarray, with units and long names

Every verb takes a :class:`Model` or a compiled :class:`System` (``eo.compile(model)``); the initial state is
``init``. Results carry their inputs, a :class:`Status` and a message, and convert with ``to_dict()`` /
``to_dataset()``. Figures are in :mod:`eoscope.plot`. docs/tutorial.md walks through all of it.
"""
from .derivations import (
    CATALOGUE_NAMES,
    ConvergenceError,
    Derivation,
    InputError,
    Loss,
    Model,
    build_model,
    custom_map,
    derive,
    get_loss,
    mean_model,
    parse_expression,
    single_neuron,
)
from .derivations.claims import verify
from .dynamics import (
    ContinuationOptions,
    GridOptions,
    NewtonOptions,
    Status,
    System,
    compile,
    continue_orbit,
    critical_step_size,
    grid_run,
    lyapunov_exponents,
    orbit_diagram,
    package_version,
    periodic_orbit,
    trajectory,
)
from .simulations import make_data, network_sweep, open_sweep, sweep

__version__ = package_version()


def __getattr__(name: str):
    """``eoscope.plot`` is imported on first use: matplotlib (and its font cache under HOME) only when a figure
    is drawn, never for a command or a computation that draws none."""
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
