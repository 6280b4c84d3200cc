"""Whitelisted parsing of user expressions into SymPy, with no ``eval`` and no ``sympify``.

parse_expression(text, symbols) -> sympy.Expr

The text is parsed by :mod:`ast` and translated node by node. Only numbers, the names in ``symbols``,
the constants ``pi`` and ``E``, the arithmetic operators ``+ - * / **`` and the functions in
:data:`ALLOWED_FUNCTIONS` are accepted. Anything else (attribute access, calls of unknown names,
lambdas, subscripts, keywords, strings, ``__import__``) raises :class:`InputError`.
"""
from __future__ import annotations

import ast
import math

import sympy as sp

from ._errors import InputError

ALLOWED_FUNCTIONS = {
    "exp": sp.exp,
    "log": sp.log,
    "log1p": lambda a: sp.log(1 + a),
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "atan": sp.atan,
    "erf": sp.erf,
    "abs": sp.Abs,
    "Abs": sp.Abs,
}
ALLOWED_CONSTANTS = {"pi": sp.pi, "E": sp.E}
MAX_LENGTH = 2000

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def parse_expression(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """parse_expression(text, symbols) -> sympy.Expr

    Translate ``text`` into a SymPy expression over ``symbols`` (name → Symbol) using a whitelist.
    Raises InputError with a one-line reason for anything outside it.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty expression")
    if len(text) > MAX_LENGTH:
        raise InputError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"malformed expression {text!r}: {exc.msg}") from None
    expr = _translate(tree.body, symbols, text)
    if not isinstance(expr, sp.Expr):
        raise InputError(f"expression {text!r} is not a scalar expression")
    if expr.has(sp.zoo, sp.nan):
        raise InputError(f"expression {text!r} is undefined (division by zero?)")
    return expr


def _translate(node, symbols, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise InputError(f"only numbers are allowed as constants in {text!r}")
        if isinstance(node.value, float):
            if not math.isfinite(node.value):
                raise InputError(f"non-finite number in {text!r}")
            return sp.Rational(repr(node.value))
        return sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in symbols:
            return symbols[node.id]
        if node.id in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[node.id]
        allowed = ", ".join(sorted(symbols)) or "none"
        raise InputError(f"unknown name {node.id!r} in {text!r} (allowed variables: {allowed})")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise InputError(f"'^' is not a power in {text!r}: use '**'")
        operator = _BINARY.get(type(node.op))
        if operator is None:
            raise InputError(f"operator {type(node.op).__name__} is not allowed in {text!r}")
        left = _translate(node.left, symbols, text)
        right = _translate(node.right, symbols, text)
        if isinstance(node.op, ast.Pow) and right.is_number and abs(right) > 64:
            raise InputError(f"exponent {right} too large in {text!r}")
        return operator(left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _translate(node.operand, symbols, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            raise InputError(f"attribute access '.{node.func.attr}' is not allowed in {text!r}")
        if not isinstance(node.func, ast.Name):
            raise InputError(f"calling a {type(node.func).__name__} is not allowed in {text!r}")
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            allowed = ", ".join(sorted(ALLOWED_FUNCTIONS))
            raise InputError(f"function {name!r} is not allowed in {text!r} (allowed: {allowed})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise InputError(f"{name}() takes exactly one positional argument in {text!r}")
        return ALLOWED_FUNCTIONS[name](_translate(node.args[0], symbols, text))
    if isinstance(node, ast.Attribute):
        raise InputError(f"attribute access '.{node.attr}' is not allowed in {text!r}")
    if isinstance(node, ast.Lambda):
        raise InputError(f"lambda is not allowed in {text!r}")
    raise InputError(f"{type(node).__name__} is not allowed in {text!r}")
