"""The one parser of SPECs and scalar settings: round trips and clear refusals."""

from __future__ import annotations

import pytest

from optviz.core.optimizers import REGISTRY
from optviz.core.spec import (
    SpecError,
    format_spec,
    make_spec,
    parse_noise,
    parse_point,
    parse_seed,
    parse_spec,
    parse_specs,
    parse_steps,
)


def test_defaults_fill_unnamed_keys():
    spec = parse_spec("adam:lr=0.01,b1=0.8")
    assert spec.hparams == {"lr": 0.01, "b1": 0.8, "b2": 0.999, "eps": 1e-8, "bias_correction": 1.0}
    assert parse_spec("  SGD ").name == "sgd"


@pytest.mark.parametrize("name", list(REGISTRY))
def test_format_parse_round_trip(name):
    opt = REGISTRY[name]
    third = {
        "float": lambda hp: (hp.slider[0] + hp.slider[1]) / 3,
        "int": lambda hp: float(hp.slider[1]),
        "flag": lambda hp: 0.0,
    }
    spec = make_spec(name, {hp.name: third[hp.kind](hp) for hp in opt.hparams})
    assert parse_spec(format_spec(spec)) == spec
    assert parse_spec(format_spec(spec, full=True)) == spec
    assert format_spec(make_spec(name)) == name


def test_format_keeps_full_precision():
    spec = make_spec("adam", {"lr": 0.0012345678901234567})
    assert parse_spec(format_spec(spec)).hparams["lr"] == 0.0012345678901234567


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("adm", "unknown optimizer 'adm'; choose one of: sgd"),
        ("adam:lr=-1", "lr must satisfy 0 < lr <= 10 (got -1)"),
        ("adam:lr=0", "0 < lr <= 10"),
        ("adam:b1=1", "b1 must satisfy 0 <= b1 < 1 (got 1)"),
        ("adam:b2=1.5", "b2 must satisfy 0 <= b2 < 1"),
        ("adam:lr=nan", "lr: 'nan' is not a finite number"),
        ("adam:lr=inf", "not a finite number"),
        ("adam:lr=abc", "lr: 'abc' is not a number"),
        ("adam:momentum=0.9", "unknown hyperparameter 'momentum'; adam takes: lr, b1, b2, eps, bias_correction"),
        ("adam:lr", "'lr' is not key=value"),
        ("adam:lr=0.1,lr=0.2", "lr is given twice"),
        ("adam:bias_correction=2", "bias_correction must be 0 or 1"),
        ("rmsprop:eps=0", "eps must satisfy 0 < eps <= 1"),
        ("", "optimizer spec is empty"),
        ("adam:" + "lr=0.1," * 100, "at most 640 allowed"),
    ],
)
def test_refusals_name_the_item_and_what_is_allowed(text, fragment):
    with pytest.raises(SpecError) as err:
        parse_spec(text)
    assert fragment in str(err.value)
    assert "\n" not in str(err.value)


def test_race_size_limits():
    with pytest.raises(SpecError, match="no optimizer given"):
        parse_specs([])
    with pytest.raises(SpecError, match="at most 10 per race"):
        parse_specs(["adam"] * 11)
    assert len(parse_specs(["adam"] * 10)) == 10


def test_scalars():
    assert parse_point("start", "-1.5,2") == (-1.5, 2.0)
    assert parse_steps("5000") == 5000
    assert parse_noise("0.5") == 0.5 and parse_seed("42") == 42
    for call, bad, fragment in [
        (parse_point, "1", "expected two numbers X,Y"),
        (parse_point, "1,nan", "not a finite number"),
        (parse_point, "1e9,0", r"within \+-10000"),
        (parse_steps, "5001", "steps: must be a whole number from 1 to 5000"),
        (parse_steps, "0", "from 1 to 5000"),
        (parse_steps, "2.5", "whole number"),
        (parse_noise, "-1", "0 <= noise <= 100"),
        (parse_seed, "-3", "seed: must be a whole number from 0"),
    ]:
        with pytest.raises(SpecError, match=fragment):
            call("start", bad) if call is parse_point else call(bad)


def test_every_registry_default_is_valid_and_inside_its_slider():
    for opt in REGISTRY.values():
        assert opt.display_name and opt.description and opt.update_rule
        for hp in opt.hparams:
            assert hp.is_valid(hp.default), (opt.name, hp.name)
            lo, hi = hp.slider
            assert hp.is_valid(lo) and hp.is_valid(hi), (opt.name, hp.name)
            assert lo <= hp.default <= hi, (opt.name, hp.name)
            assert not hp.log or lo > 0


def test_a_legend_label_always_gives_the_learning_rate():
    from optviz.core.spec import parse_spec

    assert parse_spec("sgd").label() == "SGD (lr=0.01)"  # not a bare "SGD" beside "Adam (lr=0.03)"
    assert parse_spec("adam:lr=0.03,b1=0.8").label() == "Adam (lr=0.03, b1=0.8)"
    assert parse_spec("adam:lr=0.03,b1=0.8").label(tuned=("lr",)) == "Adam (b1=0.8)"
