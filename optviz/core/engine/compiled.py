"""Each jitted program compiled once, whichever thread calls it first, and which ones are ready.

JAX compiles a jitted function on its first call; two threads making that first call together
would compile it twice, seconds of both cores each. :func:`call` makes the first call of each
program under that program's own lock, so a second caller waits for the first one's compile
while other programs compile beside it. :func:`ready` says whether a program runs without
compiling first: a fresh hosted server compiles in the background while its pages draw
(optviz.app.kit.boot), and a page asks before it waits.

:func:`quietly` is for that background compile. A first call is three steps: tracing and
lowering, which are Python and hold its lock, then XLA's compile, which releases it (a page
thread ran with gaps of at most 8 ms beside it, measured). Inside ``quietly`` the first two
keep the thread's own priority and the compile runs in a helper thread at the lowest. Giving
the whole thread the lowest priority made a class wait for Python's lock behind a thread the
scheduler starved (nudge p90 of seconds); and a thread cannot raise its priority again, so the
helper is a thread of its own.

But with jaxlib 0.10.2 the helper's priority does not reach the compile: XLA runs LLVM's passes
in threads of its own, made when the backend starts, at the priority they were made with. The
catalogue program's quiet compile took 16 s of CPU in three threads at nice 0 that existed
before it, and none in the helper; during a cold hosted first visit the server's 8 s of CPU
were all at nice 0 (one-off probes, 2026-12-06). Lowering those threads for the compile did not
make a first visit quicker (docs/performance.md), so they are left as they are.

Every program here is called with one set of shapes (buffers of MAX_STEPS rows, fans of
MAX_FAN members), so one compile per program object is all there is.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import jax

_compiled: weakref.WeakSet = weakref.WeakSet()  # a custom formula's program leaves with its lru cache
_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_guard = threading.Lock()
_here = threading.local()  # .quiet: first calls in this thread compile at the lowest priority


class Ending(RuntimeError):
    """A quiet compile was not started: the process is ending (its main thread has finished)."""


def call(runner: Callable[..., Any], *args: Any) -> Any:
    """``runner(*args)``; its first call (the compile) made by one thread at a time."""
    if runner in _compiled:
        return runner(*args)
    with _guard:
        lock = _locks.setdefault(runner, threading.Lock())
    with lock:
        if runner not in _compiled:
            if getattr(_here, "quiet", False):
                _compile_at_lowest_priority(runner, args)
            out = jax.block_until_ready(runner(*args))
            _compiled.add(runner)
            return out
    return runner(*args)


def ready(runner: Callable[..., Any]) -> bool:
    """Whether ``runner`` has been called through :func:`call` (so it runs without compiling)."""
    return runner in _compiled


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Within this block, this thread's first calls through :func:`call` compile at the lowest
    CPU priority (their tracing at the thread's own; see the module's docstring), and raise
    :class:`Ending` instead once the process is ending, so a background warm-up stops there."""
    _here.quiet = True
    try:
        yield
    finally:
        _here.quiet = False


def _compile_at_lowest_priority(runner: Any, args: tuple) -> None:
    """Trace and lower ``runner`` for ``args`` here, compile it in a helper thread at the lowest
    priority; the compiled program lands in JAX's caches, so ``runner(*args)`` then runs it."""
    if not threading.main_thread().is_alive():
        raise Ending("not compiling: the process is ending")
    lowered = runner.trace(*args).lower()
    failed: list[BaseException] = []

    def compile_it() -> None:
        with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: as it is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            lowered.compile()
        except BaseException as err:  # raised again in the caller's thread
            failed.append(err)

    # Not a daemon: a process that ends while XLA compiles in a daemon thread aborts (Python's
    # "PyGILState_Release" fatal error, seen when a test ended during a warm-up); it finishes first.
    helper = threading.Thread(target=compile_it, name="optviz-compile", daemon=False)
    helper.start()
    helper.join()
    if failed:
        raise failed[0]
