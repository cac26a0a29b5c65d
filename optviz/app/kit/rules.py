"""The "Your rules" box every page with optimizers has: typed optimizer rules
(optviz.core.optimizers.rules), one a line, checked, and in the page's link as ``rule=``."""

from __future__ import annotations

import streamlit as st

from optviz.core.limits import MAX_RULES
from optviz.core.optimizers.rules import RuleError, in_scope

EXAMPLE = "signed: m = 0.9*m + 0.1*g; p = p - lr*sign(m) | lr=0.01"
HELP = (
    "your own optimizer, one a line: NAME: STATEMENTS | DEFAULTS. g is the gradient, p the parameters, t "
    "the step; every other name you assign is state that starts at 0; lr needs a default after |. Then "
    "name it as any optimizer, e.g. signed:lr=0.02"
)
Problems = list[tuple[str, str]]


def check_rules(text: str) -> tuple[tuple[str, ...], dict[str, str], Problems]:
    """The rules of a box (one a line, at most MAX_RULES): those that pass, their {name: internal
    name}, and (box, why) for each left out."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    kept: list[str] = []
    names: dict[str, str] = {}
    problems: Problems = []
    if len(lines) > MAX_RULES:
        problems.append(("Your rules", f"{len(lines)} given; at most {MAX_RULES}, so the first {MAX_RULES} are used"))
    for line in lines[:MAX_RULES]:
        try:
            with in_scope([*kept, line]) as names:
                kept.append(line)
        except RuleError as err:
            problems.append(("Your rules", f"{err}; that rule is left out"))
    return tuple(kept), names, problems


def rules_box(key: str, on_change=None) -> tuple[tuple[str, ...], Problems]:
    """Draw the box (its value seeded by the page from its link) and read it."""
    st.text_area("Your rules", key=key, on_change=on_change, placeholder=EXAMPLE, help=HELP)
    rules, _, problems = check_rules(st.session_state.get(key, ""))
    return rules, problems
