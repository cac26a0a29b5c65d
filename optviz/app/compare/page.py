"""The Compare page: which optimizer (a fair, tuned benchmark as performance profiles), and at
which learning rate (Smith's range test, checked against a grid of real runs).

Its view is a :class:`~optviz.link.CompareConfig`, kept in the link like every page's.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from optviz.app.kit.boxes import number_box, show_fitted
from optviz.app.kit.cache import Shared
from optviz.app.kit.charts import chart
from optviz.app.kit.data import bundled
from optviz.app.kit.jobs import compute_with_progress
from optviz.app.kit.notes import input_problem, link_warnings, markdown_table, or_dash, spec_lines
from optviz.app.kit.rules import rules_box
from optviz.app.kit.share import share_section
from optviz.app.kit.views import arrive, fresh, seed, settle
from optviz.core.analysis import compare as comparing
from optviz.core.analysis import lrfind
from optviz.core.analysis.compare import Comparison, compare
from optviz.core.analysis.lrfind import RangeTest, lr_range_test_mnist, lr_range_test_surface
from optviz.core.limits import MAX_BUDGET, MAX_STARTS, MAX_SWEEP_STEPS
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.mnist_models import MODELS
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import SpecError, check_surface, format_spec, parse_surface_spec
from optviz.link import CompareConfig
from optviz.link.compare_view import RANGE_TARGETS, WITH_MINIMUM
from optviz.link.export import compare_csv, compare_json
from optviz.link.surfaces_view import TOLERANCES
from optviz.plots.compare import profile_figure, range_test_figure, robustness_figure

TUNING_WORDS = {"lr": "lr on a log grid over its slider", "all": "a Halton sequence over its hyperparameters"}
COMPARISONS = Shared(max_entries=16, name="comparisons")
RANGE_TESTS = Shared(max_entries=64, name="range tests")
Problems = list[tuple[str, str]]


def page() -> None:
    """The whole page."""
    st.title("Which optimizer, at which learning rate?")
    st.caption(
        "A race at hand-picked settings crowns whoever was tuned best. Here every optimizer gets the same "
        "tuning budget on every problem, and the LR range test is checked against real runs."
    )
    cfg, warnings = arrive(CompareConfig, "compare")
    link_warnings(warnings)
    with st.sidebar:
        cfg, problems = sidebar(cfg)
    show_fitted()
    for source, problem in problems:
        input_problem(source, problem)
    settle("compare", cfg)
    result = comparison(cfg)
    profiles(cfg, result)
    range_section(cfg)
    share_section(
        "compare",
        [
            ("Steps to target (CSV)", compare_csv, "text/csv", "csv"),
            ("Comparison (JSON)", compare_json, "application/json", "json"),
        ],
        result,
    )


def _widget_values(cfg: CompareConfig) -> dict:
    return {
        "cp_opts": "\n".join(format_spec(s) for s in cfg.specs),
        "cp_surfaces": list(cfg.surfaces),
        "cp_starts": cfg.starts,
        "cp_budget": cfg.budget,
        "cp_tune": cfg.tune,
        "cp_steps": cfg.steps,
        "cp_tol": cfg.tol,
        "cp_lr_on": cfg.lr_on,
        "cp_lr_opt": format_spec(cfg.lr_opt),
        "cp_rules": "\n".join(cfg.rules),
    }


def sidebar(cfg: CompareConfig) -> tuple[CompareConfig, Problems]:
    """The controls, seeded from ``cfg``; the view they describe, and what was refused."""
    seed(_widget_values(cfg), overwrite=fresh("compare"))
    ss = st.session_state
    st.text_area(
        "Optimizers (one SPEC per line)",
        key="cp_opts",
        height=120,
        help="name[:key=value,...]; the settings not tuned stay as given",
    )
    rules, problems = rules_box("cp_rules")
    with in_scope(rules):  # the lines may name them
        specs, more = spec_lines(ss["cp_opts"], cfg.specs, check_surface)
        lr_opt = _lr_spec(cfg, more)
    problems += more
    st.multiselect("Surfaces (problems)", WITH_MINIMUM, key="cp_surfaces", format_func=lambda n: SURFACES[n].title)
    surfaces = tuple(ss["cp_surfaces"]) or cfg.surfaces
    c1, c2 = st.columns(2)
    number_box(c1, "starts per surface", "cp_starts", 1, MAX_STARTS, whole=True)
    number_box(
        c2,
        "trials per problem",
        "cp_budget",
        1,
        MAX_BUDGET,
        whole=True,
        help="the tuning budget, the same for everyone",
    )
    st.radio(
        "tune",
        ["lr", "all"],
        key="cp_tune",
        horizontal=True,
        format_func=lambda t: {"lr": "lr on a log grid", "all": "all hyperparameters (Halton)"}[t],
    )
    st.slider("steps per run", 1, MAX_SWEEP_STEPS, key="cp_steps")
    st.select_slider("target: loss − min f ≤", TOLERANCES, key="cp_tol", format_func=sig)
    return replace(
        cfg,
        specs=specs,
        surfaces=surfaces,
        starts=int(ss["cp_starts"]),
        budget=int(ss["cp_budget"]),
        tune=ss["cp_tune"],
        steps=int(ss["cp_steps"]),
        tol=float(ss["cp_tol"]),
        lr_on=ss["cp_lr_on"],
        lr_opt=lr_opt,
        rules=rules,
    ), problems


def _lr_spec(cfg: CompareConfig, problems: Problems):
    text = st.session_state["cp_lr_opt"]
    try:
        return parse_surface_spec(text)
    except SpecError as err:
        problems.append((f"The range test's optimizer {text!r}", f"{err}; keeping {format_spec(cfg.lr_opt)}"))
        return cfg.lr_opt


def comparison(cfg: CompareConfig) -> Comparison:
    """The comparison: shared, computed once, with progress (optviz.app.kit.jobs)."""
    key = (cfg.specs, cfg.surfaces, cfg.starts, cfg.budget, cfg.tune, cfg.steps, cfg.tol)
    return compute_with_progress(
        COMPARISONS,
        key,
        lambda report: compare(
            cfg.specs, cfg.surfaces, cfg.starts, 1, cfg.budget, cfg.tune, cfg.steps, cfg.tol, progress=report
        ),
        "tuning every optimizer on every problem",
        estimate=comparing.estimated_seconds(cfg.specs, cfg.surfaces, cfg.starts, 1, cfg.budget, cfg.steps),
    )


def profiles(cfg: CompareConfig, result: Comparison) -> None:
    """The profile, the table of wins, failures and median steps, and the robustness view."""
    st.subheader("Performance profiles")
    st.caption(
        f"{len(result.problems)} problems ({len(cfg.surfaces)} surfaces × {cfg.starts} starts); each optimizer "
        f"gets {cfg.budget} trials per problem ({TUNING_WORDS[cfg.tune]}) "
        f"and keeps its best. ρ(τ) is the fraction of problems it solves within τ times the fastest one's steps "
        "(Dolan & Moré 2002): high on the left is fast, high on the right is reliable."
    )
    names = display_names(cfg)
    tau, rho = result.profile()
    chart(st, profile_figure(tau, dict(zip(names, rho.values()))), key="cp_profile")
    steps = result.steps
    cost = np.where(steps < 0, np.inf, steps).astype(float)
    best = cost.min(axis=1, keepdims=True)
    rows = []
    for j, name in enumerate(names):
        solved = steps[:, j] >= 0
        rows.append(
            {
                "optimizer": name,
                "wins": str(int(((cost[:, j : j + 1] == best) & np.isfinite(best)).sum())),
                "failures": str(int((~solved).sum())),
                "median steps (solved)": or_dash(int(np.median(steps[solved, j])) if solved.any() else None),
                "robustness": f"{result.reached[j].mean():.0%}",
            }
        )
    st.markdown(markdown_table(rows))
    st.caption(
        "Robustness: the fraction of all trials × problems that reached the target — how wide the basin of "
        "good settings is (the 'Adam is robust' claim, measured)."
    )
    if cfg.tune == "lr":
        chart(st, robustness_figure(names, result.trial_lrs, result.reached), key="cp_robust")


def display_names(cfg: CompareConfig) -> list[str]:
    """The optimizers as every page names them ("Adam", not "adam"), without the values the
    comparison tunes itself; numbered where two would read the same."""
    tuned = (
        ("lr",)
        if cfg.tune == "lr"
        else tuple(h.name for s in cfg.specs for h in REGISTRY[s.name].hparams if h.kind == "float")
    )  # what compare.trials varies
    names = [s.label(tuned) for s in cfg.specs]
    return [f"{n} #{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def range_section(cfg: CompareConfig) -> None:
    """Smith's range test on one surface, beside the truth of a grid of real runs."""
    st.subheader("The LR range test, checked against the truth")
    st.caption(
        "The range test (fastai's lr_find) ramps the lr exponentially over 100 updates and suggests where the "
        "smoothed loss falls fastest, or a tenth of where it is lowest. The dotted curve is the truth: the mean "
        "loss of real runs at constant lr over the same range (24 on a surface; 8 on MNIST, on the same "
        "batches of 60 of the bundled images)."
    )
    c1, c2 = st.columns(2)
    c1.selectbox("on", RANGE_TARGETS, key="cp_lr_on", format_func=_target_title)
    c2.text_input("optimizer (SPEC)", key="cp_lr_opt")
    try:
        if cfg.lr_on.startswith("mnist-"):
            data = bundled()
            test = compute_with_progress(
                RANGE_TESTS,
                (cfg.lr_on, cfg.lr_opt),
                lambda report: lr_range_test_mnist(cfg.lr_on.removeprefix("mnist-"), cfg.lr_opt, data),
                "training 9 short MNIST runs",
                estimate=lrfind.estimated_seconds_mnist(cfg.lr_on.removeprefix("mnist-"), cfg.lr_opt),
            )
        else:
            test = compute_with_progress(
                RANGE_TESTS,
                (cfg.lr_on, cfg.lr_opt),
                lambda report: lr_range_test_surface(SURFACES[cfg.lr_on], cfg.lr_opt),
                "the range test and its grid of runs",
                estimate=lrfind.estimated_seconds_surface(cfg.lr_opt),
            )
    except SpecError as err:
        st.warning(f"The range test cannot run: {err}")
        return
    chart(
        st,
        range_test_figure(test.lrs, test.smoothed, test.grid_lrs, test.grid_scores, test.suggested, test.best_lr),
        key="cp_range",
    )
    st.markdown(_verdict(test))


def _target_title(name: str) -> str:
    if name.startswith("mnist-"):
        return "MNIST: " + MODELS[name.removeprefix("mnist-")].title
    return SURFACES[name].title


def _verdict(test: RangeTest) -> str:
    lines = []
    for name, v in test.verdict().items():
        cost = v["mean_loss"] / v["best_mean_loss"] if v["best_mean_loss"] > 0 else float("nan")
        lines.append(
            f"- **{name}** suggests lr = {sig(v['lr'])}: a factor {sig(v['factor_from_best'])} from the grid's "
            f"best ({sig(test.best_lr)}); its run's mean loss is {sig(v['mean_loss'])} against "
            f"{sig(v['best_mean_loss'])}" + (f" ({sig(cost)}×)." if np.isfinite(cost) else ".")
        )
    return "\n".join(lines)
