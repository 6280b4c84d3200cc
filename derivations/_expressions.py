"""Whitelisted parsing of user expressions into SymPy, with no ``eval`` and no ``sympify``.

parse_expression(text, symbols) -> sympy.Expr

The text is parsed by :mod:`ast` and translated node by node. Only numbers, the names in ``symbols``,
the constants ``pi`` and ``E``, the arithmetic operators ``+ - * / **`` and the functions in
:data:`ALLOWED_FUNCTIONS` are accepted. Anything else (attribute access, calls of unknown names,
lambdas, subscripts, keywords, strings, ``__import__``) raises :class:`InputError`.

Absurd input is refused up front, before SymPy can hang or recurse on it:

* the text: at most :data:`MAX_LENGTH` characters, ASCII only; numbers are plain decimals (no ``0x``,
  no ``1_0``, no literal that overflows to inf or underflows to 0);
* the tree: at most :data:`MAX_NODES` expression nodes, nested at most :data:`MAX_DEPTH` deep (checked
  iteratively, so a 990-term sum ``s+s+…+s`` is an InputError, not a RecursionError);
* constant folding: every constant sub-expression is also evaluated in float64 alongside SymPy, and one
  that overflows, divides by zero or is undefined is refused *before* SymPy sees it (so
  ``exp(exp(exp(100)))`` never reaches SymPy's evaluator); ``a**b`` of two rationals is refused when the
  exact result would have more than :data:`MAX_DIGITS` digits (estimated as |b|·log10 max(|p|, q), never
  computed: ``9**64**64`` is refused instantly);
* exponents: a numeric exponent must satisfy |b| ≤ :data:`MAX_EXPONENT`, also after SymPy folds powers
  of powers and products (``(s**64)**64`` = s**4096 and ``s**40*s**40`` = s**80 are refused), and no
  folded rational may exceed MAX_DIGITS digits in its numerator or denominator;
* SymPy's own work on the tree is bounded by :data:`PARSE_SECONDS` of wall time (main thread only,
  see :mod:`derivations._budget`).
"""
from __future__ import annotations

import ast
import cmath
import math
import re

import sympy as sp

from ._budget import time_budget
from ._errors import InputError

ALLOWED_CONSTANTS = {"pi": sp.pi, "E": sp.E}
MAX_LENGTH = 2000
MAX_DEPTH = 100  # nesting of operators and calls
MAX_NODES = 500  # expression nodes in the tree
MAX_DIGITS = 330  # digits of a folded integer, numerator or denominator (every float64 literal fits: 5e-324)
MAX_EXPONENT = 64  # |numeric exponent|, after folding
PARSE_SECONDS = 5.0

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_LIMIT = 10**MAX_DIGITS


def _erf(z: complex) -> complex:
    if z.imag != 0:
        raise ValueError("erf of a complex number")
    return complex(math.erf(z.real))


# name -> (SymPy function, its float64 (complex) twin for constant sub-expressions)
_FUNCTIONS = {
    "exp": (sp.exp, cmath.exp),
    "log": (sp.log, cmath.log),
    "log1p": (lambda a: sp.log(1 + a), lambda z: cmath.log(1 + z)),
    "sqrt": (sp.sqrt, cmath.sqrt),
    "sin": (sp.sin, cmath.sin),
    "cos": (sp.cos, cmath.cos),
    "tan": (sp.tan, cmath.tan),
    "sinh": (sp.sinh, cmath.sinh),
    "cosh": (sp.cosh, cmath.cosh),
    "tanh": (sp.tanh, cmath.tanh),
    "asinh": (sp.asinh, cmath.asinh),
    "atan": (sp.atan, cmath.atan),
    "erf": (sp.erf, _erf),
    "abs": (sp.Abs, lambda z: complex(abs(z))),
    "Abs": (sp.Abs, lambda z: complex(abs(z))),
}
ALLOWED_FUNCTIONS = {name: symbolic for name, (symbolic, _) in _FUNCTIONS.items()}
_NUMERIC_FUNCTIONS = {name: numeric for name, (_, numeric) in _FUNCTIONS.items()}
_NUMERIC_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: _power(a, b),
}


def _power(a: complex, b: complex) -> complex:
    """a**b in float64: real arithmetic when it is real (OverflowError on overflow), else complex."""
    if a.imag == 0 and b.imag == 0:
        try:
            return complex(math.pow(a.real, b.real))
        except ValueError:  # a negative base to a fractional power (or 0 to a negative one: ZeroDivisionError)
            if a.real == 0:
                raise ZeroDivisionError("0 to a negative power") from None
    if b.imag == 0 and a != 0 and abs(b.real) * math.log(abs(a)) > 709.0:
        raise OverflowError("complex power")
    return a**b


def parse_expression(text: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """parse_expression(text, symbols) -> sympy.Expr

    Translate ``text`` into a SymPy expression over ``symbols`` using a whitelist (never ``eval``).

    Arguments:
        text: the expression, ASCII, Python syntax (e.g. ``"log(cosh(s))"``), at most 2000 characters.
        symbols: {name: sympy.Symbol} the names ``text`` may use (besides the whitelisted functions and constants).

    Returns:
        sympy.Expr: the scalar expression.

    Raises:
        InputError: with a one-line reason: an empty, too long, non-ASCII, malformed, too deeply nested or too
            large expression, a name or construct outside the whitelist, one SymPy does not read within
            ``PARSE_SECONDS`` (5 s), a non-scalar result, or an undefined value (division by zero, ∞, NaN).
            See the module docstring for the limits.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty expression")
    if len(text) > MAX_LENGTH:
        raise InputError(f"expression longer than {MAX_LENGTH} characters")
    if not text.isascii():
        bad = next(ch for ch in text if not ch.isascii())
        raise InputError(f"expression {text!r} contains the non-ASCII character {bad!r}: use ASCII only")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise InputError(f"malformed expression {text!r}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise InputError(f"expression {text!r} is too deeply nested or too large to parse") from None
    _check_shape(tree.body, text)
    message = f"expression {text!r}: SymPy did not finish reading it within {PARSE_SECONDS:g} s"
    try:
        with time_budget(PARSE_SECONDS, message):
            expr, _ = _Translator(symbols, text, source).translate(tree.body)
    except InputError:
        raise
    except (RecursionError, MemoryError):
        raise InputError(f"expression {text!r} is too deeply nested or too large") from None
    except (ArithmeticError, ValueError, TypeError, NotImplementedError) as exc:
        raise InputError(f"expression {text!r} cannot be read: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    if not isinstance(expr, sp.Expr):
        raise InputError(f"expression {text!r} is not a scalar expression")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise InputError(f"expression {text!r} is undefined (division by zero?)")
    return expr


def _check_shape(root: ast.AST, text: str) -> None:
    """Count expression nodes and their nesting depth without recursion; InputError beyond the limits."""
    stack = [(root, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            nodes += 1
            if nodes > MAX_NODES:
                raise InputError(f"expression {_short(text)} has more than {MAX_NODES} terms and operations")
            if depth > MAX_DEPTH:
                raise InputError(f"expression {_short(text)} is nested more than {MAX_DEPTH} levels deep")
            depth += 1
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))


def _short(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


class _Translator:
    """ast → (SymPy expression, float64 value when the sub-expression is a constant, else None)."""

    def __init__(self, symbols, text, source):
        self.symbols = symbols
        self.text = text
        self.source = source

    def fail(self, message: str):
        raise InputError(f"{message} in {_short(self.text)}")

    def translate(self, node):
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id], None
            if node.id in ALLOWED_CONSTANTS:
                return ALLOWED_CONSTANTS[node.id], complex(math.pi if node.id == "pi" else math.e)
            allowed = ", ".join(sorted(self.symbols)) or "none"
            raise InputError(f"unknown name {node.id!r} in {self.text!r} (allowed variables: {allowed})")
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand, value = self.translate(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand, value
            return -operand, (None if value is None else -value)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            raise InputError(f"attribute access '.{node.attr}' is not allowed in {self.text!r}")
        if isinstance(node, ast.Lambda):
            raise InputError(f"lambda is not allowed in {self.text!r}")
        raise InputError(f"{type(node).__name__} is not allowed in {self.text!r}")

    def constant(self, node):
        text = self.text
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise InputError(f"only numbers are allowed as constants in {text!r}")
        written = ast.get_source_segment(self.source, node) or repr(node.value)
        if _DECIMAL.fullmatch(written) is None:
            raise InputError(f"number {written!r} in {text!r}: write plain decimal numbers such as 0.5, 3 or 2e-3")
        if isinstance(node.value, float):
            if not math.isfinite(node.value):
                raise InputError(f"non-finite number in {text!r}: {written!r} is out of the float64 range")
            if node.value == 0.0 and re.search(r"[1-9]", re.split(r"[eE]", written)[0]):
                raise InputError(f"number {written!r} in {text!r} underflows to 0 in float64")
            value = sp.Rational(repr(node.value))
        else:
            if len(written) > MAX_DIGITS:
                self.fail(f"the number {written[:20]}… has more than {MAX_DIGITS} digits")
            value = sp.Integer(node.value)
        self.check_folded(value)
        return value, complex(float(node.value))

    def binary(self, node):
        if isinstance(node.op, ast.BitXor):
            raise InputError(f"'^' is not a power in {self.text!r}: use '**'")
        operator = _BINARY.get(type(node.op))
        if operator is None:
            raise InputError(f"operator {type(node.op).__name__} is not allowed in {self.text!r}")
        left, left_value = self.translate(node.left)
        right, right_value = self.translate(node.right)
        is_pow = isinstance(node.op, ast.Pow)
        if is_pow and right_value is not None and abs(right_value) > MAX_EXPONENT:
            self.fail(f"exponent {_show(right, right_value)} too large (|exponent| ≤ {MAX_EXPONENT})")
        value = None
        if left_value is not None and right_value is not None:
            value = self.numeric(_NUMERIC_BINARY[type(node.op)], (left_value, right_value), node)
        if is_pow and isinstance(left, sp.Rational) and isinstance(right, sp.Rational) and left != 0:
            size = max(abs(left.p), abs(left.q))
            digits = abs(float(right)) * math.log10(size) if size > 1 else 0.0
            if digits > MAX_DIGITS:
                self.fail(f"{left}**({right}) would have about {digits:.0f} digits (at most {MAX_DIGITS})")
        result = operator(left, right)
        self.check_folded(result)
        return result, value

    def call(self, node):
        if isinstance(node.func, ast.Attribute):
            raise InputError(f"attribute access '.{node.func.attr}' is not allowed in {self.text!r}")
        if not isinstance(node.func, ast.Name):
            raise InputError(f"calling a {type(node.func).__name__} is not allowed in {self.text!r}")
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            allowed = ", ".join(sorted(ALLOWED_FUNCTIONS))
            raise InputError(f"function {name!r} is not allowed in {self.text!r} (allowed: {allowed})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise InputError(f"{name}() takes exactly one positional argument in {self.text!r}")
        argument, argument_value = self.translate(node.args[0])
        value = None
        if argument_value is not None:
            value = self.numeric(_NUMERIC_FUNCTIONS[name], (argument_value,), node)
        result = ALLOWED_FUNCTIONS[name](argument)
        self.check_folded(result)
        return result, value

    def numeric(self, function, arguments, node):
        """float64 value of a constant sub-expression; InputError when it overflows or is undefined."""
        segment = ast.get_source_segment(self.source, node) or "a constant"
        try:
            value = complex(function(*arguments))
        except ZeroDivisionError:
            raise InputError(f"expression {self.text!r} is undefined (division by zero in {_short(segment, 40)})") from None
        except OverflowError:
            value = complex(math.inf)
        except (ValueError, TypeError):
            raise InputError(f"expression {self.text!r} is undefined at {_short(segment, 40)}") from None
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            self.fail(f"the constant {_short(segment, 40)} is out of the float64 range or undefined")
        return value

    def check_folded(self, expr):
        """Refuse folded rationals with more than MAX_DIGITS digits and folded exponents beyond MAX_EXPONENT."""
        if not isinstance(expr, sp.Basic):
            return
        for number in expr.atoms(sp.Rational):
            if abs(number.p) >= _LIMIT or number.q >= _LIMIT:
                self.fail(f"a number (numerator or denominator, after folding) has more than {MAX_DIGITS} digits")
        for power in expr.atoms(sp.Pow):
            exponent = power.exp
            if isinstance(exponent, sp.Rational) and abs(exponent) > MAX_EXPONENT:
                self.fail(f"exponent {exponent} too large after folding (|exponent| ≤ {MAX_EXPONENT})")


def _show(expr, value: complex) -> str:
    if isinstance(expr, sp.Rational):
        return str(expr)
    return f"{value.real:.6g}" if value.imag == 0 else str(value)
