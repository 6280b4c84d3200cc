"""eoscope.derivations.claims: a registry of the paper's claims, each checked symbolically or numerically.
"""
from ._types import KINDS, REQUIREMENTS, STATUSES, Claim, ClaimContext, ClaimResult, Outcome, Step
from ._registry import (
    DEFAULT_LOSS, claim, get_claim, load_claims_file, register, registered_claims, run_claim, run_claims,
)
from ._symbolic import find_counterexample, identity_outcome, simplify_to_zero
from ._loss_properties import check_requirement, check_requirements
from . import _claims_single_neuron  # noqa: F401  (registers)
from . import _claims_generic  # noqa: F401
from . import _claims_mean_model  # noqa: F401
