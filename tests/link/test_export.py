"""Share links (the core parser) and the export files."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs

import pytest

from optviz.core.engine.trajectory import run_race
from optviz.core.limits import MAX_QUERY_LENGTH
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import parse_spec
from optviz.link import DEFAULT_RACE, RaceConfig, SurfacesConfig, parse_query, to_query
from optviz.link.export import paths_csv, race_json


def test_empty_link_is_the_default_view():
    cfg, warnings = parse_query({})
    assert warnings == [] and cfg == RaceConfig()
    assert [s.name for s in cfg.specs] == ["adam", "sgd", "adagrad"]
    assert to_query(cfg)["opt"] == list(DEFAULT_RACE)


def test_round_trip_is_exact():
    cfg = RaceConfig(
        "beale",
        (1.0000001, -0.3),
        777,
        (parse_spec("adam:lr=0.0123456789,b1=0.85"), parse_spec("lion:lr=3e-05,weight_decay=0.1")),
        0.25,
        12345,
    )
    again, warnings = parse_query(to_query(cfg))
    assert warnings == [] and again == cfg


def test_surface_without_start_takes_its_default_start():
    cfg, _ = parse_query({"surface": "rosenbrock"})
    assert cfg.start == SURFACES["rosenbrock"].start


def test_too_long_and_too_many():
    cfg, warnings = parse_query({"opt": ["adam"] * 11})
    assert len(cfg.specs) == 10 and "at most 10 per race" in warnings[0]
    cfg, warnings = parse_query({"opt": ["adam:lr=0.1" * 80] * 10})
    assert cfg == RaceConfig() and f"at most {MAX_QUERY_LENGTH}" in warnings[0]


@pytest.mark.parametrize("params", [{"steps": "0"}, {"seed": "x"}, {"start": "1,2,3"}, {"noise": "inf"}])
def test_each_bad_value_falls_back_alone(params):
    cfg, warnings = parse_query(dict(params, surface="booth", opt="sgd:lr=0.001"))
    assert len(warnings) == 1
    assert cfg.surface == "booth" and cfg.specs[0].hparams["lr"] == 0.001


def test_csv_and_json_exports():
    race = RaceConfig("bowl", (0.5, 0.5), 5, (parse_spec("adam:lr=0.1"), parse_spec("sgd")))
    view = SurfacesConfig(race, arrows=True)
    runs = run_race(SURFACES["bowl"], race.start, race.steps, list(race.specs))
    rows = list(csv.DictReader(io.StringIO(paths_csv(view, runs))))
    assert len(rows) == 12 and rows[0]["spec"] == "adam:lr=0.1,b1=0.9,b2=0.999,eps=1e-08,bias_correction=1"
    assert float(rows[5]["x"]) == float(runs[0].path[5, 0]) and rows[6]["optimizer"] == "sgd"
    assert [float(r["loss"]) for r in rows[6:]] == [float(v) for v in runs[1].loss]
    data = json.loads(race_json(view, runs))
    assert data["opt"][1] == "sgd:lr=0.01" and data["steps"] == 5
    assert SurfacesConfig.from_query(parse_qs(data["query"])) == (view, [])  # the JSON's link is the view


@pytest.mark.parametrize(
    "view",
    [
        SurfacesConfig(
            RaceConfig(
                "rosenbrock", (-1.5, 2.0), 20, (parse_spec("adam:lr=0.05,warmup=5"), parse_spec("sgd:lr=0.001")), 0.1, 7
            ),
            tol=1e-4,
        ),
        SurfacesConfig(RaceConfig("himmelblau", (0.5, -0.25), 12, (parse_spec("rmsprop:schedule=cosine,clip=1"),))),
        SurfacesConfig(
            RaceConfig(
                "custom", (0.3, 0.2), 9, (parse_spec("adam"),), expr="x**2 + 3*y**2", domain=(-1.5, 1.0, -3.0, 0.5)
            ),
            arrows=True,
        ),
    ],
    ids=["rosenbrock", "himmelblau", "custom"],
)
def test_every_exported_field_is_the_views_own_value(view):
    race = view.race
    surface = race.surface_obj()
    runs = run_race(surface, race.start, race.steps, list(race.specs), race.noise, race.seed)
    data = json.loads(race_json(view, runs))
    assert data["surface"] == race.surface and data["expr"] == (race.expr or None)
    assert tuple(data["domain"]) == surface.domain  # Rosenbrock's is [-2, 2] x [-1, 3], not the custom default
    assert tuple(data["start"]) == race.start and data["steps"] == race.steps
    assert (data["noise"], data["seed"]) == (race.noise, race.seed)
    assert tuple(parse_spec(t) for t in data["opt"]) == race.specs
    assert data["hparams"] == [s.hparams for s in race.specs] and data["common"] == [s.common for s in race.specs]
    assert SurfacesConfig.from_query(parse_qs(data["query"])) == (view, [])
    rows = list(csv.DictReader(io.StringIO(paths_csv(view, runs))))
    for k, run in enumerate(runs):
        mine = [r for r in rows if r["run"] == str(k)]
        assert [parse_spec(r["spec"]) for r in mine[:1]] == [race.specs[k]]
        assert [(float(r["x"]), float(r["y"]), float(r["loss"])) for r in mine] == [
            (float(x), float(y), float(f)) for (x, y), f in zip(run.path, run.loss)
        ]


def test_the_sweep_export_names_its_axes_and_reopens_its_view():
    from optviz.core.engine.sweep import run_sweep
    from optviz.core.spec import parse_axis
    from optviz.link import SweepConfig
    from optviz.link.export import sweep_json

    cfg = SweepConfig(
        "beale",
        parse_spec("adam:b2=0.99"),
        None,
        parse_axis("x", "lr=0.001:0.1:3:log", "adam"),
        parse_axis("y", "b1=0.5:0.9:2", "adam"),
        (1.0, 1.0),
        30,
        1e-2,
        "steps",
    )
    results = [run_sweep(SURFACES["beale"], cfg.opt, cfg.x, cfg.y, cfg.start, cfg.steps, cfg.tol)]
    data = json.loads(sweep_json(cfg, results))
    assert (data["surface"], data["x"], data["y"], data["steps"], data["tol"]) == (
        "beale",
        "lr=0.001:0.1:3:log",
        "b1=0.5:0.9:2",
        30,
        1e-2,
    )
    assert tuple(data["start"]) == cfg.start and [parse_spec(t) for t in data["opt"]] == cfg.specs
    assert SweepConfig.from_query(parse_qs(data["query"])) == (cfg, [])
    assert data["results"][0]["final_loss"] == results[0].to_json()["final_loss"]
