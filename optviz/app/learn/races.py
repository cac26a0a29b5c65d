"""The Learn page's races, from the shared run cache (optviz.app.kit.runs): every demo's runs are
the Surfaces page's runs of the same racers, computed once for both."""

from __future__ import annotations

from dataclasses import replace

from optviz.app.kit.runs import cached_runs
from optviz.core.analysis.demos import Demo
from optviz.core.engine.trajectory import Run
from optviz.link import RaceConfig


def race(surface: str, start, steps: int, specs, expr: str = "", domain=None, rules: tuple[str, ...] = ()) -> list[Run]:
    """The runs of a race on a catalogue surface, or on formula ``expr`` (surface "custom"), from the
    shared cache; ``rules`` are the typed rules its racers name."""
    cfg = RaceConfig(surface, tuple(start), steps, tuple(specs), expr=expr, rules=rules)
    return cached_runs(replace(cfg, domain=domain) if domain else cfg)


def demo_runs(demo: Demo) -> list[Run]:
    """A demo's runs (optviz.core.analysis.demos), from the shared cache."""
    return race(demo.surface, demo.start, demo.steps, demo.specs(), demo.expr, demo.domain, demo.rules)
