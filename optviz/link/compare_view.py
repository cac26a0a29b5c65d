"""The Compare page's link: the tuned comparison and the LR range test.

``opt`` (repeated SPECs), ``surfaces`` (comma-separated), ``starts``, ``budget``, ``tune``
(lr|all), ``steps``, ``tol``; then the range test: ``lr_on`` (a surface, or ``mnist-logreg`` /
``mnist-mlp``) and ``lr_opt``. Each is written only where it differs from the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optviz.core.analysis.compare import DEFAULT_SURFACES, TUNES
from optviz.core.limits import MAX_BUDGET, MAX_STARTS, MAX_SWEEP_STEPS
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import OptSpec, SpecError, check_surface, format_number, format_spec, parse_int, parse_spec
from optviz.link.query import Params, Query, Reader, too_long
from optviz.link.surfaces_view import TOLERANCES

DEFAULT_OPTS = ("adam", "momentum", "rmsprop", "adagrad")
WITH_MINIMUM = tuple(n for n, s in SURFACES.items() if s.f_min is not None)
RANGE_TARGETS = tuple(SURFACES) + ("mnist-logreg", "mnist-mlp")  # where the LR range test runs


def _surfaces(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    bad = [n for n in names if n not in WITH_MINIMUM]
    if bad or not names:
        raise SpecError(
            f"surfaces: {', '.join(bad) or 'none given'} not allowed; choose from: {', '.join(WITH_MINIMUM)}"
        )
    return names


@dataclass(frozen=True)
class CompareConfig:
    """The Compare page's view."""

    specs: tuple[OptSpec, ...] = field(default_factory=lambda: tuple(parse_spec(s) for s in DEFAULT_OPTS))
    surfaces: tuple[str, ...] = DEFAULT_SURFACES
    starts: int = 2
    budget: int = 8
    tune: str = "lr"
    steps: int = 300
    tol: float = 1e-3
    lr_on: str = "rosenbrock"
    lr_opt: OptSpec = field(default_factory=lambda: parse_spec("adam"))
    rules: tuple[str, ...] = ()  # typed optimizer rules the optimizers may name (optviz.core.optimizers.rules)

    @classmethod
    def from_query(cls, params: Params, strict: bool = False) -> tuple[CompareConfig, list[str]]:
        """The configuration a link describes, and one warning per item that had to be replaced."""
        problem = too_long(params, strict)
        if problem:
            return cls(), [problem]
        read, d = Reader(params, strict), cls()
        rules = read.rules()
        with in_scope(rules):  # checked already: opt and lr_opt may name them
            specs = read.specs("opt", d.specs, check_surface)
            lr_opt = read.value("lr_opt", lambda t: check_surface(read.spec("lr_opt", t)), d.lr_opt)
        cfg = cls(
            specs=specs,
            surfaces=read.value("surfaces", _surfaces, d.surfaces),
            starts=read.value(
                "starts", lambda t: parse_int("starts", t, 1, MAX_STARTS), d.starts, (1, MAX_STARTS), whole=True
            ),
            budget=read.value(
                "budget", lambda t: parse_int("budget", t, 1, MAX_BUDGET), d.budget, (1, MAX_BUDGET), whole=True
            ),
            tune=read.choice("tune", TUNES, d.tune),
            steps=read.value(
                "steps", lambda t: parse_int("steps", t, 1, MAX_SWEEP_STEPS), d.steps, (1, MAX_SWEEP_STEPS), whole=True
            ),
            tol=read.stop("tol", TOLERANCES, d.tol),
            lr_on=read.choice("lr_on", RANGE_TARGETS, d.lr_on),
            lr_opt=lr_opt,
            rules=rules,
        )
        return cfg, read.warnings

    def to_query(self) -> Query:
        """The parameters that reproduce this view (only values other than the defaults)."""
        d, q = CompareConfig(), Query()
        if self.specs != d.specs:
            q["opt"] = [format_spec(s) for s in self.specs]
        if self.surfaces != d.surfaces:
            q["surfaces"] = ",".join(self.surfaces)
        for key in ("starts", "budget", "steps"):
            if getattr(self, key) != getattr(d, key):
                q[key] = str(getattr(self, key))
        if self.tune != d.tune:
            q["tune"] = self.tune
        if self.tol != d.tol:
            q["tol"] = format_number(self.tol)
        if self.lr_on != d.lr_on:
            q["lr_on"] = self.lr_on
        if self.lr_opt != d.lr_opt:
            q["lr_opt"] = format_spec(self.lr_opt)
        if self.rules:
            q["rule"] = list(self.rules)
        return q


__all__ = ["DEFAULT_OPTS", "DEFAULT_SURFACES", "RANGE_TARGETS", "WITH_MINIMUM", "CompareConfig"]
