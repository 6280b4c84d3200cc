"""``eoscope derive MODEL``: everything derived for a model, as text, LaTeX or JSON."""
from __future__ import annotations

import sympy as sp

from ..derivations import derive

from ._cli_common import add_model_arguments, model_from_args, print_json


def register(sub) -> None:
    parser = sub.add_parser("derive", help="show the derived GD map, Jacobian, Hessian, sharpness, invariants")
    add_model_arguments(parser)
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--latex", action="store_true", help="print LaTeX")
    out.add_argument("--json", action="store_true", help="print JSON (expressions as SymPy strings, plus LaTeX)")
    parser.set_defaults(func=run)


def _convert(value, printer):
    if isinstance(value, dict):
        return {str(k): _convert(v, printer) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert(v, printer) for v in value]
    if isinstance(value, sp.MatrixBase):
        return [[printer(e) for e in row] for row in value.tolist()]
    if value is None or isinstance(value, str):
        return value
    return printer(value)


def derivation_records(model) -> dict:
    """``derive`` output as JSON-ready strings: {key: sympy string}, plus ``latex`` and ``model``."""
    records = derive(model).records()
    return {
        "model": model.describe(),
        **_convert(records, sp.sstr),
        "latex": _convert(records, sp.latex),
    }


def run(args) -> int:
    model = model_from_args(args)
    records = derive(model).records()
    if args.json:
        print_json({"command": args.command_line, **derivation_records(model)})
        return 0
    if args.latex:
        print(f"% eoscope derive: {model.label}")
        for key, value in _convert(records, sp.latex).items():
            print(f"% {key}")
            if isinstance(value, dict):
                for name, expr in value.items():
                    print(f"{name}' = {expr} \\\\")
            elif isinstance(value, list) and value and isinstance(value[0], list):
                rows = " \\\\ ".join(" & ".join(row) for row in value)
                print(f"\\begin{{pmatrix}} {rows} \\end{{pmatrix}}")
            else:
                print(value)
        return 0
    print(f"eoscope derive — {model.label}")
    for key, value in records.items():
        print(f"\n{key}:")
        if isinstance(value, dict):
            for name, expr in value.items():
                print(f"  {name}' =" if "map" in key else f"  ∂L/∂{name} =")
                print("    " + sp.pretty(expr, use_unicode=True).replace("\n", "\n    "))
        elif isinstance(value, sp.MatrixBase) or (isinstance(value, sp.Basic)):
            print("  " + sp.pretty(value, use_unicode=True).replace("\n", "\n  "))
        elif isinstance(value, list):
            for item in value:
                print("  " + sp.pretty(item, use_unicode=True).replace("\n", "\n  "))
        else:
            print(f"  {value}")
    return 0
