"""A straightforward numpy implementation of the network's full-batch GD: O(n·d) per step.

numpy_terms(state, x, y) -> (loss, gradient, hessian);  numpy_gd(x, y, eta, steps, init) -> final state

The independent reference for :mod:`eoscope.simulations._network` (tests/simulations/test_network.py,
benchmarks/bench_network.py; kept out of the installed package): the
feature sums are recomputed from scratch every step, P = Σ max(x + b, 0), N = Σ max(b − x, 0),
P' = #{x + b > 0}, N' = #{b − x > 0}; same equations as the fast kernel otherwise.
"""
from __future__ import annotations

import numpy as np


def _features(x: np.ndarray, b: float):
    shifted_pos = x + b
    shifted_neg = b - x
    return (
        np.maximum(shifted_pos, 0.0).sum(axis=1),
        np.maximum(shifted_neg, 0.0).sum(axis=1),
        (shifted_pos > 0).sum(axis=1).astype(float),
        (shifted_neg > 0).sum(axis=1).astype(float),
    )


def numpy_terms(state, x: np.ndarray, y: np.ndarray):
    """(loss, ∇L, ∇²L) at state = (a₋, a₊, b), recomputing every feature sum: O(n·d)."""
    a_minus, a_plus, b = (float(v) for v in state)
    pos, neg, dpos, dneg = _features(x, b)
    m = y * (a_plus * pos + a_minus * neg)
    loss = np.logaddexp(0.0, -m).mean()
    s_neg = 0.5 * (1.0 - np.tanh(m / 2))  # σ(−m)
    c = -s_neg * y
    g = np.stack([neg, pos, a_plus * dpos + a_minus * dneg])  # ∂f/∂θ, (3, n)
    gradient = (g * c).mean(axis=1)
    curv = s_neg * (1.0 - s_neg)
    hessian = (g * curv) @ g.T / len(y)
    hessian[0, 2] += (c * dneg).mean()
    hessian[2, 0] = hessian[0, 2]
    hessian[1, 2] += (c * dpos).mean()
    hessian[2, 1] = hessian[1, 2]
    return float(loss), gradient, hessian


def numpy_gd(x: np.ndarray, y: np.ndarray, eta: float, steps: int, init: dict) -> np.ndarray:
    """Final (a₋, a₊, b) after ``steps`` full-batch GD steps, O(n·d) each."""
    theta = np.array([init["a_minus"], init["a_plus"], init["b"]], dtype=float)
    for _ in range(int(steps)):
        a_minus, a_plus, b = theta
        pos, neg, dpos, dneg = _features(x, b)
        m = y * (a_plus * pos + a_minus * neg)
        c = -0.5 * (1.0 - np.tanh(m / 2)) * y
        theta = theta - eta * np.array([(c * neg).mean(), (c * pos).mean(), (c * (a_plus * dpos + a_minus * dneg)).mean()])
    return theta
