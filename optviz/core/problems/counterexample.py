"""Reddi, Kale & Kumar (2018), "On the Convergence of Adam and Beyond": the online problem on
which Adam provably fails and AMSGrad does not.

f_t(x) = C x when t mod 3 == 1, and -x otherwise, for x in [-1, 1]. Over every three steps the
sum is (C - 2) x, so the best point is x = -1. With b1 = 0 and b2 = 1/(1 + C^2), Adam's
rare large gradient C is damped by v just as much as it is large, while the frequent small
gradients -1 push up: Adam drifts to +1. AMSGrad keeps the largest v it has seen, so the
small steps stay small and it goes to -1.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.step import Problem
from optviz.core.optimizers.step import step as optimizer_step
from optviz.core.spec import make_spec


def counterexample_hparams(name: str, C: float, lr: float) -> dict[str, float]:
    """The paper's settings: b1 = 0, b2 = 1/(1 + C^2), the given lr."""
    return make_spec(name, {"lr": lr, "b1": 0.0, "b2": 1.0 / (1.0 + C * C)}).hparams


@functools.lru_cache(maxsize=16)
def _runner(name: str, steps: int):
    opt = REGISTRY[name]

    def run(start, hp, C):
        def step(carry, t):
            x, state = carry
            problem = Problem(gradient=lambda p: (jnp.where(t % 3 == 1, C, -1.0) * jnp.ones_like(p), None))
            x, state = optimizer_step(opt, problem, x, state, hp, t - 1, steps)[:2]
            x = jnp.clip(x, -1.0, 1.0)  # projection onto the feasible set [-1, 1]
            return (x, state), x[0]

        x0 = jnp.asarray([start], jnp.float32)
        _, xs = jax.lax.scan(step, (x0, opt.init(x0)), jnp.arange(1, steps + 1))
        return xs

    return jax.jit(run)


def reddi_path(name: str, C: float = 3.0, lr: float = 0.01, steps: int = 3000, start: float = 0.0) -> np.ndarray:
    """x_t for t = 1..steps of Adam-family optimizer ``name`` on the counterexample."""
    hp = {k: jnp.float32(v) for k, v in counterexample_hparams(name, C, lr).items()}
    return np.asarray(_runner(name, steps)(jnp.float32(start), hp, jnp.float32(C)))
