"""The one step protocol: what it does, in which order, and that every loop takes the same step."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from optviz.core.analysis.lrfind import surface_problem
from optviz.core.engine.sweep import run_sweep
from optviz.core.engine.trajectory import run_one
from optviz.core.optimizers import REGISTRY, SURFACE_NAMES
from optviz.core.optimizers.base import OptimizerDef
from optviz.core.optimizers.step import Problem, step
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SweepAxis, make_spec


def _recorder(**asks) -> tuple[OptimizerDef, list]:
    """An optimizer that records the gradient and values each update is given, and moves by -grad."""
    seen = []

    def update(grad, state, params, hp):
        seen.append((np.asarray(grad), dict(hp)))
        return params - grad, state

    opt = OptimizerDef(
        "rec",
        "Recorder",
        "",
        "",
        REGISTRY["sgd"].hparams,
        init=lambda p: (),
        update=update,
        inspect=lambda s, hp: {},
        **asks,
    )
    return opt, seen


def test_the_gradient_is_clipped_the_lr_scheduled_and_extras_given_only_when_asked():
    plain, seen = _recorder()
    problem = Problem(gradient=lambda p: (jnp.array([3.0, 4.0]), "aux"), hessian=lambda p: pytest.fail("not asked"))
    hp = {
        "lr": 1.0,
        "clip": 1.0,
        "warmup": 4.0,
        **{k: v for k, v in make_spec("sgd").common.items() if k not in ("clip", "warmup")},
    }
    out = step(plain, problem, jnp.zeros(2), (), hp, 0, 10)
    grad, given = seen[0]
    np.testing.assert_allclose(grad, [0.6, 0.8], rtol=1e-5)  # norm 5 clipped to 1
    assert float(given["lr"]) == pytest.approx(0.25) and float(given["base_lr"]) == 1.0  # warmup: (t+1)/W
    assert "hessian" not in given and "objective" not in given and out.aux == "aux"
    newton, seen = _recorder(needs_hessian=True, needs_objective=True)
    problem = Problem(gradient=lambda p: (p, None), hessian=lambda p: jnp.eye(2) * 7.0, objective=lambda p: (0.0, p))
    step(newton, problem, jnp.ones(2), (), {"lr": 1.0}, 0, 10, clip=False, schedule=False)
    assert float(seen[0][1]["hessian"][0, 0]) == 7.0 and seen[0][1]["objective"] is problem.objective


@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_every_loop_takes_the_same_step(name):
    """A single run (the catalogue program), a sweep cell and a loop over the protocol by hand
    end at the same point: schedule and clipping included, five updates on Himmelblau."""
    surface, start, steps = SURFACES["himmelblau"], (0.5, -0.5), 5
    spec = make_spec(name, {"lr": 0.01, "schedule": 2.0, "warmup": 2.0, "clip": 5.0})
    single = run_one(surface, start, steps, spec).path[-1]
    x = SweepAxis("x", start[0], start[0], 1)
    cell = run_sweep(surface, spec, x, SweepAxis("y", start[1], start[1], 1), start, steps).final_point[0, 0]
    opt, problem = REGISTRY[name], surface_problem(surface)
    params = jnp.asarray(start, jnp.float32)
    state = opt.init(params)
    hp = {k: jnp.float32(v) for k, v in spec.settings().items()}
    for t in range(steps):
        params, state = step(opt, problem, params, state, hp, t, steps)[:2]
    np.testing.assert_allclose(single, np.asarray(params), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cell, np.asarray(params), rtol=1e-4, atol=1e-5)
