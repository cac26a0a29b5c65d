"""Your own optimizer: an update rule typed as one line of text, checked, and run like a built-in.

    mine: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2;
          p = p - lr*(m/(1 - b1**t))/(sqrt(v/(1 - b2**t)) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8

(one line in use; wrapped here).

``NAME: STATEMENTS | DEFAULTS``. The statements run in order, once per step, elementwise over
the parameters: ``g`` is the gradient at ``p``, ``p`` the parameters, ``t`` the step (1, 2, ...).
Every other name a statement assigns is a state variable that starts at 0 (``m0 = 1`` starts
``m`` at 1); the rule must assign ``p``. After ``|`` come the hyperparameters with their
defaults, each optionally with its range and scale (``lr=0.001 [1e-6, 1] log``); ``lr`` is
required, since schedules and warmup scale it.

As with custom formulas (optviz.core.problems.formulas), Python's ``ast`` only parses the text;
every node is checked against a whitelist (numbers, names, ``+ - * / **``, brackets, the
formula functions, ``where(cond, a, b)`` with one comparison as its condition) and compiled into
closures over ``jnp``. There is no eval or exec. Every refusal is a :class:`RuleError` naming the
item and its 1-based position in the rule.

A rule becomes an :class:`OptimizerDef` under an internal name, ``NAME~`` and a digest of its
text, registered in :data:`RULES`: two visitors' rules called ``mine`` never meet, and the
registry's listings (pickers, the CLI's ``optimizers``) never show someone else's rule. Inside
:func:`in_scope` the rule's own name resolves to its entry, so a SPEC may say ``mine:lr=0.01``.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import functools
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import jax.numpy as jnp

from optviz.core.expressions import BINARY, CONSTANTS, FUNCTIONS, constant_value
from optviz.core.limits import (
    MAX_EXPR_DEPTH,
    MAX_EXPR_EXPONENT,
    MAX_EXPR_NODES,
    MAX_RULE_LENGTH,
    MAX_RULE_STATE,
    MAX_RULE_STATEMENTS,
    MAX_RULES_KEPT,
)
from optviz.core.optimizers.base import Array, HParam, Hparams, OptimizerDef
from optviz.core.optimizers.rule_defaults import (
    BUILTIN_NAMES,
    NAME_CHARS,
    RuleError,
    err_at,
    latex_text,
    parse_defaults,
)

COMPARISONS: dict[type[ast.cmpop], Callable[[Array, Array], Array]] = {
    ast.Lt: jnp.less,
    ast.LtE: jnp.less_equal,
    ast.Gt: jnp.greater,
    ast.GtE: jnp.greater_equal,
    ast.Eq: jnp.equal,
    ast.NotEq: jnp.not_equal,
}
_ALLOWED = (
    "numbers, g, p, t, your state variables and hyperparameters, + - * / ** and brackets, the constants "
    f"{', '.join(CONSTANTS)}, the functions {', '.join(FUNCTIONS)}, and where(a < b, x, y)"
)


Env = dict[str, Array | float]
Expr = Callable[[Env], Array | float]


@dataclass(frozen=True)
class Rule:
    """A checked rule: its name, text, statements (target, compiled expression, source), state
    variables with their starts, and hyperparameters."""

    name: str
    text: str
    statements: tuple[tuple[str, Expr, str], ...]
    state: tuple[str, ...]
    starts: tuple[tuple[str, float], ...]
    hparams: tuple[HParam, ...]

    @property
    def key(self) -> str:
        """Its internal registry name: the name and a digest of the text."""
        return f"{self.name}~{hashlib.sha256(self.text.encode()).hexdigest()[:10]}"


def _precheck(text: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise RuleError("rule: empty; write NAME: STATEMENTS | DEFAULTS, e.g. mine: p = p - lr*g | lr=0.01")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"rule: {len(text)} characters long; at most {MAX_RULE_LENGTH} allowed")
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_EXPR_DEPTH:
            raise err_at(i, f"'(' nests deeper than {MAX_EXPR_DEPTH} levels")
        if ord(ch) > 127 or ch in "{}'\"\\@$`#?&~^":
            hint = "; use ** for powers" if ch == "^" else f"; allowed: {_ALLOWED}"
            raise err_at(i, f"{ch!r} is not allowed{hint}")


@functools.lru_cache(maxsize=256)
def parse_rule(text: str) -> Rule:
    """Check and compile a rule; RuleError naming the first problem. Cached: a page reads its rules
    on every rerun, and the same text always makes the same rule."""
    _precheck(text)
    name_part, colon, rest = text.partition(":")
    name = name_part.strip().lower()
    if not colon or not name:
        raise RuleError("rule: start with a name and a colon, e.g. mine: p = p - lr*g | lr=0.01")
    if not (name[0].isalpha() and all(c in NAME_CHARS for c in name)) or len(name) > 32:
        raise err_at(0, f"the name {name_part.strip()!r} must be letters, digits and _ (a letter first, at most 32)")
    body_at = len(name_part) + 1
    body, bar, defaults_text = rest.partition("|")
    hparams = parse_defaults(defaults_text, body_at + len(body) + 1) if bar else ()
    if "lr" not in {h.name for h in hparams}:
        raise RuleError("rule: give lr a default after '|' (schedules and warmup scale it), e.g. | lr=0.01")
    statements = _split(body, body_at)
    state = _state_of(statements, {h.name for h in hparams})
    known = {*BUILTIN_NAMES, *state, *(h.name for h in hparams)}
    compiled = tuple(
        (target, _compile(node, src, at, known), src)
        for target, node, src, at in statements
        if not _is_start(target, state)
    )
    start_values = tuple(
        (target[:-1], _start_value(node, src, at)) for target, node, src, at in statements if _is_start(target, state)
    )
    return Rule(name, text.strip(), compiled, state, start_values, hparams)


def _split(body: str, at: int) -> list[tuple[str, ast.expr, str, int]]:
    """The statements: (target, value's tree, its source, the position where its value starts)."""
    out: list[tuple[str, ast.expr, str, int]] = []
    pos = at
    pieces = body.split(";")
    for i, piece in enumerate(pieces):
        stripped = piece.strip()
        lead = pos + len(piece) - len(piece.lstrip())
        pos += len(piece) + 1
        if not stripped:
            if i == len(pieces) - 1 and i > 0:  # a ';' at the end is harmless
                continue
            raise err_at(lead, "an empty statement (two ';' in a row, or one first)")
        target, eq, value = stripped.partition("=")
        if not eq or value.startswith("=") or target.rstrip().endswith(("<", ">", "!")):
            raise err_at(lead, f"{stripped[:30]!r} is not an assignment NAME = EXPRESSION")
        target = target.strip()
        if not (target[:1].isalpha() and all(c in NAME_CHARS for c in target.lower())):
            raise err_at(lead, f"{target!r} cannot be assigned: write a plain name on the left of '='")
        if target in ("g", "t"):
            raise err_at(
                lead,
                f"{target} is given to the rule (the {'gradient' if target == 'g' else 'step'}); it cannot be assigned",
            )
        value_at = lead + stripped.index("=") + 1 + (len(value) - len(value.lstrip()))
        out.append((target, _parse_expr(value.strip(), value_at), value.strip(), value_at))
        if len(out) > MAX_RULE_STATEMENTS:
            raise err_at(lead, f"more than {MAX_RULE_STATEMENTS} statements")
    if not out:
        raise RuleError("rule: no statements; write at least p = ..., e.g. p = p - lr*g")
    if not any(t == "p" for t, *_ in out):
        raise RuleError("rule: it never assigns p, so the parameters would never move; add e.g. p = p - lr*g")
    return out


def _parse_expr(src: str, at: int) -> ast.expr:
    if not src:
        raise err_at(at, "an assignment without a value")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as err:
        col = min(max((err.offset or 1) - 1, 0), len(src))
        raise err_at(at + col, f"{err.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise err_at(at, "the expression is too deeply nested") from None
    _check(tree.body, src, at, depth=0, count=[0])
    return tree.body


def _is_start(target: str, state: tuple[str, ...]) -> bool:
    return target.endswith("0") and target[:-1] in state


def _state_of(statements, hparams: set[str]) -> tuple[str, ...]:
    """The state variables: every name assigned other than p and the starts (``m0``) of others."""
    assigned = [t for t, *_ in statements]
    state: list[str] = []
    for target, _, _, at in statements:
        if target in hparams:
            raise err_at(at, f"{target} is a hyperparameter; it cannot be assigned")
        if target in FUNCTIONS or target in CONSTANTS or target == "where":
            raise err_at(at, f"{target} is a function or constant; it cannot be assigned")
        if target == "p" or target in state or (target.endswith("0") and target[:-1] in assigned):
            continue
        state.append(target)
    if len(state) > MAX_RULE_STATE:
        raise RuleError(f"rule: {len(state)} state variables ({', '.join(state)}); at most {MAX_RULE_STATE}")
    return tuple(state)


def _check(node: ast.AST, src: str, at: int, depth: int, count: list[int]) -> None:
    """The whitelist; names are checked when compiled, once the state variables are known."""
    count[0] += 1
    col = at + getattr(node, "col_offset", 0)
    if count[0] > MAX_EXPR_NODES:
        raise err_at(col, f"an expression with more than {MAX_EXPR_NODES} parts")
    if depth > MAX_EXPR_DEPTH:
        raise err_at(col, f"an expression nesting deeper than {MAX_EXPR_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise err_at(col, f"{ast.get_source_segment(src, node)!r} is not a number; allowed: {_ALLOWED}")
        if not math.isfinite(float(node.value)) or abs(node.value) > 1e30:
            raise err_at(col, "a number beyond 1e30")
    elif isinstance(node, ast.Name):
        pass
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, src, at, depth + 1, count)
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        if isinstance(node.op, ast.Pow):
            exponent = constant_value(node.right)
            if exponent is not None and not abs(exponent) <= MAX_EXPR_EXPONENT:
                raise err_at(at + node.right.col_offset, f"a constant exponent beyond +-{MAX_EXPR_EXPONENT}")
        _check(node.left, src, at, depth + 1, count)
        _check(node.right, src, at, depth + 1, count)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name == "where":
            if len(node.args) != 3 or not isinstance(node.args[0], ast.Compare):
                raise err_at(col, "where() takes a comparison and two values: where(a < b, x, y)")
            cond = node.args[0]
            if len(cond.ops) != 1 or type(cond.ops[0]) not in COMPARISONS:
                raise err_at(col, "where()'s condition is one comparison: < <= > >= == !=")
            for part in (cond.left, *cond.comparators, *node.args[1:]):
                _check(part, src, at, depth + 1, count)
            return
        if name not in FUNCTIONS:
            raise err_at(col, f"{name!r} is not an allowed function; allowed: {_ALLOWED}")
        arity = FUNCTIONS[name][1]
        if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise err_at(col, f"{name}() takes {arity} argument{'s' if arity > 1 else ''}")
        for arg in node.args:
            _check(arg, src, at, depth + 1, count)
    else:
        segment = ast.get_source_segment(src, node) or type(node).__name__
        raise err_at(col, f"{segment[:30]!r} ({type(node).__name__}) is not allowed; allowed: {_ALLOWED}")


def _compile(node: ast.AST, src: str, at: int, known: set[str]) -> Expr:
    """Closures computing a checked tree over the environment; an unknown name is refused here."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, (int, float)), "_check admits numbers only"
        value = float(node.value)
        return lambda env: value
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            value = CONSTANTS[node.id]
            return lambda env: value
        if node.id not in known:
            what = (
                "a function: call it with brackets" if node.id in FUNCTIONS or node.id == "where" else "an unknown name"
            )
            raise err_at(at + node.col_offset, f"{node.id!r} is {what}; allowed: {_ALLOWED}")
        key = node.id
        return lambda env: env[key]
    if isinstance(node, ast.UnaryOp):
        inner = _compile(node.operand, src, at, known)
        return (lambda env: -inner(env)) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _compile(node.left, src, at, known)
        exponent = constant_value(node.right) if isinstance(node.op, ast.Pow) else None
        if exponent is not None and float(exponent).is_integer():
            n = int(exponent)  # g**2 as an integer power: exact, and defined for negative g
            return lambda env: jnp.power(left(env), n)
        op, right = BINARY[type(node.op)], _compile(node.right, src, at, known)
        return lambda env: op(left(env), right(env))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), "_check admits nothing else"
    if node.func.id == "where":
        cond = node.args[0]
        assert isinstance(cond, ast.Compare)
        compare = COMPARISONS[type(cond.ops[0])]
        a, b = _compile(cond.left, src, at, known), _compile(cond.comparators[0], src, at, known)
        yes, no = (_compile(x, src, at, known) for x in node.args[1:])
        return lambda env: jnp.where(compare(jnp.asarray(a(env)), jnp.asarray(b(env))), yes(env), no(env))
    fn = FUNCTIONS[node.func.id][0]
    args = [_compile(a, src, at, known) for a in node.args]
    return lambda env: fn(*(a(env) for a in args))


def _start_value(node: ast.AST, src: str, at: int) -> float:
    value = constant_value(node)
    if value is None or not math.isfinite(value):
        raise err_at(at, f"a start ({src[:30]!r}) must be a number")
    return float(value)


def make_optimizer(rule: Rule) -> OptimizerDef:
    """The registry entry that runs ``rule``: elementwise, its state variables in its state."""
    fields = [(n, Array) for n in rule.state] + [("updates", Array)]
    state_type = cast(Any, NamedTuple)(f"RuleState_{rule.name}", fields)  # its fields are the rule's
    starts = dict(rule.starts)

    def init(params: Array):
        state = [jnp.full_like(params, starts.get(n, 0.0)) for n in rule.state]
        return state_type(*state, jnp.zeros([], jnp.int32))

    def update(grad: Array, state, params: Array, hp: Hparams):
        count = state.updates + 1
        env: Env = {n: getattr(state, n) for n in rule.state}
        env.update({h.name: hp[h.name] for h in rule.hparams}, g=grad, p=params, t=count.astype(params.dtype))
        for target, expr, _ in rule.statements:
            env[target] = jnp.broadcast_to(jnp.asarray(expr(env), params.dtype), params.shape)
        new = state_type(*(env[n] for n in rule.state), count)
        return env["p"], new

    def inspect(state, hp: Hparams) -> dict[str, Array]:
        return {n: getattr(state, n) for n in rule.state}

    lines = r" \\ ".join(_latex_statement(rule, target, src) for target, _, src in rule.statements)
    return OptimizerDef(
        name=rule.key,
        display_name=rule.name,
        description=f"Your own rule: {rule.text}",
        update_rule=lines,
        hparams=rule.hparams,
        init=init,
        update=update,
        inspect=inspect,
        family="your own",
        lineage="typed as a rule",
        state_labels={n: (n, f"{n}: your state variable") for n in rule.state},
    )


def _latex_statement(rule: Rule, target: str, src: str) -> str:
    """One statement as LaTeX: typewriter text, each hyperparameter as its symbol."""
    hparams = {h.name: h.symbol for h in rule.hparams}
    parts, word = [], ""
    for ch in f"{target} = {src}" + " ":
        if ch.isalnum() or ch == "_":
            word += ch
            continue
        if word:
            parts.append(("sym", hparams[word]) if word in hparams else ("text", word))
            word = ""
        parts.append(("text", ch))
    out, text = "", ""
    for kind, value in parts[:-1]:
        if kind == "text":
            text += value
        else:
            out += (rf"\texttt{{{latex_text(text)}}}" if text else "") + value
            text = ""
    return out + (rf"\texttt{{{latex_text(text)}}}" if text else "")


RULES: OrderedDict[str, OptimizerDef] = OrderedDict()  # the rules registered in this process, newest last
_RESERVED: set[str] = set()  # the built-ins' names, which no rule may take (reserve_names)


def reserve_names(names) -> None:
    """Keep these names (the built-in optimizers') from rules: the registry calls it once."""
    _RESERVED.update(names)


_REGISTERING = threading.Lock()


def register(rule: Rule) -> str:
    """Make ``rule`` runnable by its internal name (the registry falls back to RULES); returns it.
    The oldest of more than MAX_RULES_KEPT rules is dropped (registering it again restores it)."""
    key = rule.key
    with _REGISTERING:  # pages rerun in threads of their own: one change of the table at a time
        if key not in RULES:
            RULES[key] = make_optimizer(rule)
            while len(RULES) > MAX_RULES_KEPT:
                RULES.popitem(last=False)
        else:
            RULES.move_to_end(key)
    return key


def public_name(key: str) -> str:
    """What a SPEC calls an optimizer: a rule by its own name, a built-in by its key."""
    return key.split("~", 1)[0]


_SCOPE: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("optviz_rules", default=None)


@contextlib.contextmanager
def in_scope(texts: list[str] | tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Parse and register these rules, and within the block let their names stand for them in
    SPECs (``mine:lr=0.01``); yields {name: internal name}. RuleError for the first bad rule or a
    name given twice or taken by a built-in."""
    names: dict[str, str] = {}
    for text in texts:
        rule = parse_rule(text)
        if rule.name in names:
            raise RuleError(f"rule: {rule.name} is defined twice")
        if rule.name in _RESERVED:
            raise RuleError(f"rule: {rule.name} is a built-in optimizer's name; call yours something else")
        names[rule.name] = register(rule)
    token = _SCOPE.set({**(_SCOPE.get() or {}), **names})
    try:
        yield names
    finally:
        _SCOPE.reset(token)


def resolve(name: str) -> str:
    """A SPEC's optimizer name as the registry knows it: a rule in scope by its internal name."""
    return (_SCOPE.get() or {}).get(name, name)
