"""Learn: Adam explained, with every claim a live demo and a "Try it" link."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.app.kit.notes import link_warnings
from optviz.app.kit.runs import grid
from optviz.app.kit.share import share_section
from optviz.app.kit.views import arrive, fresh, seed, settle
from optviz.app.learn.epsilon import first_step_figure
from optviz.app.learn.generalization import generalization_study
from optviz.app.learn.momentum import momentum_window
from optviz.app.learn.races import demo_runs, race
from optviz.app.learn.warmup import warmup_figure
from optviz.core.analysis.demos import AMSGRAD, BIAS, EDGE, WARMUP, Demo, Facts, facts
from optviz.core.analysis.measures import state_per_network_parameter, state_per_parameter
from optviz.core.analysis.stability import stability
from optviz.core.analysis.suggested import BUDGET, suggested_lr
from optviz.core.limits import LEARN_B1, LEARN_B2, LEARN_C, LEARN_LRS
from optviz.core.numbers import sig
from optviz.core.optimizers import FAMILIES, REGISTRY
from optviz.core.problems.counterexample import reddi_path
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_number, make_spec, parse_axis, parse_spec
from optviz.link import LearnConfig, MnistConfig, RaceConfig, SurfacesConfig, SweepConfig
from optviz.plots.common import PathData, color
from optviz.plots.curves import curves_figure, stability_figure
from optviz.plots.surface_figures import contour_figure


@shared(max_entries=4)
def _memory_rows() -> list[dict]:
    rows = []
    for n, o in REGISTRY.items():
        on_cnn = state_per_network_parameter(n)
        rows.append(
            {
                "optimizer": o.display_name,
                "numbers kept per parameter (2D surface)": state_per_parameter(n) if not o.surface_note else None,
                "per parameter of the MNIST CNN (as stored here)": "not offered" if on_cnn is None else f"{on_cnn:.3g}",
            }
        )
    return rows


_reddi_path = shared(max_entries=256)(reddi_path)


def surfaces_link(surface: str, opts: list[str], steps: int = 150, start=None, scrub: str | None = None) -> str:
    """A share link that opens the Surfaces page on this race (a catalogue surface); with ``scrub``,
    the what-if scrubber over that setting of the first racer."""
    cfg = RaceConfig(surface, start or SURFACES[surface].start, steps, tuple(parse_spec(o) for o in opts))
    return "/?" + urlencode(SurfacesConfig(cfg, scrub=scrub).to_query(), doseq=True)


def demo_link(demo: Demo) -> str:
    """The Surfaces page on a demo's race (optviz.core.analysis.demos)."""
    return surfaces_link(demo.surface, list(demo.opts), demo.steps, demo.start)


def _facts(demo: Demo) -> Facts:
    """What a demo's sentence quotes, from its runs in the shared cache."""
    return facts(demo, demo_runs(demo))


def _demo_runs(demo: Demo, labels: list[str]) -> tuple[list, list[PathData]]:
    runs = demo_runs(demo)
    return runs, _paths(runs, labels)


def demo_paths(demo: Demo, labels: list[str], key: str) -> None:
    """A two-racer demo's paths on its surface's top view: the runs its sentence measured."""
    surface = SURFACES[demo.surface]
    _, paths = _demo_runs(demo, labels)
    xs, ys, z = grid(surface)
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    chart(st, contour_figure(xs, ys, z, paths, minima, demo.start, 0.0, surface.log_scale, key=key), key=key)


def demo_losses(demo: Demo, labels: list[str], key: str) -> None:
    """A demo's loss curves (loss − min f, log): the runs its sentence measured."""
    surface = SURFACES[demo.surface]
    runs, paths = _demo_runs(demo, labels)
    gaps = [r.loss - (surface.f_min or 0.0) for r in runs]
    chart(st, curves_figure(paths, [("loss − min f (log)", gaps, True)], height=280), key=key)


def sweep_link(surface: str, opt: str, x: str, y: str, steps: int = 500, opt2: str = "") -> str:
    """A link that opens the Sweep page on this grid (the CLI's axis syntax), written by its view."""
    spec = parse_spec(opt)
    cfg = SweepConfig(
        surface,
        spec,
        parse_spec(opt2) if opt2 else None,
        parse_axis("x", x, spec.name),
        parse_axis("y", y, spec.name),
        SURFACES[surface].start,
        steps,
    )
    return "/sweep?" + urlencode(cfg.to_query(), doseq=True)


def mnist_link(model: str, opts: list[str], epochs: int = 3, train: int = 6000, test: int = 2000) -> str:
    """A link that opens the MNIST page on this race, written by its view."""
    cfg = MnistConfig(model, tuple(parse_spec(o) for o in opts), epochs, train=train, test=test)
    return "/mnist?" + urlencode(cfg.to_query(), doseq=True)


def try_it(*links: tuple[str, str]) -> None:
    """The "Try it" links that end a section."""
    st.markdown("**Try it:** " + " · ".join(f"[{label}]({href})" for label, href in links))


def _paths(runs, labels) -> list[PathData]:
    return [PathData(lab, r.path, r.loss, color(i), r.diverged_at) for i, (lab, r) in enumerate(zip(labels, runs))]


def _series(labels_values: list[tuple[str, np.ndarray]]) -> tuple[list[PathData], list[np.ndarray]]:
    empty = np.zeros((0, 2), np.float32)
    return (
        [PathData(lab, empty, empty[:, 0], color(i)) for i, (lab, _) in enumerate(labels_values)],
        [v for _, v in labels_values],
    )


def section_what() -> None:
    st.header("1. What Adam is")
    st.markdown(
        "Adam (**ada**ptive **m**oment estimation; Kingma & Ba, 2014) keeps two running averages for every "
        "parameter: of the gradient (the *first moment*, which is momentum) and of the squared gradient (the "
        "*second moment*, as in RMSprop). It steps each parameter by the first over the square root of the "
        "second, after correcting both for starting at zero. RMSprop plus momentum, made unbiased."
    )
    try_it(
        (
            "Adam, RMSprop and momentum on Rosenbrock",
            surfaces_link("rosenbrock", ["adam:lr=0.05", "rmsprop:lr=0.005", "momentum:lr=0.0005"], 1500),
        )
    )
    family_tree()


def family_tree() -> None:
    """Who fixed what in whom: every optimizer in the registry, by branch."""
    st.subheader("Adam's family")
    lines = []
    for family in FAMILIES:
        members = [o for o in REGISTRY.values() if o.family == family]
        lines.append(f"- **{family}**: " + "; ".join(f"*{o.display_name}*: {o.lineage}" for o in members))
    st.markdown("\n".join(lines))
    racers = ("adam", "radam", "adabelief", "adopt", "sfadamw", "prodigy")
    suggested = [(n, suggested_lr("rosenbrock", n)) for n in racers]
    try_it(
        (
            "Adam's successors on Rosenbrock, each at its suggested learning rate",
            surfaces_link(
                "rosenbrock", [f"{n}:lr={format_number(lr)}" for n, lr in suggested if lr is not None], BUDGET
            ),
        )
    )


def section_algorithm() -> None:
    st.header("2. The algorithm in seven steps")
    steps = [
        (r"g_t = \nabla f(x_{t-1})", "the gradient where we stand (on the Surfaces page, noise σ adds to it)"),
        (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", "β1 is the b1 slider: how long the first moment remembers"),
        (r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", "β2 is the b2 slider: the same for the squared gradient"),
        (r"\hat m_t = m_t / (1-\beta_1^t)", "bias correction of m (bias_correction switch, on by default)"),
        (r"\hat v_t = v_t / (1-\beta_2^t)", "bias correction of v"),
        (r"\Delta_t = \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)", "η is the lr slider, ε the eps slider"),
        (r"x_t = x_{t-1} - \Delta_t", "the step, one number per parameter"),
    ]
    for i, (eq, what) in enumerate(steps, 1):
        c1, c2 = st.columns([2, 3], vertical_alignment="center")
        c1.latex(rf"{i}.\quad {eq}")
        c2.caption(what)
    st.caption(
        "m and v start at 0; t counts steps from 1. Inside the optimizer on the Surfaces page shows every "
        "one of these quantities per step for your run."
    )
    momentum_window()
    try_it(
        (
            'Adam on Beale: open "Inside the optimizer" to see each step\'s numbers',
            surfaces_link("beale", ["adam:lr=0.05"], 500),
        ),
        (
            "Drag Adam's lr on Rosenbrock: the path straightens, overshoots, then oscillates",
            surfaces_link("rosenbrock", ["adam:lr=0.05"], 500, scrub="lr"),
        ),
        (
            "Drag Adam's β1: how long the first moment remembers, about 1/(1−β1) steps",
            surfaces_link("rosenbrock", ["adam:lr=0.05"], 500, scrub="b1"),
        ),
        ("Adam's lr against β1 on Rosenbrock", sweep_link("rosenbrock", "adam", "lr=1e-4:1:48:log", "b1=0:0.99:48")),
    )


def section_bias_correction() -> None:
    st.header("3. Bias correction")
    st.markdown(
        "m and v start at zero, so early on they are averages of a few gradients and a lot of zeros: too small. "
        "With a constant gradient g, m_t = (1-β1^t) g exactly, so dividing by 1-β1^t gives back g. The chart runs "
        "our Adam on f(x, y) = x + y (gradient 1 everywhere) and plots its own m, m̂, v and v̂."
    )
    c1, c2 = st.columns(2)
    b1 = c1.slider("β1", *LEARN_B1, step=0.01, key="learn_b1")
    b2 = c2.slider("β2", *LEARN_B2, step=0.0001, format="%.4f", key="learn_b2")
    run = race(
        "custom",
        (0.0, 0.0),
        50,
        [make_spec("adam", {"lr": 1e-6, "b1": b1, "b2": b2})],
        expr="x + y",
        domain=(-1e4, 1e4, -1e4, 1e4),
    )[0]
    s = run.state
    paths, values = _series(
        [("m_t", s["m"][:, 0]), ("m̂_t", s["m_hat"][:, 0]), ("v_t", s["v"][:, 0]), ("v̂_t", s["v_hat"][:, 0])]
    )
    chart(st, _moment_figure(paths, values), key="learn_bc_chart")
    st.caption(
        f"After 10 steps: m = {s['m'][9, 0]:.3f} but m̂ = {s['m_hat'][9, 0]:.3f}; "
        f"v = {s['v'][9, 0]:.4f} but v̂ = {s['v_hat'][9, 0]:.3f}."
    )
    f = _facts(BIAS)
    st.markdown(
        "Why it matters: without the correction the first steps are (1−β1)/√(1−β2) ≈ 3.2 times longer "
        f"(β1 = 0.9, β2 = 0.999). On the cliff at lr = 0.1 Adam's first step is {sig(f.first[0], 3)} with the "
        f"correction and {sig(f.first[1], 3)} without, and that is enough to go over the edge: after "
        f"{BIAS.steps} steps the corrected run is {sig(f.gaps[0], 2)} above the minimum, the uncorrected one "
        f"{sig(f.gaps[1], 3)}."
    )
    demo_paths(BIAS, ["with bias correction", "without"], "learn_bias_paths")
    try_it(("Adam with and without correction on the cliff", demo_link(BIAS)))


def _moment_figure(paths, values):
    """m and m̂ in one panel, v and v̂ in the other."""
    return curves_figure(
        paths,
        [("first moment", values[:2] + [None, None], False), ("second moment", [None, None] + values[2:], False)],
        height=320,
    )


def section_properties() -> None:
    st.header("4. Key properties, each with a demo")
    st.subheader("Per-parameter step sizes")
    st.markdown(
        "The ellipse is 25 times steeper in y than in x. SGD must take a learning rate small enough for y, "
        "so it zig-zags across the valley and crawls along x. Adam divides each coordinate by its own "
        "gradient scale and heads for the minimum."
    )
    s = SURFACES["ellipse"]
    specs = [make_spec("sgd", {"lr": 0.075}), make_spec("adam", {"lr": 0.05})]
    runs = race(s.name, s.start, 60, specs)
    xs, ys, z = grid(s)
    chart(
        st,
        contour_figure(
            xs,
            ys,
            z,
            _paths(runs, [sp.label() for sp in specs]),
            [(m.x, m.y, m.f) for m in s.minima],
            s.start,
            0.0,
            key="learn_ellipse",
        ),
        key="learn_ellipse_chart",
    )
    first_step_figure()
    st.subheader("Memory: two moments per parameter")
    st.dataframe(pd.DataFrame(_memory_rows()), hide_index=True)
    try_it(
        ("SGD and Adam on the ellipse", surfaces_link("ellipse", ["sgd:lr=0.075", "adam:lr=0.05"], 100)),
        (
            "Adam's learning rate × start point, against SGD with momentum",
            sweep_link("ellipse", "adam:lr=0.05", "lr=1e-4:1:48:log", "y=-1:1:48", 300, opt2="momentum"),
        ),
    )


def section_tips() -> None:
    st.header("5. Practical tips")
    st.markdown(
        "- **Learning rate.** Start at 1e-3, the paper's default, and change it by factors of three or ten. "
        "Adam's step is about lr per parameter, so lr is a distance in parameter space.\n"
        "- **ε.** PyTorch uses 1e-8 and adds it to √v̂; Keras uses 1e-7 and, in TensorFlow's classic form, adds it "
        "to √v before the bias correction is folded into the step size, so the same number means a larger ε "
        "early on. Raise ε to make Adam more like SGD with momentum on flat regions.\n"
        "- **Watch the loss curve.** A loss that falls then rises or wobbles wildly means lr is too high; a "
        "straight line on a log plot means steady progress.\n"
        "- **Weight decay.** Adam with an L2 term adds λx to the gradient, and Adam then divides it by √v̂, so "
        "parameters with large gradients are hardly decayed. AdamW shrinks the weights directly, the same for "
        "all. Below: Adam on f + (λ/2)|x|² against AdamW on f, λ = 1, on the ellipse."
    )
    lam, base = 1.0, "0.5*(x**2 + 25*y**2)"
    s = SURFACES["ellipse"]
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
    chart(
        st,
        contour_figure(
            xs,
            ys,
            z,
            _paths([adam, adamw], ["Adam + L2 (λ = 1)", "AdamW (decay 1)"]),
            [(0.0, 0.0, 0.0)],
            s.start,
            0.0,
            key="learn_wd",
        ),
        key="learn_wd_chart",
    )
    try_it(
        (
            "AdamW's decay strength on Rosenbrock",
            surfaces_link("rosenbrock", ["adamw:lr=0.05", "adamw:lr=0.05,weight_decay=0.5"], 1000),
        )
    )


def section_problems() -> None:
    st.header("6. Problems with Adam")
    st.subheader("Generalization")
    st.markdown(
        "Wilson et al. (2017) found that adaptive methods often reach lower training loss than SGD but "
        "generalize worse on held-out data, and that well-tuned SGD with momentum often wins on test "
        "accuracy. The debate is not settled: with tuned learning rates and decoupled weight decay the gap "
        "often closes."
    )
    generalization_study()
    st.subheader("AMSGrad's counterexample")
    st.markdown(
        "Reddi et al. (2018): f_t(x) = C·x on every third step and −x otherwise, x in [−1, 1]. Summed over "
        "three steps it is (C − 2)·x, so the best point is −1. With β1 = 0 and β2 = 1/(1 + C²), Adam's rare "
        "large gradient is damped by v as much as it is large, and the frequent small ones push it to +1. "
        "AMSGrad divides by the largest v so far and goes to −1."
    )
    c1, c2 = st.columns(2)
    C = c1.slider("C", *LEARN_C, step=0.5, key="learn_C")
    lr = c2.select_slider("lr", LEARN_LRS, key="learn_ams_lr")
    steps = 3000
    paths, values = _series(
        [("Adam", _reddi_path("adam", C, lr, steps)), ("AMSGrad", _reddi_path("amsgrad", C, lr, steps))]
    )
    chart(st, curves_figure(paths, [("x_t", values, False)], height=300), key="learn_ams_chart")
    st.caption(
        f"After {steps} steps: Adam at x = {values[0][-1]:+.3f}, AMSGrad at x = {values[1][-1]:+.3f} "
        "(the optimum is −1)."
    )
    amsgrad = _facts(AMSGRAD)
    st.markdown(
        "The fix has a price. AMSGrad's v̂ is the largest v so far, so it never shrinks: where the gradients "
        "fall, as along Rosenbrock's valley, its steps stay small. From Rosenbrock's start at lr = 0.05 and "
        f"β2 = 0.99, after {AMSGRAD.steps} steps Adam is {sig(amsgrad.gaps[0], 2)} above the minimum and AMSGrad "
        f"still {sig(amsgrad.gaps[1], 2)}."
    )
    demo_losses(AMSGRAD, ["Adam", "AMSGrad"], "learn_amsgrad_loss")
    st.subheader("SWATS: from Adam to SGD")
    st.markdown(
        "Keskar & Socher (2017) start with Adam and switch to SGD with momentum once the learning rate "
        "that SGD would need to take Adam's steps has settled. Here on Himmelblau's function: the loss of "
        "SWATS and of Adam with the same settings, and where the switch happened."
    )
    s = SURFACES["himmelblau"]
    specs = [make_spec("swats", {"lr": 0.03, "eps": 1e-4}), make_spec("adam", {"lr": 0.03})]
    swats = race(s.name, s.start, 300, specs)
    paths = _paths(swats, [sp.label() for sp in specs])
    k = swats[0].switched_at
    chart(
        st,
        curves_figure(
            paths,
            [("loss − min f (log)", [r.loss for r in swats], True)],
            height=300,
            marks=[(k, f" SWATS switches to SGD after step {k}")] if k else [],
        ),
        key="learn_swats_chart",
    )
    st.caption(
        f"SWATS switched to SGD after step {k}, with SGD's learning rate Λ = {sig(swats[0].state['sgd_lr'][-1])}; "
        f"final loss {sig(swats[0].loss[-1], 2)} against Adam's {sig(swats[1].loss[-1], 2)}."
        if k
        else "SWATS did not switch within these steps."
    )
    try_it(
        (
            "Adam and SGD with momentum on the MNIST page: train them yourself and watch each one's train−test gap",
            mnist_link("cnn", ["adam", "momentum:lr=0.05"], epochs=3),
        ),
        (
            f"AMSGrad against Adam on Rosenbrock (lr = 0.05, β2 = 0.99): Adam ends {sig(amsgrad.gaps[0], 2)} above "
            f"the minimum, AMSGrad, whose v̂ never shrinks, {sig(amsgrad.gaps[1], 2)}",
            demo_link(AMSGRAD),
        ),
        ("SWATS on Himmelblau", surfaces_link("himmelblau", ["swats:lr=0.03,eps=0.0001", "adam:lr=0.03"], 300)),
    )


FAQ = [
    (
        "What is Adam and how does it work?",
        "An optimizer that keeps, per parameter, a running mean of the gradient and of its square, corrects both for "
        "starting at zero, and steps by their ratio (sections 1 to 3).",
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
        "Too high a learning rate (oscillation or divergence), worse generalization than SGD on some tasks, "
        "non-convergence on adversarial problems like Reddi et al.'s (fixed by AMSGrad), and L2 regularization "
        "that does not act as weight decay (use AdamW).",
    ),
    (
        "How do I switch from Adam to SGD during training?",
        "Either by hand (train with Adam, then continue with SGD with momentum at a learning rate you tune), or "
        "automatically with SWATS, which picks the switch step and SGD's learning rate from Adam's own steps.",
    ),
]


@shared(max_entries=16)
def _edge_series(surface: str, start: tuple, steps: int, opts: tuple[str, ...]) -> list[dict]:
    runs = race(surface, start, steps, [parse_spec(o) for o in opts])
    return [stability(r, SURFACES[surface]) for r in runs]


def section_divergence() -> None:
    st.header("7. Why does it diverge?")
    st.markdown(
        "Near a minimum a surface is a bowl whose steepest curvature is the *sharpness* λmax(H), the largest "
        "eigenvalue of the Hessian. Gradient descent with step η multiplies the distance along that direction "
        "by 1 − ηλ each step: it shrinks while ηλ < 2 and grows, oscillating, beyond. So the rule is "
        "**sharpness < 2/η**; heavy-ball momentum μ relaxes it to (2+2μ)/η. The ellipse below has "
        "sharpness 25 everywhere: 2/η = 25 at η = 0.08. A hair under it SGD zig-zags in; a hair over, out."
    )
    opts = EDGE.opts
    runs = race(EDGE.surface, EDGE.start, EDGE.steps, [parse_spec(o) for o in opts])
    labels = ["SGD, η = 0.078 (2/η = 25.6)", "SGD, η = 0.082 (2/η = 24.4)"]
    paths = _paths(runs, labels)
    a, b = st.columns(2)
    chart(
        a,
        curves_figure(paths, [("loss − min f (log)", [r.loss for r in runs], True)], height=260),
        key="learn_edge_loss",
    )
    chart(
        b,
        stability_figure(paths, _edge_series(EDGE.surface, EDGE.start, EDGE.steps, opts), height=260),
        key="learn_edge",
    )
    edge = _facts(EDGE)
    st.caption(
        f"Left, the loss: at η = 0.078 it falls to {sig(edge.gaps[0], 2)} in {EDGE.steps} steps; at η = 0.082 "
        f"it grows by (1 − 25η)² = {(1 - 25 * 0.082) ** 2:.3f} a step, to {sig(edge.gaps[1], 2)}, and the path "
        f"leaves the picture at step {edge.left[1]}. Right, why: solid, the sharpness; dashed, each run's "
        "threshold 2/η. The run whose threshold lies under the sharpness diverges."
    )
    st.markdown(
        "Adam divides its step by a *preconditioner* P = (1−β₁ᵗ)(√v̂ + ε), so what must stay under its threshold "
        "(2+2β₁)/((1−β₁)η), 38/η at β₁ = 0.9, is the *preconditioned* sharpness λmax(P⁻¹H) (Cohen et al., 2022). "
        "In the first steps v̂ is an estimate from a handful of gradients; where the gradient then shrinks, P "
        "shrinks with it and P⁻¹H soars. That is why Adam with a large learning rate needs **warmup**: small "
        "steps while v̂ settles. And where one step meets a cliff, **clipping** the gradient's norm keeps the "
        "step bounded (Pascanu et al., 2013). The Surfaces page draws every run's Stability chart under its loss "
        "curves, and `python -m optviz run --json` prints the same numbers."
    )
    warmup_figure()
    warm = _facts(WARMUP)
    try_it(
        ("SGD on both sides of 2/η", demo_link(EDGE)),
        (
            "Drag SGD's lr across 2/η = 25 on the ellipse and watch it start to diverge",
            surfaces_link("ellipse", ["sgd:lr=0.078"], 120, start=(-1.8, 0.6), scrub="lr"),
        ),
        (
            f"Adam at lr = 1 on the cliff: without warmup it leaves the picture at step {warm.left[0]}; with 100 "
            "steps of warmup it settles within 1e-3 of the minimum",
            demo_link(WARMUP),
        ),
        (
            "The cliff: momentum thrown out, and clipped",
            surfaces_link("cliff", ["momentum:lr=0.02", "momentum:lr=0.02,clip=1"], 300),
        ),
        (
            "Adam's lr against warmup (cosine schedule)",
            sweep_link("rosenbrock", "adam:schedule=cosine", "lr=1e-3:1:32:log", "warmup=0:200:21", 500),
        ),
    )


def section_faq() -> None:
    st.header("8. FAQ")
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
    section_what,
    section_algorithm,
    section_bias_correction,
    section_properties,
    section_tips,
    section_problems,
    section_divergence,
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
        ),
    )


def page() -> None:
    """The whole page."""
    st.title("Learn: Adam, explained live")
    _view()
    for section in SECTIONS:
        section()
    share_section("learn", [])
