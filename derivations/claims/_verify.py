"""verify(claims=None, *, loss=None, loss_expr=None, claims_file=None, on_result=None) -> [ClaimResult]."""
from __future__ import annotations

from .._errors import InputError
from .._losses import Loss, get_loss
from ._registry import DEFAULT_LOSS, load_claims_file, run_claims
from ._types import ClaimResult


def verify(claims=None, *, loss=None, loss_expr: str | None = None, claims_file: str | None = None,
           on_result=None) -> list[ClaimResult]:
    """verify(claims=None, *, loss=None, loss_expr=None, claims_file=None, on_result=None) -> [ClaimResult]

    Check the paper's claims against the project's own derivations: symbolically (an identity that
    simplifies to exactly 0), by interval arithmetic (a certified enclosure), or by a labelled numerical
    experiment; the kind of each check is on its result (``result.kind``: a, b, c, d).

    Arguments:
        claims: a claim id, a list of ids, or None for every registered claim (those of ``claims_file`` only,
            when a file is given).
        loss: a catalogue loss name or a :class:`Loss` for the claims that depend on ℓ (default ``sqrt1p``).
        loss_expr: a custom loss ℓ(s) as an expression in ``s`` instead of ``loss``.
        claims_file: a Python file of the user's own claims, executed as ordinary Python (only files you trust).
        on_result: called with each ClaimResult as it finishes (progress reporting).

    Returns:
        One :class:`ClaimResult` per claim, in order; ``result.status`` is ``verified``, ``refuted``,
        ``evidence``, ``not_checkable`` or ``error`` with ``result.outcome.message`` saying why.

    Raises:
        InputError: an unknown claim id or loss, a malformed loss expression, or a claims file that cannot be
            loaded.

    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
    NeurIPS 2023; docs/claims.md lists every claim with its source.
    """
    if isinstance(loss, Loss):
        if loss_expr is not None:
            raise InputError("give either a loss or a loss_expr, not both")
        chosen = loss
    else:
        name = loss if loss is not None or loss_expr is not None else DEFAULT_LOSS
        chosen = get_loss(name, loss_expr, require_smooth=False)  # a non-smooth ℓ: not checkable, with the reason
    ids = [claims] if isinstance(claims, str) else list(claims or [])
    if claims_file is not None:
        added = [c.id for c in load_claims_file(claims_file)]
        ids = ids or added
    return run_claims(ids or None, chosen, on_result)
