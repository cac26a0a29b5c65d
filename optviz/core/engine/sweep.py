"""Sweeps: a grid of runs of one optimizer, keeping only what the metrics need.

One jitted call per chunk of cells (SWEEP_CHUNK on each device, padded, so every call has
the same shapes), the chunk split over the devices (one per core); each run is a ``lax.scan``
whose carry holds the point, the optimizer state and the metrics, never the trajectory.
Steps, tolerance, hyperparameters, start points, noise and seed are all traced: a new grid of
the same optimizer and surface does not recompile.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Collection
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from optviz.core.engine.cost import cell_steps_per_second
from optviz.core.engine.traces import traced
from optviz.core.engine.trajectory import step_noise, surface_grad
from optviz.core.limits import MAX_SWEEP_CELLS, MAX_SWEEP_STEPS, SWEEP_CHUNK
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.schedule import SCHEDULE_KEYS
from optviz.core.optimizers.step import Problem
from optviz.core.optimizers.step import step as optimizer_step
from optviz.core.problems.surfaces import Surface
from optviz.core.spec import OptSpec, SpecError, SweepAxis, check_steps, make_spec

STEP_BUCKETS = (250, 1000, MAX_SWEEP_STEPS)
UNROLL = 1  # steps per loop iteration; 2 made XLA recompute across the steps it fused (12x slower here)
PROBE = 256  # cells per device of the calls that measure a costly optimizer's speed
CALL_SECONDS = 1.0  # what one call of a costly optimizer's sweep should take, PROBE allowing: a stop waits for it
IN_FLIGHT = 1  # a costly sweep's calls under way at once: a stop leaves only the one computing to finish


@dataclass
class SweepResult:
    """Metrics on a grid: rows indexed by the y axis, columns by the x axis."""

    x: SweepAxis
    y: SweepAxis
    final_loss: np.ndarray  # [ny, nx], NaN where diverged
    steps_to_tol: np.ndarray  # [ny, nx] int, -1 where never reached
    diverged: np.ndarray  # [ny, nx] bool
    diverged_at: np.ndarray  # [ny, nx] int, 0 where not diverged
    final_point: np.ndarray  # [ny, nx, 2] (the last finite point)
    minimum_index: np.ndarray | None  # [ny, nx] int, -1 where no minimum was reached (start grids)
    seconds: float = 0.0

    def best_cell(self) -> tuple[int, int] | None:
        """(row, column) of the lowest final loss among the runs that did not diverge, or None."""
        losses = np.where(self.diverged, np.inf, self.final_loss)
        if not np.isfinite(losses).any():
            return None
        row, col = np.unravel_index(int(np.argmin(losses)), losses.shape)
        return int(row), int(col)

    def to_json(self) -> dict:
        """The CLI's JSON shape (strict: NaN becomes null)."""

        def nullable(a, bad):
            return [[None if b else v for v, b in zip(row, brow)] for row, brow in zip(a.tolist(), bad.tolist())]

        out = {
            "x": {"key": self.x.key, "values": list(self.x.values), "log": self.x.log},
            "y": {"key": self.y.key, "values": list(self.y.values), "log": self.y.log},
            "final_loss": nullable(self.final_loss, self.diverged),
            "steps_to_tol": nullable(self.steps_to_tol, self.steps_to_tol < 0),
            "diverged": self.diverged.tolist(),
            "diverged_at": nullable(self.diverged_at, ~self.diverged),
        }
        if self.minimum_index is not None:
            out["final_point"] = self.final_point.astype(float).tolist()
            out["minimum_index"] = nullable(self.minimum_index, self.minimum_index < 0)
        return out


def _sweep_bucket(steps: int) -> int:
    for b in STEP_BUCKETS:
        if steps <= b:
            return b
    raise SpecError(f"steps: must be at most {MAX_SWEEP_STEPS} in a sweep (got {steps})")


def _cells(
    opt_name: str,
    surface: Surface | tuple,
    length: int,
    features: frozenset,
    starts,
    hp,
    steps,
    tol,
    f_min,
    sigma,
    seed,
):
    """Every run of a chunk at once, laid out as structure of arrays: points [2, C], hp {k: [C]}.

    The optimizers are elementwise, so they broadcast over the trailing run axis as they are;
    this layout lets XLA vectorize across runs (vmap would give [C, 2] and strided access).
    Carries only the metrics: final point and loss, first step within tol, divergence step.
    ``features`` says whether the runs clip ("clip") or schedule their lr ("schedule"): a grid
    without them skips that per-cell work (a third of the step's time for Adam).

    ``surface`` may be a tuple of surfaces: then ``hp["_surface"]`` says which one each cell runs
    on and ``hp["_f_min"]`` its minimum (a comparison's problem suite in one call).
    """
    opt = REGISTRY[opt_name]
    surfaces = surface if isinstance(surface, tuple) else (surface,)
    pick = _picker(hp.get("_surface"), len(surfaces))
    f_min = hp.get("_f_min", f_min)
    hp = {k: v for k, v in hp.items() if not k.startswith("_")}

    def fn(x, y):
        return pick([s.fn(x, y) for s in surfaces])

    def grad_at(p):
        return pick([surface_grad(s, p) for s in surfaces])

    def hessian(p):  # [2, 2, C]: each run's own
        return pick([_hessians(s, p) for s in surfaces])

    def step(carry, xs):
        t, noise = xs
        # Few carried arrays (each is a pass over memory per step): "alive" is died == 0, hit and
        # died share one int32, and the final loss is recomputed from the final point after the loop.
        point, state, marks = carry
        hit, died = _unpack_marks(marks)
        problem = Problem(
            gradient=lambda p: (grad_at(p) + sigma * noise[:, None], None),
            hessian=hessian,
            objective=lambda q: (jnp.sum(fn(q[0], q[1])), grad_at(q)),  # runs laid out [2, C]
            hessian_diag=lambda p, t, hp: _diagonal(hessian(p)),
        )
        new_point, new_state = optimizer_step(
            opt,
            problem,
            point,
            state,
            hp,
            t,
            steps,
            clip="clip" in features,
            schedule="schedule" in features,
            clip_axis=0,
        )[:2]
        new_loss = fn(new_point[0], new_point[1])
        active = (died == 0) & (t < steps)
        # Element-wise rather than a reduction over axis 0, which would split XLA's loop fusion.
        finite = jnp.isfinite(new_point[0]) & jnp.isfinite(new_point[1]) & jnp.isfinite(new_loss)
        ok = active & finite
        point = jnp.where(ok, new_point, point)
        state = new_state if opt.elementwise else _freeze_stopped(ok, new_state, state)
        hit = jnp.where(ok & (hit < 0) & (new_loss - f_min <= tol), t + 1, hit)
        died = jnp.where(active & ~finite, t + 1, died)
        return (point, state, _pack_marks(hit, died)), None

    point0 = jnp.asarray(starts, jnp.float32).T
    loss0 = fn(point0[0], point0[1])
    hit0 = jnp.where(loss0 - f_min <= tol, 0, -1).astype(jnp.int32)
    died0 = jnp.where(jnp.isfinite(loss0), 0, -1).astype(jnp.int32)  # -1: the start itself is bad
    init = (point0, opt.init(point0), _pack_marks(hit0, died0))
    ts = jnp.arange(length, dtype=jnp.int32)
    # The same noise for every run, as in a single run (it depends on seed and step only),
    # drawn for all steps at once rather than one key derivation per loop iteration.
    noises = jax.vmap(lambda t: step_noise(seed, t))(ts)
    (point, _, marks), _ = jax.lax.scan(step, init, (ts, noises), unroll=UNROLL)
    loss = fn(point[0], point[1])
    return (point.T, loss) + _unpack_marks(marks)


# Steps-to-tolerance and divergence step (each -1..MAX_SWEEP_STEPS) packed into one int32,
# hit in the high bits: one carried array is one pass over memory a step instead of two.
MARK_BITS = 12
assert STEP_BUCKETS[-1] + 1 < 1 << MARK_BITS


def _pack_marks(hit, died):
    """(hit, died), each -1..MAX_SWEEP_STEPS, -> one int32 per run."""
    return ((hit + 1) << MARK_BITS) | (died + 1)


def _unpack_marks(marks):
    """The inverse of ``_pack_marks``."""
    return (marks >> MARK_BITS) - 1, (marks & ((1 << MARK_BITS) - 1)) - 1


def _freeze_stopped(ok, new_state, state):
    """The optimizer state, kept where a run stopped (shared scalars such as the step count advance).

    Used for the vmapped optimizers only. A stopped run's point never moves again, so an
    elementwise optimizer's state there is never read, and freezing it cost a pass over memory
    per leaf and step (a quarter of Adam's sweep time here). A vmapped line search, though, loops
    until all its runs are done, and a stopped run's NaN state could keep it looping to its limit:
    a precaution (a sweep with 53 diverged L-BFGS runs took the same time either way)."""
    return jax.tree.map(lambda a, b: a if jnp.ndim(a) == 0 else jnp.where(ok, a, b), new_state, state)


def _picker(which, n: int):
    """values (one per surface, each for every cell) -> each cell's own; forward only, so a value
    that overflows on a surface a cell is not on never reaches it (no gradient through the choice)."""
    if n == 1:
        return lambda values: values[0]

    def pick(values):
        out = values[0]
        for k in range(1, n):
            out = jnp.where(which == k, values[k], out)
        return out

    return pick


def _diagonal(h):
    """diag of each run's 2x2 Hessian [2, 2, C] -> [2, C]."""
    return jnp.stack([h[0, 0], h[1, 1]])


def _hessians(surface: Surface, point):
    """Each run's 2x2 Hessian [2, 2, C] for points [2, C]: two forward-mode passes over the gradient
    (the runs are independent, so one tangent per coordinate serves them all)."""
    columns = [
        jax.jvp(lambda p: surface_grad(surface, p), (point,), (jnp.zeros_like(point).at[i].set(1.0),))[1]
        for i in range(2)
    ]
    return jnp.stack(columns, axis=1)


@functools.lru_cache(maxsize=128)
def compiled_sweep(opt_name: str, surface: Surface, length: int, features: frozenset = frozenset()):
    """The jitted sweep kernel: ``kernel(starts[C, 2], {hp: [C] or scalar}, steps, tol, f_min, sigma, seed)``.

    jit compiles once per choice of swept keys (which hyperparameters are arrays) and of
    ``features`` (clipping, a schedule: on or off); values never.
    """

    def kernel(starts, hps, steps, tol, f_min, sigma, seed):
        traced("sweep")
        if REGISTRY[opt_name].elementwise:
            return _cells(opt_name, surface, length, features, starts, hps, steps, tol, f_min, sigma, seed)
        # Sums over a run's coordinates (Prodigy): one run per array, the runs vmapped.
        axes = {k: 0 if jnp.ndim(v) else None for k, v in hps.items()}
        out = jax.vmap(
            lambda s, h: _cells(opt_name, surface, length, features, s[None], h, steps, tol, f_min, sigma, seed),
            in_axes=(0, axes),
        )(starts, hps)
        return tuple(o[:, 0] for o in out)

    return jax.jit(kernel)


def cell_settings(spec: OptSpec, x: SweepAxis, y: SweepAxis, row: int, col: int, start) -> tuple[OptSpec, tuple]:
    """The single run a cell stands for: its optimizer settings and its start point."""
    hp, point = spec.settings(), list(start)
    for axis, value in ((x, x.values[col]), (y, y.values[row])):
        if axis.is_start:
            point["xy".index(axis.key)] = value
        else:
            hp[axis.key] = value
    return make_spec(spec.name, hp), (point[0], point[1])


def _grid_inputs(spec: OptSpec, x: SweepAxis, y: SweepAxis, start) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per-cell start points [ny*nx, 2] and hyperparameters, row-major with y as rows.

    Only the swept hyperparameters are per-cell arrays; the others stay scalars, so that
    per-run work such as b2^t is done once per step, not once per cell.
    """
    gx, gy = np.meshgrid(np.asarray(x.values), np.asarray(y.values))
    cells = gx.size
    starts = np.tile(np.asarray(start, np.float64), (cells, 1))
    hps: dict[str, np.ndarray] = {k: np.asarray(v, np.float32) for k, v in spec.settings().items()}
    for axis, grid in ((x, gx), (y, gy)):
        if axis.is_start:
            starts[:, 0 if axis.key == "x" else 1] = grid.ravel()
        else:
            hps[axis.key] = grid.ravel().astype(np.float32)
    return starts.astype(np.float32), hps


def run_sweep(
    surface: Surface,
    spec: OptSpec,
    x: SweepAxis,
    y: SweepAxis,
    start=None,
    steps: int = 500,
    tol: float = 1e-3,
    noise: float = 0.0,
    seed: int = 0,
    progress=None,
) -> SweepResult:
    """Run every cell of the grid ``x`` by ``y``; ``progress(done, total)`` is called per chunk."""
    if x.key == y.key:
        raise SpecError(f"axes: the two axes must differ (both are {x.key})")
    cells = x.n * y.n
    if cells > MAX_SWEEP_CELLS:
        raise SpecError(f"grid: {x.n} x {y.n} = {cells} cells; at most {MAX_SWEEP_CELLS} allowed")
    _check_schedule(spec, x, y, steps)
    start = surface.start if start is None else start
    starts, hps = _grid_inputs(spec, x, y, start)
    t0 = time.perf_counter()
    point, loss, hit, died = run_cells(
        surface, spec.name, starts, hps, steps, tol, noise, seed, sweep_features(spec, x, y), progress
    )
    seconds = time.perf_counter() - t0
    shape = (y.n, x.n)
    diverged = (died != 0).reshape(shape)
    final_loss = np.where(diverged, np.nan, loss.reshape(shape)).astype(np.float32)
    minimum_index = None
    if x.is_start or y.is_start:
        minimum_index = _basins(point, diverged.ravel(), surface).reshape(shape)
    return SweepResult(
        x,
        y,
        final_loss,
        hit.reshape(shape),
        diverged,
        np.maximum(died, 0).reshape(shape),
        point.reshape(shape + (2,)),
        minimum_index,
        seconds,
    )


def run_cells(
    surface: Surface | tuple,
    opt_name: str,
    starts: np.ndarray,
    hps: dict,
    steps: int,
    tol: float,
    noise: float = 0.0,
    seed: int = 0,
    features: frozenset = frozenset(),
    progress=None,
):
    """Independent runs of one optimizer on one surface, cell i from ``starts[i]`` with the
    hyperparameters ``hps`` (each a scalar, or one value per cell): (final point [C, 2], final
    loss, first step within ``tol`` of the minimum or -1, divergence step or 0). The sweep
    engine: chunks of cells in one compiled shape, a few dispatched ahead of the one awaited;
    a costly optimizer's chunks sized to about CALL_SECONDS each, so a stop takes effect soon.

    With a tuple of surfaces, ``hps["_surface"]`` gives each cell's (an index into the tuple)."""
    cells = len(starts)
    kernel = compiled_sweep(opt_name, surface, _sweep_bucket(steps), features)
    if isinstance(surface, tuple):
        which = np.asarray(hps["_surface"]).astype(int)
        hps = {**hps, "_f_min": np.asarray([surface[i].f_min for i in which], np.float32)}
        f_min = 0.0  # each cell's own is in hps
    else:
        f_min = surface.f_min if surface.f_min is not None else -np.inf
    scalars = (np.int32(steps), np.float32(tol), np.float32(f_min), np.float32(noise), np.int32(seed))
    sharding = _cell_sharding()
    per_call = len(sharding.device_set)

    def dispatch(lo: int, chunk: int):
        part = slice(lo, min(lo + chunk, cells))
        pad = chunk - (part.stop - part.start)
        s = np.pad(starts[part], ((0, pad), (0, 0)), mode="edge")
        h = {k: np.pad(v[part], (0, pad), mode="edge") if np.ndim(v) else v for k, v in hps.items()}
        # Each call's cells are split over the devices (one per core, optviz.core.engine.devices), which run
        # their shares at once.
        s, cell_hps = jax.device_put((s, {k: v for k, v in h.items() if np.ndim(v)}), sharding)
        return kernel(s, {**h, **cell_hps}, *scalars), chunk - pad, part.stop

    outs: list[list[np.ndarray]] = []

    def collect(call) -> None:
        result, keep, done = call
        outs.append([a[:keep] for a in jax.device_get(result)])
        if progress is not None:
            progress(done, cells)  # may raise (a cancelled job): nothing more is dispatched

    chunk = min(SWEEP_CHUNK, _round_up(-(-cells // per_call))) * per_call
    lo = 0
    costly = REGISTRY[opt_name].costly
    # A cheap optimizer's whole grid takes well under a second: every call is dispatched before
    # any is awaited (bounding them cost 15% of the throughput, measured). A costly one
    # dispatches its next call only once the last is back: a dispatched call cannot be
    # stopped, and with one queued behind the one computing, the server stayed busy 7-8 s after
    # the heavy tabs closed, against 1.5-2.5 s without (benchmarks/bench_heavy.py); the
    # throughput was within this machine's noise either way.
    ahead = IN_FLIGHT if costly else cells
    if costly and cells > 2 * PROBE * per_call:
        # An optimizer whose step is costly (a line search, a Hessian, one run per array) could
        # make one call of a full chunk last a minute, and a call cannot be stopped. Two small
        # calls (the first compiles) measure its speed; the rest go in chunks of about CALL_SECONDS.
        for _ in range(2):
            t = time.perf_counter()
            collect(dispatch(lo, PROBE * per_call))
            lo += PROBE * per_call
        per_second = PROBE * per_call / max(time.perf_counter() - t, 1e-6)
        chunk = min(chunk, _round_down(int(per_second * CALL_SECONDS) // per_call) * per_call)
    pending: list = []
    while lo < cells or pending:
        while lo < cells and len(pending) < ahead:
            pending.append(dispatch(lo, chunk))
            lo += chunk
        collect(pending.pop(0))
    return tuple(np.concatenate([o[i] for o in outs]) for i in range(4))


def estimated_seconds(spec: OptSpec, cells: int, steps: int) -> float:
    """About how long a sweep of ``cells`` runs of ``steps`` steps takes here: an upper estimate
    (optviz.core.engine.cost)."""
    return cells * steps / cell_steps_per_second(spec.name)


def _round_down(cells: int) -> int:
    """The largest power of two at most ``cells``, and at least PROBE."""
    size = PROBE
    while size * 2 <= cells:
        size *= 2
    return size


@functools.lru_cache(maxsize=1)
def _cell_sharding() -> NamedSharding:
    """Cells split over every local device: one per core on a CPU (``optviz.core.engine.devices.tune_for_this_cpu``)."""
    return NamedSharding(Mesh(np.array(jax.local_devices()), ("cells",)), PartitionSpec("cells"))


def sweep_features(spec: OptSpec, *axes: SweepAxis) -> frozenset:
    """Which of clipping and scheduling the runs use (in some cell of a grid over ``axes``)."""
    return step_features(spec, {a.key for a in axes})


def step_features(spec: OptSpec, keys: Collection[str] = ()) -> frozenset:
    """Which of clipping ("clip") and scheduling ("schedule") runs of ``spec`` use, where the
    settings ``keys`` vary from run to run (a sweep's axes, a fan's setting)."""
    keys = set(keys)
    clip = keys & {"clip", "clip_value"} or spec.common["clip"] > 0 or spec.common["clip_value"] > 0
    schedule = keys & set(SCHEDULE_KEYS) or spec.scheduled
    return frozenset(name for name, on in (("clip", clip), ("schedule", schedule)) if on)


def _check_schedule(spec: OptSpec, x: SweepAxis, y: SweepAxis, steps: int) -> None:
    """Refuse a grid with cells whose schedule does not fit: check the corner settings."""
    for a in (x.low, x.high):
        for b in (y.low, y.high):
            values = spec.settings()
            values.update({axis.key: v for axis, v in ((x, a), (y, b)) if not axis.is_start})
            check_steps(make_spec(spec.name, values), steps)


def _round_up(cells: int) -> int:
    """Chunk size for a small grid: the next power of two, so few distinct shapes are compiled."""
    size = 256
    while size < cells:
        size *= 2
    return size


def _basins(points: np.ndarray, diverged: np.ndarray, surface: Surface, radius_frac: float = 0.02) -> np.ndarray:
    """For each final point, the index of the listed minimum it ended at (-1: none within reach).

    "At" means within 2% of the domain's diagonal of that minimum.
    """
    if not surface.minima:
        return np.full(len(points), -1)
    minima = np.array([[m.x, m.y] for m in surface.minima])
    xmin, xmax, ymin, ymax = surface.domain
    radius = radius_frac * np.hypot(xmax - xmin, ymax - ymin)
    d = np.linalg.norm(points[:, None, :] - minima[None, :, :], axis=-1)
    idx = d.argmin(axis=1)
    ok = (d[np.arange(len(points)), idx] <= radius) & ~diverged
    return np.where(ok, idx, -1)
