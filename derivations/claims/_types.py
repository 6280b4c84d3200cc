"""The records of the claim registry: Claim (what is asserted), Outcome (what a check found) and
ClaimResult (an Outcome with its claim, loss, timing and version, ready for JSON/LaTeX).

Check kinds (issue 6):

* ``a`` symbolic identity: a residual simplified to exactly 0;
* ``b`` symbolic inequality: proved under SymPy assumptions or by an explicit decomposition;
* ``c`` certified numerics: interval arithmetic (mpmath ``iv``), with the enclosures stated;
* ``d`` numerical experiment with a stated tolerance: evidence, never proof.

Statuses: ``verified`` (a, b, c succeeded), ``evidence`` (d within tolerance, or an a-check whose residual
SymPy could not simplify but which vanishes numerically), ``refuted`` (with a counterexample),
``not_checkable`` (with the reason, e.g. the loss violates an assumption), ``error`` (the check itself
failed: a missing model, an exception).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

KINDS = {
    "a": "symbolic identity",
    "b": "symbolic inequality",
    "c": "certified numerics (interval arithmetic)",
    "d": "numerical experiment (evidence, not proof)",
}
STATUSES = ("verified", "evidence", "refuted", "not_checkable", "error")

# Loss properties a claim may require (checked symbolically from the Loss, see _loss_properties).
REQUIREMENTS = {
    "C1": "ℓ ∈ C¹(ℝ)",
    "C2": "ℓ ∈ C²(ℝ)",
    "C2_at_0": "ℓ is C² near s = 0",
    "C4_at_0": "ℓ is C⁴ near s = 0",
    "even": "ℓ even",
    "convex": "ℓ convex",
    "critical_at_0": "ℓ'(0) = 0",
    "curved_at_0": "ℓ''(0) > 0",
    "bounded_slope": "ℓ' bounded (linear tails)",
}


@dataclass(frozen=True)
class Claim:
    """Claim(id, statement, latex, model, assumptions, kind, check, requires=(), loss_dependent=False, reference="")

    ``check(context) -> Outcome`` runs the check; ``context`` is a :class:`ClaimContext`. ``requires``
    lists loss properties (keys of REQUIREMENTS) that are verified symbolically from the loss before the
    check runs; a property that fails (or cannot be established) makes the result ``not_checkable``.
    """

    id: str
    statement: str
    latex: str
    model: str
    assumptions: tuple
    kind: str
    check: Callable = field(repr=False, compare=False)
    requires: tuple = ()
    loss_dependent: bool = False
    reference: str = ""
    source: str = "built-in"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        unknown = [r for r in self.requires if r not in REQUIREMENTS]
        if unknown:
            raise ValueError(f"claim {self.id!r}: unknown requirements {unknown} (known: {', '.join(REQUIREMENTS)})")
        if not self.id or any(c.isspace() for c in self.id):
            raise ValueError(f"claim id must be non-empty without spaces, got {self.id!r}")

    def describe(self) -> dict:
        """The static record of the claim (what docs/claims.md shows)."""
        return {
            "id": self.id,
            "statement": self.statement,
            "latex": self.latex,
            "model": self.model,
            "assumptions": list(self.assumptions),
            "kind": self.kind,
            "kind_name": KINDS[self.kind],
            "requires": [REQUIREMENTS[r] for r in self.requires],
            "loss_dependent": self.loss_dependent,
            "reference": self.reference,
            "source": self.source,
        }


@dataclass(frozen=True)
class ClaimContext:
    """What a check may depend on: the loss ℓ chosen by the user (``--loss``), as a derivations Loss."""

    loss: object


@dataclass(frozen=True)
class Step:
    """One shown step of a derivation: a label and a SymPy object, or a string (plain text, or LaTeX math
    when ``is_latex``)."""

    label: str
    value: object
    is_latex: bool = False

    def to_dict(self) -> dict:
        import sympy as sp

        if isinstance(self.value, str):
            return {"label": self.label, "text": self.value, "latex": self.value if self.is_latex else None}
        return {"label": self.label, "text": sp.sstr(self.value), "latex": sp.latex(self.value)}


@dataclass(frozen=True)
class Outcome:
    """Outcome(status, message, details={}, steps=(), counterexample=None, enclosure=None): what a check found.

    ``details`` are JSON-ready numbers/strings; ``steps`` a tuple of :class:`Step` shown in the LaTeX
    report; ``counterexample`` a dict (point and residual, as strings) for refuted claims;
    ``enclosure`` a dict of certified intervals [lo, hi] (decimal strings rounded outward) for kind c.
    """

    status: str
    message: str
    details: dict = field(default_factory=dict)
    steps: tuple = ()
    counterexample: dict | None = None
    enclosure: dict | None = None

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class ClaimResult:
    """The result of running one claim: the claim, the loss used, the Outcome, the time taken (s)."""

    claim: Claim
    outcome: Outcome
    seconds: float
    loss: str | None
    version: str = ""

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def kind(self) -> str:
        return self.claim.kind

    def to_dict(self) -> dict:
        """JSON-ready record: id, statement, kind, status, time, message, details, derivation steps, …"""
        claim = self.claim
        return {
            "id": claim.id,
            "statement": claim.statement,
            "latex": claim.latex,
            "model": claim.model,
            "assumptions": list(claim.assumptions),
            "kind": claim.kind,
            "kind_name": KINDS[claim.kind],
            "status": self.outcome.status,
            "message": self.outcome.message,
            "seconds": round(self.seconds, 4),
            "loss": self.loss,
            "details": self.outcome.details,
            "counterexample": self.outcome.counterexample,
            "enclosure": self.outcome.enclosure,
            "derivation": [step.to_dict() for step in self.outcome.steps],
            "reference": claim.reference,
            "source": claim.source,
            "version": self.version,
        }
