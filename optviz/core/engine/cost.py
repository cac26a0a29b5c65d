"""How fast this machine runs each kind of work: what a job's cost estimate reads before it starts.

Every job the app queues (a sweep, a comparison, MNIST training, a landscape, a range test, an
edge-of-stability run) estimates its seconds from its size with these rates, beside the job's own
code (``estimated_seconds`` in its module). They were measured on the project's 2-core machine,
warm, and rounded towards the slow side, so an estimate mostly errs long (at worst 0.8x of the
first, compiling call, as measured): it decides whether a job queues (optviz.app.kit.jobs) and
what its watchers are told before it has progress of its own.
``benchmarks/bench_estimates.py`` prints each estimate beside the measured time.
"""

from __future__ import annotations

from optviz.core.optimizers import REGISTRY

# Cell-steps a second of a sweep, by kind of step: the slowest of each kind measured here
# (SWATS on Rastrigin, 18 M; Newton on Rastrigin 128x128 x 500 steps, 2.8 M; L-BFGS with its line
# search on Rastrigin 64x64 x 500 steps, 0.25 M), rounded down.
RATE_ELEMENTWISE, RATE_COSTLY, RATE_LINE_SEARCH = 18e6, 2.5e6, 0.2e6
# Compiling one program the first time (a training step, a landscape's loss, a comparison's
# sweep): 0.6-2.9 s measured. An estimate assumes it is not compiled yet.
COMPILE_SECONDS = 3.0
# A costly optimizer's training step against an elementwise one's (Muon: 3.6x on the CNN, 7x on
# the MLP).
COSTLY_SLOWDOWN = 8.0


def cell_steps_per_second(opt_name: str) -> float:
    """About how many cell-steps a second a sweep of ``opt_name`` runs (an optimizer that may
    search a line is taken to search it)."""
    opt = REGISTRY[opt_name]
    if opt.needs_objective:
        return RATE_LINE_SEARCH
    return RATE_COSTLY if opt.costly else RATE_ELEMENTWISE
