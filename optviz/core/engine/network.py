"""One training step of any registry optimizer on a network, shared by every MNIST loop.

The step is the protocol every loop uses (optviz.core.optimizers.step: gradient at the
optimizer's point, clipping, the scheduled lr, the extra inputs, the update); what is particular
to a network is here: matrix-aware optimizers get the network's tensors (``for_network``), and
those that use the Hessian's diagonal (Sophia) get Hutchinson's estimate u * (H u), with u a
Rademacher vector drawn from the run's key and the step, computed only on the updates that use it.

Gradients are taken over the model's tensors and raveled by ``ravel``, never through
``unravel``: its transpose is one XLA concatenate, which on this 2-core VM took 12 ms for the
CNN's six tensors when XLA spreads it over both cores (0.07 ms on one); a chain of
dynamic_update_slice takes 0.2 ms. A training step went from 10-27 ms to 3-5 ms.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.step import Problem
from optviz.core.optimizers.step import step as optimizer_step
from optviz.core.problems.mnist_models import MODELS, leaves


@functools.lru_cache(maxsize=64)
def network_rule(model_name: str, opt_name: str) -> tuple[Callable, Callable, Callable]:
    """(init, update, inspect) of ``opt_name`` for the flat parameters of ``model_name``."""
    opt = REGISTRY[opt_name]
    if opt.for_network is not None:
        return opt.for_network(leaves(MODELS[model_name]))
    return opt.init, opt.update, opt.inspect


def ravel(tree) -> jax.Array:
    """The tensors of ``tree`` as one float32 vector in ``ravel_pytree``'s order, written slice by
    slice (dynamic_update_slice) rather than concatenated (see the module's docstring)."""
    leaves = jax.tree.leaves(tree)
    flat, at = jnp.zeros(sum(leaf.size for leaf in leaves), jnp.float32), 0
    for leaf in leaves:
        flat = jax.lax.dynamic_update_slice(flat, jnp.ravel(leaf).astype(jnp.float32), (at,))
        at += leaf.size
    return flat


def flat_value_and_grad(loss_fn: Callable, unravel: Callable) -> Callable:
    """``loss_fn(params, *args)`` over the model's tensors -> ``f(flat, *args) = (loss, flat gradient)``:
    the gradient taken over the tensors, then raveled."""

    def value_and_grad(flat, *args, **kwargs):
        loss, grad = jax.value_and_grad(loss_fn)(unravel(flat), *args, **kwargs)
        return loss, ravel(grad)

    return value_and_grad


def hutchinson_diagonal(gradient: Callable, params, key):
    """u * (H u) for a Rademacher u: an unbiased estimate of diag(H) (forward over reverse);
    ``gradient(params)`` is the loss's gradient."""
    u = jax.random.rademacher(key, params.shape, jnp.float32)
    return u * jax.jvp(gradient, (params,), (u,))[1]


def training_step(model_name: str, opt_name: str, value_and_grad: Callable) -> Callable:
    """step(flat, state, hp, images, labels, t, total, key) -> (flat, state, loss), unjitted: the
    step protocol (optviz.core.optimizers.step) on one batch. ``value_and_grad(flat, images,
    labels)`` gives the batch loss and its flat gradient (``flat_value_and_grad``); ``t`` counts
    updates from 0, ``total`` is the run's length; ``key`` draws Hutchinson's vectors."""
    opt = REGISTRY[opt_name]
    _, update, _ = network_rule(model_name, opt_name)

    def step(flat, state, hp, images, labels, t, total, key):
        def batch_gradient(p):
            return value_and_grad(p, images, labels)[1]

        def hessian_diag(at, t, hp):  # only on the updates that use it
            due = opt.hessian_diag_due
            assert due is not None  # Problem.hessian_diag is asked for only when it is set
            return jax.lax.cond(
                due(t, hp),
                lambda: hutchinson_diagonal(batch_gradient, at, jax.random.fold_in(key, t)),
                lambda: jnp.zeros_like(at),
            )

        problem = Problem(
            gradient=lambda p: value_and_grad(p, images, labels)[::-1],  # (gradient, batch loss)
            objective=functools.partial(value_and_grad, images=images, labels=labels),
            hessian_diag=hessian_diag,
        )
        out = optimizer_step(opt, problem, flat, state, hp, t, total, update=update)
        return out.params, out.state, out.aux

    return step
