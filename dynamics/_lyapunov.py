"""lyapunov_exponents(model, eta, init, ...) -> LyapunovSpectrum: tangent dynamics with QR renormalisation.

λ_i = lim (1/N) Σ_t log R_ii(t), where Q_{t+1} R(t) = DF(θ_t) Q_t is a QR factorisation (modified
Gram–Schmidt each step) and DF is the derived Jacobian (Benettin et al. 1980; Eckmann & Ruelle 1985;
as in DynamicalSystems.jl's ``lyapunovspectrum``). Exponents are sorted from largest to smallest.

On a periodic orbit of period p the mean is taken over the largest multiple of p within the ``steps``
(the period is found on the last ≤ 1024 states, p ≤ 512): over whole periods Σ log R_ii is the log of the
cycle's multipliers (exactly for one dimension), so the exponent has no O(1/N) error from a partial period.
``steps_averaged`` and ``period`` (0: none found) report what was used.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..derivations import Model
from ..derivations._validate import check_count, check_positive

from ._result import Result, Status, dataset_attrs, variable, version_field
from ._state import check_init, check_parameter, state_dict
from ._system import resolve


@dataclass(frozen=True, eq=False)
class LyapunovSpectrum(Result):
    """LyapunovSpectrum: the result of :func:`lyapunov_exponents`.

    Attributes:
        model, eta, init, transient, steps, bound: the inputs; status: ``Status.BOUNDED`` or ``Status.DIVERGED``;
        message: in words; exponents: λ_1 ≥ … ≥ λ_n (NaN after a divergence); final: the last state;
        steps_averaged: the steps the mean was taken over (``steps`` cut to whole periods); period: the period
        found on the last states (0: none); version.
    """

    model: Model
    eta: float
    init: dict
    transient: int
    steps: int
    bound: float
    status: Status
    message: str
    exponents: tuple
    final: dict
    steps_averaged: int
    period: int
    version: str = version_field()

    def to_dataset(self):
        """to_dataset() -> xarray.Dataset with ``exponent`` on the dimension ``index`` (1 = the largest), and
        the inputs, status, steps_averaged and period as attributes."""
        import xarray as xr

        index = np.arange(1, len(self.exponents) + 1)
        data = {"exponent": variable("index", np.array(self.exponents, dtype=float), "Lyapunov exponent λ_i",
                                     "1 per step")}
        coords = {"index": variable("index", index, "exponent index i (1 = largest)")}
        attrs = dataset_attrs(self, eta=self.eta, init=self.init, transient=self.transient, steps=self.steps,
                              bound=self.bound, steps_averaged=self.steps_averaged, period=self.period)
        return xr.Dataset(data, coords=coords, attrs=attrs)


def lyapunov_exponents(model, eta, init, *, transient: int = 1000, steps: int = 100_000,
                       bound: float = 1e8) -> LyapunovSpectrum:
    """lyapunov_exponents(model, eta, init, *, transient=1000, steps=10**5, bound=1e8) -> LyapunovSpectrum

    The Lyapunov spectrum of the orbit from ``init``: ``transient`` steps discarded, then the mean of
    log R_ii over ``steps`` steps of the tangent dynamics (whole periods on a periodic orbit).

    Arguments:
        model: a Model or a System; a GD model or a custom map.
        eta: η (> 0 for a GD model, finite for a custom map).
        init: the initial state, {state name: value} or n values in state order.
        transient: steps discarded (integer ≥ 0); steps: steps averaged (integer ≥ 1); bound: |θ_i| > bound
            (or a non-finite value) ends the run as diverged.

    Returns:
        LyapunovSpectrum: ``Status.BOUNDED`` with λ_1 ≥ … ≥ λ_n, or ``Status.DIVERGED`` (NaN exponents).

    Raises:
        InputError: a bad η, init, count or bound.

    λ_i = lim (1/N) Σ_t log R_ii(t), Q_{t+1} R(t) = DF(θ_t) Q_t (Benettin et al. 1980; Eckmann & Ruelle 1985).
    """
    system, model = resolve(model)
    eta = check_parameter(model, eta)
    theta0 = check_init(model, init)
    transient = check_count(transient, "transient")
    steps = check_count(steps, "steps", 1)
    bound = check_positive(bound, "bound")
    module = system.dynamics
    n = model.dimension
    exponents, final = np.empty(n), np.empty(n)
    code, used, period = module.lyapunov_kernel(theta0, eta, transient, steps, bound, exponents, final)
    bounded = code == 0
    values = tuple(sorted((float(e) for e in exponents), reverse=True)) if bounded else tuple([math.nan] * n)
    message = f"{steps} steps after a transient of {transient}" if bounded else (
        f"orbit diverged (|θ| > {bound:g} or non-finite)")
    if bounded and period > 0 and used != steps:
        message += f"; period {period}: averaged over the first {used} steps (whole periods)"
    return LyapunovSpectrum(
        model=model,
        eta=eta,
        init=state_dict(model, theta0),
        transient=transient,
        steps=steps,
        bound=bound,
        status=Status.BOUNDED if bounded else Status.DIVERGED,
        message=message,
        exponents=values,
        final=state_dict(model, final),
        steps_averaged=int(used) if bounded else 0,
        period=int(period) if bounded else 0,
    )


__all__ = ["LyapunovSpectrum", "lyapunov_exponents"]
