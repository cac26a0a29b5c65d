"""Learn, sections 4 to 6: Adam's seven steps with a run's live values, bias correction, and ε."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.app.kit.charts import chart
from optviz.app.kit.runs import grid
from optviz.app.learn.epsilon import first_step_figure
from optviz.app.learn.kit import demo_facts, demo_link, demo_paths, series, surfaces_link, sweep_link, try_it
from optviz.app.learn.races import demo_runs, race
from optviz.core.analysis.demos import ADAM_RULE, APART, BIAS, SEVEN, SEVEN_STEPS, seven_steps
from optviz.core.limits import LEARN_B1, LEARN_B2
from optviz.core.numbers import sig
from optviz.core.spec import make_spec, parse_surface_spec
from optviz.plots.common import PathData, color
from optviz.plots.curves import curves_figure
from optviz.plots.surface_figures import contour_figure

STEPS = (
    (r"g_t = \nabla f(x_{t-1})", "g", "the gradient where we stand"),
    (r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", "m", "momentum: the b1 slider on the Surfaces page"),
    (r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2", "v", "the adaptive part, as in RMSprop: b2"),
    (r"\hat m_t = m_t / (1-\beta_1^t)", "m_hat", "bias correction of m (the bias_correction switch)"),
    (r"\hat v_t = v_t / (1-\beta_2^t)", "v_hat", "bias correction of v"),
    (r"\Delta_t = \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)", "step", "η is lr, ε is eps"),
    (r"x_t = x_{t-1} - \Delta_t", "x", "the step, one number per parameter"),
)


def _pair(v: np.ndarray) -> str:
    return f"({sig(float(v[0]), 4)}, {sig(float(v[1]), 4)})"


def section_adam() -> None:
    """The seven steps, each with its value at the step on the slider, and the path so far."""
    st.header("4. Adam: momentum and adaptive rates, in seven steps")
    st.markdown(
        "Adam (**ada**ptive **m**oment estimation; Kingma & Ba, 2014) is both at once: momentum's average of "
        "the gradient (the *first moment* m) divided, coordinate by coordinate, by RMSprop's root mean square "
        "(the *second moment* v), each corrected for starting at zero. Below, one run of Adam on Beale's "
        "function (lr = 0.05, β1 = 0.9, β2 = 0.999, ε = 1e-8): drag t, and every line shows its value at "
        "that step, read from the run's own state."
    )
    spec = parse_surface_spec(SEVEN.opts[0])
    run = demo_runs(SEVEN)[0]
    slot = st.container()
    t = st.select_slider("step t", SEVEN_STEPS, key="learn_t")
    values = seven_steps(run, spec.settings(), t)
    for i, (eq, name, what) in enumerate(STEPS, 1):
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.latex(rf"{i}.\quad {eq}")
        c2.markdown(f"`{_pair(values[name])}`  \n{what}")
    surface = SEVEN.problem
    xs, ys, z = grid(surface)
    path = PathData(f"Adam, steps 1 to {t}", run.path[: t + 1], run.loss[: t + 1], color(0))
    minima = [(m.x, m.y, m.f) for m in surface.minima]
    chart(
        slot,
        contour_figure(xs, ys, z, [path], minima, SEVEN.start, 0.0, surface.log_scale, key="learn_t"),
        key="learn_seven_path",
    )
    g, step = values["g"], values["step"]
    st.caption(
        f"At t = {t}: the gradient's y part is {sig(abs(g[1] / g[0]), 2)} times its x part, the step's y part "
        f"{sig(abs(step[1] / step[0]), 2)} times its x part: each coordinate is divided by its own √v̂. "
        f"m̂ = {_pair(values['m_hat'])}: momentum's average, corrected for starting at zero."
    )
    try_it(
        (
            'Adam on Beale: open "Inside the optimizer" to see each step\'s numbers',
            surfaces_link("beale", ["adam:lr=0.05"], 500),
        ),
        (
            "Drag Adam's lr on Rosenbrock: the path straightens, overshoots, then oscillates",
            surfaces_link("rosenbrock", ["adam:lr=0.05"], 500, scrub="lr"),
        ),
        ("Adam's lr against β1 on Rosenbrock", sweep_link("rosenbrock", "adam", "lr=1e-4:1:48:log", "b1=0:0.99:48")),
    )


def section_apart() -> None:
    """Adam as a typed rule, one line changed at a time, raced against Adam where the change shows."""
    st.header("5. Take Adam apart")
    st.markdown("The seven steps are one line of text you can type on the Surfaces page, under *Your rules*:")
    st.code(ADAM_RULE, language=None, wrap_lines=True)
    st.markdown(
        "Change a line and race the result against Adam. Pick a change: the picture shows it on the "
        "surface where it matters, and the link under it opens that race with the rule in it."
    )
    slot = st.container()
    change = st.radio("change", tuple(APART), key="learn_apart", horizontal=True)
    demo = APART[change]
    demo_paths(slot, demo, ["Adam", f"Adam with {change}"], "learn_apart_paths")
    st.code(demo.rules[0], language=None, wrap_lines=True)
    st.caption(_apart_caption(change, demo))
    try_it((f"Adam against Adam with {change}, on the Surfaces page", demo_link(demo)))


def _apart_caption(change: str, demo) -> str:
    """What the race shows, from its own runs."""
    f = demo_facts(demo)
    runs = demo_runs(demo)
    ends = (
        f"After {demo.steps} steps Adam is {sig(f.gaps[0], 2)} above the minimum, the changed rule {sig(f.gaps[1], 3)}."
    )
    if change == "no bias correction":
        return (
            f"Its first step is {sig(f.first[1] / f.first[0], 3)} times Adam's, (1−β1)/√(1−β2), and goes over "
            f"the cliff's edge. {ends}"
        )
    if change == "v in place of √v":
        return (
            "Dividing by v instead of √v makes the step lr·g/g² = lr/g: long where the gradient is small, "
            f"short where it is large. Beale's start is steep, so the first step is {sig(f.first[1] / f.first[0], 2)} "
            f"times Adam's. {ends}"
        )
    steps = np.abs(np.diff(runs[1].path.astype(np.float64), axis=0))
    moving = steps[steps > 0]
    return (
        f"Every coordinate moves by exactly lr each step (here from {sig(float(moving.min()), 3)} to "
        f"{sig(float(moving.max()), 3)}), whatever the gradient: it cannot settle closer than about lr. {ends}"
    )


def section_bias_correction() -> None:
    """m and v against m̂ and v̂ under a constant gradient, β1 and β2 on sliders; the cliff demo."""
    st.header("6. Bias correction")
    st.markdown(
        "m and v start at zero, so early on they are averages of a few gradients and a lot of zeros: too small. "
        "With a constant gradient g, m_t = (1-β1^t) g exactly, so dividing by 1-β1^t gives back g. The chart runs "
        "our Adam on f(x, y) = x + y (gradient 1 everywhere) and plots its own m, m̂, v and v̂."
    )
    slot = st.container()
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
    paths, values = series(
        [("m_t", s["m"][:, 0]), ("m̂_t", s["m_hat"][:, 0]), ("v_t", s["v"][:, 0]), ("v̂_t", s["v_hat"][:, 0])]
    )
    chart(slot, _moment_figure(paths, values), key="learn_bc_chart")
    st.caption(
        f"After 10 steps: m = {s['m'][9, 0]:.3f} but m̂ = {s['m_hat'][9, 0]:.3f}; "
        f"v = {s['v'][9, 0]:.4f} but v̂ = {s['v_hat'][9, 0]:.3f}."
    )
    f = demo_facts(BIAS)
    st.markdown(
        "Why it matters: without the correction the first steps are (1−β1)/√(1−β2) ≈ 3.2 times longer "
        f"(β1 = 0.9, β2 = 0.999). On the cliff at lr = 0.1 Adam's first step is {sig(f.first[0], 3)} with the "
        f"correction and {sig(f.first[1], 3)} without, and that is enough to go over the edge: after "
        f"{BIAS.steps} steps the corrected run is {sig(f.gaps[0], 2)} above the minimum, the uncorrected one "
        f"{sig(f.gaps[1], 3)}."
    )
    demo_paths(st, BIAS, ["with bias correction", "without"], "learn_bias_paths")
    try_it(("Adam with and without correction on the cliff", demo_link(BIAS)))


def _moment_figure(paths, values):
    """m and m̂ in one panel, v and v̂ in the other."""
    return curves_figure(
        paths,
        [("first moment", values[:2] + [None, None], False), ("second moment", [None, None] + values[2:], False)],
        height=320,
    )


def section_epsilon() -> None:
    """Why Adam's first step is lr·sign(g), and where ε takes over."""
    st.header("7. ε: when the gradient nears zero")
    first_step_figure()
    st.markdown(
        "So ε matters only where gradients are near it: on a flat plateau, or for parameters that are rarely "
        "used. There a larger ε makes Adam behave like SGD with momentum at lr/ε, and keeps it from taking "
        "full lr-sized steps on noise. Frameworks differ: PyTorch adds ε = 1e-8 to √v̂; Keras uses 1e-7 and, "
        "in TensorFlow's classic form, adds it to √v before the bias correction is folded into the step size, "
        "so the same number means a larger ε early on."
    )
    try_it(("Drag Adam's ε on Ackley's flat plateau", surfaces_link("ackley", ["adam:lr=0.05"], 300, scrub="eps")))
