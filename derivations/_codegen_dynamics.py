"""Generate the numba kernels of bifurcation analysis for a model (periodic orbits, Lyapunov, orbit diagrams).

generate_dynamics_source(model) -> str;  generate_dynamics_module(model) -> pathlib.Path

The module is self-contained: it holds the spine's kernels (:func:`derivations.generate_source`: ``gd_map``,
``jacobian``, ``loss``, ``sharpness``, …) followed by

* array adapters ``map_into(θ, η, out)``, ``jacobian_into(θ, η, out)`` (n×n), ``eta_derivative_into(θ, η, out)``
  with ∂F/∂η derived by SymPy, and ``observable(θ, η, code)`` (state components, loss, η·S/2, the inner
  product u(θ) of ℓ(u), S);
* ``orbit_power(θ, η, k, point, M, v, path)``: F^k(θ), M = DF(θ_{k−1})⋯DF(θ_0), v = ∂_η F^k (chain rule);
* ``lyapunov_kernel``: tangent dynamics Q ← DF·Q with Gram–Schmidt (QR) renormalisation every step;
* ``orbit_diagram_kernel``: many η values in one call (cold or warm start), transient, K recorded
  observables, Lyapunov exponents and the final sharpness;
* both average the exponents over a whole number of periods when the orbit is periodic
  (``_whole_period_mean``): the last W states of the window and the partial sums of log R_ii are kept in a
  ring; the least p ≤ W/2 with |θ_{j+p} − θ_j| ≤ PERIOD_RTOL·max(1, max|θ|) over the ring is the period,
  and the mean is taken over the largest multiple of p within the window (the last N mod p steps are left
  out). Over a whole period the sum of log R_ii is log|multiplier| of the cycle (exactly, for one
  dimension), so a period-3 orbit of the logistic map gets its exponent to ~1e-15 instead of O(1/N);
* ``stability_run``: the long-run outcome classifier of the critical step size (did the orbit leave the
  linear-stability region η·S/2 ≤ 1, did it converge or diverge).

Files are written once into the kernel cache (``kernels/eoscope_dyn_<slug>_<hash>.py``), atomically.
"""
from __future__ import annotations

from pathlib import Path

import sympy as sp

from ._codegen import _function, generate_source, kernel_path, write_module_once
from ._derive import derive
from ._model import ETA, Model

DYNAMICS_CODEGEN_VERSION = "5"
PERIOD_RTOL = 1e-6  # the period test of the Lyapunov window (that of OrbitDiagram.periods)
LYAPUNOV_RING = 1024  # lyapunov_kernel: states kept for the period test (periods ≤ 512)
OBSERVABLE_EXTRA = ("loss", "eta_sharpness_half", "inner", "sharpness")

# outcome codes of ``stability_run``
OUTCOME_CODES = {"stable": 0, "stable_running": 1, "edge": 2, "unstable_running": 3, "diverged": 4, "left_stable_region": 5}


def observable_codes(model: Model) -> dict[str, int]:
    """Names accepted by the ``observable`` kernel → code (state names first)."""
    codes = {name: i for i, name in enumerate(model.state_names)}
    n = model.dimension
    for j, name in enumerate(OBSERVABLE_EXTRA):
        codes[name] = n + j
    return codes


def _unpack(names, source="theta"):
    return "\n".join(f"    {v} = {source}[{i}]" for i, v in enumerate(names))


def generate_dynamics_source(model: Model) -> str:
    """Full text of the self-contained dynamics kernel module of ``model`` (module docstring)."""
    base = generate_source(model)
    derivation = derive(model)
    names = model.state_names
    n = len(names)
    args = ", ".join(names)
    eta = str(ETA)
    d_eta = [sp.diff(e, ETA) for e in derivation.gd_map]
    inner = model.concrete(model.inner) if model.inner is not None else None
    parts = [
        f"DIM = {n}",
        f"HAS_INNER = {inner is not None}",
        f"PERIOD_RTOL = {PERIOD_RTOL!r}",
        f"LYAPUNOV_RING = {LYAPUNOV_RING}",
        _function("map_eta_derivative", f"{args}, {eta}", d_eta),
        _function("inner_value", args, [inner], tuple_result=False)
        if inner is not None
        else f"@njit(cache=True)\ndef inner_value({args}):\n    return math.nan\n",
        "@njit(cache=True)\ndef map_into(theta, eta, out):\n"
        + _unpack(names)
        + f"\n    r = gd_map({args}, eta)\n"
        + "\n".join(f"    out[{i}] = r[{i}]" for i in range(n))
        + "\n",
        "@njit(cache=True)\ndef jacobian_into(theta, eta, out):\n"
        + _unpack(names)
        + f"\n    j = jacobian({args}, eta)\n"
        + "\n".join(f"    out[{i}, {c}] = j[{i * n + c}]" for i in range(n) for c in range(n))
        + "\n",
        "@njit(cache=True)\ndef eta_derivative_into(theta, eta, out):\n"
        + _unpack(names)
        + f"\n    r = map_eta_derivative({args}, eta)\n"
        + "\n".join(f"    out[{i}] = r[{i}]" for i in range(n))
        + "\n",
        "@njit(cache=True)\ndef observable(theta, eta, code):\n"
        + _unpack(names)
        + f"\n    if code < {n}:\n        return theta[code]\n"
        + f"    if code == {n}:\n        return float(loss({args}))\n"
        + f"    if code == {n + 1}:\n        return 0.5 * eta * sharpness({args})\n"
        + f"    if code == {n + 2}:\n        return inner_value({args})\n"
        + f"    if code == {n + 3}:\n        return float(sharpness({args}))\n"
        + "    return math.nan\n",
        "@njit(cache=True)\ndef sharpness_of(theta):\n" + _unpack(names) + f"\n    return float(sharpness({args}))\n",
        "@njit(cache=True)\ndef step_info(theta, eta, out):\n"
        + _unpack(names)
        + f"\n    r = gd_step({args}, eta)\n"
        + "\n".join(f"    out[{i}] = r[{i}]" for i in range(n))
        + f"\n    return r[{n}], r[{n + 1}]\n",
        _advance_source(names),
        _GENERIC_KERNELS,
    ]
    header = f"# --- eoscope dynamics kernels (v{DYNAMICS_CODEGEN_VERSION}) ---"
    source = base + "\n\n" + header + "\n" + "\n\n".join(parts) + "\n"
    return source.replace("@njit(cache=True)\n", '@njit(cache=True, error_model="numpy")\n')  # IEEE x/0, as in the spine


def _advance_source(names) -> str:
    """``advance(theta, eta, steps, bound)``: iterate F in place with the state in local scalars (no array
    traffic per step); returns 0, or 1 at the first step that is non-finite or beyond ``bound``."""
    args = ", ".join(names)
    load = "\n".join(f"    {v} = theta[{i}]" for i, v in enumerate(names))
    store = "\n".join(f"    theta[{i}] = {v}" for i, v in enumerate(names))
    unpack = ", ".join(names) + ("," if len(names) == 1 else "")
    check = " or ".join(f"not (abs({v}) <= bound)" for v in names)  # NaN fails every comparison
    return (
        "@njit(cache=True)\ndef advance(theta, eta, steps, bound):\n"
        f"{load}\n    status = 0\n    for _ in range(steps):\n"
        f"        {unpack} = gd_map({args}, eta)\n"
        f"        if {check}:\n            status = 1\n            break\n"
        f"{store}\n    return status\n"
    )


_GENERIC_KERNELS = '''
@njit(cache=True)
def _matmul(a, b, out):
    n = a.shape[0]
    m = b.shape[1]
    for i in range(n):
        for j in range(m):
            s = 0.0
            for l in range(a.shape[1]):
                s += a[i, l] * b[l, j]
            out[i, j] = s


@njit(cache=True)
def orbit_power(theta, eta, k, point, M, v, path):
    """F^k(θ) into point, M = DF(θ_{k-1})...DF(θ_0), v = d/dη F^k(θ; η), path[j] = θ_j."""
    n = theta.shape[0]
    cur = theta.copy()
    nxt = np.empty(n)
    J = np.empty((n, n))
    tmp = np.empty((n, n))
    d = np.empty(n)
    for i in range(n):
        v[i] = 0.0
        for j in range(n):
            M[i, j] = 1.0 if i == j else 0.0
    for step in range(k):
        for i in range(n):
            path[step, i] = cur[i]
        jacobian_into(cur, eta, J)
        eta_derivative_into(cur, eta, d)
        for i in range(n):
            s = d[i]
            for l in range(n):
                s += J[i, l] * v[l]
            nxt[i] = s
        for i in range(n):
            v[i] = nxt[i]
        _matmul(J, M, tmp)
        M[:, :] = tmp
        map_into(cur, eta, nxt)
        cur[:] = nxt
    point[:] = cur


@njit(cache=True)
def _gram_schmidt(Q, sums):
    """Orthonormalise the columns of Q in place (modified Gram-Schmidt = QR); add log R_ii to sums."""
    n = Q.shape[0]
    for i in range(n):
        for j in range(i):
            s = 0.0
            for l in range(n):
                s += Q[l, i] * Q[l, j]
            for l in range(n):
                Q[l, i] -= s * Q[l, j]
        norm = 0.0
        for l in range(n):
            norm += Q[l, i] * Q[l, i]
        norm = math.sqrt(norm)
        sums[i] += math.log(norm) if norm > 0.0 else -math.inf
        if norm > 0.0:
            for l in range(n):
                Q[l, i] /= norm


@njit(cache=True)
def _tangent_qr_step(cur, eta, J, Q, tmp, sums):
    """Q ← DF(θ)·Q, re-orthonormalised (QR); log R_ii added to sums."""
    jacobian_into(cur, eta, J)
    _matmul(J, Q, tmp)
    Q[:, :] = tmp
    _gram_schmidt(Q, sums)


@njit(cache=True)
def _finite_bounded(theta, bound):
    for i in range(theta.shape[0]):
        if not math.isfinite(theta[i]) or abs(theta[i]) > bound:
            return False
    return True


@njit(cache=True)
def _ring_store(ring_state, ring_sums, j, cur, sums):
    """Window step j: θ_j and the partial sums P_j (log R_ii of steps 0 … j−1) at ring index j mod W."""
    w = ring_state.shape[0]
    if w == 0:
        return
    i = j % w
    for a in range(cur.shape[0]):
        ring_state[i, a] = cur[a]
        ring_sums[i, a] = sums[a]


@njit(cache=True)
def _whole_period_mean(ring_state, ring_sums, count, sums, out):
    """Exponents = partial sums / steps over the largest multiple of the orbit's period within the ``count``
    window steps (all of them when no period is found). The ring holds θ_j, P_j for the last
    w = min(W, count) steps j = count − w … count − 1; the period is the least p ≤ w/2 with
    |θ_{j+p,i} − θ_{j,i}| ≤ PERIOD_RTOL·max(1, max|θ|) over the ring. With r = count mod p > 0 the mean is
    P_{count−r}/(count − r) (count − r > count − w/2 lies in the ring). Returns (steps averaged, p or 0)."""
    n = sums.shape[0]
    cap = ring_state.shape[0]
    w = min(cap, count)
    first = count - w
    found = 0
    if w >= 2:
        scale = 1.0
        for j in range(first, count):
            for a in range(n):
                v = abs(ring_state[j % cap, a])
                if v > scale:
                    scale = v
        tol = PERIOD_RTOL * scale
        for p in range(1, w // 2 + 1):
            repeats = True
            for j in range(first, count - p):
                for a in range(n):
                    if not (abs(ring_state[(j + p) % cap, a] - ring_state[j % cap, a]) <= tol):
                        repeats = False
                        break
                if not repeats:
                    break
            if repeats:
                found = p
                break
    r = count % found if found > 0 else 0
    if r > 0:
        used = count - r
        for a in range(n):
            out[a] = ring_sums[used % cap, a] / used
    else:
        used = count
        for a in range(n):
            out[a] = sums[a] / max(count, 1)
    return used, found


@njit(cache=True)
def lyapunov_kernel(theta0, eta, transient, steps, bound, exponents, final):
    """Lyapunov exponents over ``steps`` steps after ``transient`` (over the largest whole number of periods
    within them when the orbit is periodic: ``_whole_period_mean``); returns (0 bounded or 1 diverged,
    steps averaged, period or 0)."""
    n = theta0.shape[0]
    cur = theta0.copy()
    nxt = np.empty(n)
    if advance(cur, eta, transient, bound) != 0:
        final[:] = cur
        exponents[:] = math.nan
        return 1, 0, 0
    Q = np.eye(n)
    J = np.empty((n, n))
    tmp = np.empty((n, n))
    sums = np.zeros(n)
    ring_state = np.empty((min(steps, LYAPUNOV_RING), n))
    ring_sums = np.empty((min(steps, LYAPUNOV_RING), n))
    for t in range(steps):
        _ring_store(ring_state, ring_sums, t, cur, sums)
        _tangent_qr_step(cur, eta, J, Q, tmp, sums)
        map_into(cur, eta, nxt)
        cur[:] = nxt
        if not _finite_bounded(cur, bound):
            final[:] = cur
            exponents[:] = math.nan
            return 1, 0, 0
    final[:] = cur
    used, period = _whole_period_mean(ring_state, ring_sums, steps, sums, exponents)
    return 0, used, period


@njit(cache=True)
def orbit_diagram_kernel(etas, theta0, restart, warm, transient, keep, codes, bound, with_lyapunov, lyap_extra,
                         obs_out, final_out, status_out, lyap_out, sharp_out, lyap_used_out, lyap_period_out):
    """For each η: (warm or cold) start, ``transient`` steps, then ``keep`` recorded observables.

    status_out[i]: 0 bounded, 1 diverged (non-finite or |θ_i| > bound). The first η starts at theta0; cold:
    every other η starts at ``restart``; warm: η_i starts from the final state of η_{i-1} unless that one
    diverged (then at ``restart``). Lyapunov exponents over the recorded steps and the last ``lyap_extra``
    (≤ transient) steps of the transient, cut to the largest whole number of periods when the recorded
    states repeat (``_whole_period_mean`` with the ``keep`` recorded states as its ring): lyap_used_out[i]
    = steps averaged, lyap_period_out[i] = the period found (0: none).
    """
    n = theta0.shape[0]
    n_codes = codes.shape[0]
    cur = theta0.copy()
    nxt = np.empty(n)
    Q = np.empty((n, n))
    J = np.empty((n, n))
    tmp = np.empty((n, n))
    sums = np.zeros(n)
    ring_state = np.empty((keep, n))
    ring_sums = np.empty((keep, n))
    for i in range(etas.shape[0]):
        eta = etas[i]
        if i == 0:
            cur[:] = theta0
        elif (not warm) or status_out[i - 1] != 0:
            cur[:] = restart
        extra = min(lyap_extra, transient) if with_lyapunov else 0
        status = advance(cur, eta, transient - extra, bound)
        for a in range(n):
            for b in range(n):
                Q[a, b] = 1.0 if a == b else 0.0
            sums[a] = 0.0
        window = 0
        for t in range(extra):
            if status != 0:
                break
            _ring_store(ring_state, ring_sums, window, cur, sums)
            window += 1
            _tangent_qr_step(cur, eta, J, Q, tmp, sums)
            map_into(cur, eta, nxt)
            cur[:] = nxt
            if not _finite_bounded(cur, bound):
                status = 1
        for t in range(keep):
            if status != 0:
                for c in range(n_codes):
                    obs_out[i, t, c] = math.nan
                continue
            for c in range(n_codes):
                obs_out[i, t, c] = observable(cur, eta, codes[c])
            if with_lyapunov:
                _ring_store(ring_state, ring_sums, window, cur, sums)
                window += 1
                _tangent_qr_step(cur, eta, J, Q, tmp, sums)
            map_into(cur, eta, nxt)
            cur[:] = nxt
            if not _finite_bounded(cur, bound):
                status = 1
        status_out[i] = status
        final_out[i, :] = cur
        lyap_used_out[i] = 0
        lyap_period_out[i] = 0
        if status == 0:
            sharp_out[i] = sharpness_of(cur)
            if with_lyapunov:
                used, period = _whole_period_mean(ring_state, ring_sums, window, sums, lyap_out[i])
                lyap_used_out[i] = used
                lyap_period_out[i] = period
            else:
                for a in range(n):
                    lyap_out[i, a] = math.nan
        else:
            sharp_out[i] = math.nan
            for a in range(n):
                lyap_out[i, a] = math.nan


@njit(cache=True)
def stability_run(theta0, eta, max_steps, tol, bound, stop_on_exit, criterion, final):
    """Long-run outcome of the map from theta0 at eta: does the orbit ever leave linear stability?

    criterion 0: a step with η·S(θ)/2 > 1 (outside the linear-stability region of GD);
    criterion 1: a step that amplifies the oscillating coordinate, |osc(θ_{k+1})| > |osc(θ_k)| (x of ℓ(xy)).
    Returns (code, steps, worst): code 0 stable (converged, never left), 1 stable_running (never left, not
    converged by max_steps), 2 edge (left, then converged: edge of stability), 3 unstable_running,
    4 diverged, 5 left_stable_region (stop_on_exit: stopped at the first exit); worst = max η·S/2
    (criterion 0) or max |osc_{k+1}/osc_k| (criterion 1) over the run.
    """
    n = theta0.shape[0]
    cur = theta0.copy()
    nxt = np.empty(n)
    left = False
    worst = 0.0
    step = 0
    previous_osc = math.nan
    while True:
        if not _finite_bounded(cur, bound):
            final[:] = cur
            return 4, step, worst
        grad_sq, osc = step_info(cur, eta, nxt)
        if criterion == 0:
            ratio = 0.5 * eta * sharpness_of(cur)
        elif step > 0 and previous_osc != 0.0:
            ratio = abs(osc / previous_osc)
        else:
            ratio = 0.0
        previous_osc = osc
        if ratio > worst:
            worst = ratio
        if ratio > 1.0:
            left = True
            if stop_on_exit:
                final[:] = cur
                return 5, step, worst
        if grad_sq < tol * tol or (OSCILLATION_STOPS and abs(osc) < tol):
            final[:] = cur
            return (2 if left else 0), step, worst
        if step >= max_steps:
            final[:] = cur
            return (3 if left else 1), step, worst
        cur[:] = nxt
        step += 1
'''


def generate_dynamics_module(model: Model) -> Path:
    """generate_dynamics_module(model) -> Path of the generated module (written once, atomically)."""
    return write_module_once(kernel_path(model, "dynamics"), lambda: generate_dynamics_source(model))
