"""A fan of runs: one racer's run at K values of one of its settings, in one vmapped call.

The question a student brings is "what does the learning rate do?", and the answer is a motion:
the fan holds the racer's path at every value of a hyperparameter (or of a start coordinate)
across its slider's range, so a page can scrub through them without asking the server again.
The runs are the single runs' program (optviz.core.engine.trajectory) for the racer's optimizer
alone, vmapped over starts and value vectors together: one compile per process and optimizer
(about a second for Adam, when first asked for) serves its fans on every catalogue surface,
whatever is varied, but for the clipping and schedule keys: a fan that varies them, or whose
racer uses them, runs a second program with that work (:func:`_program_for`). A custom formula
gets its own per (formula, optimizer). The fan keeps only paths and losses: the state rows the
single runs also write are MAX_STEPS rows per member, and leaving them out made a fan of 48
three times quicker.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import jax
import numpy as np

from optviz.core.engine import compiled, packed
from optviz.core.engine.sweep import cell_settings, step_features
from optviz.core.engine.trajectory import CATALOGUE, SURFACE_INDEX, in_catalogue, noise_input, program
from optviz.core.limits import MAX_COORD, MAX_STEPS
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers import schedule as sched
from optviz.core.optimizers.base import HParam
from optviz.core.problems.surfaces import Surface
from optviz.core.spec import OptSpec, SpecError, SweepAxis, check_steps, check_value, make_spec

START_KEYS = ("start_x", "start_y")
MIN_FAN, MAX_FAN = 2, 48  # runs in one fan (and in one call of the fan program)
PREVIEW_SIDE = 8  # a sweep's preview: at most 8 x 8 cells, two calls of the fan program
FAN_SIZE = 48  # the scrubber's: smooth enough to read as motion, and a 500-step fan is under 1 MB in the page


@dataclass(frozen=True)
class Fan:
    """K runs of one racer that differ only in ``key``: paths and losses padded with NaN after
    a run diverged (``diverged_at[i]`` is that step, or -1)."""

    key: str
    values: np.ndarray  # (K,)
    paths: np.ndarray  # (K, steps + 1, 2), the start first
    losses: np.ndarray  # (K, steps + 1)
    diverged_at: np.ndarray  # (K,) int, -1 where the run never diverged


def scrubbable(spec: OptSpec) -> tuple[str, ...]:
    """The settings of this racer a scrubber can run through: its numeric hyperparameters, the
    schedule and clipping keys that are numbers, and the start's coordinates."""
    hps = [*REGISTRY[spec.name].hparams, *(sched.BY_NAME[k] for k in sched.NAMES)]
    return tuple(hp.name for hp in hps if hp.kind not in ("flag", "choice")) + START_KEYS


def setting(spec: OptSpec, key: str) -> HParam:
    """How ``key`` of this racer is ranged and scaled: its registry entry (a hyperparameter or a
    common schedule/clipping key); SpecError if it has none such or it is not a number to scrub."""
    opt = REGISTRY[spec.name]
    hp = opt.hparam(key) if key in opt.hparam_names else sched.BY_NAME.get(key)
    if hp is None or hp.kind in ("flag", "choice"):
        raise SpecError(
            f"scrub: {key!r} is not a setting of {spec.name} to scrub; choose one of: {', '.join(scrubbable(spec))}"
        )
    return hp


def fan_values(
    spec: OptSpec,
    key: str,
    k: int,
    start: Sequence[float] = (0.0, 0.0),
    bounds: tuple[float, float] | None = None,
    steps: int | None = None,
) -> np.ndarray:
    """``k`` values of ``key`` across its slider's range (log-spaced where the registry says log),
    the current value among them; with ``steps``, only values a run of that length can take (a
    warmup shorter than the run). A start coordinate spans ``bounds`` (the surface's domain on that
    axis, say; by default 2 either side of the start)."""
    if not MIN_FAN <= k <= MAX_FAN:
        raise SpecError(f"scrub: from {MIN_FAN} to {MAX_FAN} runs (got {k})")
    if key in START_KEYS:
        now = float(start[START_KEYS.index(key)])
        lo, hi = (now - 2.0, now + 2.0) if bounds is None else (min(bounds[0], now), max(bounds[1], now))
        lo, hi = max(lo, -MAX_COORD), min(hi, MAX_COORD)
        values = np.linspace(lo, hi, k)
    else:
        hp = setting(spec, key)
        now = float(spec.settings()[key])
        lo, hi = hp.slider
        lo, hi = min(lo, now), max(hi, now)
        if hp.log and lo > 0:
            values = np.geomspace(lo, hi, k)
        else:
            values = np.linspace(lo, hi, k)
        if hp.kind == "int":
            values = np.unique(np.round(values))
    if now not in values and len(values) > 2:  # the racer's own run is one of the fan, the ends kept
        values[1 + np.argmin(np.abs(values[1:-1] - now))] = now
        values = np.unique(values)
    if steps is not None and key not in START_KEYS:
        values = np.asarray([v for v in values if _fits(spec, key, float(v), steps)])
        if len(values) < MIN_FAN:
            raise SpecError(f"scrub: {key} takes fewer than {MIN_FAN} values in a run of {steps} steps")
    return np.asarray(values, np.float64)


def current_index(values: np.ndarray, spec: OptSpec, key: str, start: Sequence[float]) -> int:
    """Which member of a fan over ``values`` is the racer's own run."""
    now = float(start[START_KEYS.index(key)]) if key in START_KEYS else float(spec.settings()[key])
    return int(np.argmin(np.abs(values - now)))


def _fits(spec: OptSpec, key: str, value: float, steps: int) -> bool:
    try:
        check_steps(make_spec(spec.name, {**spec.settings(), key: value}), steps)
    except SpecError:
        return False
    return True


@functools.lru_cache(maxsize=32)
def _fan_program(surfaces: tuple[Surface, ...], optimizers: tuple[str, ...], plain: bool):
    """The single runs' program vmapped over starts and value vectors, keeping paths and losses;
    its one optimizer's state packed at its own size (packed.fan_state_size); ``plain``, without
    the clipping and schedule work."""
    features: frozenset[str] | None = frozenset() if plain else None
    run = program(surfaces, optimizers, packed.fan_state_size(optimizers[0]), features)

    def paths_only(s, o, start, hvec, steps, sigma, noise):
        points, losses, ok, _rows, _lrs, loss0 = run(s, o, start, hvec, steps, sigma, noise)
        return points, losses, ok, loss0

    return jax.jit(jax.vmap(paths_only, in_axes=(None, None, 0, 0, None, None, None)))


def is_plain(spec: OptSpec, keys: Collection[str]) -> bool:
    """Whether runs of ``spec`` that vary ``keys`` neither clip nor schedule: a fan of them runs
    the plain program (see :func:`_program_for`)."""
    return not step_features(spec, keys)


def _program_for(surface: Surface, opt_name: str, plain: bool):
    """The fan program and the indices that select ``surface`` and ``opt_name`` in it.

    One program per optimizer over every catalogue surface, where the program of every
    optimizer took 10 s to compile, which the first scrub of a server waited for. The fans must
    be the single runs' arithmetic, and XLA on CPU fuses a·b + c into one rounding or not by how
    the program around it is shaped: the shapes kept here are the ones whose members equal the
    single runs on chaotic runs (Adam on Rosenbrock at lr = 1, tests/core/engine/test_fan.py),
    where other shapes parted from them within a few steps and by 1.4 by step 400.

    - A racer that neither clips nor schedules (the usual one) runs the plain program: the
      optimizer inline, without the clip and schedule work (skipped at their defaults, as the
      sweeps' kernels skip it). A fan of 48 Adam runs costs 1.5-1.8x less than with that work.
    - Otherwise the step is the single runs' own, the optimizer in a switch of two copies of its
      branch, as in the single runs' program where it is one branch of many.
    """
    surfaces, index = (CATALOGUE, SURFACE_INDEX[surface.name]) if in_catalogue(surface) else ((surface,), 0)
    # A typed rule's single runs, and a custom formula's, have it inline (a program of their own).
    switched = not plain and opt_name in packed.INDEX and in_catalogue(surface)
    return _fan_program(surfaces, (opt_name, opt_name) if switched else (opt_name,), plain), index, 0


def ready(surface: Surface, spec: OptSpec, keys: Collection[str]) -> bool:
    """Whether a fan of ``spec`` on this surface, varying ``keys``, runs without compiling first."""
    return compiled.ready(_program_for(surface, spec.name, is_plain(spec, keys))[0])


_preparing = threading.Lock()


def prepare(surface: Surface, spec: OptSpec, keys: Collection[str], then: Callable[[], None] | None = None) -> bool:
    """Whether a fan of ``spec`` on this surface, varying ``keys``, runs without compiling first;
    if not, start its compile in a background thread (once: later calls while it runs start
    nothing) and return False. ``then`` runs after a compile this call started (the app hands
    memory back there).

    The compile is not part of the warm-up: a hosted server compiled it in the background after
    its warm-up, and while it traced (holding the GIL, at the lowest CPU priority) a class's
    nudges waited 13 s (p90; benchmarks/bench_hosted.py). Now it costs only whoever asks first.
    """
    if ready(surface, spec, keys):
        return True
    plain = is_plain(spec, keys)
    if _preparing.acquire(blocking=False):

        def compile_it() -> None:
            try:
                _compile(surface, spec.name, plain)
                if then is not None:
                    then()
            finally:
                _preparing.release()

        # Not a daemon: a process that ends while XLA compiles in a daemon thread can abort
        # ("FATAL: exception not rethrown", seen in scripts/first_paint.py); it finishes first.
        threading.Thread(target=compile_it, name="optviz-fan-compile").start()
    return False


def prepare_every_setting(surface: Surface, spec: OptSpec, then: Callable[[], None] | None = None) -> bool:
    """Whether fans of ``spec`` on this surface over any of its settings run without compiling
    first; if not, start the next missing compile in the background, as :func:`prepare` does.
    A racer's fans take one program or two: the full step's for the clipping and schedule keys,
    and for a racer that neither clips nor schedules, the plain one for the rest."""
    return all(prepare(surface, spec, keys, then) for keys in ({START_KEYS[0]}, set(sched.NAMES)))


def _compile(surface: Surface, opt_name: str, plain: bool) -> None:
    """Run a fan program of this surface and optimizer once, on one-step runs: its compile."""
    starts, hvecs = np.zeros((MIN_FAN, 2), np.float32), np.zeros((MIN_FAN, packed.VSIZE), np.float32)
    _run_members(surface, opt_name, plain, starts, hvecs, 1, 0.0, 0)


def warm_up(opt_names: Sequence[str] = ("adam",)) -> float:
    """Compile the plain fan programs of these optimizers (by default Adam's, the scrubber's racer
    on a default page), once per process; returns the seconds it took."""
    t = time.perf_counter()
    for name in opt_names:
        _compile(CATALOGUE[0], name, plain=True)
    return time.perf_counter() - t


def run_fan(
    surface: Surface,
    start: Sequence[float],
    steps: int,
    spec: OptSpec,
    key: str,
    values: Sequence[float] | np.ndarray,
    noise: float = 0.0,
    seed: int = 0,
) -> Fan:
    """The racer ``spec`` from ``start`` for ``steps`` steps at each of ``values`` of ``key``
    (a hyperparameter, a common key, or ``start_x``/``start_y``); every value is checked as a
    link's would be (SpecError naming the first bad one)."""
    if not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps: must be from 1 to {MAX_STEPS} (got {steps})")
    grid = np.asarray(values, np.float64)
    if not MIN_FAN <= len(grid) <= MAX_FAN:
        raise SpecError(f"scrub: from {MIN_FAN} to {MAX_FAN} runs (got {len(grid)})")
    over_start = key in START_KEYS
    starts = np.tile(np.asarray(start, np.float32), (len(grid), 1))
    hvecs = np.tile(np.asarray(packed.pack_hparams(spec.name, spec.settings()), np.float32), (len(grid), 1))
    if over_start:
        starts[:, START_KEYS.index(key)] = grid
    else:
        _check_values(spec, key, grid, steps)
        hvecs[:, packed.slot(spec.name, key)] = grid
    plain = is_plain(spec, {key})
    return _assemble(key, grid, starts, *_run_members(surface, spec.name, plain, starts, hvecs, steps, noise, seed))


def _check_values(spec: OptSpec, key: str, grid: np.ndarray, steps: int) -> None:
    """Each value of ``key`` checked as a link's would be (SpecError naming the first bad one),
    and, for a schedule key, with the racer's other settings in a run of ``steps``."""
    hp = setting(spec, key)
    for v in grid:
        check_value(spec.name, hp, float(v))
        if key in sched.NAMES:
            problem = sched.check({**spec.common, key: float(v)}, steps)
            if problem:
                raise SpecError(f"{spec.name}: {problem}")


def _run_members(
    surface: Surface,
    name: str,
    plain: bool,
    starts: np.ndarray,
    hvecs: np.ndarray,
    steps: int,
    noise: float,
    seed: int,
):
    """Runs of optimizer ``name`` from ``starts`` [K, 2] with value vectors ``hvecs`` [K, V], in one
    call per MAX_FAN of them.

    Every call runs MAX_FAN members (the rest copies of the first, dropped after): the program is
    compiled for one batch size, so a fan of 48, a smaller one (an integer setting, a warmup
    that must stay shorter than the run) and an 8 x 8 sweep preview (two calls) share one
    compile, where each new size cost one of about 9 s."""
    if len(starts) > MAX_FAN:
        parts = [
            _run_members(surface, name, plain, starts[lo : lo + MAX_FAN], hvecs[lo : lo + MAX_FAN], steps, noise, seed)
            for lo in range(0, len(starts), MAX_FAN)
        ]
        return tuple(np.concatenate(arrays) for arrays in zip(*parts))
    k = len(starts)
    runner, s, o = _program_for(surface, name, plain)
    starts, hvecs = _padded(starts), _padded(hvecs)
    out = compiled.call(
        runner, np.int32(s), np.int32(o), starts, hvecs, np.int32(steps), np.float32(noise), noise_input(noise, seed)
    )
    points, losses, ok, loss0 = jax.device_get(out)
    return points[:k, :steps], losses[:k, :steps], ok[:k, :steps], loss0[:k]


def _padded(rows: np.ndarray) -> np.ndarray:
    """``rows`` [K, ...] (K <= MAX_FAN) with copies of its first row up to MAX_FAN rows."""
    extra = np.repeat(rows[:1], MAX_FAN - len(rows), axis=0)
    return np.concatenate([rows, extra]).astype(np.float32)


def _spread(n: int, most: int) -> np.ndarray:
    """At most ``most`` indices into range(n), evenly spread, the first and last among them."""
    return np.unique(np.linspace(0, n - 1, min(n, most)).round().astype(np.int64))


@dataclass(frozen=True)
class Preview:
    """Paths of a sweep's coarse sub-grid: cells ``rows`` x ``cols`` (indices into the full grid's
    y and x values), ``paths`` [len(rows), len(cols), steps + 1, 2], NaN after a divergence."""

    rows: np.ndarray
    cols: np.ndarray
    paths: np.ndarray


def run_preview(
    surface: Surface, spec: OptSpec, x: SweepAxis, y: SweepAxis, start, steps: int, side: int = PREVIEW_SIDE
) -> Preview:
    """The runs of an evenly spread sub-grid of at most ``side`` x ``side`` cells of a sweep (its
    corners included), in two calls at most: what a page shows at once for the cell nearest the pointer."""
    if not 1 <= side <= PREVIEW_SIDE:
        raise ValueError(f"a preview's side is from 1 to {PREVIEW_SIDE} cells ({side} asked)")
    rows, cols = _spread(y.n, side), _spread(x.n, side)
    cells = [cell_settings(spec, x, y, int(r), int(c), start) for r in rows for c in cols]
    starts = np.asarray([point for _, point in cells], np.float32)
    hvecs = np.asarray([packed.pack_hparams(spec.name, one.settings()) for one, _ in cells], np.float32)
    fan = _assemble(
        "cell",
        np.arange(len(cells), dtype=np.float64),
        starts,
        *_run_members(surface, spec.name, is_plain(spec, {x.key, y.key}), starts, hvecs, steps, 0.0, 0),
    )
    return Preview(np.asarray(rows), np.asarray(cols), fan.paths.reshape(len(rows), len(cols), steps + 1, 2))


def _assemble(
    key: str, values: np.ndarray, starts: np.ndarray, points: np.ndarray, losses: np.ndarray, ok: np.ndarray, loss0
) -> Fan:
    """The runs as padded arrays: each path and loss curve up to its last finite point, NaN after.

    Copied whole, then NaN written after each run that stopped: masking every point with
    np.where took 0.48 ms of a 48-member fan's 1.9 (its compiled call takes 1.3)."""
    k, steps = ok.shape
    began = np.isfinite(starts).all(axis=1) & np.isfinite(loss0)  # a run that cannot start diverged at 0
    n_ok = np.where(ok.all(axis=1), steps, ok.argmin(axis=1))
    diverged = np.where(began, np.where(n_ok < steps, n_ok + 1, -1), 0).astype(np.int64)
    paths = np.empty((k, steps + 1, 2), np.float32)
    curves = np.empty((k, steps + 1), np.float32)
    paths[:, 0], curves[:, 0] = starts, loss0
    paths[:, 1:], curves[:, 1:] = points, losses
    for i in np.flatnonzero(diverged >= 0):  # NaN from the first point not kept (the start, if it never began)
        first = 1 + n_ok[i] if began[i] else 0
        paths[i, first:], curves[i, first:] = np.nan, np.nan
    return Fan(key, values, paths, curves, diverged)
