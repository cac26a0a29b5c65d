"""One step of any registry optimizer: the protocol every loop calls (2D runs, sweeps, network
training, the LR range test, the edge-of-stability runs).

optax's ``GradientTransformationExtraArgs`` is the model: an update may ask for more than the
gradient, and the loop hands it over by name. Here a loop describes what it minimises as a
:class:`Problem` (how to take the gradient at a point, and, for the optimizers whose registry
entry asks, the exact Hessian, the objective for a line search, or an estimate of the
Hessian's diagonal), and :func:`step` does, in this order:

1. the gradient at the optimizer's own point (``gradient_point``: Schedule-Free's y);
2. clipping, by the common keys ``clip_value`` then ``clip`` (optviz.core.optimizers.schedule);
3. the learning rate of update ``t`` of ``total``, by the common schedule keys;
4. the extra inputs the entry asks for: ``hessian`` (needs_hessian), ``objective``
   (needs_objective), ``hessian_diag`` (hessian_diag_due);
5. the optimizer's own update.

A new step feature or common key is one edit here, and every loop has it. :func:`apply` is
steps 2 to 5 for a loop that takes the gradient itself (the catalogue program chooses the
surface's gradient in one switch, outside the optimizers' branches, to keep its size down).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from jax.typing import ArrayLike

from optviz.core.optimizers.base import Array, Hparams, OptimizerDef, UpdateFn
from optviz.core.optimizers.schedule import clip_gradient, scheduled_hparams

F = TypeVar("F")


class Problem(NamedTuple):
    """What a loop minimises, as the optimizers may ask for it (each a traceable function)."""

    gradient: Callable[[Array], tuple[Array, Any]] | None  # point -> (gradient, anything beside it: a batch loss)
    hessian: Callable[[Array], Array] | None = None  # point -> the exact Hessian (2D surfaces)
    objective: Callable[[Array], tuple[Array, Array]] | None = None  # point -> (loss, gradient): a line search
    hessian_diag: Callable[[Array, ArrayLike, Hparams], Array] | None = None  # (point, t, hp) -> diag(H) estimate


class Stepped(NamedTuple):
    """One update's outcome."""

    params: Array
    state: Any
    hparams: dict[str, Any]  # the values the update used: the lr scheduled, the extra inputs added
    aux: Any  # what the problem's gradient returned beside it


def apply(
    opt: OptimizerDef,
    grad: Array,
    problem: Problem,
    params: Array,
    state: Any,
    hp: Hparams,
    t: ArrayLike,
    total: ArrayLike,
    *,
    update: UpdateFn | None = None,
    clip: bool = True,
    schedule: bool = True,
    clip_axis: int | None = None,
    aux: Any = None,
) -> Stepped:
    """Steps 2 to 5 of :func:`step`, for a gradient ``grad`` already taken at the optimizer's point.

    ``update`` replaces the entry's own (a matrix-aware optimizer's rule for a network's tensors);
    ``clip``/``schedule`` off skip that work where a grid of runs uses neither; ``clip_axis`` is
    the axis of one run's coordinates when runs are laid out as [coordinates, runs].
    """
    if clip:
        grad = clip_gradient(grad, hp, axis=clip_axis)
    hp_t: dict[str, Any] = scheduled_hparams(hp, t, total) if schedule else dict(hp)
    at = opt.gradient_point(params, state, hp)
    if opt.needs_hessian:
        hp_t["hessian"] = _asked(problem.hessian, opt, "the Hessian")(at)
    if opt.needs_objective:
        hp_t["objective"] = _asked(problem.objective, opt, "its objective")
    if opt.hessian_diag_due is not None:
        hp_t["hessian_diag"] = _asked(problem.hessian_diag, opt, "the Hessian's diagonal")(at, t, hp)
    new_params, new_state = (update or opt.update)(grad, state, params, hp_t)
    return Stepped(new_params, new_state, hp_t, aux)


def _asked(given: F | None, opt: OptimizerDef, what: str) -> F:
    """What the optimizer asks of the problem; a loop that cannot give it is a programming error."""
    if given is None:
        raise TypeError(f"{opt.name} needs {what}, which this loop's Problem does not give")
    return given


def step(
    opt: OptimizerDef,
    problem: Problem,
    params: Array,
    state: Any,
    hp: Hparams,
    t: ArrayLike,
    total: ArrayLike,
    **options,
) -> Stepped:
    """One update of ``opt`` on ``problem`` from ``params`` and ``state``: update ``t`` (from 0)
    of a run of ``total``. ``options`` as :func:`apply`."""
    gradient = _asked(problem.gradient, opt, "the gradient")
    grad, aux = gradient(opt.gradient_point(params, state, hp))
    return apply(opt, grad, problem, params, state, hp, t, total, aux=aux, **options)
