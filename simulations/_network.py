"""The 3-parameter sparse-coding ReLU network of Ahn et al. 2023, Figure 1 (docs/reference_values.md §2).

make_data(d, n, lam, seed, n_test=2000) -> NetworkData
network_sweep(etas, d=200, n=300, lam=3.0, seed=0, ...) -> NetworkSweep (``to_dataset()``: xarray)
network_terms(state, data) -> (loss, gradient, hessian)

Data: y uniform on {−1, +1}, j uniform on {1..d}, ξ ~ N(0, I_d), x = λ·y·e_j + ξ (seeded; separate train and
test sets). Network f(x) = a₊·P(x; b) + a₋·N(x; b) with P = Σᵢ ReLU(xᵢ + b), N = Σᵢ ReLU(−xᵢ + b); loss
L(a₋, a₊, b) = (1/n) Σ_k ℓ(y_k f(x_k)), ℓ(z) = log(1 + e⁻ᶻ); full-batch GD from a± ~ N(0, 1/(2d)), b0 = 0,
for T = ⌈10/η⌉ steps (the paper's horizon; ``steps_factor``).

Cost per step O(n) amortised, O(n log d) worst case (never O(n·d)): with each sample's coordinates sorted
ascending and prefix sums C_m = Σ_{i<m} x_(i),

    P(b) = (C_d − C_p) + (d − p)·b,  P'(b) = d − p,   p = #{i: x_i ≤ −b}
    N(b) = q·b − C_q,                N'(b) = q,       q = #{i: x_i < b}

and p, q are found by binary search once, then moved by a pointer walk as b changes slowly.

Exact Hessian (P'' = N'' = 0 away from the kinks, which have measure zero), with m_k = y_k f(x_k),
g_k = ∂f/∂(a₋, a₊, b) = (N, P, a₊P' + a₋N') and ℓ'(m) = −σ(−m), ℓ''(m) = σ(m)σ(−m):

    ∇L = (1/n) Σ ℓ'(m_k) y_k g_k,
    ∇²L = (1/n) Σ [ℓ''(m_k) g_k g_kᵀ + ℓ'(m_k) y_k C_k],  C_k = ∂g_k/∂θ: entries (a₋, b) = N', (a₊, b) = P'.

Sharpness S = λ_max(∇²L) every ``record_every`` steps and at the end; many η run in parallel (``prange``
over η, largest workloads first, one η per chunk).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
from numba import njit, prange

from ..derivations import InputError
from ..derivations._limits import sci
from ..derivations._validate import check_count, check_nonnegative, check_positive, check_positive_array
from ..dynamics._progress import progress_bar
from ..dynamics._result import Result, Status, array_field, version_field

from ._mean_model_sweep import critical_eta


@dataclass(frozen=True, eq=False)
class NetworkData:
    """Seeded train and test sets: ``x_train`` (n, d), ``y_train`` (n,), ``x_test``, ``y_test``; inputs kept."""

    d: int
    n: int
    lam: float
    seed: int
    n_test: int
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)

    @property
    def sorted_train(self) -> tuple[np.ndarray, np.ndarray]:
        """(each row sorted ascending, prefix sums with a leading 0) of the training inputs."""
        return _sorted_with_prefix(self.x_train)

    @property
    def sorted_test(self) -> tuple[np.ndarray, np.ndarray]:
        """(each row sorted ascending, prefix sums with a leading 0) of the test inputs."""
        return _sorted_with_prefix(self.x_test)


def _sorted_with_prefix(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xs = np.sort(x, axis=1)
    prefix = np.zeros((x.shape[0], x.shape[1] + 1))
    np.cumsum(xs, axis=1, out=prefix[:, 1:])
    return np.ascontiguousarray(xs), prefix


def check_network_inputs(d, n, lam, n_test=1, names=("d", "n", "lam", "n_test")) -> tuple[int, int, float, int]:
    """check_network_inputs(d, n, lam, n_test=1, names=("d", "n", "lam", "n_test")) -> (d, n, lam, n_test)

    Integers d, n, n_test ≥ 1 and a finite λ ≥ 0, with d·(n + n_test) ≤ 5·10⁷ numbers; ``names`` are the names
    the messages use (the CLI passes its flags).

    Raises:
        InputError: a value out of range, or data too large.
    """
    out = [check_count(value, name, 1) for name, value in ((names[0], d), (names[1], n), (names[3], n_test))]
    lam = check_nonnegative(lam, names[2])
    if out[0] * (out[1] + out[2]) > 50_000_000:
        raise InputError(f"data too large: d·(n + n_test) with d = {out[0]:.3g}, n = {out[1]:.3g}, n_test = {out[2]:.3g} "
                         "is more than the limit of 5e7 numbers")
    return out[0], out[1], lam, out[2]


def _draw(rng: np.random.Generator, count: int, d: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.choice(np.array([-1.0, 1.0]), size=count)
    j = rng.integers(0, d, size=count)
    x = rng.standard_normal((count, d))
    x[np.arange(count), j] += lam * y
    return x, y


def make_data(d: int = 200, n: int = 300, lam: float = 3.0, seed: int = 0, n_test: int = 2000) -> NetworkData:
    """make_data(d=200, n=300, lam=3.0, seed=0, n_test=2000) -> NetworkData

    Draw the seeded sparse-coding data set: x = λ·y·e_j + ξ with y ∈ {±1}, j ∈ {1..d} uniform and
    ξ ~ N(0, I_d). Train and test sets come from independent child streams of
    ``numpy.random.SeedSequence(seed)``.

    Arguments:
        d: input dimension (integer ≥ 1); n, n_test: training and test samples (integers ≥ 1);
        lam: signal strength λ ≥ 0; seed: the seed (a non-negative integer).

    Returns:
        NetworkData with ``x_train`` (n, d), ``y_train`` (n,), ``x_test``, ``y_test`` and the inputs.

    Raises:
        InputError: a value out of range, or d·(n + n_test) over 5·10⁷ numbers.

    Reference: Ahn et al. 2023 (arXiv 2212.07469), §3 and Figure 1; docs/reference_values.md §2.
    """
    d, n, lam, n_test = check_network_inputs(d, n, lam, n_test)
    train_seq, test_seq = np.random.SeedSequence(int(seed)).spawn(2)
    x_train, y_train = _draw(np.random.default_rng(train_seq), n, d, lam)
    x_test, y_test = _draw(np.random.default_rng(test_seq), n_test, d, lam)
    return NetworkData(d, n, lam, int(seed), n_test, x_train, y_train, x_test, y_test)


def initial_state(d: int, seed: int = 0) -> dict:
    """initial_state(d, seed=0) -> {a_minus, a_plus, b}

    The paper's initialisation: a± ~ N(0, 1/(2d)) (variance), b0 = 0, drawn from a stream of ``seed``
    independent of the data's. Reference: Ahn et al. 2023 (arXiv 2212.07469), §3.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    a_minus, a_plus = rng.normal(0.0, math.sqrt(1.0 / (2 * d)), size=2)
    return {"a_minus": float(a_minus), "a_plus": float(a_plus), "b": 0.0}


# ---------------------------------------------------------------------------------------------- kernels


@njit(cache=True, inline="always")
def _walk_up(xs, index, threshold, d):
    """Smallest index with xs[index] > threshold, starting from a nearby guess (xs ascending)."""
    while index > 0 and xs[index - 1] > threshold:
        index -= 1
    while index < d and xs[index] <= threshold:
        index += 1
    return index


@njit(cache=True, inline="always")
def _walk_left(xs, index, threshold, d):
    """Smallest index with xs[index] >= threshold, starting from a nearby guess (xs ascending)."""
    while index > 0 and xs[index - 1] >= threshold:
        index -= 1
    while index < d and xs[index] < threshold:
        index += 1
    return index


@njit(cache=True, inline="always")
def _neg_sigmoid(m):
    """σ(−m) = 1/(1 + e^m), overflow-free."""
    if m >= 0:
        e = math.exp(-m)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(m))


@njit(cache=True, inline="always")
def _logistic(m):
    """ℓ(m) = log(1 + e^{−m}), overflow-free."""
    if m >= 0:
        return math.log1p(math.exp(-m))
    return -m + math.log1p(math.exp(m))


@njit(cache=True)
def _evaluate(xs, prefix, y, a_minus, a_plus, b, p_idx, q_idx, want_hessian, hess):
    """One full-batch pass: (loss, g_a₋, g_a₊, g_b, correct) updating the pointers p_idx, q_idx in place.

    When ``want_hessian`` the 3×3 Hessian is written into ``hess``."""
    n, d = xs.shape
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    total = 0.0
    correct = 0
    if want_hessian:
        for i in range(3):
            for j in range(3):
                hess[i, j] = 0.0
    for k in range(n):
        row = xs[k]
        p = _walk_up(row, p_idx[k], -b, d)
        q = _walk_left(row, q_idx[k], b, d)
        p_idx[k] = p
        q_idx[k] = q
        count_p = d - p
        pos = (prefix[k, d] - prefix[k, p]) + count_p * b
        neg = q * b - prefix[k, q]
        yk = y[k]
        f = a_plus * pos + a_minus * neg
        m = yk * f
        if m > 0:
            correct += 1
        s_neg = _neg_sigmoid(m)
        dl = -s_neg  # ℓ'(m)
        db = a_plus * count_p + a_minus * q
        c = dl * yk
        g0 += c * neg
        g1 += c * pos
        g2 += c * db
        if want_hessian:
            total += _logistic(m)
            curv = s_neg * (1.0 - s_neg)  # ℓ''(m) = σ(m)σ(−m)
            hess[0, 0] += curv * neg * neg
            hess[0, 1] += curv * neg * pos
            hess[0, 2] += curv * neg * db + c * q
            hess[1, 1] += curv * pos * pos
            hess[1, 2] += curv * pos * db + c * count_p
            hess[2, 2] += curv * db * db
    inv = 1.0 / n
    if want_hessian:
        for i in range(3):
            for j in range(i, 3):
                hess[i, j] *= inv
                hess[j, i] = hess[i, j]
    return total * inv, g0 * inv, g1 * inv, g2 * inv, correct


@njit(cache=True)
def _start_pointers(xs, b):
    n = xs.shape[0]
    p_idx = np.empty(n, np.int64)
    q_idx = np.empty(n, np.int64)
    for k in range(n):
        p_idx[k] = np.searchsorted(xs[k], -b, side="right")
        q_idx[k] = np.searchsorted(xs[k], b, side="left")
    return p_idx, q_idx


@njit(cache=True)
def _run_one(xs, prefix, y, eta, steps, theta0, record_every, rec_step, rec_state, rec_loss, rec_sharpness, final):
    """GD for one η; records every ``record_every`` steps and the last; returns the number of records.

    ``final`` receives (a₋, a₊, b, loss, sharpness, train accuracy, steps done, diverged flag)."""
    a_minus = theta0[0]
    a_plus = theta0[1]
    b = theta0[2]
    p_idx, q_idx = _start_pointers(xs, b)
    hess = np.zeros((3, 3))
    n_rec = 0
    capacity = rec_step.shape[0]
    diverged = 0
    step = 0
    while True:
        done = step >= steps
        record = (step % record_every == 0) or done
        loss, g0, g1, g2, correct = _evaluate(xs, prefix, y, a_minus, a_plus, b, p_idx, q_idx, record, hess)
        if record and n_rec < capacity:
            rec_step[n_rec] = step
            rec_state[n_rec, 0] = a_minus
            rec_state[n_rec, 1] = a_plus
            rec_state[n_rec, 2] = b
            rec_loss[n_rec] = loss
            rec_sharpness[n_rec] = np.linalg.eigvalsh(hess)[-1]
            n_rec += 1
        if done:
            final[3] = loss
            final[4] = np.linalg.eigvalsh(hess)[-1]
            final[5] = correct / xs.shape[0]
            break
        a_minus -= eta * g0
        a_plus -= eta * g1
        b -= eta * g2
        step += 1
        if not (math.isfinite(a_minus) and math.isfinite(a_plus) and math.isfinite(b)) or abs(b) > 1e6:
            diverged = 1
            final[3] = math.nan
            final[4] = math.nan
            final[5] = math.nan
            break
    final[0] = a_minus
    final[1] = a_plus
    final[2] = b
    final[6] = step
    final[7] = diverged
    return n_rec


@njit(cache=True, parallel=True)
def _run_sweep(xs, prefix, y, etas, steps, order, theta0, record_every, rec_step, rec_state, rec_loss, rec_sharpness, n_rec, final):
    for t in prange(order.shape[0]):
        i = order[t]
        n_rec[i] = _run_one(
            xs, prefix, y, etas[i], steps[i], theta0, record_every,
            rec_step[i], rec_state[i], rec_loss[i], rec_sharpness[i], final[i],
        )


@njit(cache=True)
def _accuracy(xs, prefix, y, a_minus, a_plus, b):
    """Fraction of samples with y·f(x) > 0 (binary search per sample)."""
    p_idx, q_idx = _start_pointers(xs, b)
    n, d = xs.shape
    correct = 0
    for k in range(n):
        p = p_idx[k]
        q = q_idx[k]
        pos = (prefix[k, d] - prefix[k, p]) + (d - p) * b
        neg = q * b - prefix[k, q]
        if y[k] * (a_plus * pos + a_minus * neg) > 0:
            correct += 1
    return correct / n


# ---------------------------------------------------------------------------------------------- API

MAX_RECORDS = 20_000_000  # history rows over all η (≈ 1 GB)
MAX_ETAS = MAX_RECORDS // 2  # step sizes per sweep: each keeps at least 2 history rows


def network_terms(state, data: NetworkData) -> tuple[float, np.ndarray, np.ndarray]:
    """network_terms(state, data) -> (loss, gradient (3,), Hessian (3, 3))

    The training loss L(a₋, a₊, b), its gradient and its exact Hessian at ``state`` = (a₋, a₊, b), by the sorted
    prefix sums of the module docstring.

    Arguments:
        state: (a₋, a₊, b); data: a :class:`NetworkData`.

    Returns:
        (loss, ∇L, ∇²L) as (float, ndarray (3,), ndarray (3, 3)).
    """
    xs, prefix = data.sorted_train
    a_minus, a_plus, b = (float(v) for v in state)
    p_idx, q_idx = _start_pointers(xs, b)
    hess = np.zeros((3, 3))
    loss, g0, g1, g2, _ = _evaluate(xs, prefix, data.y_train, a_minus, a_plus, b, p_idx, q_idx, True, hess)
    return float(loss), np.array([g0, g1, g2]), hess


NETWORK_NAME = "sparse-coding-network"


@dataclass(frozen=True, eq=False)
class NetworkSweep(Result):
    """Result of :func:`network_sweep` (a :class:`eoscope.dynamics._result.Result`): ``model`` (the network's
    description: name, d, n, λ, seed, n_test), ``status`` (``ok``, or ``diverged`` when some η diverged),
    ``message``, ``version``, the inputs, one row per η and the recorded histories.

    Per η (arrays aligned with ``etas``): ``b_final``, ``a_plus``, ``a_minus``, ``train_accuracy``,
    ``test_accuracy``, ``final_loss``, ``final_sharpness``, ``steps``, ``diverged``. Histories
    ``history_step[i, :n_records[i]]`` (and ``history_state``, ``history_loss``, ``history_sharpness``).
    ``to_dataset()`` gives all of it as an xarray Dataset.
    """

    model: dict
    d: int
    n: int
    lam: float
    seed: int
    n_test: int
    init: dict
    steps_factor: float
    record_every: int
    etas: np.ndarray
    status: Status
    message: str
    b_final: np.ndarray
    a_plus: np.ndarray
    a_minus: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    final_loss: np.ndarray
    final_sharpness: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray
    n_records: np.ndarray = array_field()
    history_step: np.ndarray = array_field()
    history_state: np.ndarray = array_field()
    history_loss: np.ndarray = array_field()
    history_sharpness: np.ndarray = array_field()
    seconds: float = 0.0
    version: str = version_field()

    @property
    def critical_eta(self) -> float:
        """η_c = 8π/d², the mean model's threshold (derivations.mean_model)."""
        return critical_eta(self.d)

    def edge_moment(self, i: int, slack: float = 1.02) -> tuple[int, float, float]:
        """(step, b, η·S/2) at the recorded step where η·S/2 peaks among records with η·S/2 ≤ ``slack``.

        For η above η_c this is where the network's EoS phase reaches the edge (η·S/2 ≈ 1); its b is what
        the mean model's b∞ predicts. (-1, NaN, NaN) when η ≤ η_c or nothing was recorded."""
        k_max = int(self.n_records[i])
        eta = float(self.etas[i])
        if eta <= self.critical_eta or k_max == 0:
            return -1, math.nan, math.nan
        half = eta * self.history_sharpness[i, :k_max] / 2
        allowed = np.flatnonzero(half <= slack)
        if allowed.size == 0:
            return -1, math.nan, math.nan
        k = int(allowed[np.argmax(half[allowed])])
        return int(self.history_step[i, k]), float(self.history_state[i, k, 2]), float(half[k])

    def records(self) -> list[dict]:
        """One JSON-ready record per η (``b_at_edge``/``edge_step``: see :meth:`edge_moment`)."""
        rows = []
        for i, eta in enumerate(self.etas):
            edge_step, edge_b, _ = self.edge_moment(i)
            rows.append(
                {
                    "eta": float(eta),
                    "eta_over_eta_c": float(eta / self.critical_eta),
                    "b_final": float(self.b_final[i]),
                    "a_plus": float(self.a_plus[i]),
                    "a_minus": float(self.a_minus[i]),
                    "train_accuracy": float(self.train_accuracy[i]),
                    "test_accuracy": float(self.test_accuracy[i]),
                    "final_loss": float(self.final_loss[i]),
                    "final_sharpness": float(self.final_sharpness[i]),
                    "two_over_eta": 2.0 / float(eta),
                    "eta_sharpness_half": float(eta * self.final_sharpness[i] / 2),
                    "steps": int(self.steps[i]),
                    "b_at_edge": edge_b,
                    "edge_step": edge_step,
                    "status": "diverged" if self.diverged[i] else "ok",
                }
            )
        return rows

    def inputs(self) -> dict:
        """The inputs of the sweep: d, n, lam, seed, n_test, init, steps_factor, record_every, critical_eta, version."""
        return {
            "d": self.d,
            "n": self.n,
            "lam": self.lam,
            "seed": self.seed,
            "n_test": self.n_test,
            "init": self.init,
            "steps_factor": self.steps_factor,
            "record_every": self.record_every,
            "critical_eta": self.critical_eta,
            "version": self.version,
        }

    def to_dataset(self):
        """to_dataset() -> xarray.Dataset: one row per η (dimension ``eta``) and the histories over the
        dimension ``record`` (coordinate ``step``: the GD step of each record, every ``record_every`` steps
        and the last; records past ``n_records`` are NaN, their step −1). Every variable has ``units`` and
        ``long_name``; the inputs, status, message and version are attributes."""
        import json

        import xarray as xr

        k = int(self.history_step.shape[1])
        valid = np.arange(k)[None, :] < self.n_records[:, None]
        one = {"units": "1"}

        def history(values):
            return np.where(valid, values, np.nan)

        per_eta = {
            "b_final": (self.b_final, "final bias b"),
            "a_plus": (self.a_plus, "final weight a₊"),
            "a_minus": (self.a_minus, "final weight a₋"),
            "train_accuracy": (self.train_accuracy, "training accuracy"),
            "test_accuracy": (self.test_accuracy, "test accuracy"),
            "final_loss": (self.final_loss, "final training loss"),
            "final_sharpness": (self.final_sharpness, "final sharpness S = largest Hessian eigenvalue"),
            "eta_sharpness_half": (self.etas * self.final_sharpness / 2, "η·S/2 at the end (1 = edge of stability)"),
            "steps": (self.steps, "GD steps taken"),
            "diverged": (self.diverged.astype(np.int8), "diverged"),
            "n_records": (self.n_records, "history records kept"),
        }
        data = {name: ("eta", values, {**one, "long_name": text}) for name, (values, text) in per_eta.items()}
        data["diverged"][2].update({"flag_values": [0, 1], "flag_meanings": "finished diverged"})
        for i, name in enumerate(("a_minus", "a_plus", "b")):
            data[f"history_{name}"] = (("eta", "record"), history(self.history_state[:, :, i]),
                                       {**one, "long_name": f"{name} during training"})
        data["history_loss"] = (("eta", "record"), history(self.history_loss), {**one, "long_name": "training loss"})
        data["history_sharpness"] = (("eta", "record"), history(self.history_sharpness),
                                     {**one, "long_name": "sharpness S = largest Hessian eigenvalue"})
        coords = {
            "eta": ("eta", self.etas, {**one, "long_name": "step size η"}),
            "eta_over_eta_c": ("eta", self.etas / self.critical_eta,
                               {**one, "long_name": "step size in units of η_c = 8π/d²"}),
            "step": (("eta", "record"), np.where(valid, self.history_step, -1),
                     {**one, "long_name": "GD step of the record (−1: none)"}),
        }
        attrs = {"title": "eoscope network sweep (Ahn et al. 2023, Figure 1)", "status": str(self.status),
                 "message": self.message, "version": self.version, "model": json.dumps(self.model),
                 "init": json.dumps(self.init), "steps_factor": self.steps_factor, "record_every": self.record_every,
                 "critical_eta": self.critical_eta, "seconds": self.seconds}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def history(self, i: int) -> dict:
        """Recorded history of the i-th η: step, a_minus, a_plus, b, loss, sharpness (lists)."""
        k = int(self.n_records[i])
        state = self.history_state[i, :k]
        return {
            "step": self.history_step[i, :k].tolist(),
            "a_minus": state[:, 0].tolist(),
            "a_plus": state[:, 1].tolist(),
            "b": state[:, 2].tolist(),
            "loss": self.history_loss[i, :k].tolist(),
            "sharpness": self.history_sharpness[i, :k].tolist(),
        }


def network_sweep(
    etas,
    d: int = 200,
    n: int = 300,
    lam: float = 3.0,
    seed: int = 0,
    *,
    n_test: int = 2000,
    steps_factor: float = 10.0,
    record_every: int = 20,
    init: dict | None = None,
    max_steps: int = 10_000_000,
    data: NetworkData | None = None,
    progress=False,
) -> NetworkSweep:
    """network_sweep(etas, d=200, n=300, lam=3.0, seed=0, *, n_test=2000, steps_factor=10, record_every=20,
    init=None, max_steps=10**7, data=None, progress=False) -> NetworkSweep

    Train the 3-parameter sparse-coding ReLU network by full-batch GD for every step size in ``etas`` (in
    parallel over η) and record its bias, weights, accuracies, loss and sharpness.

    Arguments:
        etas: the step sizes, a non-empty 1-D sequence of finite values > 0.
        d, n, lam, seed, n_test: input dimension, training samples, signal strength λ ≥ 0, seed of the data and of
            the initialisation, test samples (see :func:`make_data`); ignored for the data when ``data`` is given.
        steps_factor: each η runs T(η) = ⌈steps_factor/η⌉ steps (the paper's horizon is 10/η).
        record_every: the history keeps every ``record_every``-th step (and the last).
        init: {a_minus, a_plus, b} to start from; default :func:`initial_state` (a± ~ N(0, 1/(2d)), b0 = 0).
        max_steps: the largest T(η) allowed.
        data: a :class:`NetworkData` to train on instead of ``make_data(d, n, lam, seed, n_test)``.
        progress: True draws a tqdm bar advancing by step sizes; a callable gets (done, total).

    Returns:
        NetworkSweep (status ``ok``, or ``diverged`` when some η diverged, named in ``message``); its
        ``to_dataset()`` is the xarray form.

    Raises:
        InputError: a bad η, count, factor or init, data too large, T(η) > max_steps, or histories over
            :data:`MAX_RECORDS` records.

    Equations: module docstring (loss L = (1/n) Σ log(1 + e^{−y f(x)}), exact gradient and Hessian, S = λ_max(∇²L)).
    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang 2023, "Learning threshold neurons via the edge of
    stability" (arXiv 2212.07469), Figure 1; docs/reference_values.md §2.
    """
    import time

    etas = check_positive_array(etas, "etas")
    if data is None:
        data = make_data(d, n, lam, seed, n_test)
    steps_factor = check_positive(steps_factor, "steps_factor")
    record_every = check_count(record_every, "record_every", 1)
    max_steps = check_count(max_steps, "max_steps", 1)
    needed = np.ceil(steps_factor / etas)  # float64: checked before the cast to int64 (1e300/η would wrap)
    if not np.all(np.isfinite(needed)) or needed.max() > max_steps:
        raise InputError(f"η = {etas.min():g} needs {sci(float(needed.max()))} steps > max_steps = {sci(max_steps)}; "
                         f"raise η or max_steps")
    steps = needed.astype(np.int64)
    init = dict(init) if init is not None else initial_state(data.d, seed)
    if set(init) != {"a_minus", "a_plus", "b"} or not all(math.isfinite(float(v)) for v in init.values()):
        raise InputError(f"init must set finite a_minus, a_plus, b; got {init}")
    theta0 = np.array([init["a_minus"], init["a_plus"], init["b"]], dtype=np.float64)
    xs, prefix = data.sorted_train
    capacity = int(steps.max() // record_every + 2)
    m = etas.size
    if m * capacity > MAX_RECORDS:
        raise InputError(
            f"{m} step sizes × {capacity} records each exceed {MAX_RECORDS} records; raise record_every "
            f"(≥ {int(np.ceil(m * steps.max() / MAX_RECORDS))})"
        )
    rec_step = np.zeros((m, capacity), np.int64)
    rec_state = np.zeros((m, capacity, 3))
    rec_loss = np.zeros((m, capacity))
    rec_sharpness = np.zeros((m, capacity))
    n_rec = np.zeros(m, np.int64)
    final = np.zeros((m, 8))
    order = np.argsort(-steps, kind="stable").astype(np.int64)  # longest first
    width = max(1, numba.get_num_threads())  # a batch of similar workloads, one η per thread: the bar advances per batch
    batches = [order[j:j + width] for j in range(0, m, width)]
    start = time.perf_counter()
    with progress_bar(progress, m, "network", unit="η") as bar:
        for batch in batches:
            with numba.parallel_chunksize(1):
                _run_sweep(xs, prefix, data.y_train, etas, steps, np.ascontiguousarray(batch), theta0, record_every,
                           rec_step, rec_state, rec_loss, rec_sharpness, n_rec, final)
            bar.update(len(batch))
    test_xs, test_prefix = data.sorted_test
    test_accuracy = np.array(
        [
            _accuracy(test_xs, test_prefix, data.y_test, row[0], row[1], row[2]) if not row[7] else math.nan
            for row in final
        ]
    )
    seconds = time.perf_counter() - start
    diverged = final[:, 7].astype(bool)
    status = Status.DIVERGED if diverged.any() else Status.OK
    message = (
        f"{m} step sizes, T = ⌈{steps_factor:g}/η⌉ steps each ({int(steps.sum())} in all), {seconds:.2f} s"
        + (f"; diverged at η = {', '.join(f'{e:g}' for e in etas[diverged])}" if diverged.any() else "")
    )
    model = {"model": NETWORK_NAME, "d": data.d, "n": data.n, "lam": data.lam, "seed": data.seed, "n_test": data.n_test}
    return NetworkSweep(
        model=model, d=data.d, n=data.n, lam=data.lam, seed=data.seed, n_test=data.n_test, init=dict(init),
        steps_factor=float(steps_factor), record_every=record_every, etas=etas, status=status, message=message,
        b_final=final[:, 2].copy(), a_plus=final[:, 1].copy(), a_minus=final[:, 0].copy(),
        train_accuracy=final[:, 5].copy(), test_accuracy=test_accuracy, final_loss=final[:, 3].copy(),
        final_sharpness=final[:, 4].copy(), steps=final[:, 6].astype(np.int64), diverged=diverged,
        n_records=n_rec, history_step=rec_step, history_state=rec_state, history_loss=rec_loss,
        history_sharpness=rec_sharpness, seconds=seconds,
    )
