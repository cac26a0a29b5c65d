"""Optimizers typed as rules: the built-ins written as rules run as the built-ins do, anything the
parser accepts runs, anything it refuses is refused in one line and at once, with no side effect."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.core.engine.trajectory import run_one
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.rules import RULES, RuleError, in_scope, parse_rule, public_name
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_spec, parse_spec

ADAM = (
    "mine: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
    "p = p - lr*(m/(1 - b1**t))/(sqrt(v/(1 - b2**t)) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
)
MOMENTUM = "heavy: b = mu*b + g; p = p - lr*b | lr=0.01, mu=0.9"  # torch's form
RMSPROP = "rms: v = alpha*v + (1 - alpha)*g**2; p = p - lr*(g/(sqrt(v) + eps)) | lr=0.01, alpha=0.99, eps=1e-8"
LION = (
    "lioness: c = b1*m + (1 - b1)*g; p = p*(1 - lr*wd) - lr*sign(c); m = b2*m + (1 - b2)*g "
    "| lr=1e-4, b1=0.9, b2=0.99, wd=0"
)

# (rule, its SPEC, the built-in's SPEC with the same settings): non-default values throughout
PAIRS = [
    (ADAM, "mine:lr=0.02,b1=0.8,b2=0.99,eps=1e-6", "adam:lr=0.02,b1=0.8,b2=0.99,eps=1e-6"),
    (MOMENTUM, "heavy:lr=0.0005,mu=0.8", "momentum:lr=0.0005,momentum=0.8"),
    (RMSPROP, "rms:lr=0.003,alpha=0.9,eps=1e-6", "rmsprop:lr=0.003,alpha=0.9,eps=1e-6"),
    (LION, "lioness:lr=0.003,b1=0.8,b2=0.95,wd=0.1", "lion:lr=0.003,b1=0.8,b2=0.95,weight_decay=0.1"),
]
SURFACE_STARTS = [
    ("rosenbrock", (-1.5, 2.0)),
    ("beale", (1.0, 1.75)),
    ("himmelblau", (0.5, -1.0)),
    ("ellipse", (-1.8, 0.6)),
]


@pytest.mark.parametrize("rule, mine, builtin", PAIRS, ids=["adam", "momentum", "rmsprop", "lion"])
@pytest.mark.parametrize("surface, start", SURFACE_STARTS, ids=[s for s, _ in SURFACE_STARTS])
def test_a_builtin_written_as_a_rule_runs_the_builtins_path(rule, mine, builtin, surface, start):
    with in_scope([rule]):
        spec = parse_spec(mine)
    ours = run_one(SURFACES[surface], start, 300, spec)
    theirs = run_one(SURFACES[surface], start, 300, parse_spec(builtin))
    assert len(ours.path) == len(theirs.path)
    # float32, the same arithmetic in another order (lr*(m̂/(√v̂+ε)) against lr*m̂/(...)): the paths
    # part in the last bits and stay within 2e-5 over 300 steps on these four
    np.testing.assert_allclose(ours.path, theirs.path, rtol=2e-5, atol=2e-5)


def test_a_rules_spec_writes_its_own_name_and_its_state_is_inspected_per_step():
    with in_scope([ADAM]) as names:
        spec = parse_spec("mine:lr=0.02")
    assert spec.name == names["mine"] and public_name(spec.name) == "mine"
    assert format_spec(spec) == "mine:lr=0.02" and spec.label() == "mine (lr=0.02)"
    run = run_one(SURFACES["rosenbrock"], (-1.5, 2.0), 20, spec)
    assert sorted(run.state) == ["m", "v"] and run.state["m"].shape == (20, 2)
    gradient = np.array([-2 * 2.5 - 400 * -1.5 * (2.0 - 2.25), 200 * (2.0 - 2.25)])  # Rosenbrock's at the start
    np.testing.assert_allclose(run.state["m"][0], 0.1 * gradient, rtol=1e-5)


def test_rules_never_show_in_the_registrys_listings_and_two_rules_of_one_name_never_meet():
    other = "mine: p = p - lr*sign(g) | lr=0.01"
    with in_scope([ADAM]) as a, in_scope([other]) as b:
        assert a["mine"] != b["mine"] and a["mine"] in REGISTRY and b["mine"] in REGISTRY
    assert not any("~" in name for name in REGISTRY)  # the listings: built-ins only
    assert all("~" not in opt.name for opt in REGISTRY.values())
    assert REGISTRY[a["mine"]].update_rule != REGISTRY[b["mine"]].update_rule


def test_a_start_other_than_zero_and_where_and_maximum_run_amsgrad_like_rules():
    amsgrad = (
        "ams: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; vmax = maximum(vmax, v); "
        "p = p - lr*m/(sqrt(vmax) + eps) | lr=0.01, b1=0.9, b2=0.99, eps=1e-8"
    )
    clipped = "clipped: s0 = 2; s = s*0.5; p = p - lr*where(abs(g) > 1, sign(g), g) - 0*s | lr=0.01"
    with in_scope([amsgrad, clipped]):
        a, c = parse_spec("ams"), parse_spec("clipped")
    run = run_one(SURFACES["rosenbrock"], (-1.5, 2.0), 50, a)
    assert np.all(np.diff(run.state["vmax"], axis=0) >= 0)  # the running maximum never falls
    halved = run_one(SURFACES["bowl"], (0.8, -0.6), 3, c).state["s"][:, 0]
    np.testing.assert_allclose(halved, [1.0, 0.5, 0.25])  # started at 2


HOSTILE = [
    "mine: p = __import__('os').system('true') | lr=1",
    "mine: p = p.__class__ | lr=1",
    "mine: p = (lambda q: q)(p) | lr=1",
    "mine: p = eval('1') | lr=1",
    "mine: p = [q for q in g][0] | lr=1",
    "mine: p = p; import os | lr=1",
    "mine: p = p; del p | lr=1",
    "mine: p = 9**9**9**9 | lr=1",
    "mine: " + "; ".join(["a = 1"] * 5000) + "; p = p | lr=1",
    "mine: p = " + "(" * 5000 + "p" + ")" * 5000 + " | lr=1",
    "mine: p = p - lr*g | lr=1e999",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_rule_is_refused_in_one_line_at_once_and_registers_nothing(text):
    before = len(RULES)
    t = time.perf_counter()
    with pytest.raises(RuleError) as err, in_scope([text]):
        pass
    assert time.perf_counter() - t < 0.5
    message = str(err.value)
    assert message.startswith("rule: ") and "\n" not in message
    assert len(RULES) == before


@pytest.mark.parametrize(
    "text, says",
    [
        ("mine: p = p - lr*zz | lr=0.1", "'zz' is an unknown name at position 18"),
        ("mine: g = 0; p = p | lr=1", "g is given to the rule (the gradient) at position 7"),
        ("mine: t = 0; p = p | lr=1", "t is given to the rule (the step)"),
        ("mine: m = g | lr=1", "it never assigns p"),
        ("mine: p = p - lr*g | lr=fast", "lr's default 'fast' is not a number"),
        ("mine: p = p - 0.1*g", "give lr a default"),
        ("adam: p = p - lr*g | lr=0.1", "adam is a built-in optimizer's name"),
        ("mine: p = p - lr*g | lr=0.1, warmup=3", "warmup is taken"),
        ("mine: p = p - lr*g | lr=0.1 [1, 2]", "range must hold its default"),
        ("mine: p = p - lr*sqrt | lr=0.1", "'sqrt' is a function: call it with brackets"),
    ],
)
def test_each_refusal_names_the_item_and_its_position(text, says):
    with pytest.raises(RuleError, match=r"^rule: ") as err, in_scope([text]):
        pass
    assert says in str(err.value)


NAMES = st.sampled_from(["g", "p", "m", "lr", "b", "t", "1", "0.5", "2"])


@st.composite
def expressions(draw, depth: int = 0):
    if depth > 2 or draw(st.booleans()):
        return draw(NAMES)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**2", "sqrt", "sign", "abs", "maximum", "where"]))
    a, b = draw(expressions(depth + 1)), draw(expressions(depth + 1))
    if kind in ("sqrt", "sign", "abs"):
        return f"{kind}({a})"
    if kind == "maximum":
        return f"maximum({a}, {b})"
    if kind == "where":
        return f"where({a} > {b}, {a}, {b})"
    if kind == "**2":
        return f"({a})**2"
    return f"({a} {kind} {b})"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(m=expressions(), step=expressions())
def test_any_rule_the_parser_accepts_runs_without_an_exception_on_every_surface(m, step):
    text = f"any: m = {m}; p = p - lr*({step}) | lr=0.01, b=0.9"
    with in_scope([text]):
        spec = parse_spec("any")
    for surface in SURFACES.values():
        run = run_one(surface, surface.start, 5, spec)
        assert len(run.path) >= 1  # it may diverge (the rule is random), but it runs


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_the_parser_refuses_gives_one_message(text):
    try:
        parse_rule(text)
    except RuleError as err:
        assert str(err).startswith("rule:") and "\n" not in str(err)


def test_the_cli_runs_a_rule_and_refuses_a_bad_one_with_exit_2_and_one_line():
    cmd = [sys.executable, "-m", "optviz", "run", "--surface", "rosenbrock", "--steps", "50"]
    ok = subprocess.run(
        [*cmd, "--rule", ADAM, "--opt", "mine:lr=0.02", "--opt", "adam:lr=0.02"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    lines = [line.split() for line in ok.stdout.splitlines()[2:]]
    assert lines[0][0] == "mine:lr=0.02" and lines[1][0] == "adam:lr=0.02"
    assert abs(float(lines[0][3]) - float(lines[1][3])) < 1e-4 * abs(float(lines[1][3]))  # the final losses
    bad = subprocess.run(
        [*cmd, "--rule", "mine: p = p.__class__ | lr=1", "--opt", "mine"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("optviz: error: --rule: ")


def test_adam_as_a_rule_gives_adams_sweep_cells():
    from optviz.core.engine.sweep import run_sweep
    from optviz.core.spec import parse_axis

    surface = SURFACES["rosenbrock"]
    with in_scope([ADAM]):
        mine = parse_spec("mine")
        axes = parse_axis("x", "lr=1e-3:0.02:8:log", mine.name), parse_axis("y", "b1=0:0.95:5", mine.name)
    adam = parse_spec("adam")
    ours = run_sweep(surface, mine, *axes, surface.start, 400)
    theirs = run_sweep(
        surface,
        adam,
        parse_axis("x", "lr=1e-3:0.02:8:log", "adam"),
        parse_axis("y", "b1=0:0.95:5", "adam"),
        surface.start,
        400,
    )
    # float32 in another order: at lr = 0.05 one cell of 40, oscillating in the valley, parted by 0.4%
    # over 400 steps; up to lr = 0.02 every cell agrees within 1e-3
    np.testing.assert_allclose(ours.final_loss, theirs.final_loss, rtol=1e-3, atol=1e-6)
    np.testing.assert_array_equal(ours.diverged, theirs.diverged)


def test_the_cli_sweeps_a_rule():
    cmd = [sys.executable, "-m", "optviz", "sweep", "--surface", "rosenbrock", "--x", "lr=1e-3:0.05:4:log"]
    cmd += ["--y", "b1=0:0.9:3", "--steps", "200"]
    ours = subprocess.run([*cmd, "--rule", ADAM, "--opt", "mine"], capture_output=True, text=True)
    theirs = subprocess.run([*cmd, "--opt", "adam"], capture_output=True, text=True)
    assert ours.returncode == 0 and theirs.returncode == 0, ours.stderr
    assert ours.stdout.splitlines()[-1] == theirs.stdout.splitlines()[-1]  # the same best cell and final loss


def test_adam_as_a_rule_trains_the_mnist_mlp_to_adams_accuracy():
    cmd = [sys.executable, "-m", "optviz", "mnist", "--model", "mlp", "--epochs", "1"]
    cmd += [
        "--train-size",
        "1000",
        "--test-size",
        "300",
        "--rule",
        ADAM,
        "--opt",
        "mine:lr=0.003",
        "--opt",
        "adam:lr=0.003",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ours, theirs = (line.split()[1:4] for line in out.stdout.splitlines()[2:4])  # loss, train and test accuracy
    assert abs(float(ours[0]) - float(theirs[0])) <= 2e-4 and ours[2] == theirs[2]


def test_adam_as_a_rule_is_tuned_with_the_same_budget_and_compares_as_adam():
    cmd = [sys.executable, "-m", "optviz", "compare", "--surfaces", "rosenbrock,himmelblau", "--starts", "2"]
    cmd += ["--budget", "4", "--steps", "200", "--rule", ADAM, "--opt", "mine", "--opt", "adam", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    import json

    result = json.loads(out.stdout)
    assert result["optimizers"][0].startswith("mine")
    assert [row[0] for row in result["steps"]] == [row[1] for row in result["steps"]]  # steps to target, each problem


def test_a_rules_lr_without_a_range_takes_the_builtins_and_other_ranges_are_derived_and_said():
    rule = parse_rule("r: p = p - lr*g*c*e2*b | lr=0.01, c=0, e2=1e-6, b=0.9")
    lr, c, e2, b = rule.hparams
    assert (lr.low, lr.high, lr.slider, lr.log) == (0.0, 10.0, REGISTRY["adam"].hparam("lr").slider, True)
    assert (c.low, c.high) == (0.0, 1.0) and e2.log and (b.low, b.high) == (0.0, 0.9999)
    assert all("range" in h.help for h in rule.hparams)


def test_a_rule_takes_schedules_warmup_and_clipping_as_a_builtin_does():
    with in_scope([ADAM]):
        ours = parse_spec("mine:lr=0.02,schedule=cosine,warmup=20,clip=1")
    theirs = parse_spec("adam:lr=0.02,schedule=cosine,warmup=20,clip=1")
    rosenbrock = SURFACES["rosenbrock"]
    a, b = (run_one(rosenbrock, (-1.5, 2.0), 200, s) for s in (ours, theirs))
    # float32 in another order: at lr = 0.05 the two part by 1e-4 from step 68 on, in the valley
    np.testing.assert_allclose(a.path, b.path, rtol=2e-5, atol=2e-5)
    plain = run_one(rosenbrock, (-1.5, 2.0), 200, parse_spec("adam:lr=0.02"))
    assert np.abs(a.path - plain.path).max() > 1e-2  # the schedule and the clipping did act


@settings(max_examples=25, deadline=None)
@given(m=expressions(), step=expressions(), lr=st.sampled_from(["0.01", "0.5", "1e-4 [1e-6, 1] log"]))
def test_a_link_keeps_any_accepted_rule_exactly(m, step, lr):
    from optviz.link import SurfacesConfig

    text = f"any: m = {m}; p = p - lr*({step}) | lr={lr}, b=0.9"
    cfg, warnings = SurfacesConfig.from_query({"opt": ["any", "adam"], "rule": text}, strict=True)
    assert not warnings and cfg.race.rules == (text,)
    query = cfg.to_query()
    assert query["rule"] == [text] and SurfacesConfig.from_query(query, strict=True)[0] == cfg
