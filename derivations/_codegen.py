"""Generate numba source for a model's derived maps into a cache folder keyed by the model hash.

generate_kernel_module(model) -> pathlib.Path

The module is plain Python with ``@njit(cache=True)`` functions, so a second process reuses numba's
on-disk cache. Generated functions (state arguments in declaration order, e.g. ``x, y``):

* ``gd_map(*θ, eta)``: F(θ) = θ − η∇L(θ), a tuple;
* ``gd_step(*θ, eta)``: (F(θ), |∇L(θ)|², osc(θ)) sharing common subexpressions (CSE);
* ``loss(*θ)``, ``gradient(*θ)``, ``hessian(*θ)`` (row-major tuple), ``jacobian(*θ, eta)``;
* ``sharpness(*θ)``: λ_max(∇²L) (closed form tr/2 + hypot((a−c)/2, b) for two parameters,
  ``numpy.linalg.eigvalsh`` otherwise);
* ``run_trajectory(theta0, eta, max_steps, tol, bound, stride, rec_step, rec_state, rec_loss,
  rec_sharpness) -> (status, steps, n_recorded)``: one orbit with the stopping rules of
  :data:`STATUS_CODES`. Convergence is |∇L| < tol; |osc| < tol counts too only where the derivation proves
  that osc = 0 is a set of critical points (``OSCILLATION_STOPS`` = ``derive(model).oscillation_stops``,
  ℓ'(0) = 0 for ℓ(x·y)). A custom loss with ℓ'(0) ≠ 0 must not stop at x = 0.
"""
from __future__ import annotations

import keyword
import math
import os
import re
import tempfile
from pathlib import Path

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ._derive import derive
from ._errors import InputError
from ._model import CODEGEN_VERSION, ETA, Model

STATUS_CODES = {"converged": 0, "diverged": 1, "max_steps": 2}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def cache_root() -> Path:
    """The kernel cache folder: $EOSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/eoscope, else ~/.cache/eoscope."""
    explicit = os.environ.get("EOSCOPE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eoscope"


KERNEL_KINDS = ("spine", "grid", "dynamics")


def kernel_path(model: Model, kind: str = "spine", block: int | None = None) -> Path:
    """kernel_path(model, kind="spine", block=None) -> Path

    Where a generated kernel module of ``model`` lives in the kernel cache (it may not exist yet). One file per
    model hash and kind; the grid and dynamics names also carry their codegen version, so that a change of the
    generated text never reuses a stale file (numba's cache is keyed by the file's timestamp).

    Arguments:
        model: the model (its name gives a readable slug, its hash the identity).
        kind: ``"spine"`` (:func:`generate_kernel_module`: maps, loss, one trajectory), ``"grid"``
            (:func:`generate_grid_module`: the blocked SIMD many-orbit kernel) or ``"dynamics"``
            (:func:`generate_dynamics_module`: periodic orbits, Lyapunov exponents, orbit diagrams).
        block: the SIMD block size of a grid module (default ``DEFAULT_BLOCK`` = 64); only for ``"grid"``.

    Returns:
        ``cache_root()/kernels/eoscope_<slug>_<hash>.py`` (spine),
        ``eoscope_grid_<slug>_<hash>_g<GRID_CODEGEN_VERSION>_b<block>.py`` (grid) or
        ``eoscope_dyn<DYNAMICS_CODEGEN_VERSION>_<slug>_<hash>.py`` (dynamics).

    Raises:
        InputError: an unknown ``kind``, or ``block`` given for a kind other than ``"grid"``.
    """
    slug = re.sub(r"[^a-z0-9]+", "_", model.name.lower()).strip("_")
    folder = cache_root() / "kernels"
    if kind not in KERNEL_KINDS:
        raise InputError(f"kind must be one of {', '.join(KERNEL_KINDS)}, got {kind!r}")
    if block is not None and kind != "grid":
        raise InputError(f"block is a grid option; kind {kind!r} takes none")
    if kind == "spine":
        return folder / f"eoscope_{slug}_{model.hash}.py"
    if kind == "dynamics":
        from ._codegen_dynamics import DYNAMICS_CODEGEN_VERSION

        return folder / f"eoscope_dyn{DYNAMICS_CODEGEN_VERSION}_{slug}_{model.hash}.py"
    from ._codegen_grid import DEFAULT_BLOCK, GRID_CODEGEN_VERSION

    block = DEFAULT_BLOCK if block is None else int(block)
    return folder / f"eoscope_grid_{slug}_{model.hash}_g{GRID_CODEGEN_VERSION}_b{block}.py"


def _float_literal(number) -> str:
    """The float64 nearest to an exact SymPy number, as a literal (math.inf beyond the float64 range)."""
    try:
        value = float(number)
    except OverflowError:
        value = math.inf if number > 0 else -math.inf
    if math.isinf(value):
        return "math.inf" if value > 0 else "(-math.inf)"
    return repr(value)


class _KernelPrinter(PythonCodePrinter):
    """Python printer with math.* functions, full float precision, and no SymPy at run time."""

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return _float_literal(expr)

    def _print_Integer(self, expr):
        # numba types an integer literal as int64: one beyond 2⁶³ (1e19·s², or d² of the mean model with
        # d = 1e12) fails to compile. Above 2⁵³ an integer is printed as the float it becomes in the arithmetic.
        return str(int(expr)) if abs(int(expr)) < 2**53 else _float_literal(expr)

    sqrt_function = "math.sqrt"

    def _print_Pow(self, expr, rational=False):
        if expr.exp == sp.Rational(1, 2):
            return f"{self.sqrt_function}({self._print(expr.base)})"
        if expr.exp == -sp.Rational(1, 2):
            return f"(1.0/{self.sqrt_function}({self._print(expr.base)}))"
        if expr.exp.is_number and expr.exp.is_negative:
            # x**(-k) raises ZeroDivisionError at x = 0 in numba even with error_model="numpy"; 1.0/x**k is inf
            inverse = expr.base if expr.exp == -1 else sp.Pow(expr.base, -expr.exp, evaluate=False)
            return f"(1.0/{self.parenthesize(inverse, 100)})"
        return super()._print_Pow(expr, rational=rational)


_PRINTER = _KernelPrinter({"fully_qualified_modules": True, "standard": "python3"})


def _code_block(outputs: list, indent: str = "    ", printer=_PRINTER) -> tuple[list[str], list[str]]:
    """CSE over ``outputs``; returns (assignment lines, printed outputs)."""
    replacements, reduced = sp.cse(outputs, symbols=sp.numbered_symbols("_c"), optimizations="basic")
    lines = [f"{indent}{symbol} = {printer.doprint(value)}" for symbol, value in replacements]
    return lines, [printer.doprint(value) for value in reduced]


def _function(name: str, args: str, outputs: list, tuple_result: bool = True, printer=_PRINTER) -> str:
    lines, printed = _code_block(outputs, printer=printer)
    result = "(" + ", ".join(printed) + ("," if len(printed) == 1 else "") + ")" if tuple_result else printed[0]
    body = "\n".join(lines + [f"    return {result}"])
    return f"@njit(cache=True)\ndef {name}({args}):\n{body}\n"


def convergence_vector(model: Model, derivation) -> list:
    """convergence_vector(model, derivation) -> [sympy expressions] whose norm the kernels test against ``tol``.

    For a GD model the gradient ∇L(θ) (converged when |∇L(θ)| < tol). For a map given directly
    (:func:`custom_map`) there is no gradient: the fixed-point residual F(θ) − θ (converged when
    |F(θ) − θ| < tol, i.e. θ is a fixed point to within tol). For a GD map F(θ) − θ = −η∇L(θ).
    """
    if model.explicit_map is not None:
        return [f - v for f, v in zip(derivation.gd_map, model.state)]
    return list(derivation.gradient)


def generate_source(model: Model) -> str:
    """The full text of the generated kernel module for ``model``."""
    names = model.state_names
    for name in names:
        if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or name in {"eta", "math", "np", "njit"}:
            raise InputError(f"state name {name!r} cannot be used in generated code")
    derivation = derive(model)
    n = len(names)
    args = ", ".join(names)
    eta = str(ETA)
    gradient = list(derivation.gradient)
    oscillation = model.concrete(model.oscillating) if model.oscillating is not None else sp.Float(0.0)
    grad_norm_sq = sum(g**2 for g in convergence_vector(model, derivation))
    header = [
        f'"""Generated by eoscope (codegen v{CODEGEN_VERSION}) '
        f"for {model.label}; hash {model.hash}. Do not edit."
        '"""',
        "import math",
        "import numpy as np",
        "from numba import njit",
        "",
        f"STATE = {tuple(names)!r}",
        f"MODEL_HASH = {model.hash!r}",
        f"HAS_OSCILLATION = {model.oscillating is not None}",
        f"OSCILLATION_STOPS = {bool(derivation.oscillation_stops)}  # osc = 0 only at critical points (derived)",
        *(f"{key.upper()} = {value}" for key, value in STATUS_CODES.items()),
    ]
    parts = [
        "\n".join(header),
        _function("gd_map", f"{args}, {eta}", list(derivation.gd_map)),
        _function("gd_step", f"{args}, {eta}", list(derivation.gd_map) + [grad_norm_sq, oscillation]),
        _function("loss", args, [model.concrete(model.loss)], tuple_result=False),
        _function("gradient", args, gradient),
        _function("hessian", args, list(derivation.hessian)),
        _function("jacobian", f"{args}, {eta}", list(derivation.jacobian)),
        _sharpness_source(args, n),
        _trajectory_source(names, bool(derivation.oscillation_stops)),
    ]
    # IEEE division (error_model="numpy"): x/0 gives ±inf/nan, which the stopping rules call diverged, instead of
    # a ZeroDivisionError that kills the process (a loss singular at s = 0, e.g. log(s)**2 or 1/s).
    return ("\n\n".join(parts) + "\n").replace("@njit(cache=True)\n", '@njit(cache=True, error_model="numpy")\n')


def _sharpness_source(args: str, n: int) -> str:
    if n == 1:
        return f"@njit(cache=True)\ndef sharpness({args}):\n    return hessian({args})[0]\n"
    if n == 2:
        return (
            f"@njit(cache=True)\ndef sharpness({args}):\n"
            f"    h = hessian({args})\n"
            "    # largest root of λ² − tr λ + det: tr/2 + √((a−c)²/4 + b²)\n"
            "    return 0.5 * (h[0] + h[3]) + math.hypot(0.5 * (h[0] - h[3]), h[1])\n"
        )
    fill = "\n".join(f"    m[{i}, {j}] = h[{i * n + j}]" for i in range(n) for j in range(n))
    return (
        f"@njit(cache=True)\ndef sharpness({args}):\n"
        f"    h = hessian({args})\n    m = np.empty(({n}, {n}))\n{fill}\n"
        "    if not np.all(np.isfinite(m)):  # a non-finite state (divergence, a singular loss): no eigenvalue\n"
        "        return np.nan\n"
        "    return np.linalg.eigvalsh(m)[-1]\n"
    )


def _trajectory_source(names: tuple, oscillation_stops: bool) -> str:
    args = ", ".join(names)
    converged = "grad_sq < tol * tol" + (" or abs(osc) < tol" if oscillation_stops else "")
    rule = "|∇L| < tol or |osc| < tol (osc = 0 is a set of critical points)" if oscillation_stops else "|∇L| < tol"
    load = "\n".join(f"    {v} = theta0[{i}]" for i, v in enumerate(names))
    finite = " and ".join(f"math.isfinite({v})" for v in names)
    bounded = " and ".join(f"abs({v}) <= bound" for v in names)
    store = "\n".join(f"            rec_state[n_rec, {i}] = {v}" for i, v in enumerate(names))
    return f'''@njit(cache=True)
def run_trajectory(theta0, eta, max_steps, tol, bound, stride, rec_step, rec_state, rec_loss, rec_sharpness):
    """Iterate θ ← F(θ) from theta0; stop on convergence ({rule}), divergence
    (non-finite or |θ_i| > bound) or max_steps. Records every ``stride`` steps and the last state.
    Returns (status, steps, n_recorded)."""
{load}
    n_rec = 0
    step = 0
    status = MAX_STEPS
    capacity = rec_step.shape[0]
    while True:
        if not ({finite}):
            status = DIVERGED
        elif not ({bounded}):
            status = DIVERGED
        new = gd_step({args}, eta)
        grad_sq = new[{len(names)}]
        osc = new[{len(names) + 1}]
        if status != DIVERGED:
            if {converged}:
                status = CONVERGED
        done = status != MAX_STEPS or step >= max_steps
        if (step % stride == 0 or done) and n_rec < capacity:
            rec_step[n_rec] = step
{store}
            rec_loss[n_rec] = loss({args})
            rec_sharpness[n_rec] = sharpness({args})
            n_rec += 1
        if done:
            break
        {", ".join(names)} = {", ".join(f"new[{i}]" for i in range(len(names)))}
        step += 1
    return status, step, n_rec
'''


def generate_kernel_module(model: Model) -> Path:
    """generate_kernel_module(model) -> Path of the generated module (written once, atomically).

    An existing file is never rewritten (numba's cache is keyed by the file's timestamp).
    """
    return write_module_once(kernel_path(model), lambda: generate_source(model))


def write_module_once(path: Path, make_source) -> Path:
    """write_module_once(path, make_source) -> path

    Write ``make_source()`` to ``path`` atomically (temp file + rename) unless it exists. An existing file
    is never rewritten: numba's on-disk cache is keyed by the source file's timestamp.
    """
    if path.exists():
        return path
    source = make_source()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(source)
        if path.exists():
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write the kernel cache at {path.parent}: {exc.strerror} (set EOSCOPE_CACHE_DIR)") from None
    return path
