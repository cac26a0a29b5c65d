"""The Sweep page's link: the grid (surface, optimizers, axes, start, steps) and the view.

``surface``, ``opt`` and ``opt2`` (SPEC syntax), ``x`` and ``y`` (``KEY=LO:HI:N[:log]``, the
CLI's syntax), ``start=X,Y``, ``steps``, ``tol``; the view: ``metric`` (loss, steps,
diverged, basin), ``cell=X,Y`` (the inspected cell's axis values) and ``scale=own`` (each
heatmap its own colour scale instead of a shared one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from optviz.core.limits import MAX_SWEEP_STEPS
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import (
    OptSpec,
    SpecError,
    SweepAxis,
    check_surface,
    format_axis,
    format_number,
    format_spec,
    hparam_of,
    parse_axis,
    parse_point,
    parse_spec,
    parse_sweep_steps,
)
from optviz.link.query import Params, Query, Reader, too_long
from optviz.link.surfaces_view import TOLERANCES

METRICS = ("loss", "steps", "diverged", "basin")  # basin: which minimum a start ends in (start grids only)
DEFAULT_CELLS = 48


def default_axis(key: str, spec: OptSpec, surface: str, n: int = DEFAULT_CELLS) -> SweepAxis:
    """The axis over ``key``'s whole slider range (a start coordinate: the surface's domain)."""
    if key in ("x", "y"):
        lo, hi = SURFACES[surface].domain[:2] if key == "x" else SURFACES[surface].domain[2:]
        return SweepAxis(key, float(lo), float(hi), n)
    hp = hparam_of(spec.name, key)
    low, high = float(hp.slider[0]), float(hp.slider[1])
    if hp.kind == "int" and n > 1:  # whole values: a whole step, the range stretched to fit
        high = low + max(1, round((high - low) / (n - 1))) * (n - 1)
    return SweepAxis(key, low, high, n, hp.log)


def nearest_index(axis: SweepAxis, value: float) -> int:
    """The grid index whose value is nearest ``value`` (by ratio on a log axis)."""
    values = axis.values
    if axis.log and value > 0:
        return min(range(len(values)), key=lambda i: abs(math.log(values[i]) - math.log(value)))
    return min(range(len(values)), key=lambda i: abs(values[i] - value))


@dataclass(frozen=True)
class SweepConfig:
    """Everything the Sweep page shows."""

    surface: str = "rosenbrock"
    opt: OptSpec = field(default_factory=lambda: parse_spec("adam"))
    opt2: OptSpec | None = None  # a second optimizer over the same grid, side by side
    x: SweepAxis = field(default_factory=lambda: default_axis("lr", parse_spec("adam"), "rosenbrock"))
    y: SweepAxis = field(default_factory=lambda: default_axis("b1", parse_spec("adam"), "rosenbrock"))
    start: tuple[float, float] = SURFACES["rosenbrock"].start
    steps: int = 500
    tol: float = 1e-3
    metric: str = "loss"
    cell: tuple[float, float] | None = None  # the inspected cell's (x, y) axis values; None: the default cell
    shared_scale: bool = True
    rules: tuple[str, ...] = ()  # typed optimizer rules opt and opt2 may name (optviz.core.optimizers.rules)

    @property
    def specs(self) -> list[OptSpec]:
        """The optimizers swept, in order."""
        return [self.opt] + ([self.opt2] if self.opt2 is not None else [])

    @property
    def start_grid(self) -> bool:
        """Whether an axis is a start coordinate (then basins can be shown)."""
        return self.x.is_start or self.y.is_start

    def default_cell(self, spec: OptSpec | None = None) -> tuple[int, int]:
        """(row, column) of the cell nearest ``spec``'s own settings and the start (the first
        optimizer's by default): the run the SPEC alone describes."""
        values = (spec or self.opt).settings()
        at = lambda axis: self.start["xy".index(axis.key)] if axis.is_start else values[axis.key]
        return nearest_index(self.y, at(self.y)), nearest_index(self.x, at(self.x))

    def cell_index(self) -> tuple[int, int]:
        """(row, column) of the inspected cell: the link's, else the default cell."""
        if self.cell is None:
            return self.default_cell()
        return nearest_index(self.y, self.cell[1]), nearest_index(self.x, self.cell[0])

    def at_cell(self, row: int, col: int) -> SweepConfig:
        """The same view with the cell at (row, column) inspected."""
        return replace(self, cell=(self.x.values[col], self.y.values[row]))

    @classmethod
    def from_query(cls, params: Params) -> tuple[SweepConfig, list[str]]:
        """The configuration a link describes, and one warning per item that had to be replaced."""
        problem = too_long(params)
        if problem:
            return cls(), [problem]
        read = Reader(params)
        surface = read.choice("surface", tuple(SURFACES), "rosenbrock")
        rules = read.rules()
        with in_scope(rules):  # checked already: opt and opt2 may name them
            opt = read.value("opt", lambda t: check_surface(read.spec("opt", t)), parse_spec("adam"))
            x = read.value("x", lambda t: parse_axis("x", t, opt.name), default_axis("lr", opt, surface))
            y = read.value(
                "y", lambda t: parse_axis("y", t, opt.name), default_axis(_other_key(x.key, opt), opt, surface)
            )
            if x.key == y.key:
                y = default_axis(_other_key(x.key, opt), opt, surface)
                read.warn(f"y: the two axes must differ (both are {x.key}); using {format_axis(y)}")
            opt2 = _read_opt2(read, x, y)
        metric = read.choice("metric", METRICS, "loss")
        if metric == "basin" and not (x.is_start or y.is_start):
            read.warn("metric: basins need a start coordinate (x or y) as an axis; using loss")
            metric = "loss"
        cfg = cls(
            surface,
            opt,
            opt2,
            x,
            y,
            start=read.value("start", lambda t: parse_point("start", t), SURFACES[surface].start),
            steps=read.value("steps", parse_sweep_steps, 500, (1, MAX_SWEEP_STEPS), whole=True),
            tol=read.stop("tol", TOLERANCES, 1e-3),
            metric=metric,
            shared_scale=read.choice("scale", ("shared", "own"), "shared") == "shared",
            rules=rules,
        )
        cell = read.value("cell", lambda t: parse_point("cell", t), None)
        return (cfg.at_cell(*_snap(cfg, cell)) if cell is not None else cfg), read.warnings

    def to_query(self) -> Query:
        """The parameters that reproduce this configuration exactly (view items only where not default)."""
        query: Query = {"surface": self.surface, "opt": format_spec(self.opt)}
        if self.opt2 is not None:
            query["opt2"] = format_spec(self.opt2)
        query.update(
            {
                "x": format_axis(self.x),
                "y": format_axis(self.y),
                "start": ",".join(format_number(v) for v in self.start),
                "steps": str(self.steps),
            }
        )
        if self.tol != 1e-3:
            query["tol"] = format_number(self.tol)
        if self.metric != "loss":
            query["metric"] = self.metric
        if self.cell is not None:
            query["cell"] = ",".join(format_number(v) for v in self.cell)
        if not self.shared_scale:
            query["scale"] = "own"
        if self.rules:
            query["rule"] = list(self.rules)
        return query


def _other_key(key: str, opt: OptSpec) -> str:
    """A default for the second axis: b1 when the optimizer has it, else a start coordinate."""
    names = REGISTRY[opt.name].hparam_names
    for candidate in ("b1", "momentum", "alpha", "y", "x"):
        if candidate != key and (candidate in ("x", "y") or candidate in names):
            return candidate
    return "y"


def _read_opt2(read: Reader, x: SweepAxis, y: SweepAxis) -> OptSpec | None:
    """The second optimizer, if its link value parses and both axes are its hyperparameters too."""
    opt2 = read.value("opt2", lambda t: check_surface(read.spec("opt2", t)), None)
    if opt2 is None:
        return None
    for label, axis in (("x", x), ("y", y)):
        try:
            parse_axis(label, format_axis(axis), opt2.name)
        except SpecError:
            read.warn(
                f"opt2: {REGISTRY[opt2.name].display_name} has no {axis.key} (the {label} axis); "
                "the comparison is left out"
            )
            return None
    return opt2


def _snap(cfg: SweepConfig, cell: tuple[float, float]) -> tuple[int, int]:
    return nearest_index(cfg.y, cell[1]), nearest_index(cfg.x, cell[0])
