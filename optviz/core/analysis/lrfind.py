"""Smith's learning-rate range test (as fastai's ``lr_find`` and pytorch-lr-finder run it),
checked against the truth: the best lr of a real grid of short runs.

The test: lr_t = lr_min (lr_max / lr_min)^(t / (k - 1)) for t = 0..k-1, one update at each;
the loss after each is smoothed by a bias-corrected running average (beta = 0.98) and the test
stops once the smoothed loss exceeds 4 times its best (fastai's stop_div). Two suggestions, as
fastai gives them: the lr where the smoothed loss falls fastest against log lr ("steep"), and
the lr of the smoothed minimum divided by 10 ("min/10").

The truth: ``grid`` learning rates log-spaced over the same range, each a constant-lr run of
k updates from the same start; the best is the lowest mean loss over the run (fast and steady
descent, as the surfaces' suggested lrs are chosen). The report says how far each suggestion
lands from it (a factor) and what it costs (its run's mean loss against the best).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from optviz.core.engine.cost import COMPILE_SECONDS, cell_steps_per_second
from optviz.core.engine.trajectory import surface_grad
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.schedule import DEFAULTS, SCHEDULE_KEYS
from optviz.core.optimizers.step import Problem
from optviz.core.optimizers.step import step as optimizer_step
from optviz.core.problems.surfaces import Surface
from optviz.core.spec import OptSpec, SpecError, check_surface

BETA, STOP_FACTOR = 0.98, 4.0
RAMP_COMMON = {k: DEFAULTS[k] for k in SCHEDULE_KEYS}  # a SPEC's schedule, switched off: the ramp sets the lr


def range_lrs(lr_min: float, lr_max: float, k: int) -> np.ndarray:
    """The test's exponential ramp: k learning rates from lr_min to lr_max."""
    return lr_min * (lr_max / lr_min) ** (np.arange(k) / max(k - 1, 1))


def smooth(losses: np.ndarray, beta: float = BETA) -> np.ndarray:
    """fastai's smoothing: avg_t = beta avg_{t-1} + (1-beta) loss_t, shown as avg_t / (1 - beta^(t+1))."""
    out, avg = np.empty(len(losses)), 0.0
    for t, loss in enumerate(losses):
        avg = beta * avg + (1 - beta) * float(loss)
        out[t] = avg / (1 - beta ** (t + 1))
    return out


def stop_index(smoothed: np.ndarray) -> int:
    """How many points the test keeps: up to (not including) the first smoothed loss above 4 x the
    best so far, or a non-finite one."""
    best = np.inf
    for t, v in enumerate(smoothed):
        if not np.isfinite(v) or (t > 0 and v > STOP_FACTOR * best):
            return t
        best = min(best, v)
    return len(smoothed)


def suggestions(lrs: np.ndarray, smoothed: np.ndarray) -> dict[str, float]:
    """fastai's two suggestions from the kept part of the curve."""
    if len(lrs) < 3:
        return {"steep": float(lrs[0]), "min/10": float(lrs[0]) / 10}
    slope = np.gradient(smoothed, np.log(lrs))
    return {"steep": float(lrs[int(np.argmin(slope))]), "min/10": float(lrs[int(np.argmin(smoothed))] / 10)}


@dataclass
class RangeTest:
    """The test's curve, its suggestions, and the grid of real runs it is checked against."""

    lrs: np.ndarray  # the ramp, as far as the test went
    losses: np.ndarray
    smoothed: np.ndarray
    suggested: dict[str, float]
    grid_lrs: np.ndarray
    grid_scores: np.ndarray  # mean loss of each constant-lr run (inf: diverged)
    suggested_scores: dict[str, float]

    @property
    def best_lr(self) -> float:
        return float(self.grid_lrs[int(np.argmin(self.grid_scores))])

    def verdict(self) -> dict[str, dict[str, float]]:
        """For each suggestion: the factor between it and the grid's best, and its run's mean loss."""
        best = float(np.min(self.grid_scores))
        return {
            name: {
                "lr": lr,
                "factor_from_best": max(lr, self.best_lr) / min(lr, self.best_lr),
                "mean_loss": self.suggested_scores[name],
                "best_mean_loss": best,
            }
            for name, lr in self.suggested.items()
        }

    def to_json(self) -> dict:
        clean = lambda a: [float(v) if np.isfinite(v) else None for v in np.asarray(a, np.float64)]
        return {
            "lrs": clean(self.lrs),
            "losses": clean(self.losses),
            "smoothed": clean(self.smoothed),
            "suggested": self.suggested,
            "grid": {"lrs": clean(self.grid_lrs), "mean_loss": clean(self.grid_scores), "best_lr": self.best_lr},
            "verdict": {
                k: {kk: (float(vv) if np.isfinite(vv) else None) for kk, vv in v.items()}
                for k, v in self.verdict().items()
            },
        }


def surface_problem(surface: Surface) -> Problem:
    """A 2D surface as the step protocol takes it: gradient, exact Hessian (and its diagonal), objective."""
    hessian = jax.hessian(surface.loss)
    return Problem(
        gradient=lambda p: (surface_grad(surface, p), None),
        hessian=hessian,
        objective=jax.value_and_grad(surface.loss),
        hessian_diag=lambda p, t, hp: jnp.diagonal(hessian(p)),
    )


@functools.lru_cache(maxsize=32)
def _surface_program(opt_name: str, surface: Surface):
    """Jitted: the losses of k updates on ``surface`` from ``start``, update t at lrs[t] (the ramp
    replaces any schedule; clipping applies); vmapped over rows of lrs, so the grid's
    constant-lr runs are one call."""
    opt, problem = REGISTRY[opt_name], surface_problem(surface)

    def run(start, lrs, hp):
        def step(carry, xs):
            x, state = carry
            t, lr = xs
            x, state = optimizer_step(opt, problem, x, state, {**hp, "lr": lr}, t, len(lrs), schedule=False)[:2]
            return (x, state), surface.loss(x)

        _, losses = jax.lax.scan(step, (start, opt.init(start)), (jnp.arange(lrs.shape[0]), lrs))
        return losses

    return jax.jit(jax.vmap(run, in_axes=(None, 0, None)))


def estimated_seconds_surface(spec: OptSpec, k: int = 100, grid: int = 24) -> float:
    """About how long :func:`lr_range_test_surface` takes here once compiled: the ramp and the
    grid's runs, as sweep cell-steps (optviz.core.engine.cost); a fraction of a second."""
    return (grid + 1) * k / cell_steps_per_second(spec.name)


def estimated_seconds_mnist(model_name: str, spec: OptSpec, k: int = 100, grid: int = 8, batch: int = 60) -> float:
    """About how long :func:`lr_range_test_mnist` takes here, before it starts: the ramp and
    the grid's runs, ``k`` batches each, at the model's training rate, plus one compile."""
    from optviz.core.engine.training import images_per_second  # the MNIST side loads on demand

    return COMPILE_SECONDS + (grid + 1) * k * batch / images_per_second(model_name, spec.name)


def lr_range_test_surface(
    surface: Surface,
    spec: OptSpec,
    start=None,
    k: int = 100,
    lr_min: float = 1e-5,
    lr_max: float = 10.0,
    grid: int = 24,
) -> RangeTest:
    """The range test on a 2D surface, and the grid of constant-lr runs of the same length."""
    check_surface(spec)
    _check(k, lr_min, lr_max, grid)
    x0 = jnp.asarray(surface.start if start is None else start, jnp.float32)
    hp = {h: jnp.float32(v) for h, v in spec.settings().items()}
    program = _surface_program(spec.name, surface)
    ramp = range_lrs(lr_min, lr_max, k)
    grid_lrs = np.geomspace(lr_min, lr_max, grid)
    rows = np.concatenate([ramp[None], np.repeat(grid_lrs[:, None], k, axis=1)]).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.asarray(program(x0, jnp.asarray(rows), hp), np.float64)
    return _report(ramp, out[0], grid_lrs, out[1:])


def _check(k: int, lr_min: float, lr_max: float, grid: int) -> None:
    if not 10 <= k <= 2000:
        raise SpecError(f"steps: must be a whole number from 10 to 2000 (got {k})")
    if not (0 < lr_min < lr_max <= 100):
        raise SpecError(f"lr range: need 0 < lr_min < lr_max <= 100 (got {lr_min:g} .. {lr_max:g})")
    if not 3 <= grid <= 64:
        raise SpecError(f"grid: must be a whole number from 3 to 64 (got {grid})")


def _report(ramp: np.ndarray, losses: np.ndarray, grid_lrs: np.ndarray, grid_losses: np.ndarray) -> RangeTest:
    smoothed = smooth(np.where(np.isfinite(losses), losses, np.inf))
    n = max(stop_index(smoothed), 1)
    lrs, kept = ramp[:n], smoothed[:n]
    suggested = suggestions(lrs, kept)
    scores = np.where(np.all(np.isfinite(grid_losses), axis=1), grid_losses.mean(axis=1), np.inf)
    # A suggestion's cost: the grid run nearest to it (on log lr).
    nearest = {name: int(np.argmin(np.abs(np.log(grid_lrs) - np.log(lr)))) for name, lr in suggested.items()}
    return RangeTest(
        lrs, losses[:n], kept, suggested, grid_lrs, scores, {name: float(scores[i]) for name, i in nearest.items()}
    )


def lr_range_test_mnist(
    model_name: str,
    spec: OptSpec,
    data,
    k: int = 100,
    lr_min: float = 1e-5,
    lr_max: float = 10.0,
    grid: int = 8,
    batch: int = 60,
    seed: int = 0,
) -> RangeTest:
    """The range test on an MNIST model (batches of the training set in a fixed order), and a grid
    of constant-lr runs of k updates on the same batches."""
    from jax.flatten_util import ravel_pytree

    from optviz.core.engine.network import network_rule
    from optviz.core.engine.training import _programs
    from optviz.core.problems.mnist_models import MODELS
    from optviz.core.spec import check_network

    check_network(spec)
    _check(k, lr_min, lr_max, grid)
    if k * batch > len(data.train_images):
        raise SpecError(
            f"steps: {k} batches of {batch} need {k * batch} training images; {len(data.train_images)} are available"
        )
    step, _ = _programs(model_name, spec.name)
    flat0, _ = ravel_pytree(MODELS[model_name].init(jax.random.PRNGKey(seed)))
    order = np.random.default_rng(seed).permutation(len(data.train_images))[: k * batch]
    xb = data.train_images[order].reshape(k, batch, 28, 28)
    yb = data.train_labels[order].astype(np.int32).reshape(k, batch)
    # The ramp replaces any schedule (constant, no warmup); clipping applies.
    hp = {h: jnp.float32(v) for h, v in {**spec.settings(), **RAMP_COMMON}.items()}
    key = jax.random.PRNGKey(seed)

    def run(lrs) -> np.ndarray:
        flat, state, losses = flat0, network_rule(model_name, spec.name)[0](flat0), []
        for t, lr in enumerate(lrs):
            flat, state, loss = step(
                flat, state, {**hp, "lr": jnp.float32(lr)}, xb[t], yb[t], np.int32(t), np.int32(k), key
            )
            losses.append(loss)
        return np.asarray(jax.device_get(losses), np.float64)

    ramp = range_lrs(lr_min, lr_max, k)
    grid_lrs = np.geomspace(lr_min, lr_max, grid)
    return _report(ramp, run(ramp), grid_lrs, np.stack([run(np.full(k, lr)) for lr in grid_lrs]))
