"""Every page's view lives in its link: read once, controls seeded from it, written back on every change.

The shape every page follows:

1. ``cfg, warnings = arrive(Config, "page")``: the view. The page a session opens first reads
   it from the link (a shared link is a view); a page reached later by navigation starts from
   the view it last showed in this session (or the default), not from another page's link.
2. ``seed({widget key: value})``: the controls start at the view's values. Streamlit forgets a
   hidden page's widgets, so keys that are missing are filled again; a value the browser has
   just sent is never overwritten.
3. The page reads its controls into a new config, then ``settle("page", cfg)``, once a run, as
   soon as every control is read (before long work, so the address bar follows at once): it is
   remembered and written into the address bar (only when it changed), so the address bar is the
   view. A page whose controls are drawn all along it (Surfaces) brackets its run with
   :func:`begin` and :func:`finish`, which settles at the end.
4. A part of a page that reruns alone (``view_fragment``: a Streamlit fragment) settles the view
   itself, but only when it runs alone; in a whole run the page's one settle covers it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar
from urllib.parse import urlparse

import streamlit as st


class PageConfig(Protocol):
    """What every page's frozen config offers (optviz.link): built from a link, written back to one."""

    @classmethod
    def from_query(cls, params: Mapping[str, list[str]]) -> tuple[Any, list[str]]: ...

    def to_query(self) -> dict[str, str | list[str]]: ...


C = TypeVar("C", bound=PageConfig)


def unknown_page(known: set[str]) -> str | None:
    """The page path the browser asked for when it is none of ``known`` (url paths; "" is the
    main page), else None. Streamlit shows its main page for an unknown path."""
    try:
        url = st.context.url or ""
    except Exception:  # outside a browser session (tests) there is no address
        return None
    path = urlparse(url).path.strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    return None if path in known else path


def current_params() -> dict[str, list[str]]:
    """The address bar's query parameters, every value as a list."""
    return {k: st.query_params.get_all(k) for k in st.query_params}


def arrive(kind: type[C], page: str) -> tuple[C, list[str]]:
    """The view to draw on ``page``, and the link's warnings (only on the first page a session shows)."""
    ss = st.session_state
    views = ss.setdefault("views", {})
    if page in views:
        return views[page], []
    if not ss.get("arrived"):  # this session's first page: its link is the view
        ss["arrived"] = page
        cfg, warnings = kind.from_query(current_params())
    else:
        cfg, warnings = kind(), []
    views[page] = cfg
    ss[f"{page}_fresh"] = True  # the controls are to be set from this view
    return cfg, warnings


def from_link(page: str) -> bool:
    """Whether ``page`` is the page this session opened first (so its view came from the link)."""
    return st.session_state.get("arrived") == page


def fresh(page: str) -> bool:
    """Whether ``page``'s controls are to be set from its view on this run (then it is no longer fresh)."""
    return bool(st.session_state.pop(f"{page}_fresh", False))


def seed(values: Mapping[str, Any], overwrite: bool = False) -> None:
    """Put values into widget keys that are missing (or all of them, with ``overwrite``)."""
    ss = st.session_state
    for key, value in values.items():
        if overwrite or key not in ss:
            ss[key] = value


def settle(page: str, cfg) -> dict:
    """Remember ``cfg`` as the page's view and write it into the address bar; returns its query."""
    st.session_state.setdefault("views", {})[page] = cfg
    query = cfg.to_query()
    wanted = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    if current_params() != wanted:
        st.query_params.from_dict(query)
    return query


def begin(page: str) -> None:
    """A whole run of ``page`` starts (its fragments' own settles wait for the page's)."""
    st.session_state[f"{page}_whole_run"] = True


def finish(page: str, cfg) -> dict:
    """A whole run of ``page`` ends: settle its view once; returns the query."""
    st.session_state[f"{page}_whole_run"] = False
    return settle(page, cfg)


def view_fragment(page: str, current: Callable[[], Any]) -> Callable:
    """Decorator: ``st.fragment`` for a part of ``page`` whose controls are part of its view. When
    the part reruns alone, ``current()`` (the view as the controls now describe it) is settled
    after it; in a whole run the page's :func:`finish` does that once for every part."""

    def wrap(draw: Callable) -> Callable:
        @st.fragment
        @functools.wraps(draw)
        def part(*args, **kwargs):
            draw(*args, **kwargs)
            if not st.session_state.get(f"{page}_whole_run"):
                settle(page, current())

        return part

    return wrap
