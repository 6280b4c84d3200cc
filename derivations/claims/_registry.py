"""The claim registry: register claims, look them up, run them, load a user's claim file.

register(claim) -> Claim;  @claim(id=..., statement=..., ...) decorates a check function.
registered_claims() -> list[Claim];  get_claim(id) -> Claim
run_claim(claim, loss=None) -> ClaimResult;  run_claims(ids=None, loss=None, on_result=None) -> list
load_claims_file(path) -> list[Claim]   (executes the user's Python file: explicit user code)
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
import traceback
from importlib import metadata

from .._errors import InputError
from .._losses import get_loss
from ._loss_properties import check_requirements
from ._types import Claim, ClaimContext, ClaimResult, Outcome

_REGISTRY: dict[str, Claim] = {}
DEFAULT_LOSS = "sqrt1p"


def register(claim: Claim) -> Claim:
    """register(claim) -> claim. Adds a Claim to the registry; ValueError if its id is taken."""
    if not isinstance(claim, Claim):
        raise TypeError(f"register() takes a Claim, got {type(claim).__name__}")
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} is already registered")
    _REGISTRY[claim.id] = claim
    return claim


def claim(**fields):
    """Decorator: ``@claim(id=..., statement=..., latex=..., model=..., assumptions=(...), kind="a")``
    registers the decorated ``check(context) -> Outcome`` as a Claim and returns it unchanged."""

    def decorate(check):
        register(Claim(check=check, **fields))
        return check

    return decorate


def registered_claims() -> list[Claim]:
    """Every registered claim, in registration order."""
    return list(_REGISTRY.values())


def get_claim(claim_id: str) -> Claim:
    """The claim with this id; InputError naming the known ids otherwise."""
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        raise InputError(f"unknown claim {claim_id!r} (known: {', '.join(_REGISTRY)})") from None


def package_version() -> str:
    try:
        return metadata.version("eoscope")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def run_claim(claim: Claim, loss=None) -> ClaimResult:
    """run_claim(claim, loss=None) -> ClaimResult

    ``loss`` is a Loss (default: the catalogue's sqrt1p) for claims that depend on ℓ. Requirements of
    the claim on ℓ are checked first (not_checkable with the reason if any fails); an exception in the
    check becomes status ``error`` with a one-line message (the traceback goes into details).
    """
    loss = loss if loss is not None else get_loss(DEFAULT_LOSS)
    start = time.perf_counter()
    try:
        outcome = None
        if claim.requires:
            ok, reasons = check_requirements(loss, claim.requires)
            if not ok:
                outcome = Outcome(
                    "not_checkable",
                    f"ℓ = {loss.label} violates the claim's assumptions: " + "; ".join(reasons),
                    {"failed_requirements": reasons},
                )
        if outcome is None:
            outcome = claim.check(ClaimContext(loss=loss))
            if not isinstance(outcome, Outcome):
                raise TypeError(f"check of claim {claim.id!r} returned {type(outcome).__name__}, not an Outcome")
    except InputError as exc:
        outcome = Outcome("error", str(exc), {"exception": "InputError"})
    except Exception as exc:  # a failing check is reported, never fatal
        outcome = Outcome(
            "error",
            f"{type(exc).__name__}: {exc}",
            {"exception": type(exc).__name__, "traceback": traceback.format_exc(limit=6)},
        )
    seconds = time.perf_counter() - start
    return ClaimResult(claim, outcome, seconds, loss.label if claim.loss_dependent else None, package_version())


def run_claims(ids=None, loss=None, on_result=None) -> list[ClaimResult]:
    """run_claims(ids=None, loss=None, on_result=None) -> [ClaimResult]

    Runs the claims named in ``ids`` (all registered claims when None), in order; ``on_result(result)``
    is called after each (progress reporting).
    """
    claims = [get_claim(i) for i in ids] if ids else registered_claims()
    results = []
    for item in claims:
        result = run_claim(item, loss)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def load_claims_file(path: str) -> list[Claim]:
    """load_claims_file(path) -> [Claim]: run a user's Python file and register the claims it defines.

    The file is ordinary Python, executed as-is (it is the user's own code): it may call
    ``register(Claim(...))`` / use the ``@claim(...)`` decorator, or define a module-level list
    ``CLAIMS`` of Claim objects. Returns the claims it added, in order.
    """
    if not os.path.isfile(path):
        raise InputError(f"claims file: no such file {path!r}")
    before = set(_REGISTRY)
    name = "eoscope_user_claims_" + str(abs(hash(os.path.abspath(path))))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"claims file: cannot load {path!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        for item in getattr(module, "CLAIMS", []):
            if item.id not in _REGISTRY:
                register(item)
    except InputError:
        raise
    except Exception as exc:
        for claim_id in set(_REGISTRY) - before:
            del _REGISTRY[claim_id]
        raise InputError(f"claims file {path}: {type(exc).__name__}: {exc}") from None
    added = [c for c in _REGISTRY.values() if c.id not in before]
    if not added:
        raise InputError(f"claims file {path}: the file registers no claims (use register(Claim(...)) or CLAIMS = [...])")
    from dataclasses import replace

    for c in added:
        _REGISTRY[c.id] = replace(c, source=path) if c.source == "built-in" else c
    return [_REGISTRY[c.id] for c in added]
