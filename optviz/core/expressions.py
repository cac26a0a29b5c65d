"""What a typed expression may use, shared by custom formulas (optviz.core.problems.formulas) and
typed optimizer rules (optviz.core.optimizers.rules): the functions, constants and operators of
the whitelist, and the folding of constant sub-expressions that keeps 9**9**9**9 from ever being
computed."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

Value = jax.Array | float  # a node's value: a plain number for a constant, an array otherwise

FUNCTIONS: dict[str, tuple[Callable, int]] = {
    "sin": (jnp.sin, 1),
    "cos": (jnp.cos, 1),
    "tan": (jnp.tan, 1),
    "arcsin": (jnp.arcsin, 1),
    "arccos": (jnp.arccos, 1),
    "arctan": (jnp.arctan, 1),
    "arctan2": (jnp.arctan2, 2),
    "sinh": (jnp.sinh, 1),
    "cosh": (jnp.cosh, 1),
    "tanh": (jnp.tanh, 1),
    "exp": (jnp.exp, 1),
    "log": (jnp.log, 1),
    "log10": (jnp.log10, 1),
    "log2": (jnp.log2, 1),
    "log1p": (jnp.log1p, 1),
    "expm1": (jnp.expm1, 1),
    "sqrt": (jnp.sqrt, 1),
    "abs": (jnp.abs, 1),
    "sign": (jnp.sign, 1),
    "minimum": (jnp.minimum, 2),
    "maximum": (jnp.maximum, 2),
    "hypot": (jnp.hypot, 2),
}
CONSTANTS = {"pi": math.pi, "e": math.e}
BINARY: dict[type[ast.operator], Callable[[Value, Value], jax.Array]] = {
    ast.Add: jnp.add,
    ast.Sub: jnp.subtract,
    ast.Mult: jnp.multiply,
    ast.Div: jnp.divide,
    ast.Pow: jnp.power,
}


def constant_value(node: ast.AST) -> float | None:
    """The value of a constant sub-expression made of numbers, + - * / ** and unary minus, else None.

    Exponents are folded so that 9**9**9**9 is refused (its exponent 9**9**9 is too large)
    without ever computing it: powers are compared in log space.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = constant_value(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        a, b = constant_value(node.left), constant_value(node.right)
        if a is None or b is None:
            return None
        try:
            if isinstance(node.op, ast.Pow):
                if a != 0 and abs(b) * math.log(abs(a)) > 700:  # beyond float range: report as huge
                    return math.inf
                return float(a**b) if not isinstance(a**b, complex) else None
            return float({ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}.get(type(node.op), a / b if b else math.inf))
        except (OverflowError, ZeroDivisionError, ValueError):
            return math.inf
    return None
