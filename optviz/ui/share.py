"""Share and export: the link (with a copy button), the paths as CSV, the configuration as JSON."""

from __future__ import annotations

import csv
import functools
import io
import json
from urllib.parse import urlencode

import streamlit as st

from optviz.link import RaceConfig
from optviz.spec import format_spec
from optviz.trajectory import Run


def share_url(query: dict) -> str:
    """The full link to this view (relative when the server's address is unknown)."""
    base = ""
    try:
        base = st.context.url or ""
    except Exception:  # outside a browser session (tests), there is no URL to build on
        base = ""
    return f"{base}?{urlencode(query, doseq=True)}"


def paths_csv(cfg: RaceConfig, runs: list[Run]) -> str:
    """Every path as rows of run, optimizer, spec, step, x, y, loss."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", "optimizer", "spec", "step", "x", "y", "loss"])
    for i, (spec, run) in enumerate(zip(cfg.specs, runs)):
        text = format_spec(spec, full=True)
        for step, ((x, y), f) in enumerate(zip(run.path, run.loss)):
            writer.writerow([i, run.optimizer, text, step, repr(float(x)), repr(float(y)), repr(float(f))])
    return out.getvalue()


def config_json(cfg: RaceConfig, query: dict) -> str:
    """The configuration, complete (every hyperparameter), as JSON."""
    return json.dumps({
        "surface": cfg.surface, "start": list(cfg.start), "steps": cfg.steps,
        "opt": [format_spec(s, full=True) for s in cfg.specs],
        "hparams": [s.hparams for s in cfg.specs], "noise": cfg.noise, "seed": cfg.seed,
        "query": urlencode(query, doseq=True),
    }, indent=2, allow_nan=False)


COPY_BUTTON = """
<button id="b" style="font:14px sans-serif;padding:6px 14px;border-radius:8px;
 border:1px solid #bbb;background:#fff;cursor:pointer">Copy link</button>
<span id="s" style="font:13px sans-serif;margin-left:8px;color:#2e7d32"></span>
<script>
// Reads the address bar at click time (the app keeps it current), so this HTML never changes
// and the frame is not reloaded on every rerun.
document.getElementById('b').onclick = async () => {
  const url = window.parent.location.href;
  try { await navigator.clipboard.writeText(url); }
  catch (e) { const t = document.createElement('textarea'); t.value = url; document.body.appendChild(t);
              t.select(); document.execCommand('copy'); t.remove(); }
  document.getElementById('s').textContent = 'Copied';
};
</script>"""


def copy_button() -> None:
    """A "Copy link" button that copies the page's current address (the share link)."""
    st.iframe(COPY_BUTTON, height=44)


def share_section(cfg: RaceConfig, runs: list[Run], query: dict) -> None:
    """Draw the share-and-export block."""
    st.subheader("Share and export")
    url = share_url(query)
    st.caption("This link reproduces exactly what you see; the address bar is kept up to date too.")
    copy_button()
    st.code(url, language=None)
    c1, c2 = st.columns(2)
    # Callables: the files are built only when a button is clicked, not on every rerun.
    c1.download_button("Paths (CSV)", functools.partial(paths_csv, cfg, runs), file_name=f"optviz-{cfg.surface}-paths.csv",
                       mime="text/csv", key="dl_csv")
    c2.download_button("Configuration (JSON)", functools.partial(config_json, cfg, query), file_name=f"optviz-{cfg.surface}.json",
                       mime="application/json", key="dl_json")
