"""Small frozen option objects that configure the verbs (the diffrax pattern): one place for each default.

GridOptions(max_steps=20000, tol=1e-12, bound=1e8, check_every=16, dense_steps=16, period_tol=1e-12, tail=0)
    the stopping rules of a grid run (:func:`grid_run`, :func:`sweep`); validated when made.
"""
from __future__ import annotations

import dataclasses

from ..derivations import InputError
from ..derivations._validate import check_count, check_positive


@dataclasses.dataclass(frozen=True)
class GridOptions:
    """GridOptions(max_steps=20000, tol=1e-12, bound=1e8, check_every=16, dense_steps=16, period_tol=1e-12, tail=0)

    The stopping rules of every grid point (one GD orbit per point):

    * max_steps: the step budget (0 = evaluate the start only);
    * tol: converged when |∇L(θ)| < tol (or |osc(θ)| < tol where the derivation allows it);
    * bound: diverged when some |θ_i| > bound or a value is non-finite;
    * check_every: the stopping tests and the period detection run every ``check_every`` steps;
    * dense_steps: the last steps recorded densely, for the period of an orbit that does not settle;
    * period_tol: two states closer than this count as the same point of a period-k orbit (k ≤ 16);
    * tail: steps recorded at the end for orbit diagrams (0 = none).

    Raises:
        InputError: a count that is not an integer in range, or a tolerance/bound that is not finite and > 0.
    """

    max_steps: int = 20_000
    tol: float = 1e-12
    bound: float = 1e8
    check_every: int = 16
    dense_steps: int = 16
    period_tol: float = 1e-12
    tail: int = 0

    def __post_init__(self):
        for name, minimum in (("max_steps", 0), ("check_every", 1), ("dense_steps", 0), ("tail", 0)):
            object.__setattr__(self, name, check_count(getattr(self, name), name, minimum))
        for name in ("tol", "bound", "period_tol"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))

    @classmethod
    def from_mapping(cls, options=None) -> "GridOptions":
        """GridOptions.from_mapping(dict | GridOptions | None) -> GridOptions; None values keep the default.

        Raises:
            InputError: an unknown option name, or a bad value.
        """
        if isinstance(options, cls):
            return options
        options = dict(options or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise InputError(f"unknown grid options: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        return cls(**{k: v for k, v in options.items() if v is not None})

    def to_dict(self) -> dict:
        """The options as a plain dict (for manifests and JSON)."""
        return dataclasses.asdict(self)
