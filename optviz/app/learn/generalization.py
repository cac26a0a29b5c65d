"""Learn's generalization study: Adam against SGD with momentum, tuned, over seeds, with an interval.

Heavy (a few dozen trainings), so it runs on request (or from a link with ``gen=1``), once per
server and data for everyone, with progress and a stated cost (optviz.app.kit.jobs).
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from optviz.app.kit.cache import Shared
from optviz.app.kit.charts import chart
from optviz.app.kit.data import dataset
from optviz.app.kit.jobs import compute_with_progress
from optviz.core.analysis.generalization import Outcome, Study, run_study
from optviz.core.numbers import sig
from optviz.link import MnistConfig
from optviz.plots.mnist import seeds_figure

STUDY = Study()
STUDIES = Shared(max_entries=4, name="generalization")


def generalization_study() -> None:
    """The study's description, its toggle, and (once run) its figure and what it shows."""
    s = STUDY
    st.markdown(
        f"**Measured here.** The MLP on {s.train_size:,} MNIST training images for {s.epochs} epochs (batches of "
        f"{s.batch_size}), long enough to fit them all; each optimizer's learning rate picked from "
        f"{len(s.grids[0][1])} values by accuracy on {s.valid_size:,} further training images held out (never the "
        f"test set); then both trained from {len(s.seeds)} seeds and tested on {s.test_size:,} images."
    )
    if not st.toggle(
        f"Run the study ({s.runs()} trainings, about {s.estimated_seconds():.0f} s here; once for everyone)",
        key="learn_gen",
    ):
        return
    data = dataset("")
    outcome = compute_with_progress(
        STUDIES,
        (data.source, s),
        lambda report: run_study(s, data, report),
        "the generalization study",
        estimate=s.estimated_seconds(),
    )
    _show(outcome, data.source)


def _show(outcome: Outcome, source: str) -> None:
    labels = [spec.label() for spec in outcome.specs]
    chart(st, seeds_figure(labels, STUDY.seeds, outcome.test_accuracy), key="learn_gen_chart")
    lo, hi = outcome.interval
    train = min(min(t) for t in outcome.train_accuracy)
    st.markdown(
        f"Test accuracy, {labels[0]} minus {labels[1]}: **{outcome.gap:+.2f} points**, 95% interval "
        f"[{lo:+.2f}, {hi:+.2f}] over {len(STUDY.seeds)} seeds (paired: each seed gives both the same start and "
        f"batches). {outcome.verdict()} Every run fitted its training images to at least {sig(100 * train, 4)}% "
        f"accuracy. What this does not show: other models, larger data, longer training, weight decay or "
        f"schedules, where the published gaps were measured; data: {source}."
    )
    first = MnistConfig("mlp", outcome.specs, STUDY.epochs, STUDY.batch_size, STUDY.train_size, STUDY.test_size)
    st.markdown(
        f"**Try it:** [seed 0 of the study on the MNIST page](/mnist?{urlencode(first.to_query(), doseq=True)})"
    )
