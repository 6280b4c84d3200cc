"""classify(status, period, eta_sharpness_half, loss0, max_loss, loss_rises) -> phase codes (int8).

Labels come only from what the grid kernel recorded (no re-run):

=========  ================  ==========================================================================
code       label             rule
=========  ================  ==========================================================================
0          stable            converged, loss never rose (sampled) — a minimiser with multiplier in (−1, 0)
                             flips the oscillating coordinate every step while the loss falls; it is
                             stable convergence too (``sign_flips`` is stored for who wants to split it)
1          eos               converged, the loss rose at least once, final η·S/2 in [0.9, 1 + 1e-9]
2          catapult          converged, the loss rose above its starting value, final η·S/2 < 0.9
3          periodic          periodic orbit of period k (2 ≤ k ≤ 16; the ``period`` variable holds k)
4          unclassified      not converged, not periodic, bounded: chaotic, or slower than max_steps;
                             also the rare converged orbit whose loss rose but fits neither rule above
5          divergent         |θ_i| > bound or non-finite
=========  ================  ==========================================================================

The EoS window [0.9, 1] and the catapult rule follow eoscope issue 3; η·S/2 = 1 is the edge of stability
(Cohen et al. 2021), and large-η GD can overshoot far below it (Ahn et al. 2023, §2; docs/reference_values.md §1).
A run that reaches the edge *from below* with a loss that falls at every step is labelled stable by these
rules, however close its final η·S/2 is to 1: the mean model at η = 1.25·η_c, A0 = 0.025 (d = 200) starts at
η·S/2 = 0.53, ends at 0.998 with b∞ = −0.088 (a threshold neuron), and its loss never rises (checked step by
step in tests/simulations/test_phase_mean_model.py). The stored ``eta_sharpness_half0`` (η·S/2 at θ0) next to
``eta_sharpness_half`` shows such runs.
"""
from __future__ import annotations

import numpy as np

from ..dynamics import GRID_STATUS_CODES

PHASE_LABELS = ("stable", "eos", "catapult", "periodic", "unclassified", "divergent")
PHASE_CODES = {name: code for code, name in enumerate(PHASE_LABELS)}
EOS_WINDOW = (0.9, 1.0 + 1e-9)


def classify(status, period, eta_sharpness_half, loss0, max_loss, loss_rises) -> np.ndarray:
    """classify(status, period, eta_sharpness_half, loss0, max_loss, loss_rises) -> int8 array

    Label every point from what the grid kernel recorded (the rules of the module table).

    Arguments:
        status: grid-run status codes (``GRID_STATUS_CODES``); period: the period k of periodic points;
        eta_sharpness_half: η·S/2 at the final state; loss0, max_loss: the loss at θ0 and the largest sampled
        loss; loss_rises: how many sampled steps raised the loss. Arrays of one shape.

    Returns:
        The phase codes (``PHASE_CODES``: stable 0, eos 1, catapult 2, periodic 3, unclassified 4, divergent 5).

    The EoS window [0.9, 1] on η·S/2 and the catapult rule: eoscope issue 3; η·S/2 = 1 is the edge of stability
    (Cohen et al. 2021), catapults below it: Ahn et al. 2023 (arXiv 2212.07469), §2.
    """
    status = np.asarray(status)
    half = np.asarray(eta_sharpness_half, dtype=np.float64)
    converged = status == GRID_STATUS_CODES["converged"]
    rose = np.asarray(loss_rises) > 0
    phase = np.full(status.shape, PHASE_CODES["unclassified"], dtype=np.int8)
    phase[converged & ~rose] = PHASE_CODES["stable"]
    in_window = (half >= EOS_WINDOW[0]) & (half <= EOS_WINDOW[1])
    phase[converged & rose & in_window] = PHASE_CODES["eos"]
    spike = np.asarray(max_loss) > np.asarray(loss0)
    phase[converged & rose & (half < EOS_WINDOW[0]) & spike] = PHASE_CODES["catapult"]
    phase[status == GRID_STATUS_CODES["periodic"]] = PHASE_CODES["periodic"]
    phase[status == GRID_STATUS_CODES["diverged"]] = PHASE_CODES["divergent"]
    return phase


def phase_counts(phase, period) -> dict:
    """phase_counts(phase, period) -> {label: points}

    Count the points of each phase label, periodic ones split by period as ``periodic-k``; labels with no
    point are left out.

    Arguments:
        phase: phase codes (:func:`classify`); period: the recorded periods, same shape.

    Returns:
        dict from label to number of points.
    """
    phase = np.asarray(phase).ravel()
    period = np.asarray(period).ravel()
    counts: dict[str, int] = {}
    for code, label in enumerate(PHASE_LABELS):
        mask = phase == code
        if label == "periodic":
            for k in np.unique(period[mask]):
                counts[f"periodic-{int(k)}"] = int(np.count_nonzero(mask & (period == k)))
        elif mask.any():
            counts[label] = int(np.count_nonzero(mask))
    return counts
