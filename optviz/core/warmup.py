"""Everything a page could need compiled, prepared once per process at start-up (``optviz warmup``,
the app's boot): the catalogue program (every catalogue surface, optimizer and step count), its
vmapped form for fans (optviz.core.engine.fan), the Hessians' program, and every catalogue
surface's grid programs. With JAX's persistent compilation cache (optviz.core.engine.devices)
a process loads them from disk instead of compiling them. It sits on top of the core: it imports from every layer of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from optviz.core.analysis.measures import gradient_field, loss_grid
from optviz.core.analysis.stability import warm_up as compile_hessians
from optviz.core.engine.fan import warm_up as compile_fans
from optviz.core.engine.trajectory import compile_first
from optviz.core.engine.trajectory import warm_up as compile_paths
from optviz.core.problems.surfaces import SURFACES


def warm_up(
    fans: bool = True,
    first: Sequence[str] = (),
    grids: Callable[[], None] | None = None,
    after: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Compile and precompute; returns the seconds each part took.

    In order: with ``first``, a program of only those optimizers (a page's default racers: their
    runs need not wait for the catalogue program, optviz.core.engine.trajectory.compile_first);
    the Hessians; every surface's grids (``grids``, when the caller keeps its own copies, else
    here); the catalogue program; without ``fans``, the fans' program is left to the caller (the
    app compiles it when first asked for: no page waits for it). ``after(part)`` is called as
    each part is done (the app's pages waiting for one look again).
    """
    parts: list[tuple[str, Callable[[], object]]] = [
        ("hessians", compile_hessians),
        ("grids", grids or _surface_grids),
        ("paths", compile_paths),
    ]
    if first:
        parts.insert(0, ("first paths", lambda: compile_first(first)))
    if fans:
        parts.append(("fans", compile_fans))
    times = {}
    for name, part in parts:
        t = time.perf_counter()
        part()
        times[name] = time.perf_counter() - t
        if after is not None:
            after(name)
    return times


def _surface_grids() -> None:
    for surface in SURFACES.values():  # compiled by evaluating once
        loss_grid(surface)
        gradient_field(surface)
