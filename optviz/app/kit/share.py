"""Share and export, the same on every page: the link (with a copy button) and the page's downloads."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import streamlit as st

from optviz.app.kit import boot

_BOX_HTML = """
<div id="l" title="the link to this view: select it, or press Copy link"></div>
<div class="row"><button id="b">Copy link</button><span id="s"></span></div>"""

_BOX_CSS = """
#l { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--st-text-color);
  background: var(--st-secondary-background-color); border-radius: 8px; padding: 8px 10px;
  word-break: break-all; user-select: all; max-height: 5.8em; overflow-y: auto; }
.row { margin-top: 8px; }
#b { font: 14px sans-serif; padding: 6px 14px; border-radius: 8px; border: 1px solid #bbb;
  background: var(--st-background-color); color: var(--st-text-color); cursor: pointer; }
#s { font: 13px sans-serif; margin-left: 8px; color: #2e7d32; }"""

# The printed link is the address bar itself, read in the page: a change made inside a fragment
# (which reruns only its own part of the page) updates the address bar, and the box follows it
# within a moment. So the printed link, the Copy button and the address bar are one value,
# always. In the page, not in an iframe: a frame is a second document for the browser to load
# and lay out on every first visit (about 0.4-0.6 s of Chromium's CPU in interleaved probes,
# within the VM's noise; docs/performance.md).
#
# While a fresh server waits for it (``data.report_drawn``), the box also says when the page is
# drawn: once the browser's main thread has run a chain of 100 ms timers on time for a second,
# with no script run under way (optviz.app.kit.boot starts compiling then).
_BOX_JS = r"""
function whenDrawn(then) {
  let calm = 0, ticks = 0, last = performance.now(), timer;
  const tick = () => {
    const now = performance.now(), running = document.querySelector('[data-testid="stStatusWidget"]');
    calm = now - last < 150 && !running ? calm + 1 : 0;  // a late timer: the thread was busy drawing
    last = now;
    if (calm >= 10 || ++ticks > 600) then(); else timer = setTimeout(tick, 100);
  };
  timer = setTimeout(tick, 100);
  return () => clearTimeout(timer);
}

export default function ({ parentElement, data, setTriggerValue }) {
  const box = parentElement.querySelector("#l");
  const show = () => { const url = window.location.href; if (box.textContent !== url) box.textContent = url; };
  show();
  const timer = setInterval(show, 250);
  const stopWatching = data && data.report_drawn ? whenDrawn(() => setTriggerValue("drawn", true)) : () => {};
  parentElement.querySelector("#b").onclick = async () => {
    const url = window.location.href;
    try { await navigator.clipboard.writeText(url); }
    catch (e) {
      const t = document.createElement("textarea"); t.value = url; parentElement.appendChild(t);
      t.select(); document.execCommand("copy"); t.remove();
    }
    parentElement.querySelector("#s").textContent = "Copied";
  };
  return () => { clearInterval(timer); stopWatching(); };
}
"""

_link_box = st.components.v2.component("optviz_link_box", html=_BOX_HTML, css=_BOX_CSS, js=_BOX_JS)


@st.fragment  # the "drawn" report reruns the box alone
def link_box() -> None:
    """The link to this view, as the address bar has it, with a "Copy link" button."""
    _link_box(key="share_link", data={"report_drawn": boot.wants_a_drawn_page()}, on_drawn_change=boot.page_drawn)


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
