"""The MNIST page's edge-of-stability experiment: full-batch training of the MLP with the
sharpness measured along the way (optviz.core.analysis.sharpness), against the threshold 2/eta.

Results are shared by all sessions, per (optimizer, steps, images, data); computing one shows a
progress bar. The settings are part of the page's view (its link).
"""

from __future__ import annotations

import streamlit as st

from optviz.app.kit.boxes import number_box
from optviz.app.kit.cache import Shared
from optviz.app.kit.charts import chart
from optviz.app.kit.jobs import compute_with_progress
from optviz.core.analysis.sharpness import EdgeRun, edge_of_stability, estimated_seconds
from optviz.core.limits import MAX_EOS_IMAGES, MAX_EOS_STEPS
from optviz.core.problems.mnist_data import Mnist
from optviz.core.spec import SpecError, format_spec
from optviz.link import MnistConfig
from optviz.plots.mnist import edge_figure

EDGES = Shared(max_entries=16, name="edges of stability")
MODEL, LOSS, ITERS, MEASUREMENTS = "mlp", "mse", 10, 16


def _key(cfg: MnistConfig, data: Mnist) -> tuple:
    return (format_spec(cfg.eos), cfg.eos_steps, min(cfg.eos_images, len(data.train_images)), data.source)


def _compute(cfg: MnistConfig, data: Mnist) -> EdgeRun | None:
    """The run: shared, computed once, with progress (optviz.app.kit.jobs)."""
    try:
        return compute_with_progress(
            EDGES,
            _key(cfg, data),
            lambda report: edge_of_stability(
                MODEL,
                cfg.eos,
                data,
                steps=cfg.eos_steps,
                every=max(1, cfg.eos_steps // MEASUREMENTS),
                images=min(cfg.eos_images, len(data.train_images)),
                iters=ITERS,
                loss=LOSS,
                progress=report,
            ),
            "full-batch training",
            estimate=estimated_seconds(MODEL, cfg.eos, cfg.eos_steps, min(cfg.eos_images, len(data.train_images))),
        )
    except SpecError as err:
        st.warning(f"The experiment was not run: {err}")
        return None


def edge_section(cfg: MnistConfig, data: Mnist) -> None:
    """Controls, a Run button, and the sharpness against its threshold."""
    st.subheader("Edge of stability: full-batch training")
    st.markdown(
        "The MLP trained on one batch of training images with squared error to the one-hot labels. Every "
        f"{max(1, cfg.eos_steps // MEASUREMENTS)} steps the sharpness λmax(H) of the training loss is measured by "
        "power iteration on Hessian-vector products (and, for the Adam family, RMSprop and Adagrad, the "
        "preconditioned sharpness λmax(P⁻¹H)). Gradient descent cannot stay where the sharpness exceeds 2/η: "
        "it is pushed back to the threshold and trains *at* it (Cohen et al., 2021); Adam's preconditioned "
        "sharpness climbs to its own threshold 38/η (Cohen et al., 2022). Try `sgd:lr=0.2`, and "
        "`adam:lr=0.01` with 1000 images and 400 steps."
    )
    c1, c2, c3 = st.columns([2, 1, 1])
    c1.text_input("optimizer (SPEC)", key="mn_eos", help="schedules and clipping included, e.g. sgd:lr=0.2,warmup=50")
    number_box(c2, "steps", "mn_eos_steps", 1, MAX_EOS_STEPS, whole=True, source="The edge-of-stability steps")
    number_box(
        c3, "images", "mn_eos_images", 1, MAX_EOS_IMAGES, whole=True, step=500, source="The edge-of-stability images"
    )
    run = EDGES.get(_key(cfg, data))
    if st.button("Measure the sharpness", key="mn_eos_run", help="about 10 s on two cores for the defaults"):
        run = _compute(cfg, data)
    if run is None:
        st.caption("Press Measure: the run and its measurements are shared with everyone who asks for the same.")
        return
    chart(
        st,
        edge_figure(run.optimizer, run.measured_at, run.sharpness, run.preconditioned, run.threshold, run.loss),
        key="mn_eos_chart",
    )
