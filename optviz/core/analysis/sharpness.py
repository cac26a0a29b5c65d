"""Progressive sharpening and the edge of stability on MNIST (Cohen et al. 2021, 2022).

A model trained by full-batch steps on a few thousand images; every ``every`` steps the
sharpness lam_max(H) of the training loss is measured by power iteration on Hessian-vector
products (``jax.jvp`` of ``jax.grad``: forward over reverse, never the Hessian itself), and for
the Adam family the preconditioned sharpness lam_max(P^-1 H), through the symmetric
P^-1/2 H P^-1/2. Each measurement starts from the previous top eigenvector, so a few
iterations suffice once training moves slowly. Cost is bounded by the limits below.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz.core.analysis.stability import PRECONDITIONED, diagonal_preconditioner, threshold_at
from optviz.core.engine.cost import COMPILE_SECONDS
from optviz.core.engine.network import flat_value_and_grad, network_rule, training_step
from optviz.core.engine.training import cross_entropy, images_per_second
from optviz.core.limits import MAX_EOS_IMAGES, MAX_EOS_ITERS, MAX_EOS_STEPS
from optviz.core.optimizers.schedule import scheduled_hparams
from optviz.core.problems.mnist_data import Mnist
from optviz.core.problems.mnist_models import MODELS
from optviz.core.spec import OptSpec, SpecError, check_network, check_steps

LOSSES = ("mse", "cross_entropy")


def top_eigenvalue(hvp: Callable, v0, iters: int):
    """(Rayleigh quotient, unit vector) after ``iters`` power iterations of the symmetric ``hvp`` from ``v0``."""

    def body(_, v):
        w = hvp(v)
        return w / (jnp.linalg.norm(w) + 1e-30)

    v = jax.lax.fori_loop(0, iters, body, v0 / (jnp.linalg.norm(v0) + 1e-30))
    return jnp.vdot(v, hvp(v)), v


def preconditioner(name: str, state, hp) -> jnp.ndarray | None:
    """The diagonal P of the optimizer's last step (the 2D runs' formula), or None."""
    if name not in PRECONDITIONED:
        return None
    t = state.updates.astype(jnp.float32)
    return diagonal_preconditioner(name, hp, t, state._asdict(), xp=jnp)


@dataclass
class EdgeRun:
    """Full-batch training with the sharpness measured along the way."""

    optimizer: str
    hparams: dict
    loss: list[float] = field(default_factory=list)  # every step
    measured_at: list[int] = field(default_factory=list)  # steps (0: before training)
    sharpness: list[float] = field(default_factory=list)
    preconditioned: list[float] = field(default_factory=list)  # Adam family, RMSprop, Adagrad (NaN before step 1)
    threshold: list[float] = field(default_factory=list)  # at each measurement's lr

    def to_json(self) -> dict:
        """Plain JSON-ready data."""
        return {
            "optimizer": self.optimizer,
            "hparams": self.hparams,
            "loss": self.loss,
            "measured_at": self.measured_at,
            "sharpness": self.sharpness,
            "preconditioned_sharpness": [v if np.isfinite(v) else None for v in self.preconditioned] or None,
            "threshold": self.threshold or None,
        }


@functools.lru_cache(maxsize=16)
def _programs(model_name: str, opt_name: str, loss: str):
    """Jitted: one full-batch step, and one measurement (sharpness, preconditioned, vectors)."""
    model = MODELS[model_name]
    _, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))

    def loss_fn(params, images, labels):
        logits = model.apply(params, images)
        if loss == "mse":  # squared error to the one-hot labels, as in Cohen et al.'s clearest plots
            return 0.5 * jnp.mean(jnp.sum((logits - jax.nn.one_hot(labels, 10)) ** 2, axis=1))
        return cross_entropy(logits, labels)

    value_and_grad = flat_value_and_grad(loss_fn, unravel)

    def measure(flat, state, hp, images, labels, v_h, v_p, iters):
        def hvp(v):
            return jax.jvp(lambda p: value_and_grad(p, images, labels)[1], (flat,), (v,))[1]

        lam, v_h = top_eigenvalue(hvp, v_h, iters)
        p = preconditioner(opt_name, state, hp)
        if p is None:
            return lam, jnp.float32(jnp.nan), v_h, v_p
        inv_sqrt = 1.0 / jnp.sqrt(p)
        lam_p, v_new = top_eigenvalue(lambda v: inv_sqrt * hvp(inv_sqrt * v), v_p, iters)
        # before the first step P is 0/0: keep the start vector for the next measurement
        return lam, lam_p, v_h, jnp.where(jnp.isfinite(lam_p), v_new, v_p)

    return jax.jit(training_step(model_name, opt_name, value_and_grad)), jax.jit(measure)


def check_edge(steps: int, every: int, images: int, iters: int, available: int) -> None:
    """Refuse settings outside the bounds, naming the item."""
    checks = [
        ("steps", steps, 1, MAX_EOS_STEPS),
        ("every", every, 1, max(1, steps)),
        ("images", images, 1, min(MAX_EOS_IMAGES, available)),
        ("iters", iters, 1, MAX_EOS_ITERS),
    ]
    for item, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise SpecError(f"{item}: must be a whole number from {lo} to {hi} (got {value})")


def estimated_seconds(model_name: str, spec: OptSpec, steps: int, images: int) -> float:
    """About how long :func:`edge_of_stability` takes here, before it starts: an upper estimate.
    Full-batch steps at the model's training rate (measured with the page's measurements included:
    0.5-0.65 of this on the MLP), plus one compile (optviz.core.engine.cost)."""
    return COMPILE_SECONDS + steps * images / images_per_second(model_name, spec.name)


def edge_of_stability(
    model_name: str,
    spec: OptSpec,
    data: Mnist,
    steps: int = 300,
    every: int = 20,
    images: int = 2000,
    iters: int = 20,
    seed: int = 0,
    loss: str = "mse",
    progress: Callable[[float, str], None] | None = None,
) -> EdgeRun:
    """Train on the first ``images`` training images as one batch; measure every ``every`` steps."""
    check_edge(steps, every, images, iters, len(data.train_images))
    check_network(spec)
    check_steps(spec, steps)
    if loss not in LOSSES:
        raise SpecError(f"loss: must be one of {', '.join(LOSSES)} (got {loss!r})")
    step, measure = _programs(model_name, spec.name, loss)
    x = jnp.asarray(data.train_images[:images])
    y = jnp.asarray(data.train_labels[:images].astype(np.int32))
    flat, _ = ravel_pytree(MODELS[model_name].init(jax.random.PRNGKey(seed)))
    state = network_rule(model_name, spec.name)[0](flat)
    hp = {k: jnp.float32(v) for k, v in spec.settings().items()}
    key = jax.random.PRNGKey(seed + 1)
    v_h = v_p = jax.random.normal(key, flat.shape)
    run = EdgeRun(spec.name, dict(spec.hparams))
    for t in range(steps + 1):
        if t % every == 0:  # at multiples of every, so a plot can place them by index
            # the first measurement converges from a random vector; later ones start near the answer
            n = iters * 3 if t == 0 else iters
            lam, lam_p, v_h, v_p = measure(flat, state, hp, x, y, v_h, v_p, np.int32(n))
            lr = float(scheduled_hparams(hp, min(t, steps - 1), steps)["lr"])
            run.measured_at.append(t)
            run.sharpness.append(float(lam))
            if spec.name in PRECONDITIONED:  # no preconditioner before the first step: NaN there
                run.preconditioned.append(float(lam_p) if t > 0 else float("nan"))
            limit = threshold_at(spec.name, spec.hparams, lr)
            if limit is not None:
                run.threshold.append(limit)
            if progress is not None:
                progress(t / steps, f"step {t} of {steps}: sharpness {float(lam):.3g}")
        if t < steps:
            flat, state, loss = step(flat, state, hp, x, y, np.int32(t), np.int32(steps), key)
            run.loss.append(float(loss))
            if not np.isfinite(run.loss[-1]):
                break
    return run
