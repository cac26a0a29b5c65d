"""Learn, sections 1 to 3: what an optimizer does, momentum, and adaptive rates (RMSprop)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.app.learn.kit import demo_facts, demo_link, demo_paths, surfaces_link, try_it
from optviz.app.learn.momentum import momentum_window
from optviz.app.learn.races import demo_runs
from optviz.core.analysis.demos import KAPPAS, SGD_LRS, gap, kappa_demo, left_picture_at, sgd_demo, sgd_factor
from optviz.core.numbers import sig


def section_optimizer() -> None:
    """SGD on the bowl: the gradient gives the direction, lr turns it into a distance."""
    st.header("1. What an optimizer does")
    st.markdown(
        "Training a model is walking downhill on its loss. At each step an optimizer looks at the gradient g, "
        "the direction in which the loss rises fastest, and steps against it. Plain gradient descent (SGD) "
        "steps by lr·g: the learning rate turns a slope into a distance. On the bowl f = x² + y² the gradient "
        "at p is 2p, so each step multiplies the distance to the minimum by 1 − 2·lr. Drag lr: small values "
        "crawl, lr = 0.5 lands on the minimum in one step, between 0.5 and 1 every step overshoots to the "
        "other side, and above 1 every step lands farther out than the last."
    )
    slot = st.container()
    lr = st.select_slider("SGD's learning rate", SGD_LRS, key="learn_sgd", format_func=sig)
    demo = sgd_demo(lr)
    demo_paths(slot, demo, [f"SGD, lr = {sig(lr)}"], "learn_sgd_path")
    run, surface = demo_runs(demo)[0], demo.problem
    left = left_picture_at(run, surface)
    fate = (
        f"leaves the picture at step {left}"
        if left is not None
        else f"ends {sig(gap(run, surface), 2)} above the minimum after {demo.steps} steps"
    )
    first = float(np.linalg.norm(run.path[1] - run.path[0]))
    st.caption(
        f"From ({sig(demo.start[0])}, {sig(demo.start[1])}), where |g| = 2, the first step is lr·|g| = "
        f"{sig(first, 3)}. Each step multiplies the distance to the minimum by 1 − 2·lr = {sig(sgd_factor(lr), 3)}; "
        f"the run {fate}."
    )
    try_it(
        (
            "SGD on the bowl: drag its lr across 1 and watch it diverge",
            surfaces_link("bowl", ["sgd:lr=0.1"], 25, scrub="lr"),
        )
    )


def section_momentum() -> None:
    """β1 as an average over about 1/(1 − β1) steps."""
    st.header("2. Momentum: a memory of about 1/(1−β1) steps")
    momentum_window()
    try_it(
        (
            "Drag Adam's β1 on Rosenbrock: how long the first moment remembers",
            surfaces_link("rosenbrock", ["adam:lr=0.05"], 500, scrub="b1"),
        ),
        (
            "SGD with and without momentum on Rosenbrock",
            surfaces_link("rosenbrock", ["sgd:lr=0.001", "momentum:lr=0.001"], 1000),
        ),
    )


def section_adaptive() -> None:
    """RMSprop's per-coordinate scaling: its path does not change with the ellipse's steepness."""
    st.header("3. Adaptive rates: a step size per coordinate")
    st.markdown(
        "One learning rate for every coordinate is a compromise. On the ellipse ½(x² + κy²) the y direction is κ "
        "times steeper than x: SGD must keep lr under 2/κ or y blows up, and at that lr it crawls along x. "
        "RMSprop (Hinton, 2012) keeps a running average v of each coordinate's squared gradient and steps by "
        "lr·g/(√v + ε): each coordinate is divided by its own gradient scale. Scaling a coordinate's gradients "
        "by κ scales its √v by κ too, so RMSprop's path is the same whatever κ is. Drag κ: SGD runs at 80% of "
        "its limit, lr = 1.6/κ; RMSprop at lr = 0.05 throughout."
    )
    slot = st.container()
    kappa = st.select_slider("steepness κ of y against x", KAPPAS, key="learn_kappa", format_func=sig)
    demo = kappa_demo(kappa)
    demo_paths(slot, demo, [f"SGD, lr = 1.6/κ = {sig(1.6 / kappa, 3)}", "RMSprop, lr = 0.05"], "learn_kappa_path")
    f = demo_facts(demo)
    rms, rms_at_1 = demo_runs(demo)[1], demo_runs(kappa_demo(KAPPAS[0]))[1]
    apart = float(np.max(np.abs(rms.path - rms_at_1.path)))
    st.caption(
        f"At κ = {sig(kappa)}, after {demo.steps} steps SGD is {sig(f.gaps[0], 2)} above the minimum and RMSprop "
        f"{sig(f.gaps[1], 2)}. RMSprop's path here is at most {sig(apart, 2)} from its path at κ = 1: the "
        "same path, to float32 rounding."
    )
    try_it(
        ("This race on the Surfaces page", demo_link(demo)),
        (
            "SGD, RMSprop and Adam on the ellipse (κ = 25)",
            surfaces_link("ellipse", ["sgd:lr=0.075", "rmsprop:lr=0.05", "adam:lr=0.05"], 100),
        ),
    )
