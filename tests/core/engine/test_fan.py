"""A fan of runs: each member is exactly the single run at its value, values span the registry's range."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.engine.fan import FAN_SIZE, START_KEYS, fan_values, run_fan, scrubbable, setting
from optviz.core.engine.trajectory import run_one
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, make_spec, parse_surface_spec
from optviz.link import RaceConfig, SurfacesConfig

START = (-1.5, 2.0)


def _single(surface, start, steps, spec, key, value):
    if key in ("start_x", "start_y"):
        start = (value, start[1]) if key == "start_x" else (start[0], value)
        return run_one(surface, start, steps, spec)
    return run_one(surface, start, steps, make_spec(spec.name, {**spec.settings(), key: value}))


@pytest.mark.parametrize(
    "surface, spec, key",
    [
        ("rosenbrock", "adam:lr=0.02,b1=0.8,b2=0.99", "lr"),
        ("rosenbrock", "adam:lr=0.02,b1=0.8,b2=0.99", "b1"),
        ("rosenbrock", "radam:lr=0.02", "lr"),
        ("rosenbrock", "nadam:lr=0.02,b1=0.8", "lr"),
        ("rosenbrock", "lion:lr=0.02", "lr"),
        ("himmelblau", "momentum:lr=0.01", "lr"),  # diverges at the top of its range
        ("beale", "rmsprop:lr=0.01,warmup=20", "warmup"),
        ("rosenbrock", "lbfgs", "start_x"),
        ("rosenbrock", "adam:lr=0.05,clip=1", "b2"),  # a clipped racer
        ("himmelblau", "sgd:lr=0.01", "clip"),  # clipping off in the racer, on across the fan
    ],
)
def test_every_member_of_a_fan_is_the_single_run_at_its_value(surface, spec, key):
    surface, spec = SURFACES[surface], parse_surface_spec(spec)
    values = fan_values(spec, key, 12, START, steps=400)
    fan = run_fan(surface, START, 400, spec, key, values)
    assert fan.paths.shape == (len(values), 401, 2)
    for i, v in enumerate(values):
        one = _single(surface, START, 400, spec, key, float(v))
        n = len(one.path)
        # float32: the fan is the single runs' program vmapped, and XLA vectorizes a few
        # operations differently across members; on Himmelblau they part in the last bit from
        # step 10 on (relative difference at most 4e-7 over 400 steps), elsewhere they are equal
        np.testing.assert_allclose(fan.paths[i, :n], one.path, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(fan.losses[i, :n], one.loss, rtol=1e-5, atol=1e-5)
        assert np.isnan(fan.paths[i, n:]).all()
        assert fan.diverged_at[i] == (one.diverged_at if one.diverged_at is not None else -1)


def test_a_momentum_fan_over_lr_shows_where_it_starts_to_diverge():
    spec = parse_surface_spec("momentum:lr=0.01")
    fan = run_fan(SURFACES["himmelblau"], START, 300, spec, "lr", fan_values(spec, "lr", 24))
    diverged = fan.diverged_at >= 0
    assert diverged.any() and not diverged.all()
    first = int(np.argmax(diverged))
    assert diverged[first:].all()  # beyond some lr, every run diverges


def test_values_span_the_registry_range_log_spaced_where_it_says_log_and_hold_the_current_value():
    spec = parse_surface_spec("adam:lr=0.0123,b1=0.85")
    lrs = fan_values(spec, "lr", 32)
    lo, hi = REGISTRY["adam"].hparam("lr").slider
    assert REGISTRY["adam"].hparam("lr").log
    assert lrs[0] == pytest.approx(lo) and lrs[-1] == pytest.approx(hi) and 0.0123 in lrs
    ratios = lrs[1:] / lrs[:-1]
    assert np.allclose(ratios[:5], ratios[0])  # evenly spaced in log (below the current value)
    assert np.all(np.diff(lrs) > 0)
    b1s = fan_values(spec, "b1", 11)
    assert 0.85 in b1s and np.allclose(np.diff(np.delete(b1s, np.argmin(np.abs(b1s - 0.85))))[:3], np.diff(b1s)[0])
    xs = fan_values(spec, "start_x", 9, START)
    assert xs[0] == pytest.approx(-3.5) and xs[-1] == pytest.approx(0.5) and -1.5 in xs


@pytest.mark.parametrize(
    "key, k, message",
    [
        ("nope", 8, "'nope' is not a setting of adam to scrub; choose one of: lr, b1"),
        ("lr", 1, "from 2 to 48 runs"),
        ("lr", 49, "from 2 to 48 runs"),
    ],
)
def test_a_bad_scrub_is_refused_with_a_message_naming_it(key, k, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        fan_values(parse_surface_spec("adam"), key, k)


def test_values_a_run_of_this_length_cannot_take_are_left_out():
    spec = parse_surface_spec("rmsprop:lr=0.01,warmup=20")
    warmups = fan_values(spec, "warmup", 16, steps=100)
    assert 20 in warmups and warmups.max() < 100 and len(warmups) >= 2


def test_a_flag_cannot_be_scrubbed_and_an_invalid_value_is_named():
    flagged = next(n for n, o in REGISTRY.items() if any(h.kind == "flag" for h in o.hparams) and not o.surface_note)
    key = next(h.name for h in REGISTRY[flagged].hparams if h.kind == "flag")
    with pytest.raises(SpecError, match=f"'{key}' is not a setting of {flagged} to scrub"):
        fan_values(parse_surface_spec(flagged), key, 8)
    with pytest.raises(SpecError, match="adam: b1"):
        run_fan(SURFACES["bowl"], START, 50, parse_surface_spec("adam"), "b1", [0.5, 1.5])


def test_a_noisy_fan_draws_the_same_noise_as_the_single_runs():
    spec = parse_surface_spec("adam:lr=0.05")
    values = fan_values(spec, "lr", 6)
    fan = run_fan(SURFACES["ellipse"], START, 200, spec, "lr", values, noise=0.7, seed=5)
    for i, v in enumerate(values):
        one = run_one(SURFACES["ellipse"], START, 200, make_spec("adam", {"lr": float(v)}), noise=0.7, seed=5)
        np.testing.assert_allclose(fan.paths[i, : len(one.path)], one.path, rtol=1e-4, atol=1e-5)


def _every_scrubbable_setting():
    for name, opt in REGISTRY.items():
        if opt.surface_note:  # not run on the surfaces (Muon): nothing to scrub there
            continue
        spec = make_spec(name)
        for key in scrubbable(spec):
            if key not in START_KEYS:
                yield spec, key


@pytest.mark.parametrize("spec, key", list(_every_scrubbable_setting()), ids=lambda v: getattr(v, "name", v))
def test_every_setting_in_the_registry_scrubs_across_its_range_and_survives_the_link(spec, key):
    hp = setting(spec, key)
    now = float(spec.settings()[key])
    values = fan_values(spec, key, FAN_SIZE, steps=500)
    lo, hi = min(hp.slider[0], now), max(hp.slider[1], now)
    assert now in values and np.all(np.diff(values) > 0)
    assert values.min() >= lo and values.max() <= hi
    assert values.min() == pytest.approx(lo) or hp.kind == "int" or key == "warmup"
    others = np.delete(values, np.flatnonzero(values == now))
    if hp.kind != "int" and len(others) > 3:
        away = others[-3:] if np.flatnonzero(values == now)[0] < len(values) / 2 else others[:3]  # from the gap
        gaps = np.diff(np.log(away)) if hp.log and lo > 0 else np.diff(away)
        assert gaps[0] == pytest.approx(gaps[1], rel=1e-6)  # log-spaced where the registry says log, else linear
    for value in values[:: max(1, len(values) // 6)]:  # each member's racer, through a link and back
        one = make_spec(spec.name, {**spec.settings(), key: float(value)})
        cfg = SurfacesConfig(RaceConfig(surface="bowl", specs=(make_spec("sgd"), one)), scrub=key, scrub_racer=1)
        back, warnings = SurfacesConfig.from_query(cfg.to_query(), strict=True)
        assert not warnings and back.scrub == key and back.scrub_racer == 1
        assert back.race.specs[1].settings()[key] == float(value)


def test_a_sweeps_preview_is_its_corner_to_corner_sub_grid_each_cell_its_single_run():
    from optviz.core.engine.fan import run_preview
    from optviz.core.engine.sweep import cell_settings
    from optviz.core.spec import parse_axis

    spec = parse_surface_spec("adam:lr=0.01")
    x, y = parse_axis("x", "lr=1e-4:1:30:log", "adam"), parse_axis("y", "y=-2:2:11", "adam")
    preview = run_preview(SURFACES["rosenbrock"], spec, x, y, START, 200, side=8)
    assert list(preview.rows[[0, -1]]) == [0, 10] and list(preview.cols[[0, -1]]) == [0, 29]
    assert len(preview.rows) == 8 and len(preview.cols) == 8 and preview.paths.shape == (8, 8, 201, 2)
    for r, c in ((0, 0), (3, 5), (7, 7)):
        one_spec, start = cell_settings(spec, x, y, int(preview.rows[r]), int(preview.cols[c]), START)
        one = run_one(SURFACES["rosenbrock"], start, 200, one_spec)
        np.testing.assert_allclose(preview.paths[r, c, : len(one.path)], one.path, rtol=1e-5, atol=1e-5)
        assert np.isnan(preview.paths[r, c, len(one.path) :]).all()


def test_prepare_compiles_in_the_background_once_and_then_says_ready():
    import time

    from optviz.core.engine.fan import prepare, prepare_every_setting, ready
    from optviz.core.problems.formulas import custom_surface

    surface = custom_surface("x**2 + 3*y**2 + 0.125*x*y", (-2.0, 2.0, -2.0, 2.0))  # a program of its own
    adam, done = parse_surface_spec("adam"), []
    assert prepare(surface, adam, {"lr"}, lambda: done.append(1)) is False
    assert prepare(surface, adam, {"b1"}, lambda: done.append(2)) is False  # under way: nothing more started
    deadline = time.monotonic() + 60
    while not (prepare(surface, adam, {"lr"}) and done) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert prepare(surface, adam, {"lr"}) and done == [1]
    assert not ready(surface, adam, {"warmup"})  # a scheduled fan: the other program, not compiled yet
    while not prepare_every_setting(surface, adam) and time.monotonic() < deadline + 60:
        time.sleep(0.05)
    assert all(ready(surface, adam, {key}) for key in ("warmup", "clip", "b1", "start_y"))


def test_fans_of_every_size_surface_and_setting_and_a_sweeps_preview_share_one_compiled_program():
    from optviz.core.engine.fan import _fan_program, run_preview
    from optviz.core.engine.trajectory import CATALOGUE
    from optviz.core.spec import parse_axis

    spec = parse_surface_spec("adam:lr=0.01")
    run_fan(SURFACES["bowl"], START, 20, spec, "lr", fan_values(spec, "lr", 48))
    runner = _fan_program(CATALOGUE, ("adam",), True)
    compiled = runner._cache_size()
    for k in (2, 12, 48):
        run_fan(SURFACES["rosenbrock"], START, 30, spec, "b1", fan_values(spec, "b1", k))
    x, y = parse_axis("x", "lr=1e-4:1:5:log", "adam"), parse_axis("y", "b1=0:0.9:30", "adam")
    run_preview(SURFACES["beale"], spec, x, y, START, 40)
    assert runner._cache_size() == compiled == 1
