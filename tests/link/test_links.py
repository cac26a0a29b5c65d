"""Every page's link, as properties: a view survives its own link exactly, and any link gives a view.

For each page's configuration: ``from_query(to_query(c)) == c`` with no warning for any valid
``c`` (Hypothesis draws them from the limits and the registry), and any query string at all
gives a configuration plus warnings, never an exception.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.core.analysis.demos import APART, DECAYS, ETAS, KAPPAS, SEVEN_STEPS, SGD_LRS, SWATS_LRS, WARMUPS
from optviz.core.engine.fan import scrubbable
from optviz.core.limits import (
    LEARN_B1,
    LEARN_B2,
    LEARN_C,
    LEARN_EPS,
    LEARN_LRS,
    MAX_BATCH,
    MAX_COORD,
    MAX_EOS_IMAGES,
    MAX_EOS_STEPS,
    MAX_EPOCHS,
    MAX_LANDSCAPE_GRID,
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    MAX_STEPS,
    MAX_SWEEP_SIDE,
    MAX_SWEEP_STEPS,
    MAX_TEST,
    MAX_TRAIN,
    RACER_COLORS,
)
from optviz.core.optimizers import FAMILIES, NETWORK_NAMES, REGISTRY, SURFACE_NAMES
from optviz.core.optimizers import schedule as sched
from optviz.core.problems.mnist_models import MODELS
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, SweepAxis, format_spec, make_spec, parse_axis
from optviz.link import (
    CUSTOM,
    TOLERANCES,
    CompareConfig,
    LearnConfig,
    MnistConfig,
    RaceConfig,
    SurfacesConfig,
    SweepConfig,
)
from optviz.link.mnist_view import DIRECTIONS
from optviz.link.sweep_view import METRICS, format_axis

FORMULAS = [
    ("sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)", (-2.0, 2.0, -2.0, 2.0)),
    ("x**2 + 3*y**2", (-1.5, 1.0, -3.0, 0.5)),
]
finite = dict(allow_nan=False, allow_infinity=False)
coord = st.floats(-MAX_COORD, MAX_COORD, **finite)


@st.composite
def hparam_value(draw, hp):
    if hp.kind == "flag":
        return float(draw(st.sampled_from([0.0, 1.0])))
    if hp.kind in ("int", "choice"):
        return float(draw(st.integers(int(hp.low), int(hp.high))))
    return draw(st.floats(hp.low, hp.high, exclude_min=hp.low_open, exclude_max=hp.high_open, **finite))


@st.composite
def spec(draw, name=None, names=None):
    """Any optimizer with any hyperparameters, and sometimes a schedule and clipping."""
    name = name or draw(st.sampled_from(sorted(names or SURFACE_NAMES)))
    values = {hp.name: draw(hparam_value(hp)) for hp in REGISTRY[name].hparams}
    if draw(st.booleans()):
        values.update({hp.name: draw(hparam_value(hp)) for hp in sched.COMMON})
        if sched.kind_of(values) == "onecycle":
            values["warmup"] = 0.0
    return make_spec(name, values)


NETWORK_OPTIMIZERS = sorted(NETWORK_NAMES)


@st.composite
def race(draw):
    surface = draw(st.sampled_from(sorted(SURFACES) + [CUSTOM]))
    expr, domain = draw(st.sampled_from(FORMULAS)) if surface == CUSTOM else ("", RaceConfig().domain)
    noise = draw(st.one_of(st.just(0.0), st.floats(0.0, MAX_NOISE, exclude_min=True, **finite)))
    return RaceConfig(
        surface,
        (draw(coord), draw(coord)),
        draw(st.integers(1, MAX_STEPS)),
        tuple(draw(st.lists(spec(), min_size=1, max_size=MAX_RUNS))),
        noise,
        draw(st.integers(0, MAX_SEED)),
        expr,
        domain,
    )


@st.composite
def surfaces_config(draw):
    r = draw(race())
    maybe = lambda s: st.one_of(st.none(), s)
    colors = maybe(st.permutations(range(RACER_COLORS)).map(lambda p: tuple(p[: len(r.specs)])))
    return SurfacesConfig(
        r,
        draw(maybe(st.booleans())),
        draw(st.booleans()),
        draw(st.sampled_from(TOLERANCES)),
        draw(st.booleans()),
        draw(maybe(st.integers(0, r.steps))),
        draw(maybe(st.integers(0, len(r.specs) - 1))),
        draw(maybe(st.integers(1, r.steps))),
        draw(colors),
        *draw(scrub(r)),
    )


@st.composite
def scrub(draw, r):
    """No scrubber, or one on a setting some racer has."""
    if draw(st.booleans()):
        return None, 0
    racer = draw(st.integers(0, len(r.specs) - 1))
    return draw(st.sampled_from(scrubbable(r.specs[racer]))), racer


def _axis_keys(name: str) -> list[str]:
    return ["x", "y"] + [h.name for h in REGISTRY[name].hparams if h.kind == "float"]


@st.composite
def axis(draw, key: str, name: str):
    n = draw(st.integers(1, MAX_SWEEP_SIDE))
    if key in ("x", "y"):
        lo, hi = sorted([draw(coord), draw(coord)])
        return SweepAxis(key, lo, hi, n)
    hp = REGISTRY[name].hparam(key)
    lo, hi = sorted([draw(hparam_value(hp)), draw(hparam_value(hp))])
    return SweepAxis(key, lo, hi, n, log=lo > 0 and draw(st.booleans()))


def _axes_fit(name: str, *axes) -> bool:
    """Whether both axes' values are valid for ``name`` too (AdEMAMix's alpha is not RMSprop's)."""
    try:
        for a in axes:
            parse_axis("x", format_axis(a), name)
    except SpecError:
        return False
    return True


@st.composite
def sweep_config(draw):
    opt = draw(spec())
    kx, ky = draw(st.lists(st.sampled_from(_axis_keys(opt.name)), min_size=2, max_size=2, unique=True))
    x, y = draw(axis(kx, opt.name)), draw(axis(ky, opt.name))
    partners = [n for n in sorted(SURFACE_NAMES) if {kx, ky} <= set(_axis_keys(n)) and _axes_fit(n, x, y)]
    opt2 = draw(st.one_of(st.none(), st.sampled_from(partners).flatmap(spec)))
    metric = draw(st.sampled_from([m for m in METRICS if m != "basin" or x.is_start or y.is_start]))
    surface = draw(st.sampled_from(sorted(SURFACES)))
    cfg = SweepConfig(
        surface,
        opt,
        opt2,
        x,
        y,
        (draw(coord), draw(coord)),
        draw(st.integers(1, MAX_SWEEP_STEPS)),
        draw(st.sampled_from(TOLERANCES)),
        metric,
        None,
        draw(st.booleans()),
    )
    if draw(st.booleans()):
        cfg = cfg.at_cell(draw(st.integers(0, y.n - 1)), draw(st.integers(0, x.n - 1)))
    return cfg


@st.composite
def mnist_config(draw):
    specs = tuple(draw(st.lists(spec(names=NETWORK_OPTIMIZERS), min_size=1, max_size=MAX_RUNS)))
    train = draw(st.integers(1, MAX_TRAIN))
    return MnistConfig(
        draw(st.sampled_from(sorted(MODELS))),
        specs,
        draw(st.integers(1, MAX_EPOCHS)),
        draw(st.integers(1, min(MAX_BATCH, train))),
        train,
        draw(st.integers(1, MAX_TEST)),
        draw(st.integers(0, MAX_SEED)),
        draw(st.sampled_from(DIRECTIONS)),
        draw(st.integers(3, MAX_LANDSCAPE_GRID)),
        draw(st.integers(0, len(specs) - 1)),
        draw(spec(names=NETWORK_OPTIMIZERS)),
        draw(st.integers(1, MAX_EOS_STEPS)),
        draw(st.integers(1, MAX_EOS_IMAGES)),
    )


@st.composite
def learn_config(draw):
    return LearnConfig(
        draw(st.floats(*LEARN_B1, **finite)),
        draw(st.floats(*LEARN_B2, **finite)),
        draw(st.floats(*LEARN_C, **finite)),
        draw(st.sampled_from(LEARN_LRS)),
        draw(st.booleans()),
        draw(st.floats(*LEARN_B1, **finite)),
        draw(st.sampled_from(LEARN_EPS)),
        draw(st.sampled_from(WARMUPS)),
        draw(st.sampled_from(SGD_LRS)),
        draw(st.sampled_from(KAPPAS)),
        draw(st.sampled_from(SEVEN_STEPS)),
        draw(st.sampled_from(ETAS)),
        draw(st.sampled_from(SWATS_LRS)),
        draw(st.sampled_from(FAMILIES)),
        draw(st.sampled_from(DECAYS)),
        draw(st.sampled_from(tuple(APART))),
    )


@st.composite
def compare_config(draw):
    from optviz.core.analysis.compare import TUNES
    from optviz.core.limits import MAX_BUDGET, MAX_STARTS
    from optviz.link.compare_view import RANGE_TARGETS, WITH_MINIMUM

    return CompareConfig(
        tuple(draw(st.lists(spec(), min_size=1, max_size=MAX_RUNS))),
        tuple(draw(st.lists(st.sampled_from(WITH_MINIMUM), min_size=1, max_size=5, unique=True))),
        draw(st.integers(1, MAX_STARTS)),
        draw(st.integers(1, MAX_BUDGET)),
        draw(st.sampled_from(TUNES)),
        draw(st.integers(1, MAX_SWEEP_STEPS)),
        draw(st.sampled_from(TOLERANCES)),
        draw(st.sampled_from(RANGE_TARGETS)),
        draw(spec()),
    )


CONFIGS = [
    (SurfacesConfig, surfaces_config()),
    (SweepConfig, sweep_config()),
    (MnistConfig, mnist_config()),
    (LearnConfig, learn_config()),
    (CompareConfig, compare_config()),
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _roundtrip(kind, cfg):
    again, warnings = kind.from_query(cfg.to_query())
    assert warnings == [] and again == cfg, (cfg.to_query(), warnings)


@PROPERTY
@given(surfaces_config())
def test_surfaces_view_survives_its_link(cfg):
    _roundtrip(SurfacesConfig, cfg)


@PROPERTY
@given(sweep_config())
def test_sweep_view_survives_its_link(cfg):
    _roundtrip(SweepConfig, cfg)


@PROPERTY
@given(mnist_config())
def test_mnist_view_survives_its_link(cfg):
    _roundtrip(MnistConfig, cfg)


@PROPERTY
@given(learn_config())
def test_learn_view_survives_its_link(cfg):
    _roundtrip(LearnConfig, cfg)


@PROPERTY
@given(compare_config())
def test_compare_view_survives_its_link(cfg):
    _roundtrip(CompareConfig, cfg)


KEYS = [
    "surface",
    "start",
    "steps",
    "opt",
    "opt2",
    "noise",
    "seed",
    "expr",
    "domain",
    "log",
    "arrows",
    "tol",
    "playback",
    "frame",
    "inside",
    "inside_step",
    "scrub",
    "scrub_racer",
    "x",
    "y",
    "metric",
    "cell",
    "scale",
    "model",
    "epochs",
    "batch",
    "train",
    "test",
    "directions",
    "grid",
    "pred",
    "b1",
    "b2",
    "C",
    "lr",
    "gen",
    "mb1",
    "eps",
    "warmup",
    "surfaces",
    "starts",
    "budget",
    "tune",
    "lr_on",
    "lr_opt",
    "junk",
]
junk_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-1",
            "1e999",
            "0",
            "99999999",
            "adam:lr=-1",
            "lr=0:1:300",
            "x=1:0:5",
            "3,4",
            ",",
            "custom",
            "1,2,3",
        ]
    ),
)
queries = st.dictionaries(st.sampled_from(KEYS), st.lists(junk_text, min_size=1, max_size=3), max_size=12)


@settings(max_examples=300, deadline=None)
@given(queries)
def test_any_link_gives_a_view_and_warnings(params):
    for kind, _ in CONFIGS:
        cfg, warnings = kind.from_query(params)
        assert isinstance(cfg, kind)
        assert all(isinstance(w, str) and "\n" not in w for w in warnings)
        again, more = kind.from_query(cfg.to_query())  # and what it shows is a valid view
        assert more == [] and again == cfg


def test_each_bad_item_is_named_and_the_rest_kept():
    cfg, warnings = MnistConfig.from_query({"epochs": "1000", "train": "99999999", "model": "mlp", "opt": ["adam"]})
    assert (cfg.epochs, cfg.train, cfg.model) == (MAX_EPOCHS, MAX_TRAIN, "mlp")
    assert len(warnings) == 2 and any(w.startswith("epochs:") for w in warnings)
    assert any(w.startswith("train:") and "nearest allowed value, 60000" in w for w in warnings)
    cfg, warnings = SweepConfig.from_query(
        {"opt": "adam", "opt2": "rmsprop", "x": "lr=1e-4:1:8:log", "y": "b1=0:0.9:4", "steps": "zzz"}
    )
    assert cfg.opt2 is None and cfg.y.key == "b1" and cfg.steps == 500
    assert any("RMSprop has no b1 (the y axis)" in w for w in warnings) and any(
        w.startswith("steps:") for w in warnings
    )
    cfg, warnings = SurfacesConfig.from_query({"tol": "0.002", "inside": "7", "opt": ["adam", "sgd"]})
    assert cfg.tol == 1e-3 and cfg.inside == 1 and len(warnings) == 2
    assert math.isclose(LearnConfig.from_query({"C": "50"})[0].C, LEARN_C[1])


@pytest.mark.parametrize(
    "text, want, said",
    [
        (
            "adam:lr=-1",
            "adam:lr=1e-05",
            "adam: lr must satisfy 0 < lr <= 10 (got -1); using the nearest allowed value, lr=1e-05",
        ),
        ("adam:b1=2,lr=0.05", "adam:lr=0.05,b1=0.9999", "(got 2); using the nearest allowed value, b1=0.9999"),
        ("adam:lr=x", "adam", "(got x); using the default, lr=0.001"),
        ("sgd:foo=3,lr=0.1", "sgd:lr=0.1", "sgd: unknown hyperparameter 'foo' (sgd takes: lr,"),
        (
            "momentum:momentum=1.5,nesterov=2",
            "momentum:momentum=0.999",
            "using the nearest allowed value, momentum=0.999",
        ),
    ],
)
def test_a_bad_hyperparameter_in_a_link_is_fitted_and_the_racer_kept(text, want, said):
    cfg, warnings = SurfacesConfig.from_query({"opt": [text, "sgd:lr=0.02"]})
    assert [format_spec(s) for s in cfg.race.specs] == [want, "sgd:lr=0.02"]
    assert any(said in w for w in warnings), warnings
    with pytest.raises(SpecError):  # the command line refuses it instead
        SurfacesConfig.from_query({"opt": [text]}, strict=True)


def test_a_value_between_stops_takes_the_nearest_in_ratio_or_by_difference_where_a_stop_is_zero():
    cfg, warnings = LearnConfig.from_query({"warmup": "1", "lr": "0.02", "eta": "-3", "t": "7.4"})
    assert (cfg.warmup, cfg.lr, cfg.eta, cfg.t) == (0, 0.03, min(ETAS), 7)  # 0.02 is nearer 0.03 in ratio
    assert len(warnings) == 4 and all("nearest allowed value" in w for w in warnings)


RULES_FOR_LINKS = (
    "mine: m = b1*m + (1 - b1)*g; p = p - lr*sign(m) | lr=0.01, b1=0.9",
    "slow: v = 0.99*v + 0.01*g**2; p = p - lr*g/(sqrt(v) + 1e-8) | lr=0.001 [1e-5, 0.1] log",
)


def test_links_keep_their_rules_exactly_and_the_racers_that_name_them():
    from optviz.link import SurfacesConfig, SweepConfig

    params = {"surface": "rosenbrock", "opt": ["mine:lr=0.02", "slow", "adam"], "rule": list(RULES_FOR_LINKS)}
    cfg, warnings = SurfacesConfig.from_query(params, strict=True)
    assert not warnings and cfg.race.rules == RULES_FOR_LINKS
    query = cfg.to_query()
    assert query["rule"] == list(RULES_FOR_LINKS) and query["opt"] == ["mine:lr=0.02", "slow", "adam"]
    again, _ = SurfacesConfig.from_query(query, strict=True)
    assert again == cfg
    sweep, warnings = SweepConfig.from_query({"opt": "slow", "rule": RULES_FOR_LINKS[1], "x": "lr=1e-4:0.1:5:log"})
    assert not warnings and sweep.to_query()["rule"] == [RULES_FOR_LINKS[1]] and sweep.opt.name.startswith("slow~")


def test_a_refused_rule_in_a_link_is_left_out_with_one_warning_and_the_racer_naming_it_too():
    from optviz.link import SurfacesConfig

    cfg, warnings = SurfacesConfig.from_query({"opt": ["mine", "adam"], "rule": "mine: p = p.__dict__ | lr=1"})
    assert cfg.race.rules == () and [s.name for s in cfg.race.specs] == ["adam"]
    assert any(w.startswith("rule: ") and "left out" in w for w in warnings)
    assert any(w.startswith("opt: ") and "'mine'" in w for w in warnings)


def test_the_mnist_link_keeps_its_rules_and_the_racers_naming_them():
    from optviz.link import MnistConfig

    cfg, warnings = MnistConfig.from_query({"opt": ["mine:lr=0.003", "adam"], "rule": RULES_FOR_LINKS[0]}, strict=True)
    assert not warnings and cfg.rules == (RULES_FOR_LINKS[0],) and cfg.specs[0].name.startswith("mine~")
    assert MnistConfig.from_query(cfg.to_query(), strict=True)[0] == cfg


def test_the_compare_link_keeps_its_rules():
    from optviz.link import CompareConfig

    cfg, warnings = CompareConfig.from_query({"opt": ["mine", "adam"], "rule": RULES_FOR_LINKS[0]}, strict=True)
    assert not warnings and cfg.rules == (RULES_FOR_LINKS[0],) and cfg.specs[0].name.startswith("mine~")
    assert CompareConfig.from_query(cfg.to_query(), strict=True)[0] == cfg


def test_a_learn_link_to_a_renamed_branch_opens_it_under_its_new_name():
    cfg, warnings = LearnConfig.from_query({"family": "learning-rate-free"})
    assert cfg.family == "parameter-free" and not warnings
    assert cfg.to_query()["family"] == "parameter-free"
    assert LearnConfig.from_query({"family": "no-such-branch"})[1]  # an unknown one still warns
