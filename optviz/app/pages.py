"""The app's pages, listed once: app.py navigates by this list, start-up (kit.boot) imports
every page's module from it, and the launcher (app.launch) rehearses each one.

Each page is a package with a ``page()`` function in its ``page`` module; Streamlit runs a
two-line script in ``optviz/app/scripts/`` named by the page's URL path (Streamlit and its
AppTest know a page by its file's name), which calls :func:`run`. URL paths are part of every
share link ever made: they never change.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class PageDef:
    """One page: how navigation shows it, where its link points, and its code."""

    name: str  # the package under optviz.app
    title: str
    icon: str
    url_path: str
    default: bool = False
    placeholder: bool = False  # a light chart before the heavy imports, on a session's first visit

    @property
    def module(self) -> str:
        return f"optviz.app.{self.name}.page"

    @property
    def script(self) -> str:
        """The script Streamlit runs, relative to a checkout's app.py (AppTest's switch_page takes it)."""
        return f"optviz/app/scripts/{self.url_path}.py"


PAGES: tuple[PageDef, ...] = (
    PageDef("surfaces", "Surfaces", "⛰️", "surfaces", default=True, placeholder=True),
    PageDef("sweep", "Sweep", "🔥", "sweep"),
    PageDef("mnist", "MNIST", "✍️", "mnist"),
    PageDef("compare", "Compare", "🏁", "compare"),
    PageDef("learn", "Learn", "📖", "learn"),
)
BY_NAME = {p.name: p for p in PAGES}


def script_path(page: PageDef) -> str:
    """The page's script, wherever the package is (a checkout or an installed wheel)."""
    return os.path.join(HERE, "scripts", f"{page.url_path}.py")


def import_all() -> None:
    """Every page's module (pandas and Plotly come with them), once: so that a first visit to any
    page imports nothing more."""
    for page in PAGES:
        importlib.import_module(page.module)


def run(name: str) -> None:
    """A page's script: start-up (once per process), then the page. Imports go through one lock
    (see kit.boot); the Surfaces page sends a placeholder chart before them."""
    from optviz.app.kit.boot import IMPORT_LOCK, boot, page_run, placeholder

    page = BY_NAME[name]
    with page_run():  # the background warm-up waits for a lull in these
        with IMPORT_LOCK:
            slot = placeholder() if page.placeholder else None  # the browser starts on Plotly.js meanwhile
            boot(import_all, background=True)  # a plain `streamlit run` (hosted): compile while the first views draw
            draw = importlib.import_module(page.module).page
        draw()
        if slot is not None:
            slot.empty()
