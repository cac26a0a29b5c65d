"""Everything a page could need compiled, prepared once per process at start-up (``optviz warmup``,
the app's boot): the catalogue program (every catalogue surface, optimizer and step count), its
vmapped form for fans (optviz.core.engine.fan), the Hessians' program, and every catalogue
surface's grid programs. With JAX's persistent compilation cache (optviz.core.engine.devices)
a process loads them from disk instead of compiling them. It sits on top of the core: it imports from every layer of it.
"""

from __future__ import annotations

import time

from optviz.core.analysis.measures import gradient_field, loss_grid
from optviz.core.analysis.stability import warm_up as compile_hessians
from optviz.core.engine.fan import warm_up as compile_fans
from optviz.core.engine.trajectory import warm_up as compile_paths
from optviz.core.problems.surfaces import SURFACES


def warm_up(fans: bool = True) -> dict[str, float]:
    """Compile and precompute; returns the seconds each part took. Without ``fans``, the fans'
    program is left to the caller (the app compiles it after the rest: no page waits for it)."""
    times = {"paths": compile_paths()}
    t = time.perf_counter()
    compile_hessians()
    times["hessians"] = time.perf_counter() - t
    if fans:
        times["fans"] = compile_fans()
    t = time.perf_counter()
    for surface in SURFACES.values():  # compiled by evaluating once (the app keeps its own copies)
        loss_grid(surface)
        gradient_field(surface)
    times["grids"] = time.perf_counter() - t
    return times
