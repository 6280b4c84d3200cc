"""lyapunov_exponents(model, eta, init, ...) -> LyapunovSpectrum: tangent dynamics with QR renormalisation.

λ_i = lim (1/N) Σ_t log R_ii(t), where Q_{t+1} R(t) = DF(θ_t) Q_t is a QR factorisation (modified
Gram–Schmidt each step) and DF is the derived Jacobian (Benettin et al. 1980; Eckmann & Ruelle 1985;
as in DynamicalSystems.jl's ``lyapunovspectrum``). Exponents are sorted from largest to smallest.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from derivations import InputError, Model

from ._dyn_kernels import compile_dynamics
from ._periodic import check_parameter
from ._trajectory import check_init
from ._version import package_version


def check_count(value, what: str, minimum: int = 0) -> int:
    """A non-negative integer (≥ minimum), else InputError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be an integer, got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or number < minimum:
        raise InputError(f"{what} must be an integer ≥ {minimum}, got {value!r}")
    return int(number)


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
    code = module.lyapunov_kernel(theta0, eta, transient, steps, float(bound), exponents, final)
    status = "bounded" if code == 0 else "diverged"
    values = tuple(sorted((float(e) for e in exponents), reverse=True)) if code == 0 else tuple([math.nan] * n)
    message = (
        f"{steps} steps after a transient of {transient}" if code == 0 else f"orbit diverged (|θ| > {bound:g} or non-finite)"
    )
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
    )

