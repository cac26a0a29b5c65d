"""Learn: Adam explained as a story in the seed's order, every figure driven by a control beside
its sentence, every claim checked over the figure's own runs (tests/core/analysis/test_demos.py),
and a "Try it" link per section. One column, controls under their figures: a phone reads it as a
laptop does."""

from __future__ import annotations

import streamlit as st

from optviz.app.kit.notes import link_warnings
from optviz.app.kit.share import share_section
from optviz.app.kit.views import arrive, fresh, seed, settle
from optviz.app.learn.adam import section_adam, section_apart, section_bias_correction, section_epsilon
from optviz.app.learn.basics import section_adaptive, section_momentum, section_optimizer
from optviz.app.learn.family import section_family
from optviz.app.learn.kit import surfaces_link, sweep_link, try_it
from optviz.app.learn.problems import section_generalization, section_problems, section_swats
from optviz.app.learn.stability import section_schedules, section_stability
from optviz.link import LearnConfig

FAQ = [
    (
        "What is Adam and how does it work?",
        "An optimizer that keeps, per parameter, a running mean of the gradient and of its square, corrects both for "
        "starting at zero, and steps by their ratio (sections 2 to 6).",
    ),
    (
        "When should I use it?",
        "When you want a good result without much tuning: deep networks, sparse or badly scaled gradients, noisy "
        "objectives. When the last bit of test accuracy matters, compare with tuned SGD with momentum.",
    ),
    (
        "Which hyperparameters should I tune?",
        "The learning rate first, over a log grid. Then β2 (lower it, 0.99 or 0.98, when training is unstable), "
        "then ε. β1 = 0.9 rarely needs changing. The Sweep page shows how sensitive each is on a surface.",
    ),
    (
        "What are the common problems?",
        "Too high a learning rate (oscillation or divergence: a loss that falls then rises or wobbles wildly; "
        "lower lr, or warm up), worse generalization than SGD on some tasks, non-convergence on adversarial "
        "problems like Reddi et al.'s (fixed by AMSGrad), and L2 regularization that does not act as weight "
        "decay (use AdamW). Sections 8 to 11 show each.",
    ),
    (
        "How do I switch from Adam to SGD during training?",
        "Either by hand (train with Adam, then continue with SGD with momentum at a learning rate you tune), or "
        "automatically with SWATS, which picks the switch step and SGD's learning rate from Adam's own steps.",
    ),
]


def section_faq() -> None:
    st.header("14. FAQ")
    for q, a in FAQ:
        with st.expander(q):
            st.markdown(a)
    try_it(
        (
            "Which matters more, lr or β2? A sweep on Beale",
            sweep_link("beale", "adam", "lr=1e-4:1:48:log", "b2=0.8:0.9999:48", 800),
        ),
        (
            "Adam against tuned SGD with momentum (press Fair race)",
            surfaces_link("rosenbrock", ["adam:lr=0.01", "momentum:lr=0.001"], 1000),
        ),
    )


SECTIONS = (
    section_optimizer,
    section_momentum,
    section_adaptive,
    section_adam,
    section_apart,
    section_bias_correction,
    section_epsilon,
    section_stability,
    section_schedules,
    section_problems,
    section_generalization,
    section_swats,
    section_family,
    section_faq,
)


def _view() -> None:
    """The demos' controls start where the link says, and every change goes back into it."""
    cfg, warnings = arrive(LearnConfig, "learn")
    link_warnings(warnings)
    controls = {
        "learn_b1": cfg.b1,
        "learn_b2": cfg.b2,
        "learn_C": cfg.C,
        "learn_ams_lr": cfg.lr,
        "learn_gen": cfg.gen,
        "learn_mb1": cfg.mb1,
        "learn_eps": cfg.eps,
        "learn_warmup": cfg.warmup,
        "learn_sgd": cfg.sgd,
        "learn_kappa": cfg.kappa,
        "learn_t": cfg.t,
        "learn_eta": cfg.eta,
        "learn_swats": cfg.swats,
        "learn_family": cfg.family,
        "learn_wd": cfg.wd,
        "learn_apart": cfg.apart,
    }
    seed(controls, overwrite=fresh("learn"))
    ss = st.session_state
    settle(
        "learn",
        LearnConfig(
            float(ss["learn_b1"]),
            float(ss["learn_b2"]),
            float(ss["learn_C"]),
            float(ss["learn_ams_lr"]),
            bool(ss["learn_gen"]),
            float(ss["learn_mb1"]),
            float(ss["learn_eps"]),
            int(ss["learn_warmup"]),
            float(ss["learn_sgd"]),
            float(ss["learn_kappa"]),
            int(ss["learn_t"]),
            float(ss["learn_eta"]),
            float(ss["learn_swats"]),
            str(ss["learn_family"]),
            float(ss["learn_wd"]),
            str(ss["learn_apart"]),
        ),
    )


def page() -> None:
    """The whole page."""
    st.title("Learn: Adam, explained live")
    _view()
    for section in SECTIONS:
        section()
    share_section("learn", [])
