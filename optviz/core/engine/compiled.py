"""Each jitted program compiled once, whichever thread calls it first, and which ones are ready.

JAX compiles a jitted function on its first call; two threads making that first call together
compile it twice, seconds of both cores each. :func:`call` makes the first call of each program
under that program's own lock, so a second caller waits for the first one's compile while other
programs compile beside it. :func:`ready` says whether a program runs without compiling first:
a fresh hosted server compiles in the background while its pages draw (optviz.app.kit.boot), and
a page asks before it waits.

Every program here is called with one set of shapes (buffers of MAX_STEPS rows, fans of
MAX_FAN members), so one compile per program object is all there is.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

import jax

_compiled: weakref.WeakSet = weakref.WeakSet()  # a custom formula's program leaves with its lru cache
_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def call(runner: Callable[..., Any], *args: Any) -> Any:
    """``runner(*args)``; its first call (the compile) made by one thread at a time."""
    if runner in _compiled:
        return runner(*args)
    with _guard:
        lock = _locks.setdefault(runner, threading.Lock())
    with lock:
        out = jax.block_until_ready(runner(*args))
        _compiled.add(runner)
        return out


def ready(runner: Callable[..., Any]) -> bool:
    """Whether ``runner`` has been called through :func:`call` (so it runs without compiling)."""
    return runner in _compiled
