"""The sidebar: surface, start, steps, noise and the race of optimizers with their sliders."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from optviz.app.kit.boxes import fit_box, number_box
from optviz.app.kit.rules import rules_box
from optviz.app.surfaces.state import (
    common_key,
    follow_rules,
    hp_key,
    log_slider_value,
    new_racer_color,
    optimizer_options,
    seed_hparam,
    slider_key,
    slider_stops,
    slider_value,
    suggest_lrs,
)
from optviz.core.analysis.suggested import BUDGET, suggested_lr
from optviz.core.limits import MAX_COORD, MAX_NOISE, MAX_RUNS, MAX_SEED, MAX_STEPS
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY, HParam
from optviz.core.optimizers import schedule as sched
from optviz.core.problems.formulas import DEFAULT_DOMAIN, EXAMPLE, ExprError, check_custom, custom_surface
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_number, nearest_allowed
from optviz.link import CUSTOM

# Where a user looks for an optimizer the surfaces do not offer: the optimizer menus' help.
NOT_OFFERED = (
    "Not offered on the 2D surfaces: "
    + "; ".join(f"{o.display_name}: {o.surface_note}" for o in REGISTRY.values() if o.surface_note)
    + "."
)


def _log_options(hp: HParam, value: float) -> list[float]:
    """The slider's stops, plus the current position when it lies between two."""
    return sorted(set(slider_stops(hp)) | {log_slider_value(hp, value)})


def _sync_from_slider(num: str, sl: str, rid: int, hp: HParam) -> None:
    st.session_state[num] = float(st.session_state[sl])
    _by_hand(rid, hp)


def _sync_from_number(num: str, sl: str, rid: int, hp: HParam) -> None:
    name = st.session_state.get(f"r{rid}_name", "")
    fit_box(
        num,
        f"{REGISTRY[name].display_name if name in REGISTRY else 'The optimizer'}'s {hp.name}",
        lambda v: nearest_allowed(hp, v),
        hp.allowed(),
    )
    value = st.session_state[num]
    st.session_state[sl] = log_slider_value(hp, value) if hp.log else slider_value(hp, value)
    _by_hand(rid, hp)


def _by_hand(rid: int, hp: HParam) -> None:
    if hp.name == "lr":  # a learning rate the user chose: a change of surface keeps it
        st.session_state[f"r{rid}_lr_hand"] = True


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def hparam_control(rid: int, name: str, hp: HParam) -> None:
    """A slider (log-scaled where the registry says so) and a number box for the exact value."""
    num, sl = hp_key(rid, name, hp.name), slider_key(rid, name, hp.name)
    if num not in st.session_state:  # a racer new to this optimizer: its defaults, lr for this surface
        lr = suggested_lr(st.session_state.get("surface", ""), name) if hp.name == "lr" else None
        seed_hparam(rid, name, hp, hp.default if lr is None else lr)
    label = f"{hp.name}" + (f" · {hp.help}" if hp.help else "")
    if hp.kind == "flag":
        st.toggle(hp.name, key=num, help=hp.help)
        return
    lo, hi = hp.slider
    # Full width, the exact value under it: a narrow log slider jumped decades per drag, and
    # columns cost three more elements per hyperparameter on every rerun.
    if hp.log:
        st.select_slider(
            hp.name,
            options=_log_options(hp, st.session_state[num]),
            key=sl,
            format_func=_fmt,
            on_change=_sync_from_slider,
            args=(num, sl, rid, hp),
            help=label,
        )
    else:
        st.slider(
            hp.name,
            min_value=float(lo),
            max_value=float(hi),
            key=sl,
            step=_linear_step(hp),
            format="%.4g",
            on_change=_sync_from_slider,
            args=(num, sl, rid, hp),
            help=label,
        )
    # No bounds in the browser: a value out of range is fitted on the server and said (optviz.app.kit.boxes).
    st.number_input(
        f"{hp.name} (exact)",
        key=num,
        format="%g",
        step=_number_step(hp),
        on_change=_sync_from_number,
        args=(num, sl, rid, hp),
        label_visibility="collapsed",
    )


def schedule_controls(rid: int) -> None:
    """The racer's lr schedule (with only the settings its kind reads) and gradient clipping, behind
    a toggle that is on when any of them is set (each control costs every rerun: thirty students)."""
    ss = st.session_state
    ss.setdefault(f"r{rid}_sched_open", False)
    if not st.toggle(
        "schedule and clipping",
        key=f"r{rid}_sched_open",
        help="a learning-rate schedule (warmup, cosine, ...) and gradient clipping",
    ):
        return
    # Only now: every key in the session state costs each number box on every rerun (Streamlit
    # copies the state for it), so closed racers keep none.
    for key, value in sched.DEFAULTS.items():
        ss.setdefault(common_key(rid, key), int(value) if sched.BY_NAME[key].kind in ("int", "choice") else value)
    st.selectbox(
        "lr schedule",
        range(len(sched.KINDS)),
        key=common_key(rid, "schedule"),
        format_func=lambda i: sched.KINDS[i],
        help=sched.BY_NAME["schedule"].help,
    )
    kind = sched.KINDS[int(ss[common_key(rid, "schedule")])]
    shown = (() if kind == "onecycle" else ("warmup",)) + sched.USES[kind] + ("clip", "clip_value")
    for key in shown:
        hp = sched.BY_NAME[key]
        whole = hp.kind == "int"
        number_box(
            st,
            key,
            common_key(rid, key),
            hp.low,
            hp.high,
            whole=whole,
            step=1 if whole else 0.01 if key != "min_lr" else 1e-4,
            format=None if whole else "%g",
            help=hp.help,
        )


def _linear_step(hp: HParam) -> float:
    if hp.kind == "int":
        return 1.0
    lo, hi = hp.slider
    return float(10 ** math.floor(math.log10((hi - lo) / 1000)))


def _number_step(hp: HParam) -> float:
    if hp.kind == "int":
        return 1.0
    if hp.log:
        return float(10 ** math.floor(math.log10(hp.default)))
    return _linear_step(hp) * 10


CUSTOM_EXAMPLE = (EXAMPLE, ",".join(format_number(v) for v in DEFAULT_DOMAIN))


def _on_surface_change() -> None:
    ss = st.session_state
    if ss["surface"] == CUSTOM:
        ss.setdefault("expr", CUSTOM_EXAMPLE[0])
        ss.setdefault("domain", CUSTOM_EXAMPLE[1])
        try:
            start = custom_surface(*check_custom(ss["expr"], ss["domain"])).start
        except ExprError:
            start = custom_surface(EXAMPLE, DEFAULT_DOMAIN).start
    else:
        start = SURFACES[ss["surface"]].start
        changed = suggest_lrs(ss["surface"])
        if changed:
            ss["surface_note"] = suggestion_note(SURFACES[ss["surface"]].title, int(ss["steps"]), changed)
    ss["start_x"], ss["start_y"] = map(float, start)


def suggestion_note(title: str, steps: int, changed: list[str]) -> str:
    """What a change of surface did to the learning rates, and for which run length they were tuned."""
    length = f"runs of {BUDGET} steps from its start" + ("" if steps == BUDGET else f" (this view runs {steps})")
    return f"Learning rates for {title}, tuned for {length}: " + "; ".join(changed) + "."


def _add_run() -> None:
    ss = st.session_state
    rid = ss["next_rid"]
    ss["next_rid"] += 1
    ss[f"r{rid}_name"] = "adam"
    ss[f"r{rid}_color"] = new_racer_color()
    ss["race"] = ss["race"] + [rid]


def _new_optimizer(rid: int) -> None:
    st.session_state[f"r{rid}_lr_hand"] = False  # its lr starts at this surface's suggestion


def _remove_run(rid: int) -> None:
    ss = st.session_state
    ss["race"] = [r for r in ss["race"] if r != rid]


def quick_row() -> None:
    """The first racer's optimizer and learning rate in the main area, above the charts.

    On a phone the sidebar is a drawer over the page; these are the controls one reaches for
    most, one thumb away. They mirror the sidebar's own (the same values, both ways).
    """
    ss = st.session_state
    rid = ss["race"][0]
    name = ss[f"r{rid}_name"]
    hp = REGISTRY[name].hparam("lr")
    ss["quick_opt"], ss["quick_lr"] = name, ss[slider_key(rid, name, "lr")]
    c1, c2 = st.columns([1, 2])  # columns, not a row: on a phone they stack, the slider full width for a thumb
    c1.selectbox(
        "racer 1",
        optimizer_options(),
        key="quick_opt",
        format_func=lambda k: REGISTRY[k].display_name,
        on_change=_quick_optimizer,
        args=(rid,),
        help=NOT_OFFERED,
    )
    c2.select_slider(
        "its learning rate",
        options=_log_options(hp, ss[hp_key(rid, name, "lr")]),
        key="quick_lr",
        format_func=_fmt,
        on_change=_quick_lr,
        args=(rid,),
    )


def _quick_optimizer(rid: int) -> None:
    st.session_state[f"r{rid}_name"] = st.session_state["quick_opt"]
    _new_optimizer(rid)


def _quick_lr(rid: int) -> None:
    ss = st.session_state
    name = ss[f"r{rid}_name"]
    ss[hp_key(rid, name, "lr")] = float(ss["quick_lr"])
    ss[slider_key(rid, name, "lr")] = ss["quick_lr"]
    _by_hand(rid, REGISTRY[name].hparam("lr"))


def _fair_race() -> None:
    """Tune every racer's lr on the same log grid for this surface and start, then race the tuned ones."""
    from optviz.app.kit.runs import cached_runs
    from optviz.app.surfaces.state import current_config
    from optviz.core.analysis.tuning import TUNING_POINTS, tune_lr

    cfg, _ = current_config()
    surface = cfg.surface_obj()
    tunings = []
    for rid, spec in zip(st.session_state["race"], cfg.specs):
        tuned = tune_lr(surface, spec, cfg.start, cfg.steps, cfg.noise, cfg.seed)
        seed_hparam(rid, spec.name, REGISTRY[spec.name].hparam("lr"), tuned.spec.hparams["lr"])
        st.session_state[f"r{rid}_lr_hand"] = False  # tuned for this surface: another surface retunes
        tunings.append(tuned)
    # Quote the runs the page is about to draw, not the tuning grid's (another program: its
    # float32 rounding can differ, and chaotic runs amplify that).
    runs = cached_runs(replace(cfg, specs=tuple(t.spec for t in tunings)))
    lines = [_tuned_line(t, r) for t, r in zip(tunings, runs)]
    st.session_state["fair_race_note"] = (
        f"Fair race: each lr tuned over {TUNING_POINTS} log-spaced values across its slider range, "
        f"{cfg.steps} steps each, lowest final loss wins. " + "; ".join(lines) + "."
    )


def _tuned_line(tuned, run) -> str:
    """One racer's outcome: its lr, where that lies in the grid when at an end, and how its run ends."""
    spec = tuned.spec
    line = f"{REGISTRY[spec.name].display_name}: lr = {format_number(spec.hparams['lr'])}"
    if tuned.edge:
        bound = tuned.grid[0] if tuned.edge == "lowest" else tuned.grid[-1]
        beyond = "smaller" if tuned.edge == "lowest" else "larger"
        line += f", the {tuned.edge} value tried ({format_number(bound)}): a {beyond} lr might end lower"
    return line + (
        f" (diverged at step {run.diverged_at})" if run.diverged_at else f" (final loss {sig(run.loss[-1])})"
    )


PAIR = 112  # px: two number boxes side by side in the sidebar (stretched ones wrap one under the other)


def sidebar() -> None:
    """Draw every control; their values land in st.session_state."""
    with st.sidebar:
        st.selectbox(
            "Surface",
            list(SURFACES) + [CUSTOM],
            key="surface",
            on_change=_on_surface_change,
            format_func=lambda n: SURFACES[n].title if n in SURFACES else "Custom formula…",
        )
        if st.session_state["surface"] == CUSTOM:
            st.session_state.setdefault("expr", CUSTOM_EXAMPLE[0])
            st.session_state.setdefault("domain", CUSTOM_EXAMPLE[1])
            st.text_input(
                "f(x, y) =",
                key="expr",
                help="numbers, x, y, + - * / ** and brackets, pi, e, and "
                "sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh exp log log10 log2 log1p expm1 "
                "sqrt abs sign minimum maximum hypot",
            )
            st.text_input("domain: xmin, xmax, ymin, ymax", key="domain")
        # Pairs side by side in one row: a container is one element, columns are three (each
        # element costs every rerun, for every student of a class).
        row = st.container(horizontal=True)
        number_box(row, "start x", "start_x", -MAX_COORD, MAX_COORD, format="%g", step=0.1, width=PAIR)
        number_box(row, "start y", "start_y", -MAX_COORD, MAX_COORD, format="%g", step=0.1, width=PAIR)
        st.slider("steps", min_value=1, max_value=MAX_STEPS, key="steps")
        row = st.container(horizontal=True)
        number_box(
            row,
            "gradient noise σ",
            "noise",
            0.0,
            MAX_NOISE,
            format="%g",
            step=0.1,
            help="adds N(0, σ²) to every gradient, to mimic stochastic gradients",
            width=PAIR,
        )
        number_box(row, "noise seed", "seed", 0, MAX_SEED, whole=True, step=1, width=PAIR)

        st.subheader("Optimizers")
        for n, rid in enumerate(st.session_state["race"]):
            _race_entry(n, rid)
        st.button(
            "Add an optimizer",
            key="add_racer",
            on_click=_add_run,
            disabled=len(st.session_state["race"]) >= MAX_RUNS,
            help=f"up to {MAX_RUNS}; the same optimizer may race against itself with other settings",
        )
        st.button(
            "Fair race: tune every learning rate",
            on_click=_fair_race,
            key="fair_race",
            help="gives every optimizer the same tuning budget on this surface and start, then races the tuned ones",
        )
        rules_box("rules", on_change=follow_rules)


def _race_entry(n: int, rid: int) -> None:
    name = st.session_state[f"r{rid}_name"]
    with st.expander(f"{n + 1}. {REGISTRY[name].display_name}", expanded=n < 3):
        st.selectbox(
            "optimizer",
            optimizer_options(),
            key=f"r{rid}_name",
            format_func=lambda k: REGISTRY[k].display_name,
            label_visibility="collapsed",
            on_change=_new_optimizer,
            args=(rid,),
            help=NOT_OFFERED,
        )
        for hp in REGISTRY[name].hparams:
            hparam_control(rid, name, hp)
        schedule_controls(rid)
        # No columns here: each costs the server three more elements on every rerun, per racer.
        st.button(
            "Remove",
            icon=":material/delete:",
            key=f"r{rid}_remove",
            on_click=_remove_run,
            args=(rid,),
            disabled=len(st.session_state["race"]) <= 1,
            help="remove this optimizer from the race",
        )
