"""Mean-model b∞ over step sizes, and the threshold law r(b∞) = r(0)·√(η_c/η) it is compared with.

mean_model_limits(etas, d, init, max_steps=10**6, progress=False) -> list[dict];  threshold_law_bias(ratio) -> b

Each row runs :func:`dynamics.trajectory` on the derived mean model (derivations.mean_model) to
convergence. Above η_c = 8π/d² GD settles at the edge, where the sharpness on the minimisers
2ℓ_sym''(0)d²r(b)² equals 2/η, i.e. r(b∞) = r(0)·√(η_c/η) (Ahn et al. 2023, §3; docs/reference_values.md §3).
"""
from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.special import erfc

from ..derivations import build_model
from ..derivations._validate import check_count, check_positive, check_positive_array
from ..dynamics import trajectory
from ..dynamics._progress import progress_bar


def critical_eta(d: float) -> float:
    """critical_eta(d) -> float

    The mean model's critical step size η_c = 8π/d², as a float (the value ``derive(mean_model(d))`` returns,
    checked in the tests; run-time code does not pay for the SymPy derivation).

    Reference: Ahn et al. 2023 (arXiv 2212.07469), §3; docs/reference_values.md §3.
    """
    return 8 * math.pi / float(d) ** 2


def relu_mean(b: float) -> float:
    """relu_mean(b) -> float: r(b) = E[ReLU(ξ + b)] = bΦ(b) + φ(b), ξ ~ N(0, 1), in float64 (for root finding;
    the model itself uses the derived form)."""
    return 0.5 * b * erfc(-b / math.sqrt(2)) + math.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)


def threshold_law_bias(ratio: float) -> float:
    """threshold_law_bias(ratio) -> float

    The bias b∞ the threshold law predicts at η = ratio·η_c: the root of r(b) = r(0)·√(1/ratio).

    Arguments:
        ratio: η/η_c.

    Returns:
        b ≤ 0 (0 at ratio 1); NaN below 1, where the law does not apply.

    Reference: Ahn et al. 2023 (arXiv 2212.07469), §3; docs/reference_values.md §3.
    """
    if ratio < 1:
        return math.nan
    target = relu_mean(0.0) / math.sqrt(ratio)
    if ratio == 1:
        return 0.0
    return brentq(lambda b: relu_mean(b) - target, -40.0, 0.0, xtol=1e-14)


def mean_model_limits(etas, d: float, init: dict, max_steps: int = 1_000_000, progress=False) -> list[dict]:
    """mean_model_limits(etas, d, init, max_steps=10**6, progress=False) -> list[dict]

    Run GD on the mean model of width ``d`` from ``init`` to convergence for each η, and compare its final bias
    b∞ with the threshold law r(b∞) = r(0)·√(η_c/η), η_c = 8π/d².

    Arguments:
        etas: the step sizes (finite, > 0); d: the width (> 0); init: {a_minus, a_plus, b};
        max_steps: the step budget per η; progress: True draws a tqdm bar (per η), a callable gets (done, total).

    Returns:
        One dict per η: ``eta``, ``eta_over_eta_c``, ``b_inf``, ``status``, ``steps``, ``eta_sharpness_half``
        and ``law_b`` (the law's b, NaN below η_c).

    Raises:
        InputError: a bad η, d, init or max_steps.

    Reference: Ahn et al. 2023 (arXiv 2212.07469), §3; docs/reference_values.md §3.
    """
    etas = check_positive_array(etas, "etas")
    d = check_positive(d, "d")
    max_steps = check_count(max_steps, "max_steps")
    model = build_model("mean-model", params={"d": d})
    eta_c = critical_eta(d)
    rows = []
    with progress_bar(progress, len(etas), "mean model", unit="η") as bar:
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
            bar.update(1)
    return rows
