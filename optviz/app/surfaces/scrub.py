"""The what-if scrubber's part of the Surfaces page: the fan it draws, its controls, its GIF."""

from __future__ import annotations

import functools

import streamlit as st

from optviz.app.kit import runs as runs_kit
from optviz.app.kit.boot import release_freed_memory
from optviz.app.surfaces import state
from optviz.app.surfaces.scene import Scene
from optviz.core.engine.fan import current_index, prepare_every_setting, scrubbable
from optviz.core.engine.fan import ready as fan_ready
from optviz.core.optimizers import REGISTRY
from optviz.core.spec import SpecError
from optviz.plots.animation import fan_gif
from optviz.plots.scrub import FanData


def gif_button(target, scene: Scene, fan: FanData) -> None:
    """The scrubber as an animated GIF: frames over the setting, for a slide (painted when clicked)."""
    xs, ys, z = scene.grid
    racer = scene.labels.index(fan.label)
    members = [fan.member(i) for i in range(len(fan.values))]
    target.download_button(
        f"Scrub over {fan.key} (animated GIF)",
        functools.partial(
            fan_gif,
            xs,
            ys,
            z,
            scene.paths,
            racer,
            members,
            fan.labels(),
            scene.minima,
            scene.cfg.start,
            scene.floor,
            scene.log,
        ),
        file_name=f"optviz-{scene.cfg.surface}-{fan.key}.gif",
        mime="image/gif",
        key="dl_fan_gif",
        help=f"{fan.name}'s path at each of the {len(fan.values)} values, in order, painted on the server: for a slide",
    )


def fan_data(scene: Scene) -> FanData | None:
    """The scrubbed racer's fan, as the figures draw it; None, with a note, where it cannot be made."""
    view = state.scrub_now(scene.cfg)
    i, key = view["scrub_racer"], view["scrub"]
    spec = scene.cfg.specs[i]
    try:
        if fan_ready(scene.surface, spec, {key}):
            fan = runs_kit.cached_fan(scene.cfg, i, key)
        else:
            with st.spinner("Preparing the scrubber: compiling its program, once per server and optimizer"):
                fan = runs_kit.cached_fan(scene.cfg, i, key)
    except SpecError as err:
        st.warning(f"{err}; the scrubber is off for this setting")
        return None
    # A switch to a clipping or schedule key needs the full step's program: compiled now, in the
    # background, while the student scrubs in the browser, so that no switch waits for it.
    prepare_every_setting(scene.surface, spec, release_freed_memory)
    current = current_index(fan.values, spec, key, scene.cfg.start)
    p = scene.paths[i]
    name = REGISTRY[spec.name].display_name
    return FanData(p.label, name, p.color, key, fan.values, fan.paths, fan.losses, fan.diverged_at, current)


def controls(scene: Scene) -> None:
    """Whose setting the scrubber runs through, and which."""
    ss = st.session_state
    view = state.scrub_now(scene.cfg)
    ss["scrub_racer"], ss["scrub_key"] = view["scrub_racer"], view["scrub"]  # valid before the widgets read them
    a, b = st.columns(2)
    a.selectbox("scrub racer", range(len(scene.labels)), key="scrub_racer", format_func=lambda i: scene.labels[i])
    b.selectbox(
        "scrub setting",
        scrubbable(scene.cfg.specs[ss["scrub_racer"]]),
        key="scrub_key",
        help="a hyperparameter across its slider's range (log-spaced where the slider is), or a start coordinate "
        "across the domain",
    )
