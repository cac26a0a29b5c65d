"""A typed rule's hyperparameters (``| lr=0.001 [1e-6, 1] log, b1=0.9``) and its refusals: the part of
optviz.core.optimizers.rules that reads defaults, ranges and scales, and writes names as LaTeX."""

from __future__ import annotations

import math
from dataclasses import replace

from optviz.core.expressions import CONSTANTS, FUNCTIONS
from optviz.core.limits import MAX_RULE_HPARAMS
from optviz.core.optimizers.base import HParam
from optviz.core.optimizers.base import lr as lr_param

BUILTIN_NAMES = ("g", "p", "t")  # the gradient, the parameters, the step
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


class RuleError(ValueError):
    """A refused rule; the message names the item, its position and what is allowed."""


def err_at(pos: int, what: str) -> RuleError:
    """A refusal of ``what``, at 0-based ``pos`` in the rule (said 1-based, before any "; allowed")."""
    head, sep, tail = what.partition(";")
    return RuleError(f"rule: {head} at position {pos + 1}{sep}{tail}")


def parse_defaults(text: str, at: int) -> tuple[HParam, ...]:
    """``lr=0.001 [1e-6, 1] log, b1=0.9``: each hyperparameter's default, range and scale."""
    out: list[HParam] = []
    pos, depth, start = at, 0, 0
    pieces: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            pieces.append((text[start:i], at + start))
            start = i + 1
    pieces.append((text[start:], at + start))
    for piece, pos in pieces:
        if not piece.strip():
            raise err_at(pos, "an empty hyperparameter (write name=number)")
        out.append(_parse_hparam(piece, pos))
        if len(out) > MAX_RULE_HPARAMS:
            raise err_at(pos, f"more than {MAX_RULE_HPARAMS} hyperparameters")
    names = [h.name for h in out]
    for h, (_, p) in zip(out, pieces):
        if names.count(h.name) > 1:
            raise err_at(p, f"{h.name} is given twice")
    return tuple(out)


def _parse_hparam(piece: str, pos: int) -> HParam:
    from optviz.core.optimizers.schedule import NAMES as COMMON_KEYS

    lead = pos + len(piece) - len(piece.lstrip())
    name, eq, rest = piece.strip().partition("=")
    name = name.strip()
    if not eq or not name or not (name[0].isalpha() and all(c in NAME_CHARS for c in name)):
        raise err_at(lead, f"{piece.strip()[:30]!r} is not name=number")
    if name in BUILTIN_NAMES or name in FUNCTIONS or name in CONSTANTS or name == "where" or name in COMMON_KEYS:
        raise err_at(lead, f"{name} is taken (by the rule's inputs, a function, or a common key such as warmup)")
    number, _, scale = rest.partition("[")
    try:
        default = float(number.strip())
    except ValueError:
        raise err_at(lead, f"{name}'s default {number.strip()!r} is not a number") from None
    if not math.isfinite(default) or abs(default) > 1e30:
        raise err_at(lead, f"{name}'s default must be a finite number")
    if scale:
        bounds, close, tail = scale.partition("]")
        parts = bounds.split(",")
        if not close or len(parts) != 2 or tail.strip() not in ("", "log", "linear"):
            raise err_at(lead, f"{name}'s range is written [low, high] and then optionally log")
        try:
            low, high = (float(v) for v in parts)
        except ValueError:
            raise err_at(lead, f"{name}'s range [low, high] must be numbers") from None
        log = tail.strip() == "log"
        if not (low < high and low <= default <= high) or (log and low <= 0):
            raise err_at(lead, f"{name}'s range must hold its default, low < high (and low > 0 for log)")
        said = f"range [{low:g}, {high:g}]"
        return HParam(name, default, low, high, slider=(low, high), log=log, symbol=symbol(name), help=said)
    return _derived(name, default)


def _derived(name: str, default: float) -> HParam:
    """A range for a hyperparameter given only its default, said in its help; ``lr`` gets the
    built-ins' (valid in (0, 10], its slider and tuning over 1e-5 to 1, log)."""
    if name == "lr" and 0 < default <= 10:
        return replace(
            lr_param(default), symbol=symbol(name), help="the built-ins range: (0, 10], slider 1e-5 to 1, log"
        )
    if default == 0:
        low, high, log = 0.0, 1.0, False
    elif 0.5 <= default < 1:
        low, high, log = 0.0, 0.9999, False  # a decay rate (b1, b2, momentum)
    elif 0 < default < 0.5:
        low, high, log = default / 1000, min(default * 1000, 10.0), True  # a step size or an ε
    elif default >= 1:
        low, high, log = 0.0, default * 10, False
    else:
        low, high, log = default * 10, -default * 10, False
    said = f"range [{low:g}, {high:g}] {'log' if log else 'linear'}, derived"
    return HParam(name, default, low, high, slider=(low, high), log=log, symbol=symbol(name), help=said)


def symbol(name: str) -> str:
    """How a hyperparameter is written in the rule's LaTeX: the inside view puts its value there."""
    return r"\mathit{" + latex_text(name) + "}"


def latex_text(s: str) -> str:
    return "".join("\\" + c if c in "_%&#{}$" else ("\\textasciicircum{}" if c == "^" else c) for c in s)
