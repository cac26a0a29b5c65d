"""Learning-rate schedules and gradient clipping against torch's own formulas (written out in
float64 in tests/reference.py), on 2D paths, in sweeps, on MNIST and in the CLI."""

from __future__ import annotations

import json
import math
import re

import jax
import numpy as np
import pytest

from optviz.cli.main import main
from optviz.core.engine.sweep import cell_settings, run_sweep
from optviz.core.engine.trajectory import run_one
from optviz.core.optimizers.schedule import DEFAULTS, KINDS, clip_gradient, lr_at
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, format_spec, make_spec, parse_axis, parse_spec
from tests import reference as ref


def expected_lrs(
    kind: str, lr: float, steps: int, warmup=0, min_lr=0.0, lr_gamma=0.5, step_size=100, cooldown=0.2
) -> list[float]:
    """The schedule the issue defines, built from torch's schedulers after the warmup."""
    if kind == "onecycle":
        return ref.one_cycle(lr, steps)
    span = steps - warmup
    after = {
        "constant": lambda: [lr] * span,
        "linear": lambda: ref.linear_lr(lr, 1.0, min_lr / lr, span, span),
        "cosine": lambda: ref.cosine_annealing(lr, min_lr, span, span),
        "step": lambda: ref.step_lr(lr, step_size, lr_gamma, span),
        "exp": lambda: ref.exponential_lr(lr, lr_gamma, span),
        "wsd": lambda: [
            lr
            if s < span - math.ceil(cooldown * span)
            else lr + (min_lr - lr) * (s - span + math.ceil(cooldown * span)) / math.ceil(cooldown * span)
            for s in range(span)
        ],
    }[kind]()
    return [lr * (t + 1) / warmup for t in range(warmup)] + after


CASES = [  # (kind, lr, steps, settings): non-default values throughout
    ("constant", 0.3, 57, {"warmup": 9}),
    ("linear", 0.2, 200, {"min_lr": 0.01}),
    ("linear", 0.2, 137, {"min_lr": 0.05, "warmup": 20}),
    ("cosine", 0.1, 300, {"min_lr": 0.001}),
    ("cosine", 0.5, 143, {"min_lr": 0.02, "warmup": 31}),
    ("step", 0.4, 250, {"lr_gamma": 0.3, "step_size": 40}),
    ("step", 0.4, 251, {"lr_gamma": 0.7, "step_size": 17, "warmup": 5}),
    ("exp", 0.2, 120, {"lr_gamma": 0.97}),
    ("exp", 0.2, 90, {"lr_gamma": 0.9, "warmup": 10}),
    ("wsd", 0.3, 200, {"min_lr": 0.003, "cooldown": 0.25}),
    ("wsd", 0.3, 171, {"min_lr": 0.0, "cooldown": 0.33, "warmup": 12}),
    ("onecycle", 0.3, 100, {}),
    ("onecycle", 0.05, 1000, {}),
    ("onecycle", 1.0, 7, {}),
]


@pytest.mark.parametrize("kind,lr,steps,settings", CASES)
def test_schedule_matches_torch(kind, lr, steps, settings):
    common = dict(DEFAULTS, schedule=float(KINDS.index(kind)), **settings)
    ours = np.asarray(jax.vmap(lambda t: lr_at(t, steps, np.float32(lr), common))(np.arange(steps)))
    want = expected_lrs(kind, lr, steps, **settings)
    assert len(want) == steps
    np.testing.assert_allclose(ours, want, rtol=2e-5, atol=1e-7 * lr)


@pytest.mark.parametrize("kind,lr,steps,settings", CASES[1::3])
def test_paths_with_schedules_match_an_independent_reference(kind, lr, steps, settings):
    """Adam and momentum along a scheduled path, against the float64 transcription."""
    for name, scale, surface, start in (
        ("adam", 0.2, "rosenbrock", (-1.5, 2.0)),
        ("momentum", 0.01, "booth", (-8, -6)),
    ):
        spec = make_spec(name, {"lr": lr * scale, "schedule": KINDS.index(kind), **settings})
        run = run_one(SURFACES[surface], start, steps, spec)
        want = expected_lrs(kind, lr * scale, steps, **settings)
        path, _, _ = ref.trajectory(name, surface, start, spec.hparams, steps, lrs=want)
        np.testing.assert_allclose(run.lr, want, rtol=2e-5)
        np.testing.assert_allclose(run.path, path, rtol=2e-4, atol=2e-4)


@pytest.mark.parametrize("clip,clip_value", [(1.0, 0.0), (0.0, 0.5), (2.0, 0.7), (1e-3, 0.0)])
def test_clipping_matches_torch(clip, clip_value):
    rng = np.random.default_rng(3)
    for scale in (1e-3, 1.0, 50.0):
        g = rng.normal(size=7) * scale
        ours = clip_gradient(np.float32(g), {"clip": np.float32(clip), "clip_value": np.float32(clip_value)})
        np.testing.assert_allclose(ours, ref.clip_grad(g, clip, clip_value), rtol=1e-5, atol=1e-9)
    grid = rng.normal(size=(2, 5)) * 10  # [coordinates, runs]: each run clipped on its own
    ours = clip_gradient(np.float32(grid), {"clip": np.float32(clip), "clip_value": np.float32(clip_value)}, axis=0)
    for j in range(5):
        np.testing.assert_allclose(ours[:, j], ref.clip_grad(grid[:, j], clip, clip_value), rtol=1e-5)


def test_clipped_path_matches_the_reference():
    spec = parse_spec("momentum:lr=0.02,clip=1")
    run = run_one(SURFACES["booth"], (-8, -6), 300, spec)
    path, _, _ = ref.trajectory("momentum", "booth", (-8, -6), spec.hparams, 300, clip=1.0)
    np.testing.assert_allclose(run.path, path, rtol=1e-4, atol=1e-4)


def test_the_cliff_throws_an_unclipped_step_out_and_a_clipped_one_stays():
    cliff = SURFACES["cliff"]
    xmin, xmax, _, _ = cliff.domain
    free = run_one(cliff, cliff.start, 300, parse_spec("momentum:lr=0.02"))
    clipped = run_one(cliff, cliff.start, 300, parse_spec("momentum:lr=0.02,clip=1"))
    assert free.path[:, 0].min() < xmin - 5  # thrown far out of the picture
    assert (clipped.path[:, 0] >= xmin).all() and (clipped.path[:, 0] <= xmax).all()
    best = cliff.minima[0]
    assert np.hypot(clipped.path[-1, 0] - best.x, clipped.path[-1, 1] - best.y) < 1e-2


def test_spec_keys_round_trip_and_change_nothing_by_default():
    spec = parse_spec("adam:lr=0.1,schedule=cosine,warmup=20,min_lr=0.001,clip=1")
    assert format_spec(spec) == "adam:lr=0.1,schedule=cosine,warmup=20,min_lr=0.001,clip=1"
    assert parse_spec(format_spec(spec)) == spec and parse_spec(format_spec(spec, full=True)) == spec
    assert spec.label() == "Adam (lr=0.1, cosine, warmup=20, min_lr=0.001, clip=1)"
    assert format_spec(parse_spec("adam:schedule=constant")) == "adam"
    run = run_one(SURFACES["bowl"], (0.8, -0.6), 50, parse_spec("sgd:lr=0.1"))
    np.testing.assert_array_equal(run.lr, np.full(50, np.float32(0.1)))


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("adam:schedule=sometimes", "schedule must be one of: constant, linear, cosine, step, exp, wsd, onecycle"),
        ("adam:min_lr=-1", "min_lr must satisfy 0 <= min_lr <= 10"),
        ("adam:schedule=onecycle,warmup=10", "onecycle has its own warmup"),
        ("adam:warmup=2.5", "warmup must be a whole number"),
        ("adam:gamma=0", "lr_gamma must satisfy 0 < lr_gamma <= 1"),
        ("sgd:clip=-1", "clip must satisfy"),
    ],
)
def test_bad_schedule_input_says_what_is_allowed(text, fragment):
    with pytest.raises(SpecError, match=re.escape(fragment)):
        parse_spec(text)


def test_warmup_longer_than_the_run_is_refused(capsys):
    with pytest.raises(SpecError, match="warmup: must be fewer than the run's 50 steps"):
        run_one(SURFACES["bowl"], (0.8, -0.6), 50, parse_spec("adam:warmup=50"))
    assert main(["run", "--surface", "bowl", "--steps", "50", "--opt", "adam:warmup=60"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "warmup" in err and "Traceback" not in err


def test_run_json_has_the_lr_of_every_step(capsys):
    assert (
        main(
            [
                "run",
                "--surface",
                "rosenbrock",
                "--steps",
                "40",
                "--opt",
                "adam:lr=0.1,schedule=step,step_size=10,gamma=0.5",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    lr = out["runs"][0]["lr"]
    assert len(lr) == 40
    np.testing.assert_allclose(lr, [0.1 * 0.5 ** (t // 10) for t in range(40)], rtol=1e-6)


def test_a_sweep_over_warmup_matches_single_runs():
    surface, spec = SURFACES["rosenbrock"], parse_spec("adam:lr=0.05,schedule=cosine")
    x = parse_axis("x", "warmup=0:200:21", "adam")
    y = parse_axis("y", "lr=0.01:0.1:3:log", "adam")
    result = run_sweep(surface, spec, x, y, surface.start, 300)
    for row, col in ((0, 0), (1, 7), (2, 20)):
        cell, start = cell_settings(spec, x, y, row, col, surface.start)
        assert cell.common["warmup"] == 10 * col and cell.common["schedule"] == KINDS.index("cosine")
        single = run_one(surface, start, 300, cell)
        np.testing.assert_allclose(result.final_loss[row, col], single.loss[-1], rtol=1e-3, atol=1e-6)


def test_sweep_axes_over_schedule_keys_are_checked():
    with pytest.raises(SpecError, match="whole numbers"):
        parse_axis("x", "warmup=0:100:7", "adam")
    spec, surface = parse_spec("adam"), SURFACES["bowl"]
    with pytest.raises(SpecError, match="warmup"):
        run_sweep(
            surface,
            spec,
            parse_axis("x", "warmup=0:400:5", "adam"),
            parse_axis("y", "lr=0.01:0.1:2", "adam"),
            surface.start,
            300,
        )


def test_mnist_schedules_count_batches():
    """Warmup W: update 1 moves the weights by lr/W times the gradient; a step decay after
    update 1 with a tiny gamma all but stops them; too long a warmup is refused."""
    from optviz.core.engine.training import train_race
    from optviz.core.problems.mnist_data import load_bundled

    data = load_bundled()
    kw = dict(epochs=1, batch_size=20, train_size=60, test_size=20, record_every=1)
    plain, warm, stop = train_race(
        "logreg",
        [
            parse_spec("sgd:lr=0.1"),
            parse_spec("sgd:lr=0.1,warmup=2"),
            parse_spec("sgd:lr=0.1,schedule=step,step_size=1,gamma=1e-6"),
        ],
        data,
        **kw,
    )
    start = plain.snapshots[0]
    np.testing.assert_allclose(warm.snapshots[1] - start, (plain.snapshots[1] - start) / 2, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(stop.snapshots[1], plain.snapshots[1])
    moved = np.abs(plain.snapshots[1] - start).max()
    assert np.abs(stop.snapshots[3] - stop.snapshots[1]).max() < 1e-4 * moved
    with pytest.raises(SpecError, match="warmup: must be fewer than the run's 3 steps"):
        train_race("logreg", [parse_spec("sgd:warmup=3")], data, **kw)


def test_a_sweep_over_clip_matches_single_runs():
    surface, spec = SURFACES["cliff"], parse_spec("momentum:lr=0.02")
    x, y = parse_axis("x", "clip=0:2:3", "momentum"), parse_axis("y", "lr=0.01:0.02:2", "momentum")
    result = run_sweep(surface, spec, x, y, surface.start, 300)
    for row in range(2):
        for col in range(3):
            cell, start = cell_settings(spec, x, y, row, col, surface.start)
            single = run_one(surface, start, 300, cell)
            np.testing.assert_allclose(result.final_point[row, col], single.path[-1], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize(
    "text,want,fragment",
    [
        (
            "adam:lr=0.1,min_lr=-1,schedule=cosine",
            "adam:lr=0.1,schedule=cosine",
            "using the nearest allowed value, min_lr=0",
        ),
        ("adam:schedule=onecycle,warmup=10", "adam:schedule=onecycle", "onecycle has its own warmup; using no warmup"),
        ("sgd:schedule=sometimes,warmup=2.6", "sgd:warmup=3", "using the default, schedule=constant"),
        (
            "sgd:clip=-3,step_size=0,schedule=step",
            "sgd:schedule=step,step_size=1",
            "using the nearest allowed value, step_size=1",
        ),
    ],
)
def test_a_link_fits_bad_schedule_values_to_the_nearest_allowed(text, want, fragment):
    from optviz.link import SurfacesConfig

    cfg, warnings = SurfacesConfig.from_query({"opt": [text]})
    assert [format_spec(s) for s in cfg.race.specs] == [want]
    assert any(fragment in w for w in warnings), warnings
    with pytest.raises(SpecError):  # the command line refuses it instead
        SurfacesConfig.from_query({"opt": [text]}, strict=True)
