"""Safe custom formulas: f(x, y) typed by a stranger, turned into a JAX function.

Python's ``ast`` module only *parses* the text (it runs nothing); every node is then checked
against a whitelist, and the formula is compiled into nested closures over ``jnp``
functions. There is no eval or exec anywhere. Length and bracket depth are limited before
parsing, node count, depth and constant exponents after. Every refusal is an
:class:`ExprError` naming the offending token and its 1-based position.
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from optviz.core.expressions import BINARY, CONSTANTS, FUNCTIONS, constant_value
from optviz.core.limits import MAX_COORD, MAX_EXPR_DEPTH, MAX_EXPR_EXPONENT, MAX_EXPR_LENGTH, MAX_EXPR_NODES

Value = jax.Array | float  # a node's value: a plain number for a constant, an array otherwise
Fn = Callable[[jax.Array, jax.Array], Value]
VARIABLES = ("x", "y")

_ALLOWED = (
    f"x, y, numbers, + - * / ** and brackets, the constants {', '.join(CONSTANTS)}, "
    f"and the functions {', '.join(FUNCTIONS)}"
)


DEFAULT_DOMAIN = (-2.0, 2.0, -2.0, 2.0)  # a custom formula's plotting domain unless one is given
EXAMPLE = "sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)"  # what the formula box offers first


class ExprError(ValueError):
    """A refused formula; the message names the token, its position and what is allowed."""


def _err(text: str, col: int, what: str) -> ExprError:
    # The position goes right after the problem, before any "; allowed: ..." list.
    head, sep, tail = what.partition(";")
    return ExprError(f"expr: {head} at position {col + 1}{sep}{tail}")


def _token_at(text: str, col: int) -> str:
    end = col
    while end < len(text) and (text[end].isalnum() or text[end] in "_."):
        end += 1
    return text[col : max(end, col + 1)]


def _precheck(text: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise ExprError("expr: the formula is empty; write f(x, y), e.g. sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)")
    if len(text) > MAX_EXPR_LENGTH:
        raise ExprError(f"expr: the formula is {len(text)} characters long; at most {MAX_EXPR_LENGTH} allowed")
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_EXPR_DEPTH:
                raise _err(text, i, f"'(' nests deeper than {MAX_EXPR_DEPTH} levels")
        elif ch == ")":
            depth -= 1
        elif ch in "[]{}:;'\"\\@$`#!?=<>&|~^":
            hint = "; use ** for powers" if ch == "^" else ""
            raise _err(text, i, f"{ch!r} is not allowed{hint}; allowed: {_ALLOWED}")
        elif ord(ch) > 127:
            raise _err(text, i, f"{ch!r} is not allowed; allowed: {_ALLOWED}")


def parse(text: str) -> ast.Expression:
    """Parse and check a formula; ExprError for anything outside the whitelist."""
    _precheck(text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        stripped = text.strip()
        col = min(max((err.offset or 1) - 1, 0), len(stripped))
        near = f"near {_token_at(stripped, col)!r} " if col < len(stripped) else "at the end "
        raise ExprError(f"expr: {err.msg} {near}at position {col + 1}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expr: the formula is too deeply nested") from None
    _check(tree.body, text.strip(), depth=0, count=[0])
    return tree


def _check(node: ast.AST, text: str, depth: int, count: list[int]) -> None:
    count[0] += 1
    col = getattr(node, "col_offset", 0)
    if count[0] > MAX_EXPR_NODES:
        raise _err(text, col, f"the formula has more than {MAX_EXPR_NODES} parts")
    if depth > MAX_EXPR_DEPTH:
        raise _err(text, col, f"the formula nests deeper than {MAX_EXPR_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _err(text, col, f"{_token_at(text, col)!r} is not a number; allowed: {_ALLOWED}")
        if not math.isfinite(float(node.value)) or abs(node.value) > 1e30:
            raise _err(text, col, f"the number {_token_at(text, col)!r} is too large (at most 1e30)")
    elif isinstance(node, ast.Name):
        if node.id not in VARIABLES and node.id not in CONSTANTS:
            what = "a function: call it with brackets" if node.id in FUNCTIONS else "an unknown name"
            raise _err(text, col, f"{node.id!r} is {what}; allowed: {_ALLOWED}")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text, depth + 1, count)
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        if isinstance(node.op, ast.Pow):
            exponent = constant_value(node.right)
            if exponent is not None and not abs(exponent) <= MAX_EXPR_EXPONENT:
                shown = ast.get_source_segment(text, node.right) or _token_at(text, node.right.col_offset)
                raise _err(
                    text,
                    node.right.col_offset,
                    f"the exponent {shown!r} is too large (constant exponents must lie within +-{MAX_EXPR_EXPONENT})",
                )
        _check(node.left, text, depth + 1, count)
        _check(node.right, text, depth + 1, count)
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = name if name is not None else _token_at(text, node.func.col_offset)
            raise _err(text, node.func.col_offset, f"{shown!r} is not an allowed function; allowed: {_ALLOWED}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _err(text, col, f"{name}() takes plain arguments only")
        arity = FUNCTIONS[name][1]
        if len(node.args) != arity:
            raise _err(text, col, f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}")
        for arg in node.args:
            _check(arg, text, depth + 1, count)
    else:
        token = _token_at(text, col) if col < len(text) else type(node).__name__
        raise _err(text, col, f"{token!r} ({type(node).__name__}) is not allowed; allowed: {_ALLOWED}")


def _build(node: ast.AST) -> Fn:
    """Nested closures computing the checked tree with jnp: no eval, no exec."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        value = float(node.value)  # floats only: a Python int could overflow JAX's int32
        return lambda x, y: value
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x, y: x
        if node.id == "y":
            return lambda x, y: y
        value = CONSTANTS[node.id]
        return lambda x, y: value
    if isinstance(node, ast.UnaryOp):
        inner = _build(node.operand)
        return (lambda x, y: -inner(x, y)) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _build(node.left)
        exponent = constant_value(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None and float(exponent).is_integer():
            n = int(exponent)  # x**2 as an integer power: exact, and defined for negative x
            return lambda x, y: jnp.power(left(x, y), n)
        op, right = BINARY[type(node.op)], _build(node.right)
        return lambda x, y: op(left(x, y), right(x, y))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), "parse() admits nothing else"
    fn = FUNCTIONS[node.func.id][0]
    args = [_build(a) for a in node.args]
    return lambda x, y: fn(*(a(x, y) for a in args))


def compile_expr(text: str) -> Callable[[ArrayLike, ArrayLike], jax.Array]:
    """f(x, y) for a checked formula: works on scalars and arrays, differentiable by JAX."""
    body = _build(parse(text).body)

    def fn(x: ArrayLike, y: ArrayLike) -> jax.Array:
        x, y = jnp.asarray(x), jnp.asarray(y)
        # Constant formulas (f = 1) still give arrays of the inputs' shape, so grids and grads work.
        return body(x, y) + 0.0 * x + 0.0 * y

    return fn


def parse_domain(text: str) -> tuple[float, float, float, float]:
    """``XMIN,XMAX,YMIN,YMAX``: four finite numbers with min < max, within +-MAX_COORD."""
    parts = str(text).split(",")
    if len(parts) != 4:
        raise ExprError(f"domain: expected XMIN,XMAX,YMIN,YMAX (got {text!r})")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ExprError(f"domain: expected four numbers XMIN,XMAX,YMIN,YMAX (got {text!r})") from None
    if not all(math.isfinite(v) and abs(v) <= MAX_COORD for v in values):
        raise ExprError(f"domain: every bound must be a finite number within +-{MAX_COORD:g} (got {text!r})")
    xmin, xmax, ymin, ymax = values
    if not (xmin < xmax and ymin < ymax):
        raise ExprError(f"domain: needs XMIN < XMAX and YMIN < YMAX (got {text!r})")
    return xmin, xmax, ymin, ymax


def check_custom(text: str, domain_text: str | None = None) -> tuple[str, tuple[float, float, float, float]]:
    """The one check of a custom surface: the formula and its domain (default DEFAULT_DOMAIN).

    Returns the formula and the domain as numbers; ExprError names whichever is refused.
    """
    parse(text)
    return text, (DEFAULT_DOMAIN if domain_text is None else parse_domain(domain_text))


@functools.lru_cache(maxsize=64)
def custom_surface(text: str, domain: tuple[float, float, float, float]):
    """A Surface for a checked formula and domain; cached, so equal inputs share compiled programs."""
    from optviz.core.problems.surfaces import Surface

    fn = compile_expr(text)
    xmin, xmax, ymin, ymax = domain
    start = (float(f"{xmin + 0.8 * (xmax - xmin):.6g}"), float(f"{ymin + 0.8 * (ymax - ymin):.6g}"))
    return Surface(
        "custom",
        "Custom formula",
        f"f(x,y) = {text.strip()}",
        fn,
        domain,
        start,
        (),
        "Your own formula. Its minima are unknown, so there is no distance to one.",
    )
