"""Reading and writing a page's link, the same way on every page.

A page's configuration is a frozen dataclass with ``from_query(params) -> (config, warnings)``
and ``to_query(config) -> params``. Every value goes through the validators the CLI uses
(optviz.core.spec, optviz.core.problems.formulas). A bad link never breaks a page: each bad item becomes one warning
naming it and what is allowed; a value over a limit takes the nearest allowed value, text
that is not a value takes the default, and the rest of the link is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from optviz.core.limits import MAX_QUERY_LENGTH, MAX_RULES, MAX_RUNS
from optviz.core.optimizers.rules import RuleError, in_scope
from optviz.core.spec import (
    OptSpec,
    SpecError,
    SweepAxis,
    fit_spec,
    format_axis,
    format_number,
    format_spec,
    parse_number,
    parse_spec,
)

Params = Mapping[str, "Sequence[str] | str"]
Query = dict[str, "str | list[str]"]
T = TypeVar("T")


def values(params: Params, key: str) -> list[str]:
    """Every value given for ``key`` (a repeated parameter), in order."""
    value = params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Reader:
    """Reads values out of query parameters, collecting one warning per refused item.

    ``strict`` (the command line) raises the first refusal as SpecError instead.
    """

    def __init__(self, params: Params, strict: bool = False):
        self.params, self.strict = params, strict
        self.warnings: list[str] = []

    def text(self, key: str) -> str | None:
        """The value of ``key`` (the last one if repeated), or None."""
        given = values(self.params, key)
        return given[-1] if given else None

    def texts(self, key: str) -> list[str]:
        return values(self.params, key)

    def warn(self, message: str, refusal: str | None = None) -> None:
        """Note a replaced item; strictly, refuse it (with ``refusal``, else the message up to "; using")."""
        if self.strict:
            raise SpecError(refusal or message.split("; using")[0])
        self.warnings.append(message)

    def value(
        self, key: str, parse: Callable[[str], T], default: T, bounds: tuple | None = None, whole: bool = False
    ) -> T:
        """``parse(text)``; a refused value over a limit becomes the nearest in ``bounds``, others the default."""
        text = self.text(key)
        if text is None:
            return default
        try:
            return parse(text)
        except SpecError as err:
            if self.strict:
                raise
            return self._instead(key, text, err, default, bounds, whole)

    def _instead(self, key: str, text: str, err: SpecError, default, bounds, whole: bool):
        number = None
        if bounds is not None:
            try:
                number = parse_number(key, text)
            except SpecError:
                number = None
        if number is None:
            self.warn(f"{err}; using {shown(default)}")
            return default
        nearest = min(max(round(number) if whole else number, bounds[0]), bounds[1])
        nearest = int(nearest) if whole else float(nearest)
        self.warn(f"{err}; using the nearest allowed value, {format_number(nearest)}")
        return nearest

    def stop(self, key: str, stops: Sequence[float], default: float) -> float:
        """One of ``stops``; another number becomes the nearest stop: in ratio where the stops are
        all positive (learning rates), else by difference (a warmup's steps, from 0)."""
        text = self.text(key)
        if text is None:
            return default
        try:
            value = parse_number(key, text)
        except SpecError as err:
            self.warn(f"{err}; using {shown(default)}")
            return default
        if value in stops:
            return value
        if min(stops) > 0:
            nearest = min(stops, key=lambda s: abs(math.log(s / value)) if value > 0 else s)
        else:
            nearest = min(stops, key=lambda s: abs(s - value))
        self.warn(
            f"{key}: must be one of {', '.join(format_number(s) for s in stops)} (got {text}); "
            f"using the nearest allowed value, {format_number(nearest)}"
        )
        return nearest

    def rules(self, key: str = "rule") -> tuple[str, ...]:
        """The link's typed optimizer rules (``key``, repeated; at most MAX_RULES), each checked;
        one that is refused is left out, said in one line (strictly: refused). Read them before
        the SPECs, inside ``in_scope(rules)``, so that the racers may name them."""
        texts = self.texts(key)
        if len(texts) > MAX_RULES:
            self.warn(f"{key}: {len(texts)} rules given; at most {MAX_RULES}, using the first {MAX_RULES}")
            texts = texts[:MAX_RULES]
        kept: list[str] = []
        for text in texts:
            try:
                with in_scope([*kept, text]):
                    kept.append(text.strip())
            except RuleError as err:
                self.warn(f"{err}; that rule is left out", str(err))
        return tuple(kept)

    def spec(self, item: str, text: str) -> OptSpec:
        """An optimizer SPEC from the link: a schedule or clipping value that is not allowed takes
        the nearest allowed one, with a warning (strictly, it is refused); other faults raise."""
        if self.strict:
            return parse_spec(text)
        spec, notes = fit_spec(text)
        for note in notes:
            self.warn(f"{item}: {note}")
        return spec

    def specs(self, key: str, default: tuple[OptSpec, ...], check=None) -> tuple[OptSpec, ...]:
        """The repeated SPECs of ``key`` (at most MAX_RUNS); one that is not valid (or that
        ``check`` refuses with SpecError) is left out."""
        texts = self.texts(key)
        if len(texts) > MAX_RUNS:
            self.warn(f"{key}: {len(texts)} optimizers given; at most {MAX_RUNS} per race, using the first {MAX_RUNS}")
            texts = texts[:MAX_RUNS]
        specs = []
        for text in texts:
            try:
                spec = self.spec(key, text)
                if check is not None:
                    check(spec)
                specs.append(spec)
            except SpecError as err:
                self.warn(f"{key}: {err}; that optimizer is left out", f"{key}: {err}")
        if texts and not specs:
            self.warn(f"{key}: no valid optimizer in the link; using {' '.join(shown(s) for s in default)}")
        return tuple(specs) or default

    def choice(self, key: str, options: Sequence[str], default: str) -> str:
        """One of ``options``; anything else becomes the default, with a warning."""
        text = self.text(key)
        if text is None:
            return default
        if text in options:
            return text
        self.warn(f"{key}: {text!r} is not one of {', '.join(options)}; using {default}")
        return default

    def flag(self, key: str, default: bool) -> bool:
        """A yes/no value written 1 or 0."""
        text = self.text(key)
        if text is None:
            return default
        if text.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if text.strip().lower() in ("0", "false", "no", "off"):
            return False
        self.warn(f"{key}: {text!r} is not 1 or 0; using {int(default)}")
        return default


def too_long(params: Params, strict: bool = False) -> str | None:
    """The warning for a query string longer than MAX_QUERY_LENGTH (then the defaults are shown),
    or None. ``strict`` (the command line) refuses it instead, naming the longest item: a
    command must never run something other than what it was asked."""
    length = sum(len(k) + len(v) + 2 for k in params for v in values(params, k))
    if length <= MAX_QUERY_LENGTH:
        return None
    if strict:
        longest = max(params, key=lambda k: sum(len(v) for v in values(params, k)))
        raise SpecError(
            f"{longest}: too long ({length} characters in all, most of them in {longest}); "
            f"at most {MAX_QUERY_LENGTH} are read"
        )
    return (
        f"link: the query is {length} characters long; at most {MAX_QUERY_LENGTH} are read, "
        "so the default view is shown"
    )


def shown(value) -> str:
    """A value as a link writes it (``adam:lr=0.01``, ``lr=1e-05:1:48:log``, ``0.8,-0.6``), never as Python would."""
    if isinstance(value, OptSpec):
        return format_spec(value)
    if isinstance(value, SweepAxis):
        return format_axis(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value) if math.isfinite(value) else str(value)
    if isinstance(value, tuple):
        return ",".join(shown(v) for v in value)
    if value is None:
        return "none"
    return str(value)
