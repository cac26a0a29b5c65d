"""Share and export, the same on every page: the link (with a copy button) and the page's downloads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import streamlit as st

SHARE_BOX = """
<div id="l" title="the link to this view: select it, or press Copy link"
 style="font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;color:#31333f;background:#f0f2f6;
 border-radius:8px;padding:8px 10px;word-break:break-all;user-select:all;max-height:5.8em;overflow-y:auto"></div>
<div style="margin-top:8px">
<button id="b" style="font:14px sans-serif;padding:6px 14px;border-radius:8px;
 border:1px solid #bbb;background:#fff;cursor:pointer">Copy link</button>
<span id="s" style="font:13px sans-serif;margin-left:8px;color:#2e7d32"></span></div>
<script>
// The printed link is the address bar itself, read here in the browser: a change made inside a
// fragment (which reruns only its own part of the page) updates the address bar, and this box
// follows it within a moment. So the printed link, the Copy button and the address bar are one
// value, always. The HTML never changes, so the frame is not reloaded on a rerun.
const box = document.getElementById('l');
const current = () => window.parent.location.href;
const show = () => { const url = current(); if (box.textContent !== url) box.textContent = url; };
show();
setInterval(show, 250);
document.getElementById('b').onclick = async () => {
  const url = current();
  try { await navigator.clipboard.writeText(url); }
  catch (e) { const t = document.createElement('textarea'); t.value = url; document.body.appendChild(t);
              t.select(); document.execCommand('copy'); t.remove(); }
  document.getElementById('s').textContent = 'Copied';
};
</script>"""


def link_box() -> None:
    """The link to this view, as the address bar has it, with a "Copy link" button."""
    st.iframe(SHARE_BOX, height=150)  # (no alt=: Streamlit 1.56, the floor, does not take it)


Download = tuple[str, Callable, str, str]  # label, builder (called with the page's arguments), MIME type, extension


def share_section(page: str, downloads: Sequence[Download], *args) -> None:
    """The link that reproduces this view, a Copy link button, and the page's downloads (built when clicked)."""
    st.subheader("Share and export" if downloads else "Share")
    st.caption("This link reproduces exactly what you see: it is the address bar's, kept up to date with every change.")
    link_box()
    row = st.container(horizontal=True) if downloads else st  # one element for the row (columns: one per button more)
    for label, build, mime, ext in downloads:
        row.download_button(
            label, functools.partial(build, *args), file_name=f"optviz-{page}.{ext}", mime=mime, key=f"dl_{page}_{ext}"
        )
