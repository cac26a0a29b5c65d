"""Sweeps: every cell is the single run it stands for; shapes, axes, bounds, basins, the CLI."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

import optviz.core.engine.sweep as sweep_engine
from optviz.cli.main import main
from optviz.core.engine.sweep import PROBE, cell_settings, run_sweep
from optviz.core.engine.traces import count
from optviz.core.engine.trajectory import run_one, run_race
from optviz.core.limits import SWEEP_CHUNK
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, SweepAxis, parse_axis, parse_spec


def _single(surface, spec, x, y, i, j, start, steps, noise=0.0, seed=0):
    cell_spec, cell_start = cell_settings(spec, x, y, i, j, start)
    return run_race(surface, cell_start, steps, [cell_spec], noise, seed)[0]


def test_cell_settings():
    spec = parse_spec("adam:b2=0.99")
    x, y = parse_axis("--x", "lr=0.1:0.3:3", "adam"), parse_axis("--y", "y=-1:1:2", "adam")
    cell, start = cell_settings(spec, x, y, 1, 2, (5.0, 6.0))
    assert cell.hparams["lr"] == pytest.approx(0.3) and cell.hparams["b2"] == 0.99 and start == (5.0, 1.0)


@pytest.mark.parametrize(
    "opt,xs,ys,surface,steps",
    [
        (
            "adam",
            "lr=1e-3:0.05:9:log",
            "b1=0:0.99:7",
            "rosenbrock",
            60,
        ),  # chaotic at large lr: a 1-ulp FMA difference grows 1e4-fold in 150 steps
        ("momentum", "lr=1e-4:0.05:8:log", "momentum=0.5:0.9:5", "rosenbrock", 150),  # some cells diverge
        ("swats", "lr=1e-3:0.1:5:log", "eps=1e-9:1e-3:5:log", "booth", 200),
        ("rmsprop", "x=-4:4:6", "y=-4:4:5", "himmelblau", 250),
    ],
)
def test_every_cell_equals_the_single_run(opt, xs, ys, surface, steps):
    s, spec = SURFACES[surface], parse_spec(opt)
    x, y = parse_axis("--x", xs, opt), parse_axis("--y", ys, opt)
    result = run_sweep(s, spec, x, y, steps=steps, tol=1e-2)
    assert result.final_loss.shape == (y.n, x.n)
    for i in range(y.n):
        for j in range(x.n):
            run = _single(s, spec, x, y, i, j, s.start, steps)
            # The metrics-only kernel is compiled apart from the trajectory kernel, and XLA
            # vectorizes it differently (pow, exp): equal to float32 precision, not bit for bit.
            if run.diverged_at is None:
                assert not result.diverged[i, j]
                np.testing.assert_allclose(result.final_loss[i, j], run.loss[-1], rtol=2e-5, atol=1e-6)
                np.testing.assert_allclose(result.final_point[i, j], run.path[-1], rtol=2e-5, atol=1e-6)
            else:
                assert result.diverged[i, j] and np.isnan(result.final_loss[i, j])
                assert result.diverged_at[i, j] == run.diverged_at
            hits = np.nonzero(run.loss - s.f_min <= 1e-2)[0]
            assert abs(result.steps_to_tol[i, j] - (hits[0] if hits.size else -1)) <= (1 if hits.size else 0)
    if opt == "momentum":
        assert result.diverged.any() and not result.diverged.all()


def test_noise_cells_match_too():
    s, spec = SURFACES["ellipse"], parse_spec("adam:lr=0.05")
    x, y = parse_axis("--x", "b2=0.9:0.999:3", "adam"), parse_axis("--y", "b1=0.5:0.9:2", "adam")
    r = run_sweep(s, spec, x, y, steps=100, noise=0.3, seed=9)
    run = _single(s, spec, x, y, 1, 2, s.start, 100, noise=0.3, seed=9)
    np.testing.assert_allclose(r.final_loss[1, 2], run.loss[-1], rtol=2e-5)
    clean = run_sweep(s, spec, x, y, steps=100)
    assert abs(clean.final_loss[1, 2] - r.final_loss[1, 2]) > 1e-4  # the noise did something


def test_grids_larger_than_a_chunk():
    s, spec = SURFACES["bowl"], parse_spec("sgd")
    x = parse_axis("--x", "lr=1e-3:1.2:200:log", "sgd")
    y = parse_axis("--y", "y=-1:1:100", "sgd")
    assert x.n * y.n > SWEEP_CHUNK
    r = run_sweep(s, spec, x, y, steps=30)
    for i, j in [(0, 0), (57, 123), (99, 199)]:
        run = _single(s, spec, x, y, i, j, s.start, 30)
        if run.diverged_at is None:
            np.testing.assert_allclose(r.final_loss[i, j], run.loss[-1], rtol=2e-5, atol=1e-7)
        else:
            assert np.isnan(r.final_loss[i, j])


def test_axes_values():
    ax = parse_axis("--x", "lr=1e-4:1:5:log", "adam")
    np.testing.assert_allclose(ax.values, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    ax = parse_axis("--y", "b1=0:0.9:4", "adam")
    np.testing.assert_allclose(ax.values, [0.0, 0.3, 0.6, 0.9])
    assert parse_axis("--x", "x=2:2:1", "adam").values == (2.0,)


def test_basins_of_attraction_on_himmelblau():
    s, spec = SURFACES["himmelblau"], parse_spec("adam:lr=0.05")
    x, y = parse_axis("--x", "x=-5:5:20", "adam"), parse_axis("--y", "y=-5:5:20", "adam")
    r = run_sweep(s, spec, x, y, steps=2000)
    assert set(np.unique(r.minimum_index)) >= {0, 1, 2, 3}
    assert r.final_point.shape == (20, 20, 2)
    m = s.minima[r.minimum_index[0, 0]]  # the corner (-5, -5) ends in the (-3.78, -3.28) basin
    assert (m.x, m.y) == pytest.approx((-3.779310253377747, -3.283185991286169))


def test_bounds_are_refused():
    s, spec = SURFACES["bowl"], parse_spec("adam")
    big = SweepAxis("lr", 1e-4, 1.0, 300, True)
    with pytest.raises(SpecError, match="at most 65536"):
        run_sweep(s, spec, big, SweepAxis("b1", 0.0, 0.9, 300))
    with pytest.raises(SpecError, match="at most 2000"):
        run_sweep(s, spec, SweepAxis("lr", 1e-3, 1.0, 2), SweepAxis("b1", 0, 0.9, 2), steps=2001)
    for text, fragment in [
        ("lr=1e-4:1:257", "from 1 to 256"),
        ("lr=0:1:8:log", "LO > 0"),
        ("lr=1:0.1:3", "must not exceed"),
        ("lr=1e-4:11:3", "0 < lr <= 10"),
        ("bias_correction=0:1:2", "not a sweepable key"),
        ("lr", "expected KEY=LO:HI:N[:log]"),
        ("lr=1:2:3:lin", "expected KEY=LO:HI:N[:log]"),
    ]:
        with pytest.raises(SpecError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
            parse_axis("--x", text, "adam")


def test_no_recompile_for_new_values_steps_or_tolerance():
    s, spec = SURFACES["booth"], parse_spec("nadam")
    x, y = parse_axis("--x", "lr=1e-3:0.1:8:log", "nadam"), parse_axis("--y", "b2=0.9:0.999:8", "nadam")
    run_sweep(s, spec, x, y, steps=100)
    before = count("sweep")
    run_sweep(
        s,
        parse_spec("nadam:eps=1e-6,momentum_decay=0.01"),
        parse_axis("--x", "lr=1e-2:1:8:log", "nadam"),
        parse_axis("--y", "b2=0.5:0.9:8", "nadam"),
        steps=200,
        tol=0.5,
        noise=0.1,
        seed=3,
    )
    assert count("sweep") == before
    # Another pair of swept keys is another program (which hyperparameters are arrays): one compile.
    run_sweep(s, spec, x, parse_axis("--y", "momentum_decay=0:0.1:8", "nadam"), steps=100)
    assert count("sweep") == before + 1


def test_cli_json_is_strict_and_shaped(capsys):
    code = main(
        [
            "sweep",
            "--surface",
            "rosenbrock",
            "--opt",
            "momentum",
            "--x",
            "lr=1e-4:0.05:4:log",
            "--y",
            "momentum=0.5:0.99:3",
            "--steps",
            "300",
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out, parse_constant=lambda t: pytest.fail(f"non-strict token {t}"))
    assert data["x"]["key"] == "lr" and len(data["x"]["values"]) == 4 and len(data["y"]["values"]) == 3
    assert len(data["final_loss"]) == 3 and len(data["final_loss"][0]) == 4
    flat = [(v, d) for row, drow in zip(data["final_loss"], data["diverged"]) for v, d in zip(row, drow)]
    assert any(d for _, d in flat) and all((v is None) == d for v, d in flat)
    assert "final_point" not in data


def test_cli_start_grid_json(capsys):
    main(
        [
            "sweep",
            "--surface",
            "six_hump_camel",
            "--opt",
            "adam:lr=0.05",
            "--x",
            "x=-2:2:3",
            "--y",
            "y=-1:1:2",
            "--steps",
            "500",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert len(data["final_point"]) == 2 and len(data["final_point"][0][0]) == 2
    assert all(v is None or 0 <= v < 6 for row in data["minimum_index"] for v in row)


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["--x", "lr=1e-4:1:8:log", "--y", "lr=0.1:0.2:2"], "the two axes must differ"),
        (["--x", "lr=1e-4:1:8:log", "--y", "b1=0:1:2"], "b1 must satisfy 0 <= b1 < 1"),
        (["--x", "lr=1e-4:1:8:log", "--y", "b1=0:0.9:2", "--steps", "5000"], "from 1 to 2000"),
        (["--x", "lr=1e-4:1:8:log", "--y", "b1=0:0.9:2", "--tol", "0"], "--tol: must be > 0"),
        (["--x", "wd=0:1:8", "--y", "b1=0:0.9:2"], "'wd' is not a sweepable key of adam"),
    ],
)
def test_cli_errors(capsys, argv, fragment):
    code = main(["sweep", "--surface", "bowl", "--opt", "adam"] + argv)
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "name,x_axis,y_axis",
    [
        ("newton", "lr=0.05:1:4:log", "damping=1e-3:1:3:log"),
        ("prodigy", "lr=0.1:1:4:log", "b1=0.5:0.9:3"),
        ("sfadamw", "lr=0.01:0.1:4:log", "b1=0.5:0.9:3"),
        ("lbfgs", "lr=0.05:0.5:4:log", "y=-7:-5:3"),
    ],
)
def test_sweeps_of_coupled_optimizers_match_single_runs(name, x_axis, y_axis):
    """Newton, L-BFGS and Prodigy mix a run's coordinates (swept one run per array, vmapped);
    Schedule-Free takes gradients at y: every cell is still the single run it stands for."""
    from optviz.core.engine.sweep import cell_settings
    from optviz.core.spec import parse_axis, parse_spec

    surface, spec = SURFACES["booth"], parse_spec(name)
    x, y = parse_axis("x", x_axis, name), parse_axis("y", y_axis, name)
    result = run_sweep(surface, spec, x, y, surface.start, 100)
    for row in range(3):
        for col in range(4):
            cell, start = cell_settings(spec, x, y, row, col, surface.start)
            single = run_one(surface, start, 100, cell)
            np.testing.assert_allclose(result.final_point[row, col], single.path[-1], rtol=1e-4, atol=1e-5)


def test_marks_round_trip_over_every_step_count():
    """hit and died share one int32 in the sweep's carry: every pair from -1 to the longest bucket survives."""
    import jax.numpy as jnp

    from optviz.core.engine.sweep import STEP_BUCKETS, _pack_marks, _unpack_marks

    values = jnp.arange(-1, STEP_BUCKETS[-1] + 1, dtype=jnp.int32)
    hit, died = jnp.meshgrid(values, values[::-1])
    back_hit, back_died = _unpack_marks(_pack_marks(hit, died))
    assert (back_hit == hit).all() and (back_died == died).all()


class _Stop(Exception):
    pass


def _chunks_until_stopped(spec_text: str, side: int, steps: int, reports: int) -> list[int]:
    """The cells each call of a sweep covered, up to the ``reports``-th progress report, where it is stopped."""
    spec = parse_spec(spec_text)
    x, y = parse_axis("x", f"x=-5:5:{side}", spec.name), parse_axis("y", f"y=-5:5:{side}", spec.name)
    done: list[int] = []

    def progress(cells_done: int, total: int) -> None:
        done.append(cells_done)
        if len(done) == reports:
            raise _Stop

    with pytest.raises(_Stop):
        run_sweep(SURFACES["rastrigin"], spec, x, y, steps=steps, progress=progress)
    return [b - a for a, b in zip([0, *done], done)]


def test_a_costly_optimizers_sweep_goes_in_small_calls_so_a_stop_takes_effect_soon():
    # A line search's full chunk would be one call of about a minute here, and a call cannot be
    # stopped; two probe calls measure its speed and the rest are sized to about a second.
    chunks = _chunks_until_stopped("lbfgs:line_search=1", 256, 2000, reports=4)
    per_call = len(jax.local_devices())
    assert chunks[:2] == [PROBE * per_call] * 2
    assert all(c < SWEEP_CHUNK * per_call for c in chunks[2:])


def test_a_stopped_costly_sweep_leaves_no_call_dispatched_behind_it(monkeypatch):
    # A dispatched call runs to its end whatever happens to the job: a stop at a progress report
    # must find nothing queued behind the call it just collected.
    dispatched = []
    compiled = sweep_engine.compiled_sweep

    def counting(*args, **kwargs):
        kernel = compiled(*args, **kwargs)

        def call(*a):
            dispatched.append(len(a[0]))
            return kernel(*a)

        return call

    monkeypatch.setattr(sweep_engine, "compiled_sweep", counting)
    chunks = _chunks_until_stopped("lbfgs:line_search=1", 64, 250, reports=4)
    assert dispatched == chunks


def test_a_cheap_optimizers_sweep_keeps_its_full_chunks():
    chunks = _chunks_until_stopped("adam", 256, 200, reports=2)
    assert chunks == [SWEEP_CHUNK * len(jax.local_devices())] * 2
