"""Custom formulas from strangers: what is accepted computes what it says; the rest is refused
quickly, with the token and its position, and nothing is ever executed."""

from __future__ import annotations

import math
import time

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz.core.problems.formulas import ExprError, compile_expr, custom_surface, parse, parse_domain
from optviz.core.spec import SpecError, make_spec, parse_spec
from optviz.link import parse_query, to_query

HOSTILE = [
    "__import__('os').system('touch /tmp/optviz_pwned')",
    "__import__",
    "x.__class__.__bases__",
    "x.real",
    "(lambda: 1)()",
    "[x for x in range(10)]",
    "{x: 1}",
    "exec('1')",
    "eval('1')",
    "open('/etc/passwd')",
    "globals()",
    "os",
    "sys.exit()",
    "9**9**9**9",
    "2**10000",
    "x**1e9",
    "x" * 20000,
    "(" * 5000 + "x" + ")" * 5000,
    "-" * 999 + "x",
    "+".join(["x"] * 400),
    "x if y else 1",
    "x < y",
    "x; y",
    "x = 1",
    "x @ y",
    "x ^ 2",
    "f'{x}'",
    "'abc'",
    "b'x'",
    "True + x",
    "None",
    "1j * x",
    "sin(x, y)",
    "sin()",
    "sin(x=1)",
    "sin(*[x])",
    "sin",
    "x[0]",
    "x.y",
    "yield x",
    "await x",
    "x and y",
    "not x",
    "x // y",
    "x % y",
    "1e999",
    "",
    "   ",
    "x +",
    "sin(x",
    "é + x",
    "\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_formulas_are_refused_quickly(text):
    t = time.perf_counter()
    with pytest.raises(ExprError) as err:
        compile_expr(text)
    # Not a speed target (those live in benchmarks/): a guard against work that explodes, such as
    # computing 9**9**9**9 or a parse that never ends, which would take minutes, not milliseconds.
    assert time.perf_counter() - t < 2.0
    message = str(err.value)
    assert message.startswith("expr: ") and "\n" not in message
    assert "position" in message or "characters long" in message or "empty" in message or "nested" in message


def test_nothing_was_executed():
    import os

    assert not os.path.exists("/tmp/optviz_pwned")


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("os", "'os' is an unknown name"),
        ("x + foo(y)", "'foo' is not an allowed function at position 5; allowed: x, y, numbers"),
        ("x ^ 2", "use ** for powers"),
        ("9**9**9**9", "the exponent '9**9**9' is too large"),
        ("x.real", "at position 1"),
        ("1 + 2 * sinx", "'sinx' is an unknown name at position 9"),
        ("x" * 1001, "at most 1000 allowed"),
    ],
)
def test_errors_name_the_token_and_position(text, fragment):
    with pytest.raises(ExprError, match=None) as err:
        parse(text)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "text,numpy_fn",
    [
        ("sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)", lambda x, y: np.sin(3 * x) * np.cos(3 * y) + 0.1 * (x**2 + y**2)),
        ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
        ("-x**2 + e**y - pi", lambda x, y: -(x**2) + np.e**y - np.pi),
        (
            "hypot(x, y) + arctan2(y, x) + maximum(x, y) - minimum(x, 0)",
            lambda x, y: np.hypot(x, y) + np.arctan2(y, x) + np.maximum(x, y) - np.minimum(x, 0),
        ),
        ("sqrt(abs(x)) * tanh(y) / (1 + exp(-x))", lambda x, y: np.sqrt(np.abs(x)) * np.tanh(y) / (1 + np.exp(-x))),
        ("x**-2 + 2**x + x**0.5", lambda x, y: x**-2.0 + 2.0**x + x**0.5),
        ("3", lambda x, y: 3.0 + 0 * x),
    ],
)
def test_formulas_compute_what_they_say(text, numpy_fn):
    f = compile_expr(text)
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0.1, 2, 50).astype(np.float32), rng.uniform(-2, 2, 50).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(f(x, y)), numpy_fn(x.astype(np.float64), y.astype(np.float64)), rtol=2e-5, atol=1e-5
    )


def test_gradients_are_exact_and_negative_bases_square_fine():
    f = compile_expr("x**2 * y + sin(y)")
    gx, gy = jax.grad(f, argnums=(0, 1))(-1.5, 0.5)
    assert float(gx) == pytest.approx(2 * -1.5 * 0.5) and float(gy) == pytest.approx(2.25 + math.cos(0.5))
    assert float(compile_expr("(-x)**3")(2.0, 0.0)) == -8.0


def test_non_finite_regions_are_values_not_errors():
    f = compile_expr("log(x) + sqrt(y)")
    values = np.asarray(f(np.array([-1.0, 1.0]), np.array([1.0, -1.0])))
    assert np.isnan(values).all()


def test_domains():
    assert parse_domain("-3,3,-1.5,2") == (-3.0, 3.0, -1.5, 2.0)
    for bad, fragment in [
        ("1,2,3", "expected XMIN,XMAX,YMIN,YMAX"),
        ("a,1,0,1", "four numbers"),
        ("0,nan,0,1", "finite"),
        ("1,0,0,1", "XMIN < XMAX"),
        ("0,1e9,0,1", r"\+-10000"),
    ]:
        with pytest.raises(ExprError, match=fragment):
            parse_domain(bad)


def test_custom_surfaces_are_shared_per_formula():
    a = custom_surface("x**2 + y**2", (-1.0, 1.0, -1.0, 1.0))
    b = custom_surface("x**2 + y**2", (-1.0, 1.0, -1.0, 1.0))
    assert a is b and a.minima == () and a.f_min is None


# --- fuzzing --------------------------------------------------------------------------------

ATOMS = st.sampled_from(
    [
        "x",
        "y",
        "pi",
        "e",
        "1",
        "2.5",
        "0",
        "1e-3",
        "sin",
        "log",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "**",
        "maximum",
        "sqrt",
        " ",
        "arctan2",
        ".",
        "_",
        "os",
        "^",
        "[",
        "'",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ATOMS, max_size=25).map("".join))
def test_fuzz_formula_tokens(text):
    _accepted_or_refused(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_formula_any_text(text):
    _accepted_or_refused(text)


def _accepted_or_refused(text: str) -> None:
    try:
        f = compile_expr(text)
    except ExprError:
        return
    value = np.asarray(f(np.float32(0.7), np.float32(-1.3)))
    assert value.shape == () and value.dtype == np.float32  # finite, or NaN/inf reported by the app


LINK_KEYS = st.sampled_from(["surface", "start", "steps", "opt", "noise", "seed", "expr", "domain", "junk"])
LINK_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "custom",
            "rosenbrock",
            "adam:lr=0.1",
            "sgd:lr=-1",
            "1e999",
            "nan",
            "-5",
            "99999",
            "x**2",
            "-2,2,-2,2",
            "9**9**9**9",
            "1,2",
            "adam:lr=0.1,lr=0.2",
            "lion:b1=1",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(LINK_KEYS, st.lists(LINK_VALUES, min_size=1, max_size=3), max_size=6))
def test_fuzz_links_never_raise(params):
    cfg, warnings = parse_query(params)
    assert all(isinstance(w, str) and "\n" not in w for w in warnings)
    assert 1 <= cfg.steps <= 5000 and 1 <= len(cfg.specs) <= 10
    for spec in cfg.specs:
        assert make_spec(spec.name, spec.hparams) == spec  # every value accepted is a valid one
    assert parse_query(to_query(cfg)) == (cfg, [])  # and what was read is what a link would write
    cfg.surface_obj()  # every accepted surface, custom ones included, can be built


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_spec_parser(text):
    try:
        parse_spec(text)
    except SpecError as err:
        assert "\n" not in str(err)
