"""Share links: the whole race in a URL query string, through the same parser as the CLI.

``surface``, ``start=X,Y``, ``steps``, ``opt`` (repeated, SPEC syntax), ``noise``, ``seed``.
A bad value never breaks a page: it becomes a warning naming the parameter and what is
allowed, and the default takes its place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from .expr import ExprError, custom_surface, parse, parse_domain
from .limits import MAX_NOISE, MAX_QUERY_LENGTH, MAX_RUNS, MAX_SEED, MAX_STEPS
from .spec import (OptSpec, SpecError, format_number, format_spec, parse_noise, parse_number, parse_point,
                   parse_seed, parse_spec, parse_steps)
from .surfaces import SURFACES, Surface

DEFAULT_SURFACE = "bowl"
DEFAULT_STEPS = 150
# The first picture: the seed's three optimizers on the seed's bowl, at learning rates that
# reach the minimum within the default number of steps.
DEFAULT_RACE = ("adam:lr=0.05", "sgd:lr=0.05", "adagrad:lr=0.2")
DEFAULT_DOMAIN = (-2.0, 2.0, -2.0, 2.0)
CUSTOM = "custom"


@dataclass(frozen=True)
class RaceConfig:
    """Everything that defines what the Surfaces page draws."""

    surface: str = DEFAULT_SURFACE
    start: tuple[float, float] = SURFACES[DEFAULT_SURFACE].start
    steps: int = DEFAULT_STEPS
    specs: tuple[OptSpec, ...] = field(default_factory=lambda: tuple(parse_spec(s) for s in DEFAULT_RACE))
    noise: float = 0.0
    seed: int = 0
    expr: str = ""  # the formula, when surface is "custom"
    domain: tuple[float, float, float, float] = DEFAULT_DOMAIN  # its plotting domain

    def with_surface(self, name: str) -> "RaceConfig":
        """The same race on another catalogue surface, from that surface's default start."""
        return replace(self, surface=name, start=SURFACES[name].start)

    def surface_obj(self) -> Surface:
        """The Surface itself: from the catalogue, or compiled from the custom formula."""
        if self.surface == CUSTOM:
            return custom_surface(self.expr, self.domain)
        return SURFACES[self.surface]


def _first(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value[-1] if value else None


def _all(params: Mapping[str, Sequence[str] | str], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def parse_query(params: Mapping[str, Sequence[str] | str]) -> tuple[RaceConfig, list[str]]:
    """A RaceConfig from query parameters, and one warning per value that was refused."""
    warnings: list[str] = []
    default = RaceConfig()
    length = sum(len(k) + len(v) + 2 for k in params for v in _all(params, k))
    if length > MAX_QUERY_LENGTH:
        return default, [f"link: the query is {length} characters long; at most {MAX_QUERY_LENGTH} "
                         "are read, so the default view is shown"]

    surface = _first(params, "surface")
    expr, domain = "", DEFAULT_DOMAIN
    if surface == CUSTOM:
        try:
            expr = _first(params, "expr") or ""
            parse(expr)
            domain_text = _first(params, "domain")
            domain = parse_domain(domain_text) if domain_text is not None else DEFAULT_DOMAIN
        except ExprError as err:
            warnings.append(f"{err}; using {DEFAULT_SURFACE}")
            surface, expr, domain = None, "", DEFAULT_DOMAIN
    elif surface is not None and surface not in SURFACES:
        warnings.append(f"surface: unknown surface {surface!r}; choose one of: {', '.join(SURFACES)}, "
                        f"{CUSTOM}; using {DEFAULT_SURFACE}")
        surface = None
    if surface == CUSTOM:
        cfg = replace(default, surface=CUSTOM, expr=expr, domain=domain,
                      start=custom_surface(expr, domain).start)
    else:
        cfg = default.with_surface(surface or DEFAULT_SURFACE)

    def scalar(key: str, parse: Callable, fallback, bounds: tuple | None = None, whole: bool = False):
        """The parsed value; over a limit, the nearest allowed one; not a number, the default."""
        text = _first(params, key)
        if text is None:
            return fallback
        try:
            return parse(text)
        except SpecError as err:
            shown = ",".join(format_number(v) for v in fallback) if isinstance(fallback, tuple) else format_number(fallback)
            try:
                value = parse_number(key, text) if bounds else None
            except SpecError:
                value = None
            if value is None:
                warnings.append(f"{err}; using {shown}")
                return fallback
            nearest = min(max(round(value) if whole else value, bounds[0]), bounds[1])
            warnings.append(f"{err}; using the nearest allowed value, {format_number(nearest)}")
            return int(nearest) if whole else nearest

    start = scalar("start", lambda t: parse_point("start", t), cfg.start)
    steps = scalar("steps", parse_steps, cfg.steps, (1, MAX_STEPS), whole=True)
    noise = scalar("noise", parse_noise, cfg.noise, (0.0, MAX_NOISE))
    seed = scalar("seed", parse_seed, cfg.seed, (0, MAX_SEED), whole=True)

    specs: list[OptSpec] = []
    texts = _all(params, "opt")
    if len(texts) > MAX_RUNS:
        warnings.append(f"opt: {len(texts)} optimizers given; at most {MAX_RUNS} per race, "
                        f"using the first {MAX_RUNS}")
        texts = texts[:MAX_RUNS]
    for text in texts:
        try:
            specs.append(parse_spec(text))
        except SpecError as err:
            warnings.append(f"opt: {err}; that optimizer is left out")
    if texts and not specs:
        warnings.append("opt: no valid optimizer in the link; using the default race")
    return replace(cfg, start=start, steps=steps, specs=tuple(specs) or default.specs, noise=noise,
                   seed=seed), warnings


def to_query(cfg: RaceConfig) -> dict[str, str | list[str]]:
    """The query parameters that reproduce ``cfg`` exactly (noise and seed only when used)."""
    query: dict[str, str | list[str]] = {
        "surface": cfg.surface,
        "start": f"{format_number(cfg.start[0])},{format_number(cfg.start[1])}",
        "steps": str(cfg.steps),
        "opt": [format_spec(s) for s in cfg.specs],
    }
    if cfg.noise > 0:
        query["noise"] = format_number(cfg.noise)
        query["seed"] = str(cfg.seed)
    if cfg.surface == CUSTOM:
        query["expr"] = cfg.expr
        query["domain"] = ",".join(format_number(v) for v in cfg.domain)
    return query
