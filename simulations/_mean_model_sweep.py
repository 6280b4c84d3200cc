"""Mean-model b∞ over step sizes, and the threshold law r(b∞) = r(0)·√(η_c/η) it is compared with.

mean_model_limits(etas, d, init, max_steps=10**6) -> list[dict];  threshold_law_bias(ratio) -> b

Each row runs :func:`dynamics.trajectory` on the derived mean model (derivations.mean_model) to
convergence. Above η_c = 8π/d² GD settles at the edge, where the sharpness on the minimisers
2ℓ_sym''(0)d²r(b)² equals 2/η, i.e. r(b∞) = r(0)·√(η_c/η) (Ahn et al. 2023, §3; docs/reference_values.md §3).
"""
from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.special import erfc

from ..derivations import build_model
from ..dynamics import trajectory


def critical_eta(d: float) -> float:
    """η_c = 8π/d², the value derive(mean_model(d)).records()["critical_eta"] returns (checked in tests);
    kept as a float here so run-time code does not pay for the SymPy derivation."""
    return 8 * math.pi / float(d) ** 2


def relu_mean(b: float) -> float:
    """r(b) = bΦ(b) + φ(b) in float64 (for root finding; the model itself uses the derived form)."""
    return 0.5 * b * erfc(-b / math.sqrt(2)) + math.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)


def threshold_law_bias(ratio: float) -> float:
    """b with r(b) = r(0)·√(1/ratio), ratio = η/η_c ≥ 1 (NaN below 1: the law does not apply)."""
    if ratio < 1:
        return math.nan
    target = relu_mean(0.0) / math.sqrt(ratio)
    if ratio == 1:
        return 0.0
    return brentq(lambda b: relu_mean(b) - target, -40.0, 0.0, xtol=1e-14)


def mean_model_limits(etas, d: float, init: dict, max_steps: int = 1_000_000, progress=None) -> list[dict]:
    """For each η: final b, status, steps and η·S/2 of the mean model from ``init``."""
    model = build_model("mean-model", params={"d": d})
    eta_c = critical_eta(d)
    rows = []
    for eta in etas:
        run = trajectory(model, float(eta), init, max_steps=max_steps)
        rows.append(
            {
                "eta": float(eta),
                "eta_over_eta_c": float(eta) / eta_c,
                "b_inf": run.final["b"],
                "status": run.status,
                "steps": run.steps,
                "eta_sharpness_half": run.eta_sharpness_half,
                "law_b": threshold_law_bias(float(eta) / eta_c),
            }
        )
        if progress is not None:
            progress.advance(note=f"mean model η={eta:.3g}")
    return rows
