"""Learn, sections 9 to 11: Adam's problems (Reddi's counterexample, AMSGrad's price, L2 against
decoupled weight decay), the generalization debate, and SWATS."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.app.kit.runs import grid
from optviz.app.learn.generalization import generalization_study
from optviz.app.learn.kit import demo_facts, demo_link, demo_losses, mnist_link, paths_of, series, surfaces_link, try_it
from optviz.app.learn.races import demo_runs, race
from optviz.core.analysis.demos import AMSGRAD, DECAYS, FLAT_MINIMA, SWATS_LRS, swats_demo
from optviz.core.limits import LEARN_C, LEARN_LRS
from optviz.core.numbers import sig
from optviz.core.problems.counterexample import reddi_path
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import make_spec
from optviz.plots.curves import curves_figure
from optviz.plots.surface_figures import contour_figure

_reddi_path = shared(max_entries=256)(reddi_path)


def section_problems() -> None:
    """Reddi et al.'s counterexample (C and lr on sliders), AMSGrad's price, and weight decay."""
    st.header("10. Adam's problems")
    st.subheader("It can fail to converge: Reddi et al.'s counterexample")
    st.markdown(
        "Reddi et al. (2018): f_t(x) = C·x on every third step and −x otherwise, x in [−1, 1]. Summed over "
        "three steps it is (C − 2)·x, so the best point is −1. With β1 = 0 and β2 = 1/(1 + C²), Adam's rare "
        "large gradient is damped by v as much as it is large, and the frequent small ones push it to +1. "
        "AMSGrad divides by the largest v so far and goes to −1."
    )
    slot = st.container()
    c1, c2 = st.columns(2)
    C = c1.slider("C", *LEARN_C, step=0.5, key="learn_C")
    lr = c2.select_slider("lr", LEARN_LRS, key="learn_ams_lr")
    steps = 3000
    paths, values = series(
        [("Adam", _reddi_path("adam", C, lr, steps)), ("AMSGrad", _reddi_path("amsgrad", C, lr, steps))]
    )
    chart(slot, curves_figure(paths, [("x_t", values, False)], height=300), key="learn_ams_chart")
    st.caption(
        f"After {steps} steps: Adam at x = {values[0][-1]:+.3f}, AMSGrad at x = {values[1][-1]:+.3f} "
        "(the optimum is −1)."
    )
    amsgrad = demo_facts(AMSGRAD)
    st.markdown(
        "The fix has a price. AMSGrad's v̂ is the largest v so far, so it never shrinks: where the gradients "
        "fall, as along Rosenbrock's valley, its steps stay small. From Rosenbrock's start at lr = 0.05 and "
        f"β2 = 0.99, after {AMSGRAD.steps} steps Adam is {sig(amsgrad.gaps[0], 2)} above the minimum and AMSGrad "
        f"still {sig(amsgrad.gaps[1], 2)}."
    )
    demo_losses(st, AMSGRAD, ["Adam", "AMSGrad"], "learn_amsgrad_loss")
    weight_decay()
    try_it(
        (
            f"AMSGrad against Adam on Rosenbrock (lr = 0.05, β2 = 0.99): Adam ends {sig(amsgrad.gaps[0], 2)} above "
            f"the minimum, AMSGrad, whose v̂ never shrinks, {sig(amsgrad.gaps[1], 2)}",
            demo_link(AMSGRAD),
        ),
        (
            "AdamW's decay strength on Rosenbrock",
            surfaces_link("rosenbrock", ["adamw:lr=0.05", "adamw:lr=0.05,weight_decay=0.5"], 1000),
        ),
    )


def weight_decay() -> None:
    """Adam on f + (λ/2)|x|² against AdamW with decay λ on the ellipse, λ on a slider."""
    st.subheader("L2 is not weight decay")
    st.markdown(
        "Adam with an L2 term adds λx to the gradient, and Adam then divides it by √v̂, so parameters with "
        "large gradients are hardly decayed. AdamW (Loshchilov & Hutter, 2019) shrinks the weights directly, "
        "by lr·λ·x, the same for all. Below: Adam on f + (λ/2)|x|² against AdamW on f, on the ellipse."
    )
    slot = st.container()
    lam = st.select_slider("λ", DECAYS, key="learn_wd", format_func=sig)
    base, s = "0.5*(x**2 + 25*y**2)", SURFACES["ellipse"]
    adam = race(
        "custom",
        s.start,
        150,
        [make_spec("adam", {"lr": 0.05})],
        expr=f"{base} + {lam / 2}*(x**2 + y**2)",
        domain=s.domain,
    )[0]
    adamw = race(s.name, s.start, 150, [make_spec("adamw", {"lr": 0.05, "weight_decay": lam})])[0]
    xs, ys, z = grid(s)
    paths = paths_of([adam, adamw], [f"Adam + L2 (λ = {sig(lam)})", f"AdamW (decay {sig(lam)})"])
    chart(slot, contour_figure(xs, ys, z, paths, [(0.0, 0.0, 0.0)], s.start, 0.0, key="learn_wd"), key="learn_wd_chart")
    far = [float(np.linalg.norm(r.path[-1])) for r in (adam, adamw)]
    st.caption(f"After 150 steps Adam + L2 ends {sig(far[0], 2)} from the origin, AdamW {sig(far[1], 2)}.")


def section_generalization() -> None:
    """Wilson et al.'s claim, measured here."""
    st.header("11. Does Adam generalize worse?")
    st.markdown(
        "Wilson et al. (2017) found that adaptive methods often reach lower training loss than SGD but "
        "generalize worse on held-out data, and that well-tuned SGD with momentum often wins on test "
        "accuracy. The debate is not settled: with tuned learning rates and decoupled weight decay the gap "
        "often closes."
    )
    generalization_study()
    st.markdown(
        "The other side of the debate asks *where* an optimizer settles. A sharp minimum, where the loss "
        "rises fast on every side, is thought to generalize worse than a wide one: a small shift of the "
        "data moves the loss a lot. SAM (Foret et al., 2021) takes each gradient at the worst point within "
        "ρ of where it stands, so a well narrower than ρ cannot hold it. On two wells, a deep narrow one "
        "and a shallower wide one, SGD with momentum settles at the bottom of the narrow well it starts "
        "in (sharpness λ_max ≈ 120); SAM, the same optimizer with ρ = 0.3, climbs out and settles in the "
        "wide one (λ_max ≈ 1.3), at a higher loss."
    )
    try_it(
        (
            "Adam and SGD with momentum on the MNIST page: train them yourself and watch each one's train−test gap",
            mnist_link("cnn", ["adam", "momentum:lr=0.05"], epochs=3),
        ),
        ("SAM against momentum on a narrow and a wide well", demo_link(FLAT_MINIMA)),
    )


def section_swats() -> None:
    """SWATS against Adam on Himmelblau, the lr on a slider, the switch marked."""
    st.header("12. SWATS: from Adam to SGD")
    st.markdown(
        "Keskar & Socher (2017) start with Adam and switch to SGD with momentum once the learning rate "
        "that SGD would need to take Adam's steps has settled. Here on Himmelblau's function: the loss of "
        "SWATS and of Adam with the same settings, and where the switch happened."
    )
    slot = st.container()
    lr = st.select_slider("lr (both)", SWATS_LRS, key="learn_swats", format_func=sig)
    demo = swats_demo(lr)
    swats = demo_runs(demo)
    paths = paths_of(swats, [f"SWATS, lr = {sig(lr)}", f"Adam, lr = {sig(lr)}"])
    k = swats[0].switched_at
    marks = [(k, f" SWATS switches to SGD after step {k}")] if k else []
    fig = curves_figure(paths, [("loss − min f (log)", [r.loss for r in swats], True)], height=300, marks=marks)
    chart(slot, fig, key="learn_swats_chart")
    st.caption(
        f"SWATS switched to SGD after step {k}, with SGD's learning rate Λ = {sig(swats[0].state['sgd_lr'][-1])}; "
        f"final loss {sig(swats[0].loss[-1], 2)} against Adam's {sig(swats[1].loss[-1], 2)}."
        if k
        else f"At lr = {sig(lr)} SWATS did not switch within {demo.steps} steps: Adam's steps had not settled."
    )
    try_it(("SWATS on Himmelblau", demo_link(demo)))
