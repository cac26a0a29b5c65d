"""``--rule``: the commands' typed optimizer rules (optviz.core.optimizers.rules), read strictly."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from optviz.core.limits import MAX_RULES
from optviz.core.optimizers.rules import RuleError, in_scope
from optviz.core.spec import SpecError


def rule_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--rule`` (repeatable) to a command."""
    p.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="your own optimizer, 'NAME: STATEMENTS | DEFAULTS', e.g. 'mine: p = p - lr*sign(g) | lr=0.01'; "
        "then --opt mine; repeatable",
    )


@contextlib.contextmanager
def rules_in(args: argparse.Namespace) -> Iterator[None]:
    """Within the block the command's --rule texts are known by their names (strictly: a refused
    rule, or more than MAX_RULES, is an error naming it)."""
    texts = getattr(args, "rule", None) or []
    if len(texts) > MAX_RULES:
        raise SpecError(f"rule: {len(texts)} rules given; at most {MAX_RULES}")
    try:
        with in_scope(texts):
            yield
    except RuleError as err:
        raise SpecError(str(err)) from None
