"""Jitted descent paths: one compiled program for every catalogue surface, optimizer and step count.

The surface and the optimizer are data (indices that ``lax.switch`` reads inside the loop;
see :mod:`optviz.core.engine.packed`), and the hyperparameters, start point, step count, noise
level and seed are traced values. The loop writes into buffers of MAX_STEPS rows, of which the
host keeps the first ``steps``. So one program, traced, lowered and compiled once per process
(by :func:`warm_up`, at start-up), serves every race on every catalogue surface: nothing a
user does recompiles it, and a surface or optimizer met for the first time costs nothing
extra. A custom formula gets a program of its own per (formula, optimizer).

Divergence: once a step's point or loss is non-finite the run freezes (its state stops
changing), and only the finite points before it are reported, with that step's number.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from optviz.core.engine import compiled, packed
from optviz.core.engine.traces import traced
from optviz.core.limits import MAX_STEPS
from optviz.core.optimizers.step import Problem
from optviz.core.problems.surfaces import SURFACES, Surface
from optviz.core.spec import OptSpec, check_steps

CATALOGUE = tuple(SURFACES.values())
SURFACE_INDEX = {s.name: i for i, s in enumerate(CATALOGUE)}


def step_noise(seed, t):
    """The standard-normal gradient noise [2] of step ``t`` (0-based) under ``seed``."""
    return jax.random.normal(jax.random.fold_in(jax.random.PRNGKey(seed), t), (2,))


_noise_program = jax.jit(lambda seed: jax.vmap(lambda t: step_noise(seed, t))(jnp.arange(MAX_STEPS)))
_NO_NOISE = np.zeros((MAX_STEPS, 2), np.float32)


@functools.lru_cache(maxsize=64)
def noise_table(seed: int) -> np.ndarray:
    """Every step's noise [MAX_STEPS, 2] under ``seed``, drawn by one program outside the runs.

    Drawing it inside a run's loop made that program's compile 2.6 times as long, which a
    custom formula pays the first time it is used.
    """
    table = np.asarray(_noise_program(np.int32(seed)))
    table.flags.writeable = False
    return table


def noise_input(noise: float, seed: int) -> np.ndarray:
    """The noise table a run's program takes: ``seed``'s draws, or zeros when there is no noise."""
    return noise_table(int(seed)) if noise > 0 else _NO_NOISE


def surface_grad(surface: Surface, point):
    """grad f at ``point`` [2, ...]: the partials in x and y, stacked on axis 0.

    Differentiating x and y apart (rather than f(p[0], p[1]) in p) gives XLA no pad ops, and
    the single runs and the sweeps use this one formulation, so they do the same arithmetic.
    """
    gx, gy = jax.grad(lambda x, y: jnp.sum(surface.fn(x, y)), argnums=(0, 1))(point[0], point[1])
    return jnp.stack([gx, gy])


def _choose(branches: list, index, *args):
    """``branches[index](*args)``, without a switch when there is only one branch."""
    return branches[0](*args) if len(branches) == 1 else jax.lax.switch(index, branches, *args)


@functools.lru_cache(maxsize=64)
def program(
    surfaces: tuple[Surface, ...],
    optimizers: tuple[str, ...],
    state_floats: int | None = None,
    features: frozenset | None = None,
):
    """The jitted runner over these surfaces and optimizers, their state packed in
    ``state_floats`` floats (by default the largest optimizer's: :func:`packed.state_size`), each
    step clipping and scheduling as ``features`` says (by default both; see packed.update_branch).

    Call it as ``run(surface_index, optimizer_index, start[2], values[VSIZE], steps, sigma,
    noise[MAX_STEPS, 2])`` (:func:`noise_table`); it returns points [MAX_STEPS, 2], losses [MAX_STEPS],
    ok [MAX_STEPS] (False from the first non-finite step on), inspection rows [MAX_STEPS,
    packed.info_rows(), 2], each update's lr [MAX_STEPS] and the start's loss.
    """
    losses = [s.loss for s in surfaces]
    grads = [functools.partial(surface_grad, s) for s in surfaces]
    inits = [packed.init_branch(n, state_floats) for n in optimizers]
    updates = [packed.update_branch(n, state_floats, features) for n in optimizers]
    points = [packed.point_branch(n) for n in optimizers]
    hessians = [jax.hessian(s.loss) for s in surfaces]
    objectives = [jax.value_and_grad(s.loss) for s in surfaces]

    def run(s, o, start, hvec, steps, sigma, noise):
        traced("paths")
        # What the optimizers may ask for beyond the gradient (optviz.core.optimizers.step): the
        # surface's Hessian (Newton; its diagonal, Sophia), the loss and gradient elsewhere (a line
        # search). Only the branches that ask evaluate them, so no other optimizer pays.
        hessian = functools.partial(_choose, hessians, s)
        problem = Problem(
            gradient=None,
            hessian=hessian,
            objective=functools.partial(_choose, objectives, s),
            hessian_diag=lambda at, t, hp: jnp.diagonal(hessian(at)),
        )
        branches = [functools.partial(u, problem=problem) for u in updates]

        def body(t, carry):
            point, state, alive, out = carry
            at = _choose(points, o, point, state, hvec)  # the point itself, or where the method asks (y)
            grad = _choose(grads, s, at) + sigma * noise[t]
            new_point, new_state, info, lr = _choose(branches, o, grad, state, point, hvec, t, steps)
            loss = _choose(losses, s, new_point)
            ok = alive & jnp.all(jnp.isfinite(new_point)) & jnp.isfinite(loss)
            out = tuple(buf.at[t].set(v) for buf, v in zip(out, (new_point, loss, ok, info, lr)))
            return jnp.where(ok, new_point, point), jnp.where(ok, new_state, state), ok, out

        loss0 = _choose(losses, s, start)
        buffers = (
            jnp.zeros((MAX_STEPS, 2), jnp.float32),
            jnp.zeros(MAX_STEPS, jnp.float32),
            jnp.zeros(MAX_STEPS, bool),
            jnp.zeros((MAX_STEPS, packed.info_rows(), 2), jnp.float32),
            jnp.zeros(MAX_STEPS, jnp.float32),
        )
        alive0 = jnp.all(jnp.isfinite(start)) & jnp.isfinite(loss0)
        init = (start, _choose(inits, o, start), alive0, buffers)
        _, _, _, out = jax.lax.fori_loop(0, steps, body, init)
        return (*out, loss0)

    return jax.jit(run)


# The first program (compile_first): its optimizers and the compiled runner, held here so the
# lru cache of programs (custom formulas come and go) cannot drop it and compile it again.
_first: list[tuple[tuple[str, ...], object]] = []


def _program_for(surface: Surface, opt_name: str):
    """The program and the two indices that select ``surface`` and ``opt_name`` in it: the
    catalogue's (or, until that is compiled, the first program if it holds ``opt_name``), or
    for a custom formula or a typed rule one of their own."""
    if in_catalogue(surface) and opt_name in packed.INDEX:
        whole = program(CATALOGUE, packed.NAMES)
        if not compiled.ready(whole):
            for names, runner in _first:
                if opt_name in names:
                    return runner, SURFACE_INDEX[surface.name], names.index(opt_name)
        return whole, SURFACE_INDEX[surface.name], packed.INDEX[opt_name]
    if in_catalogue(surface):  # a rule: its own program over every catalogue surface
        return program(CATALOGUE, (opt_name,)), SURFACE_INDEX[surface.name], 0
    return program((surface,), (opt_name,)), 0, 0


def ready(surface: Surface, opt_name: str) -> bool:
    """Whether a run of ``opt_name`` on ``surface`` starts without compiling first."""
    return compiled.ready(_program_for(surface, opt_name)[0])


def in_catalogue(surface: Surface) -> bool:
    """Whether ``surface`` is the catalogue's own (not a custom formula)."""
    return SURFACE_INDEX.get(surface.name) is not None and CATALOGUE[SURFACE_INDEX[surface.name]] is surface


@dataclass
class Run:
    """One finished run: its path (start first), losses, divergence step and internal state."""

    optimizer: str
    hparams: dict[str, float]
    path: np.ndarray  # (k + 1, 2) float32, only finite points
    loss: np.ndarray  # (k + 1,)
    diverged_at: int | None
    state: dict[str, np.ndarray] = field(default_factory=dict)  # per step 1..k
    switched_at: int | None = None
    lr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # the lr of updates 1..k
    common: dict[str, float] = field(default_factory=dict)  # the schedule and clipping settings

    def to_json(self) -> dict:
        """The run in the CLI's JSON shape."""
        return {
            "optimizer": self.optimizer,
            "hparams": self.hparams,
            "path": self.path.astype(float).tolist(),
            "loss": self.loss.astype(float).tolist(),
            "diverged_at": self.diverged_at,
            "switched_at": self.switched_at,
            "lr": self.lr.astype(float).tolist(),
        }


def run_one(
    surface: Surface, start: Sequence[float], steps: int, spec: OptSpec, noise: float = 0.0, seed: int = 0
) -> Run:
    """One optimizer from ``start`` for ``steps`` steps (1..MAX_STEPS)."""
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be from 1 to {MAX_STEPS}")
    runner, s, o = _program_for(surface, spec.name)
    start_arr = np.asarray(start, np.float32)
    check_steps(spec, steps)
    hvec = np.asarray(packed.pack_hparams(spec.name, spec.settings()), np.float32)
    out = compiled.call(
        runner, np.int32(s), np.int32(o), start_arr, hvec, np.int32(steps), np.float32(noise), noise_input(noise, seed)
    )
    points, losses, ok, rows, lrs, loss0 = jax.device_get(out)
    info = packed.unpack_info(spec.name, rows[:steps])
    run = _finish_run(spec, start_arr, float(loss0), points[:steps], losses[:steps], ok[:steps], info)
    run.lr = np.asarray(lrs[: len(run.loss) - 1]) if len(run.loss) else np.zeros(0, np.float32)
    run.common = dict(spec.common)
    return run


def run_race(
    surface: Surface, start: Sequence[float], steps: int, specs: Sequence[OptSpec], noise: float = 0.0, seed: int = 0
) -> list[Run]:
    """Every optimizer spec from the same start, with the same noise."""
    return [run_one(surface, start, steps, spec, noise, seed) for spec in specs]


def _finish_run(spec: OptSpec, start, loss0: float, points, losses, ok, info) -> Run:
    if not (np.all(np.isfinite(start)) and np.isfinite(loss0)):
        return Run(spec.name, dict(spec.hparams), np.zeros((0, 2), np.float32), np.zeros(0, np.float32), 0, {})
    n_ok = int(np.argmin(ok)) if not ok.all() else len(ok)
    path = np.concatenate([start[None, :], points[:n_ok]]).astype(np.float32)
    loss = np.concatenate([[loss0], losses[:n_ok]]).astype(np.float32)
    state = {k: np.asarray(v[:n_ok]) for k, v in info.items() if k != "switched_at"}
    # Optimizers that change phase (SWATS) report the step of the switch in their state.
    switched = int(info["switched_at"][n_ok - 1]) if "switched_at" in info and n_ok else 0
    return Run(
        spec.name, dict(spec.hparams), path, loss, None if n_ok == len(ok) else n_ok + 1, state, switched or None
    )


def _compile(runner) -> None:
    """Run ``runner`` once on a one-step run: its compile (or its load from the persistent cache)."""
    hvec = np.zeros(packed.VSIZE, np.float32)
    start = np.zeros(2, np.float32)
    compiled.call(runner, np.int32(0), np.int32(0), start, hvec, np.int32(1), np.float32(0.0), _NO_NOISE)


def compile_first(opt_names: Sequence[str]) -> float:
    """Compile a program of only these optimizers over every catalogue surface; until the
    catalogue program is compiled, their runs go through it. Returns the seconds it took.

    A fresh hosted server compiles in the background while a class already nudges the default
    view: this program of its few racers compiles in about 2 s where the catalogue's takes
    9 s. Its runs are the catalogue program's bit for bit: each optimizer is a branch of a
    switch in both (two copies of one, if it is alone), and XLA compiles a switch's branches
    apart from one another (tests/core/engine/test_trajectory.py compares them step by step).
    """
    t = time.perf_counter()
    names = tuple(dict.fromkeys(n for n in opt_names if n in packed.INDEX))
    if names:
        names = names * 2 if len(names) == 1 else names
        runner = program(CATALOGUE, names)
        _compile(runner)
        _first[:] = [(names, runner)]
    return time.perf_counter() - t


def warm_up() -> float:
    """Compile the catalogue program (once per process); returns the seconds it took."""
    t = time.perf_counter()
    _compile(program(CATALOGUE, packed.NAMES))
    noise_table(0)
    return time.perf_counter() - t
