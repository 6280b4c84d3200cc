"""Figures of docs/two_layer.md: Figure 1 on the network, and the mean model's b∞ vs η/η_c.

Settings (REFERENCE.md §2–3): network d = 200, n = 300, λ = 3, seed 0, 41 step sizes log-spaced in
[1e-4, 1.2e-2], T = 10/η steps, mean model overlaid from the network's initial (a₋, a₊, b0 = 0). Mean-model
figure: d = 200, a₋ = a₊ = 1/(2d), b0 = 0, 40 ratios η/η_c log-spaced in [0.3, 10] plus the six ratios of
the reference table, GD to convergence, with the law r(b∞) = r(0)√(η_c/η).
"""
from __future__ import annotations

import json
import os

import numpy as np

from ._cli_common import _jsonable
from ._figure_network import plot_mean_model_limits, plot_network
from ._mean_model_sweep import critical_eta, mean_model_limits
from ._network import network_sweep

D, N, LAM, SEED = 200, 300, 3.0, 0
NETWORK_ETAS = np.geomspace(1e-4, 1.2e-2, 41)
MEAN_RATIOS = np.unique(np.concatenate([np.geomspace(0.3, 10.0, 40), [0.5, 0.9, 1.1, 2.0, 3.0, 8.0]]))


def work_units() -> int:
    return 4 + 2 * len(NETWORK_ETAS) + len(MEAN_RATIOS)


def make_figures(out: str, progress) -> list[str]:
    sweep = network_sweep(NETWORK_ETAS, D, N, LAM, SEED, progress=progress)
    overlay = mean_model_limits(NETWORK_ETAS, D, sweep.init, progress=progress)
    first = plot_network(sweep, overlay, os.path.join(out, "two_layer_network_figure1.png"), scale="log")
    progress.advance(len(NETWORK_ETAS), note="figure 1")
    a0 = 1.0 / D
    init = {"a_minus": a0 / 2, "a_plus": a0 / 2, "b": 0.0}
    rows = mean_model_limits(MEAN_RATIOS * critical_eta(D), D, init, progress=progress)
    second = plot_mean_model_limits(rows, D, os.path.join(out, "two_layer_mean_model_b_inf.png"), a0)
    data = os.path.join(out, "two_layer.json")
    with open(data, "w") as handle:
        json.dump(
            _jsonable({
                "network": {"inputs": sweep.inputs(), "message": sweep.message, "records": sweep.records()},
                "network_mean_model_overlay": overlay,
                "mean_model": {"d": D, "init": init, "rows": rows},
            }),
            handle,
            indent=1,
            allow_nan=False,
        )
    return [first, second, data]
