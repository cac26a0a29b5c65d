"""The engine: shapes, divergence, noise, and one program for the whole catalogue."""

from __future__ import annotations

import numpy as np
import pytest

import optviz.core.engine.trajectory as tr
from optviz.core.engine.traces import count
from optviz.core.engine.trajectory import run_one, run_race
from optviz.core.problems.formulas import custom_surface
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import make_spec, parse_spec


def test_path_starts_at_start_and_has_steps_plus_one_points():
    runs = run_race(SURFACES["bowl"], (0.5, -0.25), 37, [parse_spec("adam:lr=0.01"), parse_spec("sgd")])
    for run in runs:
        assert run.path.shape == (38, 2) and run.loss.shape == (38,)
        np.testing.assert_array_equal(run.path[0], np.float32([0.5, -0.25]))
        assert run.loss[0] == pytest.approx(0.3125)
        assert run.diverged_at is None
        assert run.path.dtype == np.float32


def test_same_optimizer_twice_with_different_settings():
    specs = [parse_spec("adam:lr=0.001"), parse_spec("sgd"), parse_spec("adam:lr=0.1")]
    slow, _, fast = run_race(SURFACES["bowl"], (0.8, -0.6), 100, specs)
    alone = run_race(SURFACES["bowl"], (0.8, -0.6), 100, [specs[2]])[0]
    np.testing.assert_array_equal(fast.path, alone.path)
    assert fast.loss[-1] < slow.loss[-1]
    assert fast.hparams["lr"] == 0.1 and slow.hparams["lr"] == 0.001


def test_divergence_stops_the_run_and_keeps_finite_points():
    # On the saddle, plain SGD with a large step runs off to -infinity along y.
    run = run_race(SURFACES["saddle"], (-0.9, 0.01), 2000, [parse_spec("sgd:lr=0.5")])[0]
    assert run.diverged_at is not None and 1 < run.diverged_at < 2000
    assert len(run.path) == run.diverged_at  # the start and steps 1 .. k-1
    assert np.all(np.isfinite(run.path)) and np.all(np.isfinite(run.loss))
    assert all(len(v) == run.diverged_at - 1 for v in run.state.values())


def test_divergence_step_is_the_first_non_finite_result():
    # SGD with lr = 10 on the bowl: x_t = (1 - 2 lr) x_{t-1} = -19 x_{t-1}, loss 2 x_t^2 from (1, 1).
    # float32 holds 2 * 19^28 (step 14) but not 2 * 19^30 (step 15): the loss overflows first.
    run = run_race(SURFACES["bowl"], (1.0, 1.0), 100, [parse_spec("sgd:lr=10")])[0]
    assert run.diverged_at == 15
    assert len(run.path) == 15
    np.testing.assert_allclose(run.path[-1], [19.0**14, 19.0**14], rtol=1e-5)


def test_short_and_long_runs_agree_on_their_common_prefix():
    spec = [parse_spec("nadam:lr=0.05")]
    short = run_race(SURFACES["himmelblau"], (0.0, 0.0), 90, spec)[0]
    long = run_race(SURFACES["himmelblau"], (0.0, 0.0), 1500, spec)[0]
    np.testing.assert_array_equal(short.path, long.path[:91])


def test_one_program_for_every_catalogue_surface_optimizer_and_step_count():
    tr.warm_up()
    before = count("paths")
    for surface, name, steps in [
        ("rosenbrock", "rmsprop", 120),
        ("beale", "swats", 7),
        ("saddle", "lion", 5000),
        ("ackley", "nadam", 333),
    ]:
        run_race(SURFACES[surface], (0.5, -0.5), steps, [make_spec(name, {"lr": 0.003})], noise=0.1, seed=7)
    for lr, alpha, start in [(0.001, 0.9, (0.5, 0.5)), (0.02, 0.5, (-1.5, 2.0)), (0.3, 0.999, (0.0, 0.0))]:
        run_race(SURFACES["booth"], start, 150, [parse_spec(f"rmsprop:lr={lr},alpha={alpha}")])
    assert count("paths") == before


def test_a_custom_formula_compiles_once_per_optimizer():
    surface = custom_surface("x**2 + 3*sin(y)", (-2.0, 2.0, -2.0, 2.0))
    run_one(surface, (1.0, 1.0), 50, parse_spec("adam"))
    before = count("paths")
    run_one(surface, (0.5, -1.0), 900, parse_spec("adam:lr=0.1,b1=0.5"), noise=0.2, seed=3)
    assert count("paths") == before
    run_one(surface, (0.5, -1.0), 90, parse_spec("sgd"))
    assert count("paths") == before + 1


def test_noise_is_reproducible_per_seed():
    s, spec = SURFACES["ellipse"], [parse_spec("momentum")]
    a = run_race(s, (-1.8, 0.6), 100, spec, noise=0.5, seed=1)[0]
    b = run_race(s, (-1.8, 0.6), 100, spec, noise=0.5, seed=1)[0]
    c = run_race(s, (-1.8, 0.6), 100, spec, noise=0.5, seed=2)[0]
    clean = run_race(s, (-1.8, 0.6), 100, spec)[0]
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    assert not np.allclose(a.path, clean.path)
    zero = run_race(s, (-1.8, 0.6), 100, spec, noise=0.0, seed=5)[0]
    np.testing.assert_array_equal(zero.path, clean.path)


def test_noise_has_the_requested_size():
    # SGD on f = 0 everywhere would be ideal; the bowl with a tiny lr is close: the step is
    # lr * (g + sigma * z), so (x_t - x_{t-1}) / lr + 2 x_{t-1} = sigma * z.
    lr, sigma = 1e-4, 3.0
    run = run_race(SURFACES["bowl"], (0.1, 0.1), 2000, [parse_spec(f"sgd:lr={lr}")], noise=sigma, seed=0)[0]
    z = (-np.diff(run.path.astype(np.float64), axis=0) / lr - 2 * run.path[:-1]) / sigma
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1


def test_custom_formula_runs_like_the_catalogue_surface_it_spells():
    spec = make_spec("adam", {"lr": 0.1})
    catalogue = run_one(SURFACES["booth"], (-8.0, -6.0), 200, spec)
    typed = run_one(
        custom_surface("(x + 2*y - 7)**2 + (2*x + y - 5)**2", (-10.0, 10.0, -10.0, 10.0)), (-8.0, -6.0), 200, spec
    )
    np.testing.assert_allclose(typed.path, catalogue.path, rtol=1e-5, atol=1e-5)


def test_steps_limit():
    with pytest.raises(ValueError):
        run_one(SURFACES["bowl"], (1.0, 1.0), 5001, parse_spec("sgd"))
    assert len(run_one(SURFACES["bowl"], (1.0, 1.0), 5000, parse_spec("sgd")).path) == 5001


FIRST = ("adam", "sgd", "adagrad", "momentum", "rmsprop")


def test_the_first_programs_runs_are_the_catalogue_programs_bit_for_bit():
    """Every output of every step, at learning rates where Rosenbrock and Rastrigin are chaotic
    (a last-bit difference would grow visibly), with noise and a schedule."""
    import jax

    from optviz.core.engine import packed

    first, whole = tr.program(tr.CATALOGUE, FIRST), tr.program(tr.CATALOGUE, packed.NAMES)
    for name in FIRST:
        spec = make_spec(name, {"lr": 0.9, "warmup": 10, "schedule": 2})
        hvec = np.asarray(packed.pack_hparams(name, spec.settings()), np.float32)
        for surface in ("rosenbrock", "rastrigin"):

            def run(runner, index, surface=surface, hvec=hvec):
                s, start = np.int32(tr.SURFACE_INDEX[surface]), np.float32([-1.5, 2.0])
                noise = tr.noise_input(0.3, 4)
                return jax.device_get(runner(s, np.int32(index), start, hvec, np.int32(1500), np.float32(0.3), noise))

            for a, b in zip(run(first, FIRST.index(name)), run(whole, packed.INDEX[name]), strict=True):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} on {surface}")


def test_until_the_catalogue_program_is_compiled_the_first_racers_run_in_the_first_program(monkeypatch):
    from optviz.core.engine import compiled, packed

    monkeypatch.setattr(tr, "_first", [])
    tr.compile_first(("adam", "sgd"))
    whole, really_ready = tr.program(tr.CATALOGUE, packed.NAMES), compiled.ready
    surface, spec = SURFACES["rosenbrock"], make_spec("sgd", {"lr": 0.002})
    late = run_one(surface, (-1.5, 2.0), 800, spec)  # through the catalogue program, compiled by now
    monkeypatch.setattr(compiled, "ready", lambda runner: runner is not whole and really_ready(runner))
    assert tr.ready(surface, "adam") and tr.ready(surface, "sgd") and not tr.ready(surface, "lion")
    runner, _, index = tr._program_for(surface, "sgd")
    assert runner is tr._first[0][1] and index == 1
    early = run_one(surface, (-1.5, 2.0), 800, spec)
    np.testing.assert_array_equal(early.path, late.path)
    np.testing.assert_array_equal(early.loss, late.loss)
