"""derive(model) -> Derivation: everything eoscope knows about a model, derived in SymPy.

For GD θ' = F(θ; η) = θ − η ∇L(θ) on the model's loss L:

* gradient ∇L, GD map F, Jacobian DF = I − η ∇²L, Hessian ∇²L;
* sharpness S(θ) = λ_max(∇²L(θ)) (closed form for two parameters: tr/2 + √(tr²/4 − det));
* the minimiser set {u(θ) = s*: ℓ'(s*) = 0} when L = ℓ(u(θ)); on it ∇²L = ℓ''(s*)∇u∇uᵀ has rank one, so
  S = ℓ''(s*)|∇u|², and the multipliers of DF are 1 and 1 − ηS;
* stability of those minimisers: |1 − ηS| ≤ 1 ⇔ ηS ≤ 2, critical step size η_c = 2/S;
* gradient-flow invariants Q (polynomials of degree ≤ 2 with ∇Q·∇L ≡ 0 for every ℓ), their exact GD
  evolution factor Q(F(θ))/Q(θ) (e.g. 1 − η²ℓ'(xy)² for x² − y²) and the residual
  Q(F(θ)) − factor·Q(θ), which simplifies to exactly 0;
* the gradient-flow limit on the minimiser branch implied by the invariants (y∞² = y0² − x0²);
* ``oscillation_stops``: whether {osc = 0} (the model's oscillating coordinate) consists of critical points,
  i.e. ∇L restricted to osc = 0 simplifies to exactly 0 (ℓ'(0) = 0 for ℓ(x·y)). The generated kernels stop
  on |osc| < tol only when it holds; otherwise convergence means |∇L| < tol.

Every expression exists generically (ℓ unspecified, as heads ℓ, ℓ', ℓ'') and concretely (closed forms).
Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of
stability", NeurIPS 2023 (arXiv 2212.07469), §2.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from ._budget import time_budget
from ._errors import InputError
from ._model import ETA, Model

MINIMISER_SECONDS = 10.0  # SymPy's budget for solving ℓ'(s) = 0


@dataclass(frozen=True, eq=False)
class Derivation:
    """Derivation(model, gradient, gd_map, jacobian, hessian, sharpness, ...): made by :func:`derive`.

    The derived objects of one model; ``generic`` holds the ℓ-agnostic forms, the rest are concrete.

    Arguments (fields):
        model: the Model derived.
        gradient: ∇L (n × 1); gd_map: F(θ) = θ − η∇L(θ); jacobian: DF = I − η∇²L; hessian: ∇²L (n × n).
        sharpness: S(θ) = λ_max(∇²L(θ)) in closed form (two parameters: tr/2 + √(tr²/4 − det)), else None.
        minimizers: the roots s* of ℓ'(s) = 0 (the set {u(θ) = s*}), when L = ℓ(u(θ)).
        sharpness_on_minimizers: S = ℓ''(s*)|∇u|² on that set (on the model's branch); None if not derived.
        multipliers_on_minimizers: the multipliers of DF there, (1, 1 − ηS).
        stability_condition: S ≤ 2/η; critical_eta: η_c = 2/S (None when not derived).
        invariants: gradient-flow invariants Q (∇Q·∇L ≡ 0), polynomials of degree ≤ 2.
        invariant_factors: Q(F(θ))/Q(θ) for each (e.g. 1 − η²ℓ'(xy)² for x² − y²); invariant_residuals:
            Q(F(θ)) − factor·Q(θ), simplified (exactly 0).
        gradient_flow_limit: the point of the minimiser branch the gradient flow reaches (y∞² = y0² − x0²).
        generic: the ℓ-agnostic forms (``gradient``, ``gd_map``, ``hessian``, ``invariant_factors``).
        oscillation_stops: whether {osc = 0} consists of critical points (kernels may then stop on |osc| < tol).
        notes: what was attempted and not derived (e.g. a solve that ran out of its time budget).

    Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability",
    NeurIPS 2023, §2.
    """

    model: Model
    gradient: sp.Matrix
    gd_map: sp.Matrix
    jacobian: sp.Matrix
    hessian: sp.Matrix
    sharpness: sp.Expr | None
    minimizers: tuple = ()
    sharpness_on_minimizers: sp.Expr | None = None
    multipliers_on_minimizers: tuple = ()
    stability_condition: sp.Basic | None = None
    critical_eta: sp.Expr | None = None
    invariants: tuple = ()
    invariant_factors: tuple = ()
    invariant_residuals: tuple = ()
    gradient_flow_limit: sp.Basic | None = None
    generic: dict = field(default_factory=dict)
    # True only when the oscillating coordinate's zero set consists of critical points: substituting
    # osc = 0 into the concrete gradient simplifies to exactly 0 (for ℓ(x·y): ℓ'(0) = 0). Only then may a
    # run stop on |osc| < tol; otherwise convergence is decided from |∇L| alone.
    oscillation_stops: bool = False
    notes: tuple = ()  # what was attempted and not derived (e.g. a solve that ran out of its time budget)

    def records(self) -> dict:
        """records() -> dict

        Named SymPy objects, in display order (keys are the CLI's JSON keys).

        Returns:
            dict: the model's own ``steps`` first, then ``loss``, ``loss_second_derivative_at_0`` (ℓ''(0), with a
            Loss), ``map``, ``map_generic``, ``gradient`` ({state name: expression}), ``jacobian``, ``hessian``,
            ``sharpness``, ``minimizers``, ``sharpness_on_minimizers``, ``multipliers_on_minimizers``,
            ``stability_condition``, ``critical_eta`` (at the model's reference point when it has one, the
            general form then under ``critical_eta_general``), ``invariant``, ``invariant_factor``,
            ``invariant_factor_generic``, ``invariant_identity_residual``, ``invariants``,
            ``gradient_flow_limit`` and, when some item was not derived, ``notes``. Missing items are None.
        """
        m = self.model
        loss_spec = m.loss_spec
        out = dict(m.steps)
        out["loss"] = m.concrete(m.loss)
        if loss_spec is not None:
            out["loss_second_derivative_at_0"] = loss_spec.curvature_at_zero
        out["map"] = dict(zip(m.state_names, self.gd_map))
        out["map_generic"] = dict(zip(m.state_names, self.generic["gd_map"]))
        out["gradient"] = dict(zip(m.state_names, self.gradient))
        out["jacobian"] = self.jacobian
        out["hessian"] = self.hessian
        out["sharpness"] = self.sharpness if self.sharpness is not None else "largest eigenvalue of the Hessian (numeric)"
        out["minimizers"] = [sp.Eq(m.inner, root) for root in self.minimizers] if m.inner is not None else []
        out["sharpness_on_minimizers"] = self.sharpness_on_minimizers
        out["multipliers_on_minimizers"] = list(self.multipliers_on_minimizers)
        out["stability_condition"] = self.stability_condition
        out["critical_eta"] = self.critical_eta
        if m.reference_point and self.critical_eta is not None:
            out["critical_eta_general"] = self.critical_eta
            out["critical_eta"] = sp.simplify(self.critical_eta.subs(m.reference_point))
            out["critical_eta_reference_point"] = [sp.Eq(k, v) for k, v in m.reference_point.items()]
        out["invariant"] = self.invariants[0] if self.invariants else None
        out["invariant_factor"] = self.invariant_factors[0] if self.invariant_factors else None
        out["invariant_factor_generic"] = self.generic["invariant_factors"][0] if self.invariants else None
        out["invariant_identity_residual"] = self.invariant_residuals[0] if self.invariants else None
        out["invariants"] = list(self.invariants)
        out["gradient_flow_limit"] = self.gradient_flow_limit
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def _repr_latex_(self) -> str:
        """The derivation as LaTeX, for notebooks: the loss, the GD map θ⁺ = θ − η∇L(θ), the Hessian, the
        sharpness, the invariants and the critical step size (what was derived; absent items are left out)."""
        m = self.model
        latex = sp.latex
        rows = [rf"\text{{model}} & \texttt{{{m.name}}}"]
        rows.append(rf"L({', '.join(latex(v) for v in m.state)}) & = {latex(m.concrete(m.loss))}")
        for name, value in zip(m.state, self.gd_map):
            rows.append(rf"{latex(name)}^{{+}} & = {latex(value)}")
        rows.append(rf"\nabla^2 L & = {latex(self.hessian)}")
        if self.sharpness is not None:
            rows.append(rf"S = \lambda_{{\max}}(\nabla^2 L) & = {latex(self.sharpness)}")
        for invariant in self.invariants:
            rows.append(rf"\text{{invariant}} & {latex(invariant)}")
        critical = self.records().get("critical_eta")
        if critical is not None:
            rows.append(rf"\eta_c & = {latex(critical)}")
        return r"$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"


def derive(model: Model) -> Derivation:
    """derive(model) -> Derivation

    Everything eoscope derives about a model, in SymPy (cached per model object; see the module docstring).

    Arguments:
        model: a :class:`Model` (for a custom map, F as given and DF = ∂F/∂θ only).

    Returns:
        Derivation: the gradient, GD map, Jacobian, Hessian, sharpness, minimiser set, critical step size and
        gradient-flow invariants, concrete and generic. What SymPy could not derive in its time budget is left
        None and explained in ``notes`` (not raised).

    Equations: F(θ) = θ − η∇L(θ), DF = I − η∇²L, S = λ_max(∇²L); on {u = s*}, S = ℓ''(s*)|∇u|² and the stability
    condition |1 − ηS| ≤ 1 ⇔ η ≤ η_c = 2/S. Edge of stability: Cohen et al., "Gradient descent on neural networks
    typically occurs at the edge of stability", ICLR 2021. Reference: Ahn, Bubeck, Chewi, Lee, Suarez, Zhang,
    "Learning threshold neurons via the edge of stability", NeurIPS 2023, §2.
    """
    model = getattr(model, "model", model)  # a compiled System carries its Model
    if not isinstance(model, Model):
        raise InputError(f"derive needs a Model (e.g. single_neuron(get_loss('sqrt1p'))), got {type(model).__name__}")
    return _derive_cached(model)


@lru_cache(maxsize=32)
def _derive_cached(model: Model) -> Derivation:
    if model.explicit_map is not None:  # a map given directly: no loss, no minimisers, no invariants
        return derive_explicit_map(model)
    theta = sp.Matrix(model.state)
    generic_gradient = sp.Matrix([sp.diff(model.loss, v) for v in model.state])
    generic_map = theta - ETA * generic_gradient
    generic_hessian = sp.hessian(model.loss, model.state)
    concrete = model.concrete
    gradient = concrete(generic_gradient)
    hessian = concrete(generic_hessian)
    gd_map = theta - ETA * gradient
    jacobian = gd_map.jacobian(model.state)
    sharpness = _top_eigenvalue_closed_form(hessian)

    minimizers, s_min, multipliers, stability, eta_c = (), None, (), None, None
    notes: list = []
    if model.inner is not None and model.outer is not None:
        minimizers, s_min = _minimiser_sharpness(model, generic_hessian, notes)
        if s_min is not None:
            multipliers = tuple(sp.simplify(1 - ETA * lam) for lam in (0, s_min))
            stability = sp.Le(s_min, 2 / ETA)
            solutions = sp.solve(sp.Eq(ETA * s_min, 2), ETA)
            eta_c = sp.simplify(solutions[0]) if solutions else None

    invariants = _gradient_flow_invariants(model)
    generic_factors, factors, residuals = [], [], []
    for q in invariants:
        q_next = q.subs(dict(zip(model.state, generic_map)), simultaneous=True)
        factor = sp.expand(sp.cancel(sp.expand(q_next) / q))
        generic_factors.append(factor)
        factors.append(sp.simplify(concrete(factor)))
        residuals.append(sp.simplify(sp.expand(concrete(q_next - factor * q))))
    on_branch = bool(minimizers) and _branch_is_minimal(model, minimizers[0])
    flow_limit = _gradient_flow_limit(model, invariants) if on_branch else None

    return Derivation(
        model=model,
        gradient=gradient,
        gd_map=gd_map,
        jacobian=jacobian,
        hessian=hessian,
        sharpness=sharpness,
        minimizers=minimizers,
        sharpness_on_minimizers=s_min,
        multipliers_on_minimizers=multipliers,
        stability_condition=stability,
        critical_eta=eta_c,
        invariants=tuple(invariants),
        invariant_factors=tuple(factors),
        invariant_residuals=tuple(residuals),
        gradient_flow_limit=flow_limit,
        oscillation_stops=_oscillation_zero_set_is_critical(model, gradient),
        notes=tuple(notes),
        generic={
            "gradient": generic_gradient,
            "gd_map": generic_map,
            "hessian": generic_hessian,
            "invariant_factors": tuple(generic_factors),
        },
    )


def _oscillation_zero_set_is_critical(model: Model, gradient: sp.Matrix) -> bool:
    """True when every point with osc(θ) = 0 is a critical point of the concrete loss: osc = 0 is solved for
    one state variable it contains linearly (x for ℓ(x·y), a₋ for a₋ + a₊), substituted into ∇L, and each
    component must simplify to exactly 0. False when there is no oscillating coordinate or it cannot be
    solved that way (then no run may stop on |osc| < tol)."""
    if model.oscillating is None:
        return False
    osc = sp.expand(model.concrete(model.oscillating))
    for v in model.state:
        if not (osc.has(v) and osc.is_polynomial(v) and sp.degree(osc, v) == 1):
            continue
        solved = sp.solve(sp.Eq(osc, 0), v, dict=True)
        if len(solved) != 1:
            continue
        on_zero_set = gradient.subs(solved[0])
        return all(sp.simplify(component) == 0 for component in on_zero_set)
    return False


def _top_eigenvalue_closed_form(hessian: sp.Matrix):
    """λ_max of a symmetric 2×2 matrix from its characteristic polynomial; None for larger ones."""
    if hessian.shape != (2, 2):
        return None
    trace, det = hessian.trace(), hessian.det()
    # λ = tr/2 ± √(tr²/4 − det); the root with the + sign is the larger one. (No sp.solve: it can take
    # minutes on the quadratic of a custom loss such as log(cosh(s − 1)).)
    discriminant = sp.expand(trace**2 / 4 - det)
    if discriminant == 0:
        return trace / 2
    return trace / 2 + sp.sqrt(discriminant)


def _minimiser_sharpness(model: Model, generic_hessian: sp.Matrix, notes: list):
    """Roots s* of ℓ' and the sharpness on {u = s*} (restricted to the model's branch when it lies there);
    what could not be derived is appended to ``notes``."""
    ell = model.outer
    try:  # a custom loss may keep SymPy's solver busy for minutes (RootOf refinement in checksol)
        with time_budget(MINIMISER_SECONDS, "minimiser search timed out"):
            roots = tuple(sp.solve(ell.closed_form(1), ell.var))
    except NotImplementedError:  # SymPy cannot solve ℓ'(s) = 0 (e.g. some losses with Abs): no minimiser set found
        roots = ()
    except InputError:
        notes.append(f"minimisers: SymPy did not solve ℓ'(s) = 0 within {MINIMISER_SECONDS:g} s, so the minimiser set, "
                     "the sharpness on it and the critical step size are not derived")
        roots = ()
    roots = tuple(r for r in roots if r.is_real is not False and _positive_number(ell.value_at(2, r)) is not False)
    if not roots:  # no real s* with ℓ''(s*) > 0: no minimiser set to study
        return (), None
    root = roots[0]
    on_set = generic_hessian.replace(ell.heads[1], sp.Lambda(ell.var, 0)).replace(
        ell.heads[2], sp.Lambda(ell.var, ell.value_at(2, root))
    )
    on_set = model.concrete(on_set)
    # On the set ℓ' = 0, so ∇²L = ℓ''(s*)∇u∇uᵀ has rank one and its only non-zero eigenvalue is the trace.
    # (No rank(simplify=True) test: it can hang on the radicals of a custom loss's roots.)
    top = on_set.trace()
    if _branch_is_minimal(model, root):
        top = top.subs(model.minimizer_branch)
    return roots, sp.simplify(top)


def _branch_is_minimal(model: Model, root) -> bool:
    """True when the model's declared minimiser branch lies in {u = s*}."""
    branch = model.minimizer_branch
    return bool(branch) and sp.simplify(model.inner.subs(branch) - root) == 0


def _positive_number(value):
    """True/False when ``value`` evaluates to a real number (> 0 or not), None when it cannot be evaluated."""
    try:
        number = complex(sp.N(value, 30))
    except (TypeError, ValueError):
        return None
    if abs(number.imag) > 1e-20 * max(1.0, abs(number.real)):
        return False
    return number.real > 0


def _gradient_flow_invariants(model: Model, degree: int = 2) -> list:
    """Polynomials Q of degree ≤ ``degree`` in the state with ∇Q·∇L ≡ 0 (conserved by gradient flow).

    With L = ℓ(u), ∇L = ℓ'(u)∇u, so the condition is ∇Q·∇u ≡ 0 for every ℓ. Coefficients of Q are
    unknowns; the condition is linear in them and solved exactly.
    """
    state = model.state
    target = model.inner if model.inner is not None else model.loss
    monomials = [
        sp.Mul(*combo) for d in range(1, degree + 1) for combo in itertools.combinations_with_replacement(state, d)
    ]
    coefficients = sp.symbols(f"c0:{len(monomials)}")
    q = sum(c * m for c, m in zip(coefficients, monomials))
    condition = sp.expand(sum(sp.diff(q, v) * sp.diff(target, v) for v in state))
    generators = list(state) + sorted(condition.atoms(sp.Function), key=sp.default_sort_key)
    replacements = {atom: sp.Dummy() for atom in generators[len(state):]}
    poly = sp.Poly(condition.xreplace(replacements), *state, *replacements.values())
    solution = sp.solve(poly.coeffs(), coefficients, dict=True)
    if not solution:
        return []
    general = q.subs(solution[0])
    free = [c for c in coefficients if general.has(c)]
    invariants = []
    for c in free:
        basis = sp.expand(general.subs({f: (1 if f == c else 0) for f in free}))
        if basis != 0:
            leading = sp.Poly(basis, *state).coeffs()[0]  # sign convention: leading coefficient > 0
            invariants.append(sp.expand(basis * sp.sign(leading)))
    return invariants


def _gradient_flow_limit(model: Model, invariants: list):
    """Where gradient flow from θ0 meets the minimiser branch, from the first conserved invariant."""
    branch = model.minimizer_branch
    if not invariants or not branch:
        return None
    initial = {v: sp.Symbol(f"{v}0", real=True) for v in model.state}
    q = invariants[0]
    on_branch = q.subs(branch)
    free = sorted(on_branch.free_symbols & set(model.state), key=str)
    if len(free) != 1:
        return None
    (v,) = free
    if sp.expand(on_branch.subs(v, -v) - on_branch) == 0:  # even in v: solve for v²
        square = sp.Symbol(f"{v}_sq")
        solved = sp.solve(sp.Eq(on_branch.subs(v**2, square), q.subs(initial)), square)
        return sp.Eq(v**2, sp.expand(solved[0])) if solved else None
    solved = sp.solve(sp.Eq(on_branch, q.subs(initial)), v)
    return sp.Eq(v, sp.expand(solved[0])) if solved else None


def derive_explicit_map(model: Model):
    """derive_explicit_map(model) -> Derivation of a custom map: F as given, DF = ∂F/∂θ; no loss terms."""
    gd_map = sp.Matrix([model.concrete(e) for e in model.explicit_map])
    jacobian = gd_map.jacobian(model.state)
    n = len(model.state)
    gradient = sp.zeros(n, 1)
    hessian = sp.zeros(n, n)
    return Derivation(
        model=model,
        gradient=gradient,
        gd_map=gd_map,
        jacobian=jacobian,
        hessian=hessian,
        sharpness=None,
        generic={"gradient": gradient, "gd_map": gd_map, "hessian": hessian, "invariant_factors": ()},
    )
