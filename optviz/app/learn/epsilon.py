"""Learn: Adam's first step is about lr whatever the gradient's scale, until the gradient nears ε."""

from __future__ import annotations

import numpy as np
import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.core.analysis.measures import first_step_sizes
from optviz.core.limits import LEARN_EPS
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.plots.curves import loglog_figure

SCALES = tuple(float(v) for v in np.geomspace(1e-12, 1e4, 33))  # gradients, 16 decades, two points a decade


@shared(max_entries=64)
def first_steps_over_lr(name: str, eps: float) -> np.ndarray:
    """One step of ``name`` (lr = 1, ε = ``eps``) for each gradient of SCALES: the step in units of lr."""
    hp = dict(REGISTRY[name].defaults(), lr=1.0)
    if "eps" in hp:
        hp["eps"] = eps
    return first_step_sizes(name, hp, SCALES)


def first_step_figure() -> None:
    """The first step over lr against the gradient, for Adam at the ε on the slider and for SGD."""
    st.markdown(
        "Bias-corrected, Adam's first step is lr·g/(|g| + ε): m̂₁ = g and v̂₁ = g², so the size of g cancels "
        "and the step is lr·sign(g), as long as |g| is well above ε. SGD's first step is lr·g, as large as "
        "the gradient. ε is there to avoid dividing by zero; drag it and see where it starts to matter."
    )
    slot = st.container()
    eps = st.select_slider("ε", LEARN_EPS, key="learn_eps", format_func=sig)  # under its figure
    adam, sgd = first_steps_over_lr("adam", eps), first_steps_over_lr("sgd", eps)
    grads = np.asarray(SCALES)
    series = [(f"Adam, ε = {sig(eps)}", "#0077BB", grads, adam), ("SGD", "#E69F00", grads, sgd)]
    chart(slot, loglog_figure(series, "gradient", "first step / lr"), key="learn_first_step")
    at_eps = float(np.interp(np.log10(eps), np.log10(grads), adam))
    above = grads >= 100 * eps
    st.caption(
        f"For gradients from {sig(100 * eps)} up (100 ε), Adam's first step is within "
        f"{100 * float(np.max(np.abs(adam[above] - 1))):.1f}% of lr; at a gradient of ε it is {at_eps:.2f} lr; "
        "below, it shrinks in proportion to the gradient, lr·g/ε, like SGD's with a learning rate of lr/ε."
    )
