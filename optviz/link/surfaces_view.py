"""The Surfaces page's link: the race (surface, start, steps, optimizers, noise) and the view.

``surface``, ``start=X,Y``, ``steps``, ``opt`` (repeated, SPEC syntax), ``noise`` and ``seed``
(when there is noise), ``expr`` and ``domain`` (custom formulas); then the view, written only
where it differs from the default: ``log=1|0``, ``arrows=1``, ``tol``, ``playback=1`` and
``frame`` (the step shown), ``inside=K`` (the K-th racer's state, 1-based) and ``inside_step``;
``colors=C1,C2,...`` (each racer's colour, a number from 1 to RACER_COLORS in the palette) when
they are not simply 1, 2, 3, ...: a racer keeps its colour for life, and a slide's legend must
match what a student who opens the link sees. ``scrub=KEY`` opens the what-if scrubber over one
setting of a racer (a hyperparameter, a schedule or clipping key, or ``start_x``/``start_y``),
``scrub_racer=K`` (1-based; the first by default) names the racer. ``rule`` (repeated) is an
optimizer rule typed as text (optviz.core.optimizers.rules), which ``opt`` may then name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optviz.core.analysis.suggested import suggested_lr
from optviz.core.engine.fan import START_KEYS, setting
from optviz.core.limits import MAX_NOISE, MAX_SEED, MAX_STEPS, RACER_COLORS
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.formulas import DEFAULT_DOMAIN, ExprError, check_custom, custom_surface
from optviz.core.problems.surfaces import SURFACES, Surface
from optviz.core.spec import (
    OptSpec,
    SpecError,
    check_surface,
    format_number,
    format_spec,
    make_spec,
    parse_int,
    parse_noise,
    parse_point,
    parse_seed,
    parse_steps,
)
from optviz.link.query import Params, Query, Reader, too_long

DEFAULT_SURFACE = "bowl"
DEFAULT_STEPS = 150
DEFAULT_OPTIMIZERS = ("adam", "sgd", "adagrad")  # the seed's three
CUSTOM = "custom"
TOLERANCES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6)  # loss - min f counted as reached: the tolerance control's stops


def default_specs(surface: str) -> tuple[OptSpec, ...]:
    """A link that names no optimizer: the seed's three at ``surface``'s suggested learning
    rates (optviz.core.analysis.suggested); on a custom formula, which has none, the bowl's."""

    def lr(name: str) -> dict[str, float]:
        value = suggested_lr(surface, name)
        value = suggested_lr(DEFAULT_SURFACE, name) if value is None else value
        return {} if value is None else {"lr": value}

    return tuple(make_spec(name, lr(name)) for name in DEFAULT_OPTIMIZERS)


# The first picture: the seed's three optimizers on the seed's bowl.
DEFAULT_RACE = tuple(format_spec(s) for s in default_specs(DEFAULT_SURFACE))


@dataclass(frozen=True)
class RaceConfig:
    """What the Surfaces page computes: the surface, where the racers start, and the racers."""

    surface: str = DEFAULT_SURFACE
    start: tuple[float, float] = SURFACES[DEFAULT_SURFACE].start
    steps: int = DEFAULT_STEPS
    specs: tuple[OptSpec, ...] = field(default_factory=lambda: default_specs(DEFAULT_SURFACE))
    noise: float = 0.0
    seed: int = 0
    expr: str = ""  # the formula, when surface is "custom"
    domain: tuple[float, float, float, float] = DEFAULT_DOMAIN  # its plotting domain
    rules: tuple[str, ...] = ()  # typed optimizer rules (optviz.core.optimizers.rules) the racers may name

    def surface_obj(self) -> Surface:
        """The Surface itself: from the catalogue, or compiled from the custom formula."""
        if self.surface == CUSTOM:
            return custom_surface(self.expr, self.domain)
        return SURFACES[self.surface]


@dataclass(frozen=True)
class SurfacesConfig:
    """Everything the Surfaces page shows: the race, and how it is viewed."""

    race: RaceConfig = field(default_factory=RaceConfig)
    log: bool | None = None  # log-scaled heights; None: the surface's own choice
    arrows: bool = False  # downhill arrows on the top view
    tol: float = 1e-3  # the results table counts steps until loss - min f <= tol
    playback: bool = False
    frame: int | None = None  # the playback step shown; None: the last
    inside: int | None = None  # the racer whose state is shown (0-based); None: the section is closed
    inside_step: int | None = None  # the step whose numbers are written out; None: step 10 (or the last)
    colors: tuple[int, ...] | None = None  # each racer's palette index (0-based); None: 0, 1, 2, ... in order
    scrub: str | None = None  # the setting the what-if scrubber runs through; None: no scrubber
    scrub_racer: int = 0  # whose setting (0-based)

    def __post_init__(self):
        if self.colors is not None and tuple(self.colors) == tuple(range(len(self.race.specs))):
            object.__setattr__(self, "colors", None)  # the default order is written as nothing, and read back so

    def racer_colors(self) -> tuple[int, ...]:
        """Each racer's palette index, in race order."""
        return self.colors if self.colors is not None else tuple(range(len(self.race.specs)))

    @property
    def log_scale(self) -> bool:
        """Whether heights are drawn log-scaled."""
        return self.race.surface_obj().log_scale if self.log is None else self.log

    @classmethod
    def from_query(cls, params: Params, strict: bool = False) -> tuple[SurfacesConfig, list[str]]:
        """The configuration a link describes, and one warning per item that had to be replaced
        (``strict``: SpecError for the first, as the command line wants)."""
        problem = too_long(params, strict)
        if problem:
            return cls(), [problem]
        read = Reader(params, strict)
        race = _read_race(read)
        n, steps = len(race.specs), race.steps
        cfg = cls(
            race,
            log=read.flag("log", False) if read.text("log") is not None else None,
            arrows=read.flag("arrows", False),
            tol=read.stop("tol", TOLERANCES, 1e-3),
            playback=read.flag("playback", False),
            frame=read.value("frame", lambda t: parse_int("frame", t, 0, steps), None, (0, steps), whole=True),
            inside=_minus_one(read.value("inside", lambda t: parse_int("inside", t, 1, n), None, (1, n), whole=True)),
            inside_step=read.value(
                "inside_step", lambda t: parse_int("inside_step", t, 1, steps), None, (1, steps), whole=True
            ),
            colors=_read_colors(read, n),
            **_read_scrub(read, race),
        )
        return cfg, read.warnings

    def to_query(self) -> Query:
        """The parameters that reproduce this configuration exactly (view items only where not default)."""
        query = race_query(self.race)
        view = {
            "log": None if self.log is None else str(int(self.log)),
            "arrows": "1" if self.arrows else None,
            "tol": None if self.tol == 1e-3 else format_number(self.tol),
            "playback": "1" if self.playback else None,
            "frame": None if self.frame is None else str(self.frame),
            "inside": None if self.inside is None else str(self.inside + 1),
            "inside_step": None if self.inside_step is None else str(self.inside_step),
            "colors": None if self.colors is None else ",".join(str(c + 1) for c in self.colors),
            "scrub": self.scrub,
            "scrub_racer": str(self.scrub_racer + 1) if self.scrub is not None and self.scrub_racer else None,
        }
        query.update({k: v for k, v in view.items() if v is not None})
        return query


def parse_colors(text: str, racers: int) -> tuple[int, ...]:
    """``C1,C2,...``: one palette number (1 to RACER_COLORS) per racer, no two alike; 0-based out."""
    parts = [p.strip() for p in str(text).split(",")]
    allowed = f"one colour number from 1 to {RACER_COLORS} per racer, no two alike"
    if len(parts) != racers:
        raise SpecError(f"colors: {allowed}; {len(parts)} given for {racers} racers (got {text!r})")
    numbers = [parse_int("colors", p, 1, RACER_COLORS) for p in parts]
    if len(set(numbers)) != len(numbers):
        raise SpecError(f"colors: {allowed} (got {text!r})")
    return tuple(c - 1 for c in numbers)


def _read_colors(read: Reader, racers: int) -> tuple[int, ...] | None:
    text = read.text("colors")
    if text is None:
        return None
    try:
        return parse_colors(text, racers)
    except SpecError as err:
        read.warn(f"{err}; using {','.join(str(i + 1) for i in range(racers))}")
        return None


def check_scrub(spec: OptSpec, key: str) -> None:
    """SpecError unless ``key`` is a setting of this racer that can be scrubbed (or a start coordinate)."""
    if key not in START_KEYS:
        setting(spec, key)


def _read_scrub(read: Reader, race: RaceConfig) -> dict:
    """The scrubber's setting and racer; a setting the racer does not have is dropped, and said so."""
    n = len(race.specs)
    racer = read.value("scrub_racer", lambda t: parse_int("scrub_racer", t, 1, n), 1, (1, n), whole=True) - 1
    key = read.text("scrub")
    if key is None:
        return {}
    try:
        check_scrub(race.specs[racer], key)
    except SpecError as err:
        read.warn(f"{err}; showing no scrubber", refusal=str(err))
        return {}
    return {"scrub": key, "scrub_racer": racer}


def _minus_one(value: int | None) -> int | None:
    return None if value is None else value - 1


def _read_surface(read: Reader) -> tuple[str, str, tuple]:
    """The surface, and for a custom one its formula and domain (one check:
    optviz.core.problems.formulas.check_custom)."""
    surface = read.text("surface")
    if surface == CUSTOM:
        try:
            expr, domain = check_custom(read.text("expr") or "", read.text("domain"))
            return CUSTOM, expr, domain
        except ExprError as err:
            read.warn(f"{err}; using {DEFAULT_SURFACE}")
            return DEFAULT_SURFACE, "", DEFAULT_DOMAIN
    if surface is not None and surface not in SURFACES:
        read.warn(
            f"surface: unknown surface {surface!r}; choose one of: {', '.join(SURFACES)}, {CUSTOM}; "
            f"using {DEFAULT_SURFACE}"
        )
        surface = None
    return surface or DEFAULT_SURFACE, "", DEFAULT_DOMAIN


def _read_race(read: Reader) -> RaceConfig:
    surface, expr, domain = _read_surface(read)
    default_start = custom_surface(expr, domain).start if surface == CUSTOM else SURFACES[surface].start
    rules = read.rules()
    with in_scope(rules):  # checked already: the racers may now name them
        specs = read.specs("opt", default_specs(surface), check_surface)
    return RaceConfig(
        surface=surface,
        expr=expr,
        domain=domain,
        start=read.value("start", lambda t: parse_point("start", t), default_start),
        steps=read.value("steps", parse_steps, DEFAULT_STEPS, (1, MAX_STEPS), whole=True),
        specs=specs,
        noise=read.value("noise", parse_noise, 0.0, (0.0, MAX_NOISE)),
        seed=read.value("seed", parse_seed, 0, (0, MAX_SEED), whole=True),
        rules=rules,
    )


def race_query(race: RaceConfig) -> Query:
    """The race's own parameters (noise and seed only when set)."""
    query: Query = {
        "surface": race.surface,
        "start": f"{format_number(race.start[0])},{format_number(race.start[1])}",
        "steps": str(race.steps),
        "opt": [format_spec(s) for s in race.specs],
    }
    if race.noise > 0:
        query["noise"] = format_number(race.noise)
    if race.noise > 0 or race.seed:
        query["seed"] = str(race.seed)
    if race.surface == CUSTOM:
        query["expr"] = race.expr
        query["domain"] = ",".join(format_number(v) for v in race.domain)
    if race.rules:
        query["rule"] = list(race.rules)
    return query


def parse_query(params: Params) -> tuple[RaceConfig, list[str]]:
    """The race a link describes (its view left aside), and the warnings: for links made elsewhere."""
    cfg, warnings = SurfacesConfig.from_query(params)
    return cfg.race, warnings


def to_query(race: RaceConfig) -> Query:
    """The link of a race, in the default view."""
    return SurfacesConfig(race).to_query()
