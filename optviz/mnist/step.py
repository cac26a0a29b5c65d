"""One training step of any registry optimizer on a network, shared by every MNIST loop.

The gradient is taken where the optimizer asks (Schedule-Free: y), clipped, and the lr
scheduled; matrix-aware optimizers get the network's tensors (``for_network``), and those that
use the Hessian's diagonal (Sophia) get Hutchinson's estimate u * (H u), with u a Rademacher
vector drawn from the run's key and the step, computed only on the updates that use it.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp

from ..optimizers import REGISTRY
from ..optimizers.schedule import clip_gradient, scheduled_hparams
from .models import MODELS, leaves


@functools.lru_cache(maxsize=64)
def network_rule(model_name: str, opt_name: str) -> tuple[Callable, Callable, Callable]:
    """(init, update, inspect) of ``opt_name`` for the flat parameters of ``model_name``."""
    opt = REGISTRY[opt_name]
    if opt.for_network is not None:
        return opt.for_network(leaves(MODELS[model_name]))
    return opt.init, opt.update, opt.inspect


def hutchinson_diagonal(loss: Callable, params, key):
    """u * (H u) for a Rademacher u: an unbiased estimate of diag(H) (forward over reverse)."""
    u = jax.random.rademacher(key, params.shape, jnp.float32)
    return u * jax.jvp(jax.grad(loss), (params,), (u,))[1]


def training_step(model_name: str, opt_name: str, loss_fn: Callable) -> Callable:
    """step(flat, state, hp, images, labels, t, total, key) -> (flat, state, loss), unjitted;
    ``t`` counts updates from 0, ``total`` is the run's length (for the schedule)."""
    opt = REGISTRY[opt_name]
    _, update, _ = network_rule(model_name, opt_name)

    def step(flat, state, hp, images, labels, t, total, key):
        at = opt.gradient_point(flat, state, hp)
        loss, grad = jax.value_and_grad(loss_fn)(at, images, labels)
        hp_t = scheduled_hparams(hp, t, total)
        if opt.needs_objective:  # a line search on this batch
            hp_t["objective"] = functools.partial(jax.value_and_grad(loss_fn), images=images, labels=labels)
        if opt.hessian_diag_due is not None:
            batch_loss = functools.partial(loss_fn, images=images, labels=labels)
            hp_t["hessian_diag"] = jax.lax.cond(
                opt.hessian_diag_due(t, hp),
                lambda: hutchinson_diagonal(batch_loss, at, jax.random.fold_in(key, t)),
                lambda: jnp.zeros_like(flat))
        flat, state = update(clip_gradient(grad, hp), state, flat, hp_t)
        return flat, state, loss

    return step
