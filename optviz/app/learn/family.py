"""Learn, section 12: Adam's family, by branch, and a branch raced on Rosenbrock."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from optviz.app.kit.cache import shared
from optviz.app.kit.charts import chart
from optviz.app.learn.kit import paths_of, surfaces_link, try_it
from optviz.app.learn.races import race
from optviz.core.analysis.demos import gap
from optviz.core.analysis.measures import state_per_network_parameter, state_per_parameter
from optviz.core.analysis.suggested import BUDGET, suggested_lr
from optviz.core.limits import MAX_RUNS
from optviz.core.numbers import sig
from optviz.core.optimizers import FAMILIES, REGISTRY
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import format_number, parse_spec
from optviz.plots.curves import curves_figure

SURFACE = "rosenbrock"


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


def racers(family: str) -> list[str]:
    """The family's optimizers that race on a surface and have a suggested lr on Rosenbrock, as SPECs."""
    out = []
    for name, opt in REGISTRY.items():
        lr = suggested_lr(SURFACE, name) if opt.family == family else None
        if lr is not None:
            out.append(f"{name}:lr={format_number(lr)}")
    return out


def section_family() -> None:
    """Who fixed what in whom: every optimizer in the registry by branch; the branch on the radio raced."""
    st.header("13. Adam's family")
    lines = []
    for family in FAMILIES:
        members = [o for o in REGISTRY.values() if o.family == family]
        lines.append(f"- **{family}**: " + "; ".join(f"*{o.display_name}*: {o.lineage}" for o in members))
    st.markdown("\n".join(lines))
    slot = st.container()
    family = st.radio("race a branch", FAMILIES, key="learn_family", horizontal=True)
    racing = racers(family)
    opts = racing[:MAX_RUNS]  # a race's limit: the oldest, in the registry's order
    if not opts:
        slot.info(f"No optimizer of the {family} branch has a suggested learning rate on Rosenbrock.")
    else:
        surface = SURFACES[SURFACE]
        specs = [parse_spec(o) for o in opts]
        runs = race(SURFACE, surface.start, BUDGET, specs)
        labels = [f"{REGISTRY[s.name].display_name}, lr = {sig(s.settings()['lr'])}" for s in specs]
        gaps = [r.loss - (surface.f_min or 0.0) for r in runs]
        chart(
            slot,
            curves_figure(paths_of(runs, labels), [("loss − min f (log)", gaps, True)], height=300),
            key="learn_family_chart",
        )
        best = min(range(len(runs)), key=lambda i: gap(runs[i], surface))
        st.caption(
            f"The {family} branch on Rosenbrock, each at its suggested lr for {BUDGET} steps: {labels[best]} ends "
            f"closest, {sig(gap(runs[best], surface), 2)} above the minimum."
            + (
                f" (The first {len(opts)} of its {len(members)}: a race holds {MAX_RUNS}.)"
                if len(members) > len(opts)
                else ""
            )
        )
        try_it((f"The {family} branch on the Surfaces page", surfaces_link(SURFACE, opts, BUDGET)))
    st.subheader("Memory: what each keeps per parameter")
    st.dataframe(pd.DataFrame(_memory_rows()), hide_index=True)
