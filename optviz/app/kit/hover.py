"""Hover previews: a heatmap cell's path drawn the moment the pointer is on it, in the browser.

The Sweep page clicks a cell to fetch its exact run (a round trip). Before the click, this
component shows at once the path of the nearest cell of a coarse sub-grid whose paths came with
the page (optviz.core.engine.fan.run_preview): it listens to the heatmaps' hover events and
restyles the path chart in place, sending nothing to the server. A custom component of
Streamlit's second kind runs in the page itself (no iframe), so it can reach the charts; it
needs Plotly's global (which Streamlit's chart bundle sets) and does nothing without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from optviz.core.engine.fan import Preview

POINTS = 120  # per previewed path: a preview is a sketch, the click gives the exact run

_JS = r"""
export default function ({ data, parentElement }) {
  const note = parentElement.querySelector(".note");
  const chart = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const nearest = (list, i) => list.reduce((b, v, k) => (Math.abs(v - i) < Math.abs(list[b] - i) ? k : b), 0);
  const state = { data };
  function cell(pt) {
    if (!pt || !pt.customdata) return null;  // a marker (default, best, inspected), not a cell
    const n = pt.pointNumber;
    return Array.isArray(n) ? n : [Math.floor(n / data.nx), n % data.nx];
  }
  function show(ev) {
    const P = window.Plotly, el = chart(data.path_chart), rc = cell(ev.points && ev.points[0]);
    if (!P || !el || !rc) return;
    const r = nearest(data.rows, rc[0]), c = nearest(data.cols, rc[1]);
    const t0 = data.traces[0];
    // the inspected paths, kept once per figure: a click redraws the chart with new ones
    if (!el.__optvizShown || el.data[t0].x !== el.__optvizSet) {
      el.__optvizShown = data.traces.map((t) => [el.data[t].x, el.data[t].y]);
    }
    P.restyle(el, {
      x: data.paths.map((p) => p[r][c][0]), y: data.paths.map((p) => p[r][c][1]), "line.dash": "dot",
    }, data.traces);
    el.__optvizSet = el.data[t0].x;
    note.dataset.preview = `${data.rows[r]},${data.cols[c]}`;  // the cell previewed, for tests and tools
    note.textContent = `Previewing ${data.labels[r][c]}: the nearest of ${data.rows.length * data.cols.length} ` +
      "cells computed with the page (dotted). Click a cell for its own run.";
  }
  function hide() {
    const P = window.Plotly, el = chart(data.path_chart);
    if (!P || !el || !el.__optvizShown) return;
    const shown = el.__optvizShown;
    el.__optvizShown = null;
    delete note.dataset.preview;
    note.textContent = data.hint;
    if (el.data[data.traces[0]].x !== el.__optvizSet) return;  // redrawn since (a click): nothing to restore
    P.restyle(el, { x: shown.map((s) => s[0]), y: shown.map((s) => s[1]), "line.dash": "solid" }, data.traces);
  }
  function attach() {
    for (const key of data.heatmaps) {
      const el = chart(key);
      if (!el || !el.on || el.__optvizHover === state) continue;
      if (el.__optvizHover && el.removeListener) {
        el.removeListener("plotly_hover", el.__optvizHover.show);
        el.removeListener("plotly_unhover", el.__optvizHover.hide);
      }
      el.__optvizHover = state;
      el.on("plotly_hover", show);
      el.on("plotly_unhover", hide);
    }
  }
  state.show = show;
  state.hide = hide;
  note.textContent = data.hint;
  attach();
  const timer = setInterval(attach, 300);  // charts drawn (or redrawn) after this component
  return () => clearInterval(timer);
}
"""

_component = st.components.v2.component(
    "optviz_hover_preview",
    html='<div class="note"></div>',
    css=".note { font-size: 0.85rem; color: var(--st-text-color); opacity: 0.7; }",
    js=_JS,
)


def _sketch(path: np.ndarray) -> list[list[float | None]]:
    """A path as two short lists (x, y), NaN as null, rounded: what a preview needs."""
    idx = np.unique(np.linspace(0, len(path) - 1, min(len(path), POINTS)).round().astype(int))
    pts = np.round(path[idx].astype(np.float64), 4)
    return [[None if not np.isfinite(v) else float(v) for v in pts[:, k]] for k in (0, 1)]


def hover_preview(
    key: str,
    heatmaps: Sequence[str],
    path_chart: str,
    traces: Sequence[int],
    previews: Sequence[Preview],
    labels: Sequence[Sequence[str]],
    nx: int,
) -> None:
    """Let hovering any of the ``heatmaps`` (chart keys) draw, in ``path_chart``'s ``traces`` (one per
    optimizer), the paths of the nearest previewed cell; ``labels[r][c]`` names sub-grid cell (r, c)."""
    first = previews[0]
    data = {
        "heatmaps": list(heatmaps),
        "path_chart": path_chart,
        "traces": list(traces),
        "rows": first.rows.tolist(),
        "cols": first.cols.tolist(),
        "nx": nx,
        "paths": [[[_sketch(p.paths[r, c]) for c in range(len(p.cols))] for r in range(len(p.rows))] for p in previews],
        "labels": [list(row) for row in labels],
        "hint": "Point at a cell to see its path at once; click it for its exact run.",
    }
    _component(key=key, data=data)
