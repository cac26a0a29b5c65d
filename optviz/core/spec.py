"""The one parser of user input: optimizer SPECs and the scalar settings around them.

The CLI and the app's share links both go through these functions, so a value is valid in
one exactly when it is valid in the other. Every failure raises :class:`SpecError` with one
line that names the offending item and says what is allowed.

SPEC syntax: ``name[:key=value,key=value...]``, e.g. ``adam:lr=0.01,b1=0.9``; keys not given
take the registry's defaults. Besides its own hyperparameters, every optimizer takes the
schedule and clipping keys of :mod:`optviz.core.optimizers.schedule` (``schedule=cosine,warmup=20``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from optviz.core.limits import (
    MAX_COORD,
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    MAX_SPEC_LENGTH,
    MAX_STEPS,
    MAX_SWEEP_SIDE,
    MAX_SWEEP_STEPS,
)
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers import schedule as sched
from optviz.core.optimizers.base import HParam
from optviz.core.optimizers.rules import public_name, resolve


class SpecError(ValueError):
    """Bad user input; the message is one line naming the item and what is allowed."""

    def __init__(self, message: str):
        # User text is quoted into messages; a line break in it must not break the one line.
        super().__init__("".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message)))


@dataclass(frozen=True)
class OptSpec:
    """An optimizer with every hyperparameter filled in, and its schedule and clipping (``common``)."""

    name: str
    hparams: dict[str, float] = field(hash=False)
    common: dict[str, float] = field(default_factory=lambda: dict(sched.DEFAULTS), hash=False)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.hparams.items())), tuple(sorted(self.common.items()))))

    def settings(self) -> dict[str, float]:
        """Every value the loops read: the optimizer's hyperparameters and the common keys."""
        return {**self.hparams, **self.common}

    @property
    def scheduled(self) -> bool:
        """Whether the learning rate changes over the run."""
        return sched.kind_of(self.common) != "constant" or self.common["warmup"] > 0

    def label(self, tuned: tuple[str, ...] = ()) -> str:
        """A short legend label: the display name, the learning rate (always: "SGD" beside
        "Adam (lr=0.03)" hid SGD's), and the other values that are not the defaults; the
        ``tuned`` keys are left out (a comparison sets them itself)."""
        opt = REGISTRY[self.name]
        changed = [
            f"{k}={sig(v)}"
            for k, v in self.hparams.items()
            if k not in tuned and (k == "lr" or v != opt.hparam(k).default)
        ]
        changed += [
            sched.KINDS[int(v)] if k == "schedule" else f"{k}={sig(v)}"
            for k, v in self.common.items()
            if v != sched.DEFAULTS[k]
        ]
        return opt.display_name + (f" ({', '.join(changed)})" if changed else "")


def format_number(value: float) -> str:
    """The shortest text that parses back to exactly ``value``."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def parse_number(item: str, text: str) -> float:
    """A finite float, or SpecError naming ``item``."""
    try:
        value = float(text.strip())
    except (ValueError, AttributeError):
        raise SpecError(f"{item}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise SpecError(f"{item}: {text!r} is not a finite number")
    return value


def parse_int(item: str, text: str, low: int, high: int) -> int:
    """An integer in [low, high], or SpecError naming ``item``."""
    value = parse_number(item, str(text))
    if not value.is_integer() or not low <= value <= high:
        raise SpecError(f"{item}: must be a whole number from {low} to {high} (got {text})")
    return int(value)


def make_spec(name: str, overrides: dict[str, float] | None = None) -> OptSpec:
    """An OptSpec for ``name`` with ``overrides`` (its hyperparameters or the common schedule and
    clipping keys) validated and the rest at their defaults."""
    key = resolve(name.strip().lower())
    if key not in REGISTRY:
        raise SpecError(f"unknown optimizer {name!r}; choose one of: {', '.join(REGISTRY)}")
    opt = REGISTRY[key]
    values, common = opt.defaults(), dict(sched.DEFAULTS)
    for hp_name, value in (overrides or {}).items():
        if hp_name not in values:
            hp_name = sched.ALIASES.get(hp_name, hp_name)
        into = values if hp_name in values else common if hp_name in common else None
        if into is None:
            raise SpecError(
                f"{key}: unknown hyperparameter {hp_name!r}; {key} takes: {', '.join(opt.hparam_names + sched.NAMES)}"
            )
        check_value(key, opt.hparam(hp_name) if into is values else sched.BY_NAME[hp_name], value)
        into[hp_name] = float(value)
    problem = sched.check(common)
    if problem:
        raise SpecError(f"{key}: {problem}")
    return OptSpec(key, values, common)


def check_value(optimizer: str, hp: HParam, value: float) -> None:
    """SpecError naming ``optimizer``, the key and what it allows, unless ``value`` is valid for ``hp``."""
    if not hp.is_valid(value):
        raise SpecError(f"{optimizer}: {hp.allowed()} (got {format_number(value) if math.isfinite(value) else value})")


def check_network(spec: OptSpec) -> OptSpec:
    """``spec``, unless its optimizer cannot train a network: then SpecError saying why (its entry's note)."""
    note = REGISTRY[spec.name].network_note
    if note:
        raise SpecError(f"{spec.name}: works on the 2D surfaces only ({note})")
    return spec


def check_surface(spec: OptSpec) -> OptSpec:
    """``spec``, unless its optimizer is not offered on the 2D surfaces (Muon: it needs weight
    matrices): then SpecError saying why."""
    note = REGISTRY[spec.name].surface_note
    if note:
        raise SpecError(f"{spec.name}: not offered on the 2D surfaces: {note}")
    return spec


def parse_surface_spec(text: str) -> OptSpec:
    """``parse_spec`` for a run on a 2D surface: an optimizer not offered there is refused."""
    return check_surface(parse_spec(text))


def check_steps(spec: OptSpec, steps: int) -> None:
    """Refuse a schedule that does not fit a run of ``steps`` updates (warmup too long)."""
    problem = sched.check(spec.common, steps)
    if problem:
        raise SpecError(f"{spec.name}: {problem}")


def parse_spec(text: str) -> OptSpec:
    """Parse ``name[:key=value,...]`` into a validated OptSpec."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("optimizer spec is empty; expected name[:key=value,...], e.g. adam:lr=0.01")
    if len(text) > MAX_SPEC_LENGTH:
        raise SpecError(f"optimizer spec is {len(text)} characters long; at most {MAX_SPEC_LENGTH} allowed")
    name, _, rest = text.strip().partition(":")
    overrides: dict[str, float] = {}
    if rest.strip():
        for part in rest.split(","):
            key, eq, raw = part.partition("=")
            key = key.strip()
            if not eq or not key:
                raise SpecError(f"{name.strip()}: {part.strip()!r} is not key=value")
            if key in overrides:
                raise SpecError(f"{name.strip()}: {key} is given twice")
            overrides[key] = _parse_value(name.strip(), key, raw)
    return make_spec(name, overrides)


def _parse_value(name: str, key: str, raw: str) -> float:
    """A SPEC value: a number, or for a choice key (schedule) one of its names."""
    hp = sched.BY_NAME.get(key)
    if hp is not None and hp.kind == "choice":
        text = raw.strip().lower()
        if text not in hp.choices:
            raise SpecError(f"{name}: {hp.allowed()} (got {raw.strip()!r})")
        return float(hp.choices.index(text))
    return parse_number(f"{name}: {key}", raw)


def fit_spec(text: str) -> tuple[OptSpec, list[str]]:
    """:func:`parse_spec` for a link: a value that is not allowed becomes the nearest allowed one
    (a number outside its range, the nearest bound or, for an open bound, its slider's end; text
    that is not a number, the default; an unknown schedule, constant; onecycle's warmup is
    dropped), and a key the optimizer does not take is left out, each change said in one line.
    An unknown optimizer, or text that is not ``name[:key=value,...]``, raises SpecError as
    parse_spec does."""
    try:
        return parse_spec(text), []
    except SpecError as err:
        first = err
    name, _, rest = str(text).strip().partition(":")
    key_name = resolve(name.strip().lower())
    if key_name not in REGISTRY or len(str(text)) > MAX_SPEC_LENGTH:
        raise first
    own = REGISTRY[key_name].hparam_names
    parts, notes, seen = [], [], set()
    for part in rest.split(",") if rest.strip() else []:
        key, eq, raw = (p.strip() for p in part.partition("="))
        if not eq or not key or key in seen:
            raise first
        seen.add(key)
        hp = REGISTRY[key_name].hparam(key) if key in own else sched.BY_NAME.get(sched.ALIASES.get(key, key))
        if hp is None:
            notes.append(
                f"{name.strip()}: unknown hyperparameter {key!r} ({name.strip()} takes: "
                f"{', '.join(own + sched.NAMES)}); left out"
            )
            continue
        fixed = _nearest_allowed(hp, raw)
        if fixed != raw:
            instead = "the nearest allowed value" if _is_number(raw) and hp.kind != "choice" else "the default"
            notes.append(f"{name.strip()}: {hp.allowed()} (got {raw}); using {instead}, {key}={fixed}")
        parts.append(f"{key}={fixed}")
    if any(p == "schedule=onecycle" for p in parts) and any(p.startswith("warmup=") for p in parts):
        notes.append(f"{name.strip()}: onecycle has its own warmup; using no warmup")
        parts = [p for p in parts if not p.startswith("warmup=")]
    if not notes:
        raise first
    return parse_spec(name + (":" + ",".join(parts) if parts else "")), notes


def _is_number(text: str) -> bool:
    try:
        parse_number("", text)
        return True
    except SpecError:
        return False


def _nearest_allowed(hp, raw: str) -> str:
    """The allowed value of ``hp`` nearest to ``raw`` (``raw`` itself when allowed; its default
    when ``raw`` is no number). An open bound is met at its slider's end, the nearest value the
    controls offer."""
    if hp.kind == "choice":
        return raw if raw.lower() in hp.choices else hp.choices[int(hp.default)]
    try:
        value = parse_number(hp.name, raw)
    except SpecError:
        return format_number(hp.default)
    return raw if hp.is_valid(value) else format_number(nearest_allowed(hp, value))


def nearest_allowed(hp, value: float) -> float:
    """The allowed value of ``hp`` nearest to the finite number ``value`` (``value`` itself when
    allowed). An open bound is met at the slider's end: the nearest value the controls offer."""
    if hp.is_valid(value):
        return float(value)
    if hp.kind in ("int", "flag", "choice"):
        value = round(value)
    low = hp.slider[0] if hp.low_open else hp.low
    high = hp.slider[1] if hp.high_open else hp.high
    return float(min(max(value, low), high))


def format_spec(spec: OptSpec, full: bool = False) -> str:
    """The SPEC text of ``spec``; only non-default values unless ``full``."""
    opt = REGISTRY[spec.name]
    items = [f"{k}={format_number(v)}" for k, v in spec.hparams.items() if full or v != opt.hparam(k).default]
    # the common keys only when they differ: a run without a schedule keeps its short SPEC
    items += [
        f"{k}={sched.KINDS[int(v)]}" if k == "schedule" else f"{k}={format_number(v)}"
        for k, v in spec.common.items()
        if v != sched.DEFAULTS[k]
    ]
    return public_name(spec.name) + (":" + ",".join(items) if items else "")


def parse_specs(texts: list[str]) -> list[OptSpec]:
    """Several SPECs, at least one and at most MAX_RUNS."""
    if not texts:
        raise SpecError("no optimizer given; add at least one, e.g. adam")
    if len(texts) > MAX_RUNS:
        raise SpecError(f"{len(texts)} optimizers given; at most {MAX_RUNS} per race")
    return [parse_spec(t) for t in texts]


def parse_point(item: str, text: str) -> tuple[float, float]:
    """``X,Y`` as two finite numbers within +-MAX_COORD."""
    parts = str(text).split(",")
    if len(parts) != 2:
        raise SpecError(f"{item}: expected two numbers X,Y (got {text!r})")
    x, y = (parse_number(item, p) for p in parts)
    if max(abs(x), abs(y)) > MAX_COORD:
        raise SpecError(f"{item}: coordinates must lie within +-{MAX_COORD:g} (got {text})")
    return x, y


def parse_steps(text) -> int:
    """A step count from 1 to MAX_STEPS."""
    return parse_int("steps", text, 1, MAX_STEPS)


def parse_noise(text) -> float:
    """A gradient-noise sigma in [0, MAX_NOISE]."""
    value = parse_number("noise", str(text))
    if not 0.0 <= value <= MAX_NOISE:
        raise SpecError(f"noise: must satisfy 0 <= noise <= {MAX_NOISE:g} (got {text})")
    return value


def parse_seed(text) -> int:
    """A random seed from 0 to MAX_SEED."""
    return parse_int("seed", text, 0, MAX_SEED)


def parse_sweep_steps(text) -> int:
    """A sweep's step count, from 1 to MAX_SWEEP_STEPS."""
    return parse_int("steps", text, 1, MAX_SWEEP_STEPS)


@dataclass(frozen=True)
class SweepAxis:
    """One axis of a sweep grid: a hyperparameter of the optimizer, or ``x``/``y`` of the start."""

    key: str
    low: float
    high: float
    n: int
    log: bool = False

    @property
    def values(self) -> tuple[float, ...]:
        """The grid values along this axis, low to high."""
        if self.n == 1 or self.low == self.high:
            return (self.low,) * self.n
        if self.log:  # in log space: low * exp(...) overflows for ranges beyond e**709
            lo, hi = math.log(self.low), math.log(self.high)
            inner = (math.exp(lo + (hi - lo) * i / (self.n - 1)) for i in range(1, self.n - 1))
            return (self.low, *inner, self.high)  # the ends exactly as given
        inner = (self.low + (self.high - self.low) * i / (self.n - 1) for i in range(1, self.n - 1))
        return (self.low, *inner, self.high)

    @property
    def is_start(self) -> bool:
        return self.key in ("x", "y")


def format_axis(axis: SweepAxis) -> str:
    """``KEY=LO:HI:N[:log]``, which :func:`parse_axis` reads back exactly."""
    return f"{axis.key}={format_number(axis.low)}:{format_number(axis.high)}:{axis.n}" + (":log" if axis.log else "")


def parse_axis(item: str, text: str, optimizer: str) -> SweepAxis:
    """``KEY=LO:HI:N[:log]`` for ``optimizer``; KEY is one of its hyperparameters, or x or y."""
    key, eq, rest = str(text).partition("=")
    key = key.strip()
    parts = rest.split(":")
    if not eq or len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].strip() != "log"):
        raise SpecError(f"{item}: expected KEY=LO:HI:N[:log], e.g. lr=1e-4:1:64:log (got {text!r})")
    allowed = ("x", "y") + sweepable_keys(optimizer)
    if key not in allowed:
        raise SpecError(f"{item}: {key!r} is not a sweepable key of {optimizer}; choose one of: {', '.join(allowed)}")
    low, high = parse_number(f"{item} LO", parts[0]), parse_number(f"{item} HI", parts[1])
    n = parse_int(f"{item} N", parts[2], 1, MAX_SWEEP_SIDE)
    log = len(parts) == 4
    if low > high:
        raise SpecError(f"{item}: LO must not exceed HI (got {format_number(low)} > {format_number(high)})")
    if log and low <= 0:
        raise SpecError(f"{item}: a log axis needs LO > 0 (got {format_number(low)})")
    if key in ("x", "y"):
        if max(abs(low), abs(high)) > MAX_COORD:
            raise SpecError(f"{item}: start coordinates must lie within +-{MAX_COORD:g}")
    else:
        hp = hparam_of(optimizer, key)
        for v in (low, high):
            if not hp.is_valid(v):
                raise SpecError(f"{item}: {hp.allowed()} (got {format_number(v)})")
        axis = SweepAxis(key, low, high, n, log)
        if hp.kind == "int" and not all(float(v).is_integer() for v in axis.values):
            raise SpecError(
                f"{item}: {key} takes whole numbers; choose LO, HI and N so that every value is "
                f"whole, e.g. {key}=0:200:21"
            )
    return SweepAxis(key, low, high, n, log)


def hparam_of(optimizer: str, key: str):
    """The description of ``key`` for ``optimizer``: its own hyperparameter, or a common key."""
    opt = REGISTRY[optimizer]
    return opt.hparam(key) if key in opt.hparam_names else sched.BY_NAME[key]


def sweepable_keys(optimizer: str) -> tuple[str, ...]:
    """The keys a sweep axis may vary for ``optimizer``: its real-valued hyperparameters, then
    the numeric schedule and clipping keys."""
    own = tuple(h.name for h in REGISTRY[optimizer].hparams if h.kind == "float")
    return own + tuple(h.name for h in sched.COMMON if h.kind in ("float", "int"))
