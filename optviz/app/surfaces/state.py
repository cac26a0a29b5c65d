"""Session state <-> RaceConfig <-> URL query string.

Widgets own their values (by key); this module seeds those keys from a share link on a
session's first run and writes the query string back whenever the race changes.
"""

from __future__ import annotations

import math

import streamlit as st

from optviz.app.kit.rules import check_rules
from optviz.app.kit.views import arrive, current_params, fresh, from_link, seed
from optviz.core.engine.fan import scrubbable
from optviz.core.optimizers import REGISTRY, SURFACE_NAMES, HParam
from optviz.core.optimizers import schedule as sched
from optviz.core.optimizers.rules import public_name
from optviz.core.problems.formulas import ExprError, check_custom
from optviz.core.spec import OptSpec, SpecError, format_number, make_spec
from optviz.link import CUSTOM, RaceConfig, SurfacesConfig
from optviz.plots.common import PALETTE


def hp_key(rid: int, name: str, hp: str) -> str:
    """The session-state key of one hyperparameter's exact value in race entry ``rid``."""
    return f"r{rid}_{name}_{hp}"


def slider_key(rid: int, name: str, hp: str) -> str:
    """The key of the slider that mirrors ``hp_key``."""
    return hp_key(rid, name, hp) + "_s"


def slider_value(hp: HParam, value: float) -> float:
    """Where a value sits on its slider (clamped to the slider's range)."""
    lo, hi = hp.slider
    return float(min(max(value, lo), hi))


def slider_stops(hp: HParam) -> tuple[float, ...]:
    """A log slider's stops (:meth:`HParam.stops`)."""
    return hp.stops()


def log_slider_value(hp: HParam, value: float) -> float:
    """Where a value sits on a log slider: the nearest stop if within 2%, else the value itself."""
    value = slider_value(hp, value)
    nearest = min(slider_stops(hp), key=lambda s: abs(math.log(s / value)))
    return nearest if abs(nearest / value - 1) < 0.02 else value


def _put(key: str, value, only_missing: bool) -> None:
    if not (only_missing and key in st.session_state):
        st.session_state[key] = value


def seed_hparam(rid: int, name: str, hp: HParam, value: float, only_missing: bool = False) -> None:
    """Put one hyperparameter's value into both of its widgets' keys."""
    if hp.kind == "flag":
        _put(hp_key(rid, name, hp.name), bool(value), only_missing)
        return
    _put(hp_key(rid, name, hp.name), float(value), only_missing)
    _put(slider_key(rid, name, hp.name), (log_slider_value if hp.log else slider_value)(hp, value), only_missing)


def load_config(
    cfg: RaceConfig, only_missing: bool = False, lrs_by_hand: bool = False, colors: tuple[int, ...] | None = None
) -> None:
    """Set the widgets' keys from ``cfg`` (before the widgets are drawn).

    With ``only_missing``, keys that exist keep their values: used to restore what Streamlit
    dropped while another page was shown, without undoing a change the browser just sent.
    With ``lrs_by_hand`` (a link that names its optimizers), learning rates other than the
    registry's defaults count as chosen by hand, and survive a change of surface. ``colors``
    are the racers' palette indices (the link's; in race order by default).
    """
    ss = st.session_state
    put = lambda key, value: _put(key, value, only_missing)
    put("surface", cfg.surface)
    if cfg.surface == CUSTOM:
        put("expr", cfg.expr)
        put("domain", ",".join(format_number(v) for v in cfg.domain))
        ss["last_custom"] = (cfg.expr, cfg.domain)
    put("start_x", float(cfg.start[0]))
    put("start_y", float(cfg.start[1]))
    put("steps", int(cfg.steps))
    put("noise", float(cfg.noise))
    put("seed", int(cfg.seed))
    put("rules", "\n".join(cfg.rules))
    if not only_missing:
        ss["race"] = list(range(len(cfg.specs)))
        ss["next_rid"] = len(cfg.specs)
    for i, (rid, spec) in enumerate(zip(ss["race"], cfg.specs)):
        put(f"r{rid}_name", spec.name)
        put(f"r{rid}_color", colors[i] if colors is not None else rid % len(PALETTE))
        put(f"r{rid}_lr_hand", lrs_by_hand and spec.hparams["lr"] != REGISTRY[spec.name].hparam("lr").default)
        for hp in REGISTRY[spec.name].hparams:
            seed_hparam(rid, spec.name, hp, spec.hparams[hp.name], only_missing)
        scheduled = spec.common != sched.DEFAULTS
        put(f"r{rid}_sched_open", scheduled)
        for key, value in spec.common.items():
            kind = sched.BY_NAME[key].kind
            if scheduled:  # a racer without a schedule keeps no keys for it (see controls.schedule_controls)
                put(common_key(rid, key), int(value) if kind in ("int", "choice") else float(value))
            elif not only_missing:
                st.session_state.pop(common_key(rid, key), None)


def suggest_lrs(surface: str) -> list[str]:
    """Give every racer whose learning rate was not set by hand ``surface``'s suggested one.

    Returns one line per racer: what it now has, or that its own rate was kept.
    """
    from optviz.core.analysis.suggested import suggested_lr

    ss, lines = st.session_state, []
    for rid in ss["race"]:
        name = ss[f"r{rid}_name"]
        hp, lr = REGISTRY[name].hparam("lr"), suggested_lr(surface, name)
        if ss.get(f"r{rid}_lr_hand"):
            lines.append(f"{REGISTRY[name].display_name} keeps your lr = {format_number(ss[hp_key(rid, name, 'lr')])}")
        elif lr is not None:
            seed_hparam(rid, name, hp, lr)
            lines.append(f"{REGISTRY[name].display_name} lr = {format_number(lr)}")
    return lines


def new_racer_color() -> int:
    """The first palette colour no racer has: a new racer takes it and keeps it for life."""
    taken = {st.session_state.get(f"r{rid}_color") for rid in st.session_state["race"]}
    return next(i for i in range(len(PALETTE)) if i not in taken)


def racer_colors() -> list[str]:
    """Each racer's colour, in race order."""
    return [PALETTE[st.session_state.get(f"r{rid}_color", rid) % len(PALETTE)] for rid in st.session_state["race"]]


def init_session() -> tuple[SurfacesConfig, list[str]]:
    """The view to start this run from (optviz.app.kit.views), with the link's warnings on the first page shown.

    A fresh view sets every control; otherwise only the controls Streamlit forgot while another
    page was shown are set again, so a change the browser just sent is never undone.
    """
    cfg, warnings = arrive(SurfacesConfig, "surfaces")
    if fresh("surfaces"):
        # Learning rates a link names were chosen by its author: a change of surface keeps them.
        load_config(
            cfg.race, lrs_by_hand=from_link("surfaces") and bool(current_params().get("opt")), colors=cfg.racer_colors()
        )
        seed(view_values(cfg), overwrite=True)
    else:
        load_config(cfg.race, only_missing=True, colors=cfg.racer_colors())
        seed(view_values(cfg))
    return cfg, warnings


def view_values(cfg: SurfacesConfig) -> dict:
    """The view's controls: display toggles, tolerance, playback, the inside view."""
    values = {
        f"log_{cfg.race.surface}": cfg.log_scale,
        "arrows": cfg.arrows,
        "tol": cfg.tol,
        "playback": cfg.playback,
        "frame": cfg.frame,
        "inside": cfg.inside is not None,
        "inside_run": cfg.inside or 0,
        "inside_step": cfg.inside_step,
        "scrub": cfg.scrub is not None,
        "scrub_key": cfg.scrub,
        "scrub_racer": cfg.scrub_racer,
    }
    return {k: v for k, v in values.items() if v is not None}  # unset: the control's own default


def current_view(race: RaceConfig) -> SurfacesConfig:
    """The whole view as the controls now describe it."""
    ss = st.session_state
    surface = race.surface_obj()
    log = ss.get(f"log_{surface.name}", surface.log_scale)
    inside = ss.get("inside_run", 0) if ss.get("inside") else None
    return SurfacesConfig(
        race,
        log=None if log == surface.log_scale else bool(log),
        arrows=bool(ss.get("arrows")),
        tol=float(ss.get("tol", 1e-3)),
        playback=bool(ss.get("playback")),
        frame=_clamped(ss.get("frame"), 0, race.steps) if ss.get("playback") else None,
        inside=min(inside, len(race.specs) - 1) if inside is not None else None,
        inside_step=_clamped(ss.get("inside_step"), 1, race.steps) if inside is not None else None,
        colors=tuple(int(ss.get(f"r{rid}_color", rid)) % len(PALETTE) for rid in ss["race"]),
        **scrub_now(race),
    )


def scrub_now(race: RaceConfig) -> dict:
    """The scrubber's racer and setting as the controls describe them (a setting the racer does not
    have becomes its first: lr), or nothing when the scrubber is off."""
    ss = st.session_state
    if not ss.get("scrub"):
        return {}
    racer = min(max(int(ss.get("scrub_racer", 0)), 0), len(race.specs) - 1)
    keys = scrubbable(race.specs[racer])
    key = ss.get("scrub_key")
    return {"scrub": key if key in keys else keys[0], "scrub_racer": racer}


def _clamped(value, low: int, high: int) -> int | None:
    return None if value is None else int(min(max(int(value), low), high))


def session_rules() -> tuple[tuple[str, ...], dict[str, str], list[tuple[str, str]]]:
    """The rules in the "Your rules" box: the ones that pass, their {name: internal name}, and
    (box, why) for each left out (optviz.app.kit.rules)."""
    return check_rules(st.session_state.get("rules", ""))


def optimizer_options() -> tuple[str, ...]:
    """What a racer may be: the optimizers offered on surfaces, then this session's rules."""
    return SURFACE_NAMES + tuple(session_rules()[1].values())


def follow_rules() -> None:
    """After the rules box changed: a racer that ran a rule runs the rule of that name now (its
    text may have changed), or Adam if there is none."""
    ss = st.session_state
    names = session_rules()[1]
    for rid in ss.get("race", []):
        name = ss.get(f"r{rid}_name", "")
        if name in SURFACE_NAMES:
            continue
        new = names.get(public_name(name), "adam")
        ss[f"r{rid}_name"] = new
        for hp in REGISTRY[new].hparams:
            seed_hparam(rid, new, hp, hp.default, only_missing=True)


def current_config() -> tuple[RaceConfig, list[tuple[str, str]]]:
    """The race as the widgets now describe it, and (control, why) for each value that had to be replaced."""
    ss = st.session_state
    rules, _, problems = session_rules()
    specs = []
    for rid in ss["race"]:
        name = ss[f"r{rid}_name"]
        values = {}
        for hp in REGISTRY[name].hparams:
            value = ss.get(hp_key(rid, name, hp.name), hp.default)
            values[hp.name] = float(value)  # a flag's toggle gives a bool: 1.0 or 0.0
        try:
            spec = make_spec(name, values)
        except SpecError as err:
            problems.append((f"{REGISTRY[name].display_name}'s settings", f"{err}; using the defaults"))
            spec = make_spec(name)
        specs.append(_with_schedule(rid, spec, int(ss["steps"]), problems))
    surface, expr, domain = ss["surface"], "", RaceConfig().domain
    if surface == CUSTOM:
        expr, domain, problem = _custom_formula()
        if problem:
            problems.append(problem)
        if not expr:
            surface = RaceConfig().surface
    start = (float(ss["start_x"]), float(ss["start_y"]))
    if not all(math.isfinite(v) for v in start):
        start = RaceConfig().start
    steps, noise, seed_ = int(ss["steps"]), float(ss["noise"]), int(ss["seed"])
    cfg = RaceConfig(surface, start, steps, tuple(specs), noise, seed_, expr, domain, rules)
    return cfg, problems


def common_key(rid: int, key: str) -> str:
    """The widget key of racer ``rid``'s schedule or clipping setting (whatever its optimizer)."""
    return f"r{rid}_c_{key}"


def _with_schedule(rid: int, spec: OptSpec, steps: int, problems: list) -> OptSpec:
    """``spec`` with the racer's schedule and clipping; a setting that does not fit is replaced by
    the nearest valid one (warmup shortened or dropped), and said so."""
    ss = st.session_state
    if not ss.get(f"r{rid}_sched_open"):  # the toggle off: a constant lr, no clipping
        return spec
    common = {k: float(ss.get(common_key(rid, k), v)) for k, v in sched.DEFAULTS.items()}
    label = f"{REGISTRY[spec.name].display_name}'s schedule"
    if sched.kind_of(common) == "onecycle" and common["warmup"]:
        common["warmup"] = 0.0  # the control is hidden for onecycle; a link's warmup is reported by the parser
    if common["warmup"] >= steps:
        problems.append((label, f"warmup must be fewer than the run's {steps} steps; using warmup={steps - 1}"))
        common["warmup"] = float(steps - 1)
    try:
        return make_spec(spec.name, {**spec.hparams, **common})
    except SpecError as err:
        problems.append((label, f"{err}; using a constant lr"))
        return spec


def _custom_formula() -> tuple[str, tuple, tuple[str, str] | None]:
    """The formula and domain in the text boxes, or the last good ones and (box, why) if they are refused."""
    ss = st.session_state
    text = ss.get("expr", "")
    try:
        text, domain = check_custom(text, ss.get("domain", ""))
    except ExprError as err:  # its message names the box at fault: "expr: ..." or "domain: ..."
        return _last_custom("The domain" if str(err).startswith("domain:") else f"The formula {text!r}", err)
    ss["last_custom"] = (text, domain)
    return text, domain, None


def _last_custom(source: str, err: ExprError) -> tuple[str, tuple, tuple[str, str]]:
    last = st.session_state.get("last_custom")
    if last is None:
        return "", RaceConfig().domain, (source, f"{err}; showing the bowl")
    return last[0], last[1], (source, f"{err}; showing the last formula that worked, {last[0]!r}")


def view_now() -> SurfacesConfig:
    """The view as the controls now describe it, on the race this session last drew: what a part of
    the page that reruns alone (a fragment) settles."""
    return current_view(st.session_state["views"]["surfaces"].race)
