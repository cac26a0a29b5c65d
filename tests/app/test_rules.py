"""Every optimizer's update rule, as the inside view shows it with the values filled in."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from optviz.app.surfaces.inside import filled_rule, symbols_pattern
from optviz.core.optimizers import REGISTRY


def _commands(latex: str) -> Counter:
    return Counter(re.findall(r"\\[A-Za-z]+", latex))


@pytest.mark.parametrize("name", list(REGISTRY))
def test_filling_in_values_keeps_the_rule_intact(name):
    """Each symbol becomes its value, and no other LaTeX command is cut (a one-letter symbol
    such as r would have turned \\right into nonsense, LARS's c \\frac and \\color)."""
    opt = REGISTRY[name]
    rule = filled_rule(name, opt.defaults())
    symbols = {hp.symbol for hp in opt.hparams if hp.symbol}
    replaced = {c for s in symbols for c in _commands(s)}  # \\eta, \\beta: the symbols themselves
    before, after = _commands(opt.update_rule), _commands(rule)
    assert all(after[c] >= n for c, n in before.items() if c not in replaced), (name, rule)
    if symbols:
        assert rule.count(r"\color") == len(re.findall(symbols_pattern(symbols), opt.update_rule))
    assert rule.count("{") == rule.count("}")


def test_a_one_letter_symbol_is_filled_in_only_where_it_stands_alone():
    lars = filled_rule("lars", {**REGISTRY["lars"].defaults(), "trust_coefficient": 0.005})
    assert r"\frac{{\color{#e4572e}0.005}\, \lVert" in lars and lars.count(r"\frac") == 1
    prodigy = filled_rule("prodigy", REGISTRY["prodigy"].defaults())
    assert prodigy.startswith(r"\eta_t = d_t")  # the step at t is not the lr
