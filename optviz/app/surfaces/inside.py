"""Inside the optimizer: its state per step, its update rule with the numbers filled in, and
(for Adam) the same run with and without bias correction."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import streamlit as st

from optviz.app.kit.charts import chart
from optviz.app.kit.runs import cached_runs
from optviz.core.engine.trajectory import Run
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.spec import make_spec
from optviz.link import RaceConfig
from optviz.plots.common import PathData
from optviz.plots.curves import curves_figure, state_figure
from optviz.plots.surface_figures import contour_figure


def _latex_number(v: float) -> str:
    text = f"{v:.4g}"  # LaTeX wants its own power-of-ten form, built below
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \cdot 10^{{{int(exp)}}}" if mant != "1" else rf"10^{{{int(exp)}}}"
    return text


def _symbol_pattern(symbol: str) -> str:
    """A hyperparameter's symbol as a whole token: not part of a command (the c of \\frac or
    \\cdot), nor followed by more letters, nor by a subscript it does not have (the rule's
    \\eta_t is the step at t, not the lr)."""
    before = "" if symbol.startswith("\\") else r"(?<![A-Za-z\\])"
    after = r"(?![A-Za-z])" if "_" in symbol else r"(?![A-Za-z_])"
    return before + re.escape(symbol) + after


def symbols_pattern(symbols) -> str:
    """One pattern for all of a rule's symbols, the longest first (\\eta^+ before \\eta)."""
    return "|".join(_symbol_pattern(sym) for sym in sorted(symbols, key=len, reverse=True))


def filled_rule(name: str, hparams: dict[str, float]) -> str:
    """The optimizer's update rule with each hyperparameter's symbol replaced by its value, in one
    pass (a value's own LaTeX is never read again as a symbol)."""
    opt = REGISTRY[name]
    values = {hp.symbol: hparams[hp.name] for hp in opt.hparams if hp.symbol}
    if not values:
        return opt.update_rule
    return re.sub(
        symbols_pattern(values), lambda m: rf"{{\color{{#e4572e}}{_latex_number(values[m.group(0)])}}}", opt.update_rule
    )


def _vector(v) -> str:
    v = np.atleast_1d(np.asarray(v, np.float64))
    inner = ",\\ ".join(_latex_number(float(x)) for x in v)
    return rf"\left({inner}\right)" if v.size > 1 else inner


def state_at(run: Run, t: int) -> str:
    """LaTeX for the point and every state quantity after step ``t``."""
    parts = [rf"t = {t}", rf"x_t = {_vector(run.path[t])}", rf"f(x_t) = {_latex_number(float(run.loss[t]))}"]
    for key, values in run.state.items():
        latex = REGISTRY[run.optimizer].state_label(key)[0]
        parts.append(rf"{latex} = {_vector(values[t - 1])}")
    return r" \\ ".join(parts)


def inside_section(
    cfg: RaceConfig, runs: list[Run], labels: list[str], paths: list[PathData], grid, minima, floor: float, log: bool
) -> None:
    """Draw the section for the run the user picks."""
    choice = st.selectbox("Run", list(range(len(runs))), format_func=lambda i: labels[i], key="inside_run")
    if choice is None or choice >= len(runs):
        choice = 0
    run, spec = runs[choice], cfg.specs[choice]
    opt = REGISTRY[run.optimizer]
    st.markdown(f"**{opt.display_name}.** {opt.description}")
    st.latex(filled_rule(run.optimizer, run.hparams))
    done = len(run.path) - 1
    if done >= 1:
        ss = st.session_state
        ss["inside_step"] = min(max(int(ss.get("inside_step", min(done, 10))), 1), done)  # the link's, or 10
        t = st.slider("after step", 1, done, key="inside_step") if done > 1 else 1
        st.latex(state_at(run, t))
    if run.state:
        chart(
            st,
            state_figure(run.state, {k: opt.state_label(k)[1] for k in run.state}, paths[choice].color),
            key="state_chart",
        )
    else:
        st.caption(f"{opt.display_name} keeps no state beyond the step count: its step is lr times the gradient.")

    if "bias_correction" in opt.hparam_names:
        _bias_correction_comparison(cfg, spec, grid, minima, floor, log)
    else:
        st.caption(
            "The bias-correction comparison is for Adam, whose bias_correction switch turns it off; "
            "pick an Adam run to see it."
        )


def _bias_correction_comparison(cfg: RaceConfig, spec, grid, minima, floor: float, log: bool) -> None:
    st.markdown(
        "**Bias correction on and off, same run.** Without correction, m and v start near zero, "
        "so the first steps are mis-sized: m/√v is about (1-β1)/√(1-β2) times the gradient's sign."
    )
    on = make_spec("adam", dict(spec.hparams, bias_correction=1.0))
    off = make_spec("adam", dict(spec.hparams, bias_correction=0.0))
    pair = cached_runs(replace(cfg, specs=(on, off)))
    paths = [
        PathData("with bias correction", r.path, r.loss, c, r.diverged_at) for r, c in zip(pair, ("#2e86ab", "#e4572e"))
    ]
    paths[1] = replace(paths[1], label="without bias correction")
    xs, ys, z = grid
    c1, c2 = st.columns(2)
    chart(c1, contour_figure(xs, ys, z, paths, minima, cfg.start, floor, log, key="bc"), key="bc_contour")
    gap = [p.loss - (floor if np.isfinite(floor) else 0.0) for p in paths]
    chart(c2, curves_figure(paths, [("loss − min f", gap, True)], height=320), key="bc_loss")
    steps = [np.linalg.norm(np.diff(p.xy[:6], axis=0), axis=1) for p in paths]
    st.caption(
        "First five step lengths: with correction "
        + ", ".join(sig(s) for s in steps[0])
        + "; without "
        + ", ".join(sig(s) for s in steps[1])
        + "."
    )
