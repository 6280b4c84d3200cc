"""eoscope.derivations.claims: the paper's claims in a registry, each checked against the project's
own derivations symbolically, by certified interval arithmetic, or by a labelled numerical experiment.

Public API:

* :class:`Claim` (id, statement in words and LaTeX, model, assumptions, kind a|b|c|d, check),
  :class:`Outcome`, :class:`ClaimResult`, :class:`Step`, :class:`ClaimContext`; ``KINDS``, ``STATUSES``,
  ``REQUIREMENTS`` (loss properties a claim may require: C1, C2, even, convex, …);
* :func:`register` / :func:`claim` (decorator), :func:`registered_claims`, :func:`get_claim`,
  :func:`run_claim`, :func:`run_claims`, :func:`load_claims_file` (a user's Python file of claims);
* check helpers for user claims: :func:`identity_outcome` (kind a with counterexample search),
  :func:`simplify_to_zero`, :func:`find_counterexample`, :func:`check_requirement`;
* renderings: :func:`claims_markdown` (docs/claims.md), :func:`latex_report`.

Built-in claims: single-neuron (map, invariant evolution, product evolution, sharpness on minimisers,
stability threshold, gradient-flow limit, certified EoS limit), mean-model (Gaussian expectation r(b),
label-averaged loss, conserved a₊ − a₋, Hessian at A = 0, η_c = 8π/d², b∞ law as evidence), generic
(period-doubling criterion of 1-D GD maps, catapult uv closure). See docs/claims.md.
"""
from ._types import KINDS, REQUIREMENTS, STATUSES, Claim, ClaimContext, ClaimResult, Outcome, Step
from ._registry import (
    DEFAULT_LOSS,
    claim,
    get_claim,
    load_claims_file,
    register,
    registered_claims,
    run_claim,
    run_claims,
)
from ._verify import verify
from ._symbolic import find_counterexample, identity_outcome, simplify_to_zero
from ._loss_properties import check_requirement, check_requirements
from ._report import claims_markdown, latex_report

# Built-in claims register themselves on import, in this order.
from . import _claims_single_neuron  # noqa: E402,F401
from . import _claims_mean_model  # noqa: E402,F401
from . import _claims_generic  # noqa: E402,F401

__all__ = [
    "DEFAULT_LOSS",
    "KINDS",
    "REQUIREMENTS",
    "STATUSES",
    "Claim",
    "ClaimContext",
    "ClaimResult",
    "Outcome",
    "Step",
    "check_requirement",
    "check_requirements",
    "claim",
    "claims_markdown",
    "find_counterexample",
    "get_claim",
    "identity_outcome",
    "latex_report",
    "load_claims_file",
    "register",
    "registered_claims",
    "run_claim",
    "run_claims",
    "simplify_to_zero",
    "verify",
]
