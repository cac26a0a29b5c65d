"""Every page's default view, computed ahead and shipped with the package, so that a fresh
server (a hosted app woken from sleep, with nothing compiled) draws it at once.

The record is what the default views put into the app's named caches (optviz.app.kit.cache):
the default race's runs and stability series, the surfaces' grids and heights, the default
sweep and comparison, Learn's demos. ``python scripts/first_paint.py`` makes it by rendering
every page's default view in-process (Streamlit's AppTest) with recording on, from empty
caches, and writes it to ``optviz/app/data/first_paint.pkl``; tests/app/test_first_paint.py
checks that the shipped record equals a fresh one. At start-up :func:`prime` puts it back into
the caches, while the server compiles its programs in the background (optviz.app.kit.boot).
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Hashable
from importlib import resources
from typing import Any

from optviz.app.kit import cache

Record = list[tuple[str, Hashable, Any]]  # (cache name, key, value), in the order they were put
FORMAT = 1  # bumped when the record's layout changes; an old file is then ignored


def shipped_path() -> str:
    """Where the package keeps the record."""
    return str(resources.files("optviz.app").joinpath("data", "first_paint.pkl"))


def record_default_views(rehearse: Callable[[], None]) -> Record:
    """What ``rehearse`` (optviz.app.launch.rehearse: every page's default view, rendered
    in-process) puts into the caches.

    Run it in a fresh process: anything already cached would be missing from the record.
    """
    cache.start_recording()
    try:
        rehearse()
    finally:
        records = cache.stop_recording()
    return records


def write(records: Record, path: str | None = None) -> str:
    """Save ``records`` (pickled: the values are the app's own dataclasses and NumPy arrays)."""
    path = path or shipped_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump({"format": FORMAT, "records": records}, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def read(path: str | None = None) -> Record:
    """The shipped record ([] when there is none or it is of another format, said on stderr)."""
    path = path or shipped_path()
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)  # the package's own file, written by scripts/first_paint.py
    except FileNotFoundError:
        print(f"optviz: no first-paint record at {path}; the first visit computes its view", file=sys.stderr)
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        print(f"optviz: {path} is of another format; run scripts/first_paint.py", file=sys.stderr)
        return []
    return data["records"]


def prime(records: Record) -> int:
    """Put the record's values into the caches it came from; returns how many went in."""
    primed = 0
    for name, key, value in records:
        target = cache.CACHES.get(name)
        if target is not None:
            target.put(key, value, share=False)  # every replica primes its own
            primed += 1
    return primed
