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

from ._dyn_kernels import compile_dynamics
from ._periodic import check_parameter
from ._trajectory import check_count, check_init
from ._version import package_version


@dataclass(frozen=True, eq=False)
class LyapunovSpectrum:
    """Result of :func:`lyapunov_exponents`: inputs, status (bounded | diverged), message, exponents, final state."""

    model: dict
    eta: float
    init: dict
    transient: int
    steps: int
    bound: float
    status: str
    message: str
    exponents: tuple
    final: dict
    steps_averaged: int = 0
    period: int = 0
    version: str = package_version()

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "eta": self.eta,
            "init": self.init,
            "transient": self.transient,
            "steps": self.steps,
            "bound": self.bound,
            "status": self.status,
            "message": self.message,
            "exponents": list(self.exponents),
            "final": self.final,
            "steps_averaged": self.steps_averaged,
            "period": self.period,
            "version": self.version,
        }


def lyapunov_exponents(
    model: Model, eta, init: dict, *, transient: int = 1000, steps: int = 100_000, bound: float = 1e8
) -> LyapunovSpectrum:
    """lyapunov_exponents(model, eta, init, *, transient=1000, steps=10**5, bound=1e8) -> LyapunovSpectrum"""
    eta = check_parameter(model, eta)
    theta0 = check_init(model, init)
    transient = check_count(transient, "transient")
    steps = check_count(steps, "steps", 1)
    module = compile_dynamics(model)
    n = model.dimension
    exponents, final = np.empty(n), np.empty(n)
    code, used, period = module.lyapunov_kernel(theta0, eta, transient, steps, float(bound), exponents, final)
    status = "bounded" if code == 0 else "diverged"
    values = tuple(sorted((float(e) for e in exponents), reverse=True)) if code == 0 else tuple([math.nan] * n)
    message = (
        f"{steps} steps after a transient of {transient}" if code == 0 else f"orbit diverged (|θ| > {bound:g} or non-finite)"
    )
    if code == 0 and period > 0 and used != steps:
        message += f"; period {period}: averaged over the first {used} steps (whole periods)"
    return LyapunovSpectrum(
        model=model.describe(),
        eta=eta,
        init=dict(zip(model.state_names, map(float, theta0))),
        transient=transient,
        steps=steps,
        bound=float(bound),
        status=status,
        message=message,
        exponents=values,
        final=dict(zip(model.state_names, map(float, final))),
        steps_averaged=int(used) if code == 0 else 0,
        period=int(period) if code == 0 else 0,
    )

