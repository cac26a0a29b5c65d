"""Every optimizer's update rule, as the inside view shows it with the values filled in."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from optviz.app.surfaces.inside import filled_rule
from optviz.core.optimizers import REGISTRY


def _commands(latex: str) -> Counter:
    return Counter(re.findall(r"\\[A-Za-z]+", latex))


@pytest.mark.parametrize("name", list(REGISTRY))
def test_filling_in_values_keeps_the_rule_intact(name):
    """Each symbol becomes its value, and no other LaTeX command is cut (a one-letter symbol
    such as r would have turned \\right into nonsense)."""
    opt = REGISTRY[name]
    rule = filled_rule(name, opt.defaults())
    rest, shown = opt.update_rule, 0
    for hp in sorted(opt.hparams, key=lambda h: -len(h.symbol)):  # longest first, as filled_rule does
        if hp.symbol and hp.symbol in rest:
            shown += 1
            rest = rest.replace(hp.symbol, "")
    filled = _commands(rule)
    assert all(filled[c] >= n for c, n in _commands(rest).items()), (name, rule)
    assert rule.count(r"\color") >= shown
    assert rule.count("{") == rule.count("}")
