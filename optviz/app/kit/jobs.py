"""Long work, the same way on every page: computed once, off the script's thread, watched by all.

:func:`compute_with_progress` is the one helper every page uses for work that takes seconds (a
sweep, a comparison, a range test, MNIST training, a loss landscape, an edge-of-stability run):

- a result already in the page's shared cache (optviz.app.kit.cache) is returned at once;
- otherwise the work runs as a job, off the script's thread. A light one (estimated under
  LIGHT_SECONDS from its size) starts at once; any other joins the one queue of the process,
  served by a worker per core, first come first served (a session watches one job at a time,
  so that is fair across sessions; the heaviest valid job still runs, in its turn);
- the session watches its job: a progress bar with the job's own fraction and message, its
  place in the queue while it waits, the time left (from its progress, else its estimate),
  and, where the page draws partial results (training curves), those as they come;
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
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st

from optviz.app.kit.boot import WARM, release_freed_memory
from optviz.app.kit.cache import Shared

T = TypeVar("T")
Report = Callable[..., None]  # report(fraction, message="", partial=None)
POLL = 0.2  # seconds between a watcher's looks at its job
LIGHT_SECONDS = 1.0  # a job estimated under this runs at once, beside the queue
LIGHT_WORKERS = 4


class Cancelled(Exception):
    """Raised inside a job's work, at its next report, once nobody watches it."""


@dataclass(eq=False)
class Job:
    """One piece of long work and what its watchers see of it."""

    key: Hashable
    label: str
    estimate: float | None = None  # seconds, from its size, before it starts (None: not known)
    heavy: bool = True  # goes through the queue (else it runs at once)
    fraction: float = 0.0
    message: str = ""
    partial: Any = None  # the latest partial result the work reported (None: none yet)
    result: Any = None
    error: BaseException | None = None
    watchers: int = 0
    cancelled: bool = False
    started: float | None = None  # time.monotonic() when a worker took it
    done: threading.Event = field(default_factory=threading.Event)

    def report(self, fraction: float, message: str = "", partial: Any = None) -> None:
        """What the work calls as it goes; raises Cancelled once nobody watches."""
        if self.cancelled:
            raise Cancelled
        self.fraction, self.message = float(min(max(fraction, 0.0), 1.0)), message or self.message
        if partial is not None:
            self.partial = partial

    def seconds_left(self) -> float | None:
        """Time left, from its progress so far (once it is under way), else its estimate."""
        if self.started is None:
            return self.estimate
        elapsed = time.monotonic() - self.started
        if self.fraction >= 0.05:
            return elapsed * (1.0 - self.fraction) / self.fraction
        return None if self.estimate is None else max(self.estimate - elapsed, 0.0)


class JobBoard:
    """The jobs under way in this process, one per key: heavy ones through one queue served by
    ``workers`` threads (one per core), in the order they came; light ones at once."""

    def __init__(self, workers: int | None = None, light_workers: int = LIGHT_WORKERS):
        self.workers = workers or os.cpu_count() or 2
        self._heavy = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="optviz-job")
        self._light = ThreadPoolExecutor(max_workers=light_workers, thread_name_prefix="optviz-light-job")
        self._jobs: dict[Hashable, Job] = {}
        self._queue: list[Job] = []  # heavy jobs not yet started, first come first
        self._lock = threading.Lock()

    def watch(
        self, cache: Shared, key: Hashable, work: Callable[[Report], T], label: str, estimate: float | None = None
    ) -> Job:
        """The job for ``key`` (started, or queued, if nobody has), with one more watcher."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                heavy = estimate is None or estimate >= LIGHT_SECONDS
                job = self._jobs[key] = Job(key, label, estimate, heavy, message=label)
                if heavy:
                    self._queue.append(job)
                (self._heavy if heavy else self._light).submit(self._run, job, cache, work)
            job.watchers += 1
            return job

    def unwatch(self, job: Job) -> None:
        """One watcher fewer; the last one to leave an unfinished job cancels it (a queued one
        leaves the queue at once)."""
        with self._lock:
            job.watchers -= 1
            if job.watchers <= 0 and not job.done.is_set():
                job.cancelled = True
                if self._jobs.get(job.key) is job:
                    del self._jobs[job.key]
                if job in self._queue:
                    self._queue.remove(job)

    def running(self) -> int:
        """How many jobs are under way or waiting (for tests and the health of a server)."""
        with self._lock:
            return len(self._jobs)

    def place(self, job: Job) -> int | None:
        """How many queued jobs are ahead of ``job`` (None once it has started, or if it is light)."""
        with self._lock:
            return self._queue.index(job) if job in self._queue else None

    def status(self, job: Job) -> str:
        """What its watchers read under the progress bar: the queue, or the work's own message,
        with the time left when it can be told."""
        # The queue and the running jobs read at one moment (under one lock): read apart, a job
        # that left the queue in between was counted as queued behind itself.
        with self._lock:
            ahead = self._queue.index(job) if job in self._queue else None
            running = [
                j
                for j in self._jobs.values()
                if j is not job and j.heavy and j.started is not None and not j.done.is_set()
            ]
        if ahead is not None:
            waits = sorted(w for w in (j.seconds_left() for j in running) if w is not None)
            when = f"; it starts in about {_duration(waits[0])}" if ahead == 0 and waits else ""
            own = f", and takes about {_duration(job.estimate)}" if job.estimate is not None else ""
            if ahead + len(running) == 0:
                return f"{job.label}: starting{own}"
            return (
                f"{job.label}: queued behind {ahead + len(running)} job(s) on this server's "
                f"{self.workers} worker(s){when}{own}"
            )
        left = job.seconds_left()
        return job.message + (f" (about {_duration(left)} left)" if left is not None and left >= 1.0 else "")

    def _run(self, job: Job, cache: Shared, work: Callable[[Report], Any]) -> None:
        try:
            with self._lock:  # leaving the queue and starting are one step for status()
                if job in self._queue:
                    self._queue.remove(job)
                job.started = time.monotonic()
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
            if job.heavy:
                release_freed_memory()  # a training or a big sweep leaves freed arenas behind


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


BOARD = JobBoard()


def compute_with_progress(
    cache: Shared,
    key: Hashable,
    work: Callable[[Report], T],
    label: str,
    on_partial: Callable[[Any], None] | None = None,
    estimate: float | None = None,
) -> T:
    """``cache[key]``, or the result of ``work`` run as a shared job while this session watches its
    progress (see the module's docstring). ``on_partial`` draws each new partial result;
    ``estimate`` is about how many seconds the work takes (from its size): a job under
    LIGHT_SECONDS runs at once, any other waits its turn in the queue.

    Raises what the work raised (a SpecError, say), in every watcher.
    """
    hit = cache.get(key, _MISSING)
    if hit is not _MISSING:
        return hit
    cache.missed(key)
    job = BOARD.watch(cache, key, work, label, estimate)
    bar = st.progress(0.0, text=BOARD.status(job))
    shown = None
    try:
        while not job.done.wait(POLL):
            bar.progress(job.fraction, text=BOARD.status(job))
            if on_partial is not None and job.partial is not None and job.partial is not shown:
                shown = job.partial
                on_partial(shown)
    finally:
        BOARD.unwatch(job)  # leaving early (a rerun, Stop, a closed tab) lets go of the job
    bar.empty()
    if job.error is not None:
        raise job.error
    if job.cancelled and job.result is None:  # cancelled just before it finished, by a watcher that left
        return compute_with_progress(cache, key, work, label, on_partial, estimate=estimate)
    return job.result


_MISSING = object()
