"""Long work, the same way on every page: computed once, off the script's thread, watched by all.

:func:`compute_with_progress` is the one helper every page uses for work that takes seconds (a
sweep, a comparison, a range test, MNIST training, a loss landscape, an edge-of-stability run):

- a result already in the page's shared cache (optviz.app.kit.cache) is returned at once;
- otherwise the work runs as a job on a small pool of worker threads (one per core), and the
  session watches it: a progress bar with the job's own fraction and message, and, where the
  page draws partial results (training curves), those as they come;
- identical jobs run once: thirty students pressing Train on one configuration train one
  model, and every one of them watches the same progress;
- a session that stops watching (a rerun, a Stop button, a closed tab) lets go of the job; when
  nobody watches any more, the job is cancelled at its next progress report, so a server is
  never left computing for no one.

The work is a function of one argument, ``report(fraction, message, partial=None)``, which it
calls as it goes (the core's ``progress`` callbacks adapt to it); ``report`` raises
:class:`Cancelled` once the job is cancelled, which unwinds the work.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from optviz.app.kit.boot import WARM
from optviz.app.kit.cache import Shared

T = TypeVar("T")
Report = Callable[..., None]  # report(fraction, message="", partial=None)
POLL = 0.2  # seconds between a watcher's looks at its job


class Cancelled(Exception):
    """Raised inside a job's work, at its next report, once nobody watches it."""


@dataclass(eq=False)
class Job:
    """One piece of long work and what its watchers see of it."""

    key: Hashable
    label: str
    fraction: float = 0.0
    message: str = ""
    partial: Any = None  # the latest partial result the work reported (None: none yet)
    result: Any = None
    error: BaseException | None = None
    watchers: int = 0
    cancelled: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def report(self, fraction: float, message: str = "", partial: Any = None) -> None:
        """What the work calls as it goes; raises Cancelled once nobody watches."""
        if self.cancelled:
            raise Cancelled
        self.fraction, self.message = float(min(max(fraction, 0.0), 1.0)), message or self.message
        if partial is not None:
            self.partial = partial


class JobBoard:
    """The jobs under way in this process, one per key, run on ``workers`` threads."""

    def __init__(self, workers: int | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="optviz-job")
        self._jobs: dict[Hashable, Job] = {}
        self._lock = threading.Lock()

    def watch(self, cache: Shared, key: Hashable, work: Callable[[Report], T], label: str) -> Job:
        """The job for ``key`` (started if nobody has), with one more watcher."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                job = self._jobs[key] = Job(key, label, message=f"{label} (waiting for a free core)")
                self._pool.submit(self._run, job, cache, work)
            job.watchers += 1
            return job

    def unwatch(self, job: Job) -> None:
        """One watcher fewer; the last one to leave an unfinished job cancels it."""
        with self._lock:
            job.watchers -= 1
            if job.watchers <= 0 and not job.done.is_set():
                job.cancelled = True
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]

    def running(self) -> int:
        """How many jobs are under way or waiting (for tests and the health of a server)."""
        with self._lock:
            return len(self._jobs)

    def _run(self, job: Job, cache: Shared, work: Callable[[Report], Any]) -> None:
        try:
            while not WARM.wait(POLL):  # a fresh server compiles its programs once: wait for that, not twice
                job.report(0.0, f"{job.label}: waiting for the server's warm-up (it compiles its programs once)")
            job.report(0.0, job.label)
            job.result = cache.put(job.key, work(job.report))
        except Cancelled:
            pass
        except BaseException as err:  # handed to every watcher, who shows it
            job.error = err
        finally:
            with self._lock:
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]
            job.done.set()


BOARD = JobBoard()


def compute_with_progress(
    cache: Shared,
    key: Hashable,
    work: Callable[[Report], T],
    label: str,
    on_partial: Callable[[Any], None] | None = None,
) -> T:
    """``cache[key]``, or the result of ``work`` run as a shared job while this session watches its
    progress (see the module's docstring). ``on_partial`` draws each new partial result.

    Raises what the work raised (a SpecError, say), in every watcher.
    """
    hit = cache.get(key, _MISSING)
    if hit is not _MISSING:
        return hit
    cache.missed()
    job = BOARD.watch(cache, key, work, label)
    bar = st.progress(0.0, text=label)
    shown = None
    try:
        while not job.done.wait(POLL):
            bar.progress(job.fraction, text=job.message or label)
            if on_partial is not None and job.partial is not None and job.partial is not shown:
                shown = job.partial
                on_partial(shown)
    finally:
        BOARD.unwatch(job)  # leaving early (a rerun, Stop, a closed tab) lets go of the job
    bar.empty()
    if job.error is not None:
        raise job.error
    if job.cancelled and job.result is None:  # cancelled just before it finished, by a watcher that left
        return compute_with_progress(cache, key, work, label, on_partial)
    return job.result


_MISSING = object()
