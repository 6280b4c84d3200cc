"""eoscope.derivations: models declared once in SymPy, and everything derived from them.

Public API: :func:`build_model`, :func:`single_neuron`, :class:`Model`, :func:`get_loss`, :class:`Loss`,
:func:`derive`, :class:`Derivation`, :func:`parse_expression`, :func:`generate_kernel_module`,
:class:`InputError`.
"""
from ._errors import ConvergenceError, InputError
from ._expressions import parse_expression
from ._numbers import parse_real
from ._functions import DerivedFunction, concretize, derived_function
from ._losses import CATALOGUE_NAMES, Loss, get_loss
from ._model import ETA, MODEL_BUILDERS, Model, build_model, single_neuron
from ._derive import Derivation, derive
from ._mean_model import ReluMoments, _mean_model_from_options, mean_model, relu_moments, symmetric_logistic

MODEL_BUILDERS["mean-model"] = _mean_model_from_options

__all__ = [
    "CATALOGUE_NAMES",
    "ETA",
    "MODEL_BUILDERS",
    "Derivation",
    "DerivedFunction",
    "ConvergenceError",
    "InputError",
    "Loss",
    "Model",
    "build_model",
    "concretize",
    "derive",
    "derived_function",
    "get_loss",
    "mean_model",
    "relu_moments",
    "ReluMoments",
    "symmetric_logistic",
    "parse_expression",
    "parse_real",
    "single_neuron",
]

from ._codegen import STATUS_CODES, cache_root, generate_kernel_module, generate_source, kernel_path  # noqa: E402

__all__ += ["STATUS_CODES", "cache_root", "generate_kernel_module", "generate_source", "kernel_path"]

from ._custom_map import custom_map  # noqa: E402
from ._codegen_dynamics import (  # noqa: E402
    OUTCOME_CODES,
    generate_dynamics_module,
    generate_dynamics_source,
    observable_codes,
)

__all__ += ["OUTCOME_CODES", "custom_map", "generate_dynamics_module", "generate_dynamics_source", "observable_codes"]
from ._codegen_grid import GRID_STATUS_CODES, generate_grid_module, generate_grid_source  # noqa: E402

__all__ += ["GRID_STATUS_CODES", "generate_grid_module", "generate_grid_source"]
