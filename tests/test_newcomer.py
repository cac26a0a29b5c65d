"""What a newcomer tripped over (issue 18), one test per item, each failing on the code before its fix."""

from __future__ import annotations

import re

import pytest

from apptools import chart_with, make_app, path_trace, query, shown
from optviz.spec import parse_spec


def _table(at) -> list[dict]:
    return at.dataframe[0].value.to_dict("records")


def test_1_fair_race_announces_the_race_it_draws():
    at = make_app(surface="rosenbrock", start="-1.5,2", steps="1000", opt=["adam", "sgd", "rmsprop"])
    at.run()
    at.button(key="fair_race").click().run()
    assert not at.exception
    note = next(s.value for s in at.success if s.value.startswith("Fair race"))
    rows = {r["optimizer"].split(" (")[0]: r for r in _table(at)}
    links = [parse_spec(text) for text in query(at)["opt"]]
    for rid, (name, spec) in enumerate(zip(["Adam", "SGD", "RMSprop"], links)):
        lr_text, outcome = re.search(rf"{name}: lr = ([0-9.e+-]+) \(([^)]*)\)", note).groups()
        # the tuned value exactly: in the banner, in the box, in the link
        assert float(lr_text) == spec.hparams["lr"] == at.number_input(key=f"r{rid}_{spec.name}_lr").value
        # and the loss it announces is the loss of the run the page draws
        if outcome.startswith("final loss"):
            assert outcome == f"final loss {rows[name]['final loss']}"


def test_6_a_typed_formula_is_not_called_a_link_and_is_shown_as_typed():
    at = make_app()
    at.run()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="expr").set_value("sin(3*x)*cos(3*y)").run()
    at.text_input(key="expr").set_value("sin(3*x)*cos(3*y) + foo").run()
    assert not at.exception
    [warning] = at.warning
    assert "link" not in warning.value.lower()
    # every Markdown character of the user's text is escaped, so it shows verbatim, not in italics
    assert r"sin\(3\*x\)\*cos\(3\*y\) \+ foo" in warning.value
    assert "The formula 'sin(3*x)*cos(3*y) + foo' was not used" in shown(at.warning)[0]
