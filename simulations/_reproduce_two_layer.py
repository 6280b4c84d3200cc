"""Figures of docs/two_layer.md: Figure 1 on the network, and the mean model's b∞ vs η/η_c.

Settings (docs/reference_values.md §2–3): network d = 200, n = 300, λ = 3, seed 0, 41 step sizes log-spaced in
[1e-4, 1.2e-2], T = 10/η steps, mean model overlaid from the network's initial (a₋, a₊, b0 = 0). Mean-model
figure: d = 200, a₋ = a₊ = 1/(2d), b0 = 0, 40 ratios η/η_c log-spaced in [0.3, 10] plus the six ratios of
the reference table, GD to convergence, with the law r(b∞) = r(0)√(η_c/η). Mean-model phase diagram (``eoscope phase``): d = 200, 100 ratios η/η_c
log-spaced in [0.3, 10] × 80 values of A0 = a₋0 + a₊0 log-spaced in [1e-4, 0.3] (a₋0 = a₊0 = A0/2, b0 = 0),
≤ 20 000 steps per point.
"""
from __future__ import annotations

import json
import os

import numpy as np

from ._cli_common import _jsonable
from ._figure_network import mean_model_limits as mean_model_limits_figure, network as network_figure
from ._figure_save import save_figure
from ._mean_model_sweep import critical_eta, mean_model_limits
from ._network import network_sweep

D, N, LAM, SEED = 200, 300, 3.0, 0
NETWORK_ETAS = np.geomspace(1e-4, 1.2e-2, 41)
MEAN_RATIOS = np.unique(np.concatenate([np.geomspace(0.3, 10.0, 40), [0.5, 0.9, 1.1, 2.0, 3.0, 8.0]]))


PHASE_ETA, PHASE_A0 = "0.3:10:100", "1e-4:0.3:80"
PHASE_COMMAND = (f"eoscope phase mean-model --param d={D} --eta {PHASE_ETA} --eta-scale log --eta-unit critical "
                 f"--axis A0={PHASE_A0} --axis-scale log --out run.zarr --plot two_layer_mean_model_phase.png")


def work_units() -> int:
    return 1 + 2 * len(NETWORK_ETAS) + len(MEAN_RATIOS)  # η of the network and of its overlay, ratios, phase


def mean_model_phase(out: str) -> tuple[str, dict]:
    """The mean model's phase diagram over (η/η_c, A0) and its summary (counts per label, seconds)."""
    import time

    from ..derivations import build_model

    from ._figure_phase_relative import phase_relative
    from ._sweep import sweep, sweep_summary

    model = build_model("mean-model", params={"d": D})
    start = time.perf_counter()
    ds = sweep(model, PHASE_ETA, {"A0": PHASE_A0}, eta_scale="log", eta_unit="critical", axis_scales={"A0": "log"})
    seconds = time.perf_counter() - start
    path = save_figure(phase_relative(ds, model), os.path.join(out, "two_layer_mean_model_phase.png"))
    summary = sweep_summary(ds, None, seconds)
    return path, {"command": PHASE_COMMAND, "counts": summary["counts"], "seconds": round(seconds, 2)}


def make_figures(out: str, progress) -> list[str]:
    sweep = network_sweep(NETWORK_ETAS, D, N, LAM, SEED, progress=progress)
    overlay = mean_model_limits(NETWORK_ETAS, D, sweep.init, progress=progress)
    first = save_figure(network_figure(sweep, overlay, scale="log"), os.path.join(out, "two_layer_network_figure1.png"))
    progress.advance(0, note="figure 1")
    a0 = 1.0 / D
    init = {"a_minus": a0 / 2, "a_plus": a0 / 2, "b": 0.0}
    rows = mean_model_limits(MEAN_RATIOS * critical_eta(D), D, init, progress=progress)
    second = save_figure(mean_model_limits_figure(rows, D, a0), os.path.join(out, "two_layer_mean_model_b_inf.png"))
    third, phase_summary = mean_model_phase(out)
    progress.advance(note="mean-model phase diagram")
    data = os.path.join(out, "two_layer.json")
    with open(data, "w") as handle:
        json.dump(
            _jsonable({
                "network": {"inputs": sweep.inputs(), "message": sweep.message, "records": sweep.records()},
                "network_mean_model_overlay": overlay,
                "mean_model": {"d": D, "init": init, "rows": rows},
                "mean_model_phase": phase_summary,
            }),
            handle,
            indent=1,
            allow_nan=False,
        )
    return [first, second, third, data]
