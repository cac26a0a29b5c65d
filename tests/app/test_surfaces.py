"""The Surfaces page under AppTest: renders, controls, redraws, links both ways."""

from __future__ import annotations

import json
import re

import pytest

from optviz.core.optimizers import REGISTRY
from optviz.core.spec import parse_spec
from optviz.link import DEFAULT_RACE
from tests.apptools import (
    chart_with,
    charts,
    download,
    make_app,
    markdown_tables,
    path_trace,
    query,
    set_switch,
    shown,
    switch_on,
    xy,
)

pytestmark = pytest.mark.app


DEFAULT_LABELS = [parse_spec(text).label() for text in DEFAULT_RACE]  # "Adam (lr=0.1)", ...


@pytest.fixture(scope="module")
def default_app():  # read only: a test that changes a control opens its own session
    at = make_app()
    at.run()
    return at


def test_renders_the_default_race_without_exception(default_app):
    at = default_app
    assert not at.exception
    assert not at.warning
    fig3d = chart_with(at, "surface")
    names = [t.get("name") for t in fig3d["data"]]
    assert set(DEFAULT_LABELS) | {"start", "minima"} <= set(names)
    contour = chart_with(at, "contour")
    assert path_trace(contour, DEFAULT_LABELS[0])["mode"] == "lines+markers"


def test_url_is_written_for_the_default_view(default_app):
    q = query(default_app)
    assert q["surface"] == ["bowl"] and q["opt"] == list(DEFAULT_RACE)


def test_every_selected_optimizer_has_a_control_per_hyperparameter():
    at = make_app(opt=["adam", "momentum", "swats", "adam:lr=0.3"])
    at.run()
    assert not at.exception
    for rid, name in enumerate(["adam", "momentum", "swats", "adam"]):
        for hp in REGISTRY[name].hparams:
            key = f"r{rid}_{name}_{hp.name}"
            if hp.kind == "flag":
                assert at.toggle(key=key).value is True
            else:
                assert at.number_input(key=key).value == pytest.approx(
                    0.3 if (rid == 3 and hp.name == "lr") else hp.default
                )
                slider = (at.select_slider if hp.log else at.slider)(key=key + "_s")  # the slider beside it
                assert slider.value == pytest.approx(0.3 if (rid == 3 and hp.name == "lr") else hp.default)


def test_changing_a_hyperparameter_changes_the_drawn_path():
    at = make_app()  # its own session: the shared fixture stays as it was for the other tests
    at.run()
    before = xy(path_trace(chart_with(at, "contour"), DEFAULT_LABELS[0]))
    at.number_input(key="r0_adam_lr").set_value(0.01).run()
    assert not at.exception
    after = xy(path_trace(chart_with(at, "contour"), "Adam (lr=0.01)"))
    assert after != before
    assert query(at)["opt"][0] == "adam:lr=0.01"
    # the slider follows the number box
    assert at.select_slider(key="r0_adam_lr_s").value == pytest.approx(0.01)


def test_slider_moves_the_exact_value_too():
    at = make_app(opt="momentum")
    at.run()
    at.slider(key="r0_momentum_momentum_s").set_value(0.5).run()
    assert at.number_input(key="r0_momentum_momentum").value == pytest.approx(0.5)
    assert query(at)["opt"] == ["momentum:momentum=0.5"]


def test_link_reproduces_the_view():
    at = make_app(
        surface="rosenbrock",
        start="-1.2,1",
        steps="300",
        opt=["adam:lr=0.02,b1=0.8", "rmsprop:lr=0.003"],
        noise="0.1",
        seed="4",
    )
    at.run()
    assert not at.exception and not at.warning
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == (-1.2, 1.0)
    assert at.slider(key="steps").value == 300
    assert at.number_input(key="r0_adam_b1").value == 0.8
    assert at.number_input(key="r1_rmsprop_lr").value == 0.003
    assert at.number_input(key="noise").value == 0.1 and at.number_input(key="seed").value == 4
    q = query(at)
    assert q["opt"] == ["adam:lr=0.02,b1=0.8", "rmsprop:lr=0.003"] and q["start"] == ["-1.2,1"]
    # and the paths drawn are the engine's paths for that configuration
    from optviz.core.engine.trajectory import run_race
    from optviz.core.problems.surfaces import SURFACES
    from optviz.link import parse_query

    cfg, _ = parse_query(dict(q))
    run = run_race(SURFACES["rosenbrock"], cfg.start, cfg.steps, list(cfg.specs), cfg.noise, cfg.seed)[1]
    drawn = xy(path_trace(chart_with(at, "contour"), "RMSprop (lr=0.003)"))
    assert drawn[0][-1] == pytest.approx(float(run.path[-1, 0]), rel=1e-6)


def test_widget_changes_flow_into_the_url():
    at = make_app()
    at.run()
    at.selectbox(key="surface").set_value("himmelblau").run()
    at.slider(key="steps").set_value(400).run()
    q = query(at)
    assert q["surface"] == ["himmelblau"] and q["steps"] == ["400"] and q["start"] == ["-0.3,-0.9"]


@pytest.mark.parametrize(
    "query,fragment",
    [
        (
            {"steps": "99999"},
            "steps: must be a whole number from 1 to 5000 (got 99999); using the nearest allowed value, 5000",
        ),
        ({"steps": "many"}, "steps: 'many' is not a number; using 150"),
        ({"surface": "moon"}, "surface: unknown surface 'moon'"),
        ({"opt": "adam:lr=-1"}, "adam: lr must satisfy 0 < lr <= 10 (got -1)"),
        ({"opt": "adam:b1=1"}, "b1 must satisfy 0 <= b1 < 1"),
        ({"start": "nan,1"}, "start: 'nan' is not a finite number"),
        ({"noise": "-2"}, "noise: must satisfy 0 <= noise <= 100"),
        ({"opt": ["bogus", "sgd:lr=0.1"]}, "unknown optimizer 'bogus'"),
    ],
)
def test_bad_link_warns_and_still_renders(query, fragment):
    at = make_app(**query)
    at.run()
    assert not at.exception
    assert any(fragment in w for w in shown(at.warning)), shown(at.warning)
    assert chart_with(at, "surface")["data"]


def test_divergence_is_shown():
    at = make_app(surface="bowl", start="1,1", steps="100", opt=["sgd:lr=10", "adam:lr=0.1"])
    at.run()
    assert any("diverged at step 15" in e.value for e in at.error)
    contour = chart_with(at, "contour")
    marks = [t for t in contour["data"] if t.get("marker", {}).get("symbol") == "x"]
    assert len(marks) == 1 and marks[0]["hovertemplate"].startswith("diverged at step 15")
    assert [row["diverged at"] for row in markdown_tables(at)[0]] == ["15", "–"]  # the column, only now


def test_the_table_has_no_empty_divergence_column():
    at = make_app(surface="bowl", start="1,1", steps="100", opt=["sgd:lr=0.1", "adam:lr=0.1"])
    at.run()
    rows = markdown_tables(at)[0]
    assert len(rows) == 2 and all("diverged at" not in row for row in rows)


def test_add_and_remove_an_optimizer():
    at = make_app()
    at.run()
    at.button[[b.label for b in at.button].index("Add an optimizer")].click().run()
    assert len(query(at)["opt"]) == 4
    at.button(key="r0_remove").click().run()
    from optviz.core.analysis.suggested import suggested_lr

    # the newcomer starts at the bowl's suggested learning rate for Adam
    assert query(at)["opt"] == [*DEFAULT_RACE[1:], f"adam:lr={suggested_lr('bowl', 'adam'):g}"]
    assert not at.exception


def test_inside_the_optimizer_shows_adam_state_and_bias_correction():
    at = make_app(opt="adam:lr=0.05")
    at.run()
    assert not any(r"\hat m_t" in el.value for el in at.latex)  # closed until asked for
    at.toggle(key="inside").set_value(True).run()
    latex = " ".join(el.value for el in at.latex)
    assert r"\hat m_t" in latex and "0.05" in latex  # the rule with the value filled in
    assert any(c.value.startswith("First five step lengths") for c in at.caption)
    import json

    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    pair = [
        f for f in figs if {"with bias correction", "without bias correction"} <= {t.get("name") for t in f["data"]}
    ]
    assert len(pair) == 2  # the paths on the contour and their losses
    with_bc, without_bc = (xy(path_trace(pair[0], n)) for n in ("with bias correction", "without bias correction"))
    assert with_bc != without_bc


def test_playback_has_frames():
    at = make_app(steps="80")
    at.run()
    set_switch(at, "playback", True)
    import json

    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    animated = [f for f in figs if f.get("frames")]
    assert animated and len(animated[0]["frames"]) == 60
    assert animated[0]["layout"]["updatemenus"][0]["buttons"][0]["label"] == "Play"


def test_exports_hold_what_the_page_draws():
    import csv
    import io
    from urllib.parse import parse_qs

    from optviz.link import SurfacesConfig

    at = make_app(surface="rosenbrock", opt=["adam:lr=0.1"], steps="10")
    at.run()
    assert [b.label for b in at.get("download_button")] == ["Paths (CSV)", "Configuration (JSON)"]
    rows = list(csv.DictReader(io.StringIO(download(at, "Paths (CSV)"))))  # what a click delivers
    drawn = xy(path_trace(chart_with(at, "contour"), "Adam (lr=0.1)"))
    assert [float(r["x"]) for r in rows] == pytest.approx(drawn[0]) and len(rows) == 11
    data = json.loads(download(at, "Configuration (JSON)"))
    assert (
        data["domain"] == [-2, 2, -1, 3]
        and SurfacesConfig.from_query(parse_qs(data["query"]))[0] == SurfacesConfig.from_query(query(at))[0]
    )


def test_fair_race_tunes_every_learning_rate():
    at = make_app(surface="rosenbrock", start="-1.2,1", steps="300", opt=["adam:lr=0.0001", "sgd:lr=1e-05"])
    at.run()
    at.button(key="fair_race").click().run()
    assert not at.exception
    assert any(s.value.startswith("Fair race: each lr tuned over 41") for s in at.success)
    q = query(at)["opt"]
    lrs = [float(spec.split("lr=")[1]) for spec in q]
    assert lrs[0] != 0.0001 and lrs[1] != 1e-05
    # the tuned lr is the best of the grid: its final loss is no worse than the neighbouring values'
    from optviz.core.engine.trajectory import run_race
    from optviz.core.problems.surfaces import SURFACES
    from optviz.core.spec import make_spec

    s = SURFACES["rosenbrock"]
    tuned = run_race(s, (-1.2, 1.0), 300, [make_spec("adam", {"lr": lrs[0]})])[0].loss[-1]
    for other in (lrs[0] / 1.6, lrs[0] * 1.6):
        r = run_race(s, (-1.2, 1.0), 300, [make_spec("adam", {"lr": min(other, 1.0)})])[0]
        assert r.diverged_at is not None or r.loss[-1] >= tuned * 0.999


def test_custom_formula_from_a_link():
    at = make_app(
        surface="custom",
        expr="sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)",
        domain="-2,2,-2,2",
        opt=["adam:lr=0.05", "sgd:lr=0.05"],
    )
    at.run()
    assert not at.exception and not at.warning
    assert at.text_input(key="expr").value == "sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)"
    assert query(at)["expr"] == ["sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)"] and query(at)["domain"] == ["-2,2,-2,2"]
    assert chart_with(at, "surface")["data"]


def test_custom_formula_typed_then_broken_keeps_the_last_good_one():
    at = make_app()
    at.run()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="expr").set_value("x**2 + 3*y**2").run()
    assert not at.exception and query(at)["expr"] == ["x**2 + 3*y**2"]
    at.text_input(key="expr").set_value("__import__('os')").run()
    assert not at.exception
    assert any("not allowed" in w and "last formula that worked" in w for w in shown(at.warning))
    assert at.text_input(key="expr").value == "__import__('os')"  # the user's text is not lost
    assert query(at)["expr"] == ["x**2 + 3*y**2"]


def test_formula_with_gaps_says_so():
    at = make_app(surface="custom", expr="log(x) + y**2", domain="-2,2,-2,2", start="1,1", opt="adam:lr=0.05")
    at.run()
    assert not at.exception
    assert any("not finite on" in i.value for i in at.info)


@pytest.mark.parametrize(
    "query_params,fragment",
    [
        ({"surface": "custom", "expr": "9**9**9**9"}, "the exponent '9**9**9' is too large"),
        ({"surface": "custom", "expr": "x" * 3000}, "at most 1000"),
        ({"surface": "custom", "expr": "x", "domain": "1,0,0,1"}, "XMIN < XMAX"),
        ({"steps": "99999"}, "using the nearest allowed value, 5000"),
        ({"opt": ["adam"] * 30}, "at most 10 per race"),
    ],
)
def test_hostile_links_warn_and_render(query_params, fragment):
    at = make_app(**query_params)
    at.run()
    assert not at.exception
    assert any(fragment in w for w in shown(at.warning)), shown(at.warning)
    assert chart_with(at, "surface")["data"]


def test_the_race_survives_a_visit_to_another_page():
    at = make_app(surface="rosenbrock", opt=["adam:lr=0.02", "momentum"])
    at.run()
    at.number_input(key="r0_adam_lr").set_value(0.03).run()
    at.switch_page("optviz/app/scripts/sweep.py").run()
    assert not at.exception
    at.switch_page("optviz/app/scripts/surfaces.py").run()
    assert not at.exception
    assert at.number_input(key="r0_adam_lr").value == 0.03
    assert at.selectbox(key="surface").value == "rosenbrock"
    assert query(at)["opt"] == ["adam:lr=0.03", "momentum"]


def test_the_whole_view_is_in_the_link_and_the_link_reopens_it():
    at = make_app(surface="himmelblau", steps="120", opt=["adam:lr=0.05", "momentum:lr=0.002"])
    at.run()
    set_switch(at, "log", False)
    set_switch(at, "arrows", True)
    at.select_slider(key="tol").set_value(1e-4).run()
    set_switch(at, "playback", True)
    at.slider(key="frame").set_value(40).run()
    at.toggle(key="inside").set_value(True).run()
    at.selectbox(key="inside_run").set_value(1).run()
    at.slider(key="inside_step").set_value(25).run()
    assert not at.exception
    q = query(at)
    assert {k: q[k] for k in ("log", "arrows", "tol", "playback", "frame", "inside", "inside_step")} == {
        "log": ["0"],
        "arrows": ["1"],
        "tol": ["0.0001"],
        "playback": ["1"],
        "frame": ["40"],
        "inside": ["2"],
        "inside_step": ["25"],
    }
    again = make_app(**q)
    again.run()
    assert not again.exception and not again.warning
    for option in ("log", "arrows", "playback"):
        assert switch_on(again, option) == switch_on(at, option)
    assert again.toggle(key="inside").value == at.toggle(key="inside").value
    assert again.select_slider(key="tol").value == 1e-4 and again.slider(key="frame").value == 40
    assert again.selectbox(key="inside_run").value == 1 and again.slider(key="inside_step").value == 25
    for key in ("surface3d", "playback_chart", "curves", "state_chart"):  # the same pictures
        assert charts(again)[key] == charts(at)[key]
    assert markdown_tables(again) == markdown_tables(at) and len(markdown_tables(at)[0]) == 2


def test_newer_optimizers_get_controls_and_muon_says_why_it_is_absent():
    at = make_app(opt=["sophia:update_interval=3", "adafactor", "lbfgs:line_search=1", "muon"])
    at.run()
    assert not at.exception
    warned = [w.value.replace("\\", "") for w in at.warning]  # Markdown-escaped
    assert any("muon: not offered on the 2D surfaces" in w and "matrix" in w for w in warned), warned
    assert at.number_input(key="r0_sophia_update_interval").value == 3
    assert at.number_input(key="r0_sophia_gamma").value == pytest.approx(0.01)
    assert at.number_input(key="r1_adafactor_beta2_decay").value == pytest.approx(-0.8)
    assert at.toggle(key="r2_lbfgs_line_search").value is True
    assert "Muon" in at.selectbox(key="r0_name").help and "muon" not in at.selectbox(key="r0_name").options
    assert query(at)["opt"] == ["sophia:update_interval=3", "adafactor", "lbfgs:line_search=1"]


def test_fair_race_says_when_a_tuned_lr_is_at_the_end_of_its_grid():
    at = make_app(surface="rosenbrock", steps="150", opt=["adam", "sgd"])
    at.run()
    at.button(key="fair_race").click().run()
    note = next(s.value for s in at.success if s.value.startswith("Fair race"))
    assert "Adam: lr = 1, the highest value tried (1): a larger lr might end lower" in note
    sgd = re.search(r"SGD: lr = ([0-9.e-]+) \(final loss", note).group(1)
    assert sgd == f"{float(sgd):.3g}" and query(at)["opt"][1] == f"sgd:lr={sgd}"  # short, and the link keeps it


def _racer_colours(at) -> dict[str, str]:
    """Each racer's line colour in the top view, by legend label."""
    return {
        t["name"]: t["line"]["color"]
        for t in chart_with(at, "contour")["data"]
        if t.get("mode") == "lines+markers" and t.get("name") not in ("start", "minima")
    }


def test_racer_colours_travel_with_the_link():
    at = make_app()
    at.run()
    at.button(key="add_racer").click().run()
    at.selectbox(key="r3_name").set_value("rmsprop").run()
    at.button(key="r1_remove").click().run()  # SGD leaves; Adagrad and RMSprop keep their colours
    assert not at.exception
    mine = _racer_colours(at)
    assert len(set(mine.values())) == 3 and query(at)["colors"] == ["1,3,4"]
    fresh = make_app(**query(at))  # a student opens the teacher's link in a fresh browser
    fresh.run()
    assert _racer_colours(fresh) == mine


def test_a_racer_added_to_a_shared_race_takes_a_colour_nobody_has():
    at = make_app(opt=["adam", "sgd"], colors="3,1")
    at.run()
    at.button(key="add_racer").click().run()
    colours = list(_racer_colours(at).values())
    assert len(set(colours)) == 3 and query(at)["colors"] == ["3,1,2"]


def test_a_typed_value_out_of_range_is_fitted_and_said():
    at = make_app(opt=["adam:lr=0.05"])
    at.run()
    at.number_input(key="r0_adam_lr").set_value(-1.0).run()
    assert at.number_input(key="r0_adam_lr").value == 1e-05 and query(at)["opt"] == ["adam:lr=1e-05"]
    assert (
        "Adam's lr was not used: lr must satisfy 0 < lr <= 10 (got -1); using the nearest allowed value, 1e-05"
        in shown(at.warning)
    )
    at.number_input(key="start_x").set_value(1e9).run()
    assert at.number_input(key="start_x").value == 10000 and query(at)["start"][0].startswith("10000,")
    assert any(
        w.startswith("start x was not used: must lie from -10000 to 10000 (got 1000000000)") for w in shown(at.warning)
    )


def test_a_step_never_reached_reads_the_same_on_every_page():
    at = make_app(surface="rosenbrock", steps="20", opt=["sgd:lr=0.0001", "adam:lr=0.05"])
    at.run()
    column = next(k for k in markdown_tables(at)[0][0] if k.startswith("steps to"))
    assert [r[column] for r in markdown_tables(at)[0]] == ["–", "–"]  # Compare writes "–" too, not a blank


def _table(at) -> list[dict]:
    return markdown_tables(at)[0]


def test_fair_race_announces_the_race_it_draws():
    at = make_app(surface="rosenbrock", start="-1.5,2", steps="1000", opt=["adam", "sgd", "rmsprop"])
    at.run()
    at.button(key="fair_race").click().run()
    assert not at.exception
    note = next(s.value for s in at.success if s.value.startswith("Fair race"))
    rows = {r["optimizer"].split(" (")[0]: r for r in _table(at)}
    links = [parse_spec(text) for text in query(at)["opt"]]
    for rid, (name, spec) in enumerate(zip(["Adam", "SGD", "RMSprop"], links)):
        lr_text, outcome = re.search(
            rf"{name}: lr = ([0-9.e+-]+)(?:, the \w+ value tried \([^)]*\)[^(]*)? \(([^)]*)\)", note
        ).groups()
        # the tuned value exactly: in the banner, in the box, in the link
        assert float(lr_text) == spec.hparams["lr"] == at.number_input(key=f"r{rid}_{spec.name}_lr").value
        # and the loss it announces is the loss of the run the page draws
        if outcome.startswith("final loss"):
            assert outcome == f"final loss {rows[name]['final loss']}"


def test_a_typed_formula_is_not_called_a_link_and_is_shown_as_typed():
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
    return {
        t["name"]: t["line"]["color"]
        for t in chart_with(at, "contour")["data"]
        if t.get("mode") == "lines+markers" and t.get("name") not in ("start", "minima")
    }


def test_a_racer_keeps_its_colour_for_life():
    at = make_app(opt=["adam:lr=0.05", "sgd:lr=0.05", "adagrad:lr=0.2"])
    at.run()
    before = _colours(at)
    at.button(key="r0_remove").click().run()  # remove the first racer
    after = _colours(at)
    assert after == {k: v for k, v in before.items() if not k.startswith("Adam")}
    at.button(key="add_racer").click().run()  # a newcomer takes a colour nobody has
    added = _colours(at)
    assert len(set(added.values())) == 3 and set(after.values()) <= set(added.values())


def test_switching_the_surface_suggests_its_learning_rates_but_keeps_yours():
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


def test_numbers_in_the_table_are_shown_in_significant_figures():
    at = make_app(surface="bowl", start="0.8,-0.6", steps="15", opt=["sgd:lr=0.4", "adam:lr=0.05"])
    at.run()
    sgd, adam = _table(at)
    # SGD shrinks the point by 0.2 a step: f = 0.2^30 = 1.07e-21, not 0.000000000000000000001 (or 0)
    assert sgd["final loss"] == "1.074e-21"
    assert re.fullmatch(r"\d\.\d{1,3}|\d\.\d{1,3}e-?\d+|0\.\d{1,4}", adam["distance to nearest minimum"])


def test_the_inside_views_line_styles_are_in_its_legend_and_sliders_span_the_sidebar():
    at = make_app(opt="adam:lr=0.05")
    at.run()
    at.toggle(key="inside").set_value(True).run()
    state = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if any(t.get("legendgroup") == "coord1" for t in json.loads(c.proto.spec)["data"])
    )
    legend = [(t["name"], t["line"]["dash"]) for t in state["data"] if t.get("showlegend")]
    assert legend == [("x coordinate", "solid"), ("y coordinate", "dot")]
    # the hyperparameter sliders span the sidebar (no columns squeeze them): no column holds a slider
    sidebar_columns = list(at.sidebar.columns)
    assert not any(el.type == "select_slider" for col in sidebar_columns for el in col)


def test_a_scrub_link_opens_the_scrubber_on_its_racer_and_the_controls_write_it_back():
    at = make_app(surface="himmelblau", steps="120", opt=["adam:lr=0.05", "momentum:lr=0.002"], scrub="lr")
    at.run()
    assert not at.exception and not at.warning
    assert switch_on(at, "scrub") and at.selectbox(key="scrub_key").value == "lr"
    for key in ("surface3d", "contour"):
        slider = charts(at)[key]["layout"]["sliders"][0]
        assert len(slider["steps"]) == 48 and slider["steps"][slider["active"]]["label"] == "lr=0.05"
    at.selectbox(key="scrub_racer").set_value(1).run()
    at.selectbox(key="scrub_key").set_value("momentum").run()
    assert not at.exception
    q = query(at)
    assert q["scrub"] == ["momentum"] and q["scrub_racer"] == ["2"]
    slider = charts(at)["contour"]["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == "momentum=0.9"
    assert slider["currentvalue"]["prefix"].startswith("SGD + momentum")
    set_switch(at, "scrub", False)
    assert "scrub" not in query(at) and "sliders" not in charts(at)["contour"]["layout"]


def test_a_scrub_link_naming_a_setting_its_racer_lacks_says_so_and_draws_no_scrubber():
    at = make_app(opt=["adam", "sgd"], scrub="b1", scrub_racer="2")
    at.run()
    assert not at.exception
    assert any("'b1' is not a setting of sgd to scrub" in w.value for w in at.warning)
    assert "sliders" not in chart_with(at, "contour")["layout"]


RULE_ADAM = (
    "mine: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
    "p = p - lr*(m/(1 - b1**t))/(sqrt(v/(1 - b2**t)) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
)


def test_a_rule_in_the_link_races_as_the_builtin_it_spells_and_the_link_keeps_it():
    at = make_app(surface="rosenbrock", steps="200", opt=["mine:lr=0.02", "adam:lr=0.02"], rule=RULE_ADAM)
    at.run()
    assert not at.exception and not at.warning
    top = chart_with(at, "contour")
    ours, theirs = (xy(path_trace(top, name)) for name in ("mine (lr=0.02)", "Adam (lr=0.02)"))
    assert ours[0] == pytest.approx(theirs[0], rel=1e-4, abs=1e-5) and ours[1] == pytest.approx(
        theirs[1], rel=1e-4, abs=1e-5
    )
    assert query(at)["rule"] == [RULE_ADAM] and query(at)["opt"] == ["mine:lr=0.02", "adam:lr=0.02"]
    at.toggle(key="inside").set_value(True).run()  # its rule with the numbers in, its state per step
    latex = " ".join(el.value for el in at.latex)
    assert not at.exception and r"\texttt{m = }" in latex and "0.02" in latex and r"\mathit{lr}" not in latex
    assert "m = " in latex and "v = " in latex  # the state variables' values at the step shown


def test_a_rule_typed_in_the_box_joins_the_pickers_and_a_bad_one_is_named_and_left_out():
    at = make_app()
    at.run()
    at.text_area(key="rules").set_value("signs: p = p - lr*sign(g) | lr=0.05").run()
    options = at.selectbox(key="quick_opt").options
    assert "signs" in options
    at.selectbox(key="quick_opt").set_value("signs").run()
    assert not at.exception and query(at)["rule"] == ["signs: p = p - lr*sign(g) | lr=0.05"]
    assert query(at)["opt"][0].startswith("signs")
    at.text_area(key="rules").set_value("signs: p = p.__class__ | lr=0.05").run()
    assert not at.exception
    assert any("Attribute" in w and "left out" in w for w in shown(at.warning))
    assert chart_with(at, "contour")["data"]  # the page keeps working, the racer back on Adam


def test_sam_draws_its_ascent_points_rho_from_its_path():
    at = make_app(surface="beale", steps="30", opt=["sam:lr=0.003,rho=0.1"])
    at.run()
    assert not at.exception
    contour = charts(at)["contour"]
    dotted = next(
        t for t in contour["data"] if str(t.get("name", "")).endswith("ascent points, where gradients are taken")
    )
    path = next(t for t in contour["data"] if str(t.get("name", "")).startswith("SAM") and t is not dotted)
    ax, ay = xy(dotted)
    px, py = xy(path)
    assert dotted["line"]["dash"] == "dot" and len(ax) == 30
    gaps = [((a - p) ** 2 + (b - q) ** 2) ** 0.5 for a, b, p, q in zip(ax, ay, px, py)]
    assert all(abs(g - 0.1) < 1e-3 for g in gaps)


@pytest.mark.parametrize(
    "spec, in_rule, state_label",
    [
        ("lamb:lr=0.05", r"\lVert", "trust ratio of the layer"),
        ("lars:lr=7", r"\lVert", "trust ratio of the layer"),
        ("signum:lr=0.05", r"sign", "m: first moment"),
        ("adan:lr=0.1", r"n_t", "n: average squared extrapolated gradient"),
        ("simplified_ademamix:lr=0.002", r"m_t", "m: first moment"),
        ("mars:lr=0.1,cautious=1", r"c_t", "share of the update's components kept"),
        ("dog", r"r_t", "DoG's step size"),
        ("dadapt_adamw", r"s_t", "d: distance estimate, the step size"),
        ("sfsgd:lr=0.02", r"z_{t+1}", "y: where the gradient is taken"),
        ("soap:lr=0.1", r"GG", "angle of the eigenbasis' first direction (degrees)"),
        ("sam:lr=0.003", r"a_t", "a: the ascent point, where the gradient is taken"),
        ("adamw:cautious=1,lr=0.05", r"\phi_t", "cautious mask: 0 where the update disagreed with g"),
    ],
)
def test_inside_each_new_optimizer_shows_its_rule_and_its_state_per_step(spec, in_rule, state_label):
    at = make_app(surface="himmelblau", steps="60", opt=spec)
    at.run()
    at.toggle(key="inside").set_value(True).run()
    assert not at.exception
    latex = " ".join(el.value for el in at.latex)
    assert in_rule in latex  # its rule, typeset with the numbers in
    labels = json.dumps(list(charts(at).values()))
    assert state_label in labels, state_label
