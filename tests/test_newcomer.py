"""What a newcomer tripped over (issue 18), one test per item, each failing on the code before its fix."""

from __future__ import annotations

import json
import re


from apptools import chart_with, make_app, markdown_tables, query, shown
from optviz.core.spec import parse_spec


def _table(at) -> list[dict]:
    return markdown_tables(at)[0]


def test_1_fair_race_announces_the_race_it_draws():
    at = make_app(surface="rosenbrock", start="-1.5,2", steps="1000", opt=["adam", "sgd", "rmsprop"])
    at.run()
    at.button(key="fair_race").click().run()
    assert not at.exception
    note = next(s.value for s in at.success if s.value.startswith("Fair race"))
    rows = {r["optimizer"].split(" (")[0]: r for r in _table(at)}
    links = [parse_spec(text) for text in query(at)["opt"]]
    for rid, (name, spec) in enumerate(zip(["Adam", "SGD", "RMSprop"], links)):
        lr_text, outcome = re.search(rf"{name}: lr = ([0-9.e+-]+)(?:, the \w+ value tried \([^)]*\)[^(]*)? \(([^)]*)\)",
                                     note).groups()
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


def _colours(at) -> dict[str, str]:
    return {t["name"]: t["line"]["color"] for t in chart_with(at, "contour")["data"]
            if t.get("mode") == "lines+markers" and t.get("name") not in ("start", "minima")}


def test_9_a_racer_keeps_its_colour_for_life():
    at = make_app(opt=["adam:lr=0.05", "sgd:lr=0.05", "adagrad:lr=0.2"])
    at.run()
    before = _colours(at)
    at.button(key="r0_remove").click().run()  # remove the first racer
    after = _colours(at)
    assert after == {k: v for k, v in before.items() if not k.startswith("Adam")}
    at.button(key="add_racer").click().run()  # a newcomer takes a colour nobody has
    added = _colours(at)
    assert len(set(added.values())) == 3 and set(after.values()) <= set(added.values())


def test_8_switching_the_surface_suggests_its_learning_rates_but_keeps_yours():
    from optviz.core.analysis.suggested import suggested_lr

    at = make_app()  # the default page: the seed's race on the bowl
    at.run()
    at.number_input(key="r2_adagrad_lr").set_value(0.003).run()  # one rate chosen by hand
    at.selectbox(key="surface").set_value("rosenbrock").run()
    assert not at.exception
    assert at.number_input(key="r1_sgd_lr").value == suggested_lr("rosenbrock", "sgd")
    assert at.number_input(key="r0_adam_lr").value == suggested_lr("rosenbrock", "adam")
    assert at.number_input(key="r2_adagrad_lr").value == 0.003
    assert not [e for e in at.error if "diverged" in e.value]  # the newcomer's first click diverges no more
    note = next(i.value for i in at.info if i.value.startswith("Learning rates for Rosenbrock"))
    assert f"SGD lr = {suggested_lr('rosenbrock', 'sgd'):g}" in note and "Adagrad keeps your lr = 0.003" in note


def test_7_numbers_are_shown_in_significant_figures():
    at = make_app(surface="bowl", start="0.8,-0.6", steps="15", opt=["sgd:lr=0.4", "adam:lr=0.05"])
    at.run()
    sgd, adam = _table(at)
    # SGD shrinks the point by 0.2 a step: f = 0.2^30 = 1.07e-21, not 0.000000000000000000001 (or 0)
    assert sgd["final loss"] == "1.074e-21"
    assert re.fullmatch(r"\d\.\d{1,3}|\d\.\d{1,3}e-?\d+|0\.\d{1,4}", adam["distance to nearest minimum"])
    learn = make_app()
    learn.run()
    learn.switch_page("optviz/app/scripts/learn.py").run()
    first = next(d.value for d in learn.dataframe if "SGD's first step (lr = 0.01)" in d.value.columns)
    row = first[first["gradient"] == "0.0001"].iloc[0]
    assert row["SGD's first step (lr = 0.01)"] == "1e-6" and row["Adam's first step (lr = 0.001)"] == "0.0009999"  # eps matters at 1e-4


def test_11_the_smaller_things():
    # the inside view's two line styles are in a legend
    at = make_app(opt="adam:lr=0.05")
    at.run()
    at.toggle(key="inside").set_value(True).run()
    state = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if any(t.get("legendgroup") == "coord1" for t in json.loads(c.proto.spec)["data"]))
    legend = [(t["name"], t["line"]["dash"]) for t in state["data"] if t.get("showlegend")]
    assert legend == [("x coordinate", "solid"), ("y coordinate", "dot")]
    # the SWATS chart marks its switch
    learn = make_app()
    learn.run()
    learn.switch_page("optviz/app/scripts/learn.py").run()
    swats = next(json.loads(c.proto.spec) for c in learn.get("plotly_chart")
                 if any(t.get("name", "").startswith("SWATS") for t in json.loads(c.proto.spec)["data"]))
    k = int(re.search(r"after step (\d+)", next(c.value for c in learn.caption if "SWATS switched" in c.value)).group(1))
    assert swats["layout"]["shapes"][0]["x0"] == k and "switches to SGD" in swats["layout"]["annotations"][0]["text"]
    # the hyperparameter sliders span the sidebar (no columns squeeze them): no column holds a slider
    sidebar_columns = [c for c in at.sidebar.columns]
    assert not any(el.type == "select_slider" for col in sidebar_columns for el in col)
