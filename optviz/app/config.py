"""The server settings the app runs with, wherever it is started from.

``streamlit run app.py`` in a checkout (and a hosted platform) reads them from
``.streamlit/config.toml``; ``optviz app`` (an installed wheel, run from any folder) passes them
as flags, unless the user gives them. tests/app/test_launch.py checks the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

SETTINGS: dict[str, object] = {
    # Streamlit forces a full garbage collection after every script run. With JAX, NumPy and
    # Plotly loaded that collection takes most of a rerun, and holds the GIL while it does: a
    # profile of 30 sessions nudging sliders showed two thirds of the server's time there.
    # Python's own generational collector still runs; the app also freezes its start-up objects.
    "runner.postScriptGC": False,
    # Watching the sources makes Streamlit walk every loaded module (thousands, with JAX) after
    # each script run: 17% of a busy server's time in a profile. A developer's convenience:
    # `--server.fileWatcherType auto` brings it back.
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": False,
}


def flags(given: Sequence[str]) -> list[str]:
    """``given`` (Streamlit's own flags), with each setting above added unless ``given`` sets it."""
    out = list(given)
    for key, value in SETTINGS.items():
        if not any(g == f"--{key}" or g.startswith(f"--{key}=") for g in given):
            out += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    return out
