"""Share links (the core parser) and the export files."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs

import pytest

from optviz.link import DEFAULT_RACE, RaceConfig, parse_query, to_query
from optviz.limits import MAX_QUERY_LENGTH
from optviz.spec import parse_spec
from optviz.surfaces import SURFACES
from optviz.trajectory import run_race
from optviz.export import paths_csv, race_json
from optviz.link import SurfacesConfig


def test_empty_link_is_the_default_view():
    cfg, warnings = parse_query({})
    assert warnings == [] and cfg == RaceConfig()
    assert [s.name for s in cfg.specs] == ["adam", "sgd", "adagrad"]
    assert to_query(cfg)["opt"] == list(DEFAULT_RACE)


def test_round_trip_is_exact():
    cfg = RaceConfig("beale", (1.0000001, -0.3), 777,
                     (parse_spec("adam:lr=0.0123456789,b1=0.85"), parse_spec("lion:lr=3e-05,weight_decay=0.1")),
                     0.25, 12345)
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
