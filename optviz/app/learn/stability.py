"""Learn, sections 7 and 8: the learning rate against the sharpness (2/η), and warmup."""

from __future__ import annotations

import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.app.learn.kit import demo_facts, demo_link, paths_of, scrub_figure, surfaces_link, sweep_link, try_it
from optviz.app.learn.races import demo_runs
from optviz.app.learn.warmup import warmup_figure
from optviz.core.analysis.demos import EDGE, ETA_FAN, ETAS, WARMUP, Demo, eta_demo, gap, left_picture_at
from optviz.core.analysis.stability import stability
from optviz.core.numbers import sig
from optviz.plots.curves import curves_figure, stability_figure

SHARPNESS = 25.0  # the ellipse's, everywhere


@shared(max_entries=16)
def _stability_series(demo: Demo) -> list[dict]:
    return [stability(r, demo.problem) for r in demo_runs(demo)]


def section_stability() -> None:
    """SGD on the ellipse at the η on the slider: its loss, and its threshold 2/η against the sharpness."""
    st.header("8. The learning rate and stability")
    st.markdown(
        "Near a minimum a surface is a bowl whose steepest curvature is the *sharpness* λmax(H), the largest "
        "eigenvalue of the Hessian. Gradient descent with step η multiplies the distance along that direction "
        "by 1 − ηλ each step: it shrinks while ηλ < 2 and grows, oscillating, beyond. So the rule is "
        "**sharpness < 2/η**; heavy-ball momentum μ relaxes it to (2+2μ)/η. The ellipse has sharpness 25 "
        "everywhere: 2/η = 25 at η = 0.08. Drag η across it."
    )
    st.markdown(
        f"**Scrub it.** The slider over this picture holds SGD's run at {len(ETA_FAN)} values of η from "
        f"{sig(ETA_FAN[0])} to {sig(ETA_FAN[-1])}, all computed at once: drag it and the path follows without "
        "asking the server. Under 0.08 the path zig-zags in, over it out; the strip under the picture is the loss."
    )
    scrub_figure(st, eta_demo(0.078), "lr", ETA_FAN, "SGD", "learn_eta_scrub")
    st.markdown("The loss and the reason, for the η you pick:")
    a, b = st.columns(2)
    eta = st.select_slider("SGD's η", ETAS, key="learn_eta", format_func=sig)
    demo = eta_demo(eta)
    run = demo_runs(demo)[0]
    paths = paths_of([run], [f"SGD, η = {sig(eta)} (2/η = {sig(2 / eta, 3)})"])
    chart(a, curves_figure(paths, [("loss − min f (log)", [run.loss], True)], height=260), key="learn_edge_loss")
    chart(b, stability_figure(paths, _stability_series(demo), height=260), key="learn_edge")
    left = left_picture_at(run, demo.problem)
    if left is None:
        fate = (
            f"2/η = {sig(2 / eta, 3)} is above the sharpness: the loss falls to "
            f"{sig(gap(run, demo.problem), 2)} in {demo.steps} steps"
        )
    else:
        fate = (
            f"2/η = {sig(2 / eta, 3)} is under the sharpness: the loss grows by (1 − 25η)² = "
            f"{sig((1 - SHARPNESS * eta) ** 2, 3)} a step and the path leaves the picture at step {left}"
        )
    st.caption(
        f"Left, the loss; right, why: solid, the sharpness; dashed, the threshold 2/η. At η = {sig(eta)}, {fate}."
    )
    st.markdown(
        "Adam divides its step by a *preconditioner* P = (1−β₁ᵗ)(√v̂ + ε), so what must stay under its threshold "
        "(2+2β₁)/((1−β₁)η), 38/η at β₁ = 0.9, is the *preconditioned* sharpness λmax(P⁻¹H) (Cohen et al., 2022). "
        "In the first steps v̂ is an estimate from a handful of gradients; where the gradient then shrinks, P "
        "shrinks with it and P⁻¹H soars. And where one step meets a cliff, **clipping** the gradient's norm "
        "keeps the step bounded (Pascanu et al., 2013). The Surfaces page draws every run's Stability chart "
        "under its loss curves, and `python -m optviz run --json` prints the same numbers."
    )
    edge = demo_facts(EDGE)
    try_it(
        (
            f"SGD on both sides of 2/η: at η = 0.078 it ends {sig(edge.gaps[0], 2)} above the minimum, at 0.082 "
            f"it leaves the picture at step {edge.left[1]}",
            demo_link(EDGE),
        ),
        (
            "Drag SGD's lr across 2/η = 25 on the ellipse and watch it start to diverge",
            surfaces_link("ellipse", ["sgd:lr=0.078"], 120, start=(-1.8, 0.6), scrub="lr"),
        ),
        (
            "The cliff: momentum thrown out, and clipped",
            surfaces_link("cliff", ["momentum:lr=0.02", "momentum:lr=0.02,clip=1"], 300),
        ),
    )


def section_schedules() -> None:
    """Schedules, and a case where warmup visibly rescues a large learning rate."""
    st.header("9. Schedules and warmup")
    st.markdown(
        "A schedule changes the learning rate over the run: large early to travel, small late to settle "
        "(step, exponential, cosine, or one-cycle decay). **Warmup** does the opposite at the very start: it "
        "ramps lr up from 0 while Adam's v̂ is still an estimate from a handful of gradients, which is why "
        "Adam with a large learning rate needs it."
    )
    warmup_figure()
    warm = demo_facts(WARMUP)
    try_it(
        (
            f"Adam at lr = 1 on the cliff: without warmup it leaves the picture at step {warm.left[0]}; with 100 "
            "steps of warmup it settles within 1e-3 of the minimum",
            demo_link(WARMUP),
        ),
        (
            "Adam's lr against warmup (cosine schedule)",
            sweep_link("rosenbrock", "adam:schedule=cosine", "lr=1e-3:1:32:log", "warmup=0:200:21", 500),
        ),
    )
