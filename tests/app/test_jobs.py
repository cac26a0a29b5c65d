"""Long work on every page: computed once, watched by all, cancelled when nobody watches."""

from __future__ import annotations

import threading
import time

import pytest

from optviz.app.kit.cache import Shared
from optviz.app.kit.jobs import BOARD, Cancelled, JobBoard, compute_with_progress


def _slow(counter: list, steps: int = 10, pause: float = 0.05):
    def work(report):
        counter.append(1)
        for i in range(steps):
            time.sleep(pause)
            report((i + 1) / steps, f"step {i + 1}", partial=i)
        return "done"

    return work


def test_identical_jobs_run_once_and_every_watcher_gets_the_result():
    cache, calls, results = Shared(8), [], []
    threads = [
        threading.Thread(target=lambda: results.append(compute_with_progress(cache, "k", _slow(calls), "x")))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == ["done"] * 8 and len(calls) == 1
    assert cache.get("k") == "done" and BOARD.running() == 0
    assert compute_with_progress(cache, "k", _slow(calls), "x") == "done" and len(calls) == 1  # from the cache


def test_a_job_nobody_watches_is_cancelled_at_its_next_report():
    board, cache, cancelled = JobBoard(workers=1), Shared(8), threading.Event()

    def work(report):
        try:
            while True:
                time.sleep(0.01)
                report(0.5, "working")
        except Cancelled:
            cancelled.set()
            raise

    job = board.watch(cache, "k", work, "x")
    time.sleep(0.1)
    board.unwatch(job)
    assert cancelled.wait(5) and job.done.wait(5)
    assert cache.get("k") is None and job.result is None and board.running() == 0


def test_a_job_still_watched_by_another_session_goes_on():
    board, cache, calls = JobBoard(workers=1), Shared(8), []
    first = board.watch(cache, "k", _slow(calls, steps=5), "x")
    second = board.watch(cache, "k", _slow(calls, steps=5), "x")
    assert first is second
    board.unwatch(first)  # one session leaves
    assert second.done.wait(5) and second.result == "done" and len(calls) == 1


def test_the_works_error_reaches_every_watcher():
    def broken(report):
        raise ValueError("bad grid")

    with pytest.raises(ValueError, match="bad grid"):
        compute_with_progress(Shared(8), "broken", broken, "x")


def test_watchers_see_the_partial_results_as_they_come():
    seen = []
    compute_with_progress(Shared(8), "partial", _slow([], steps=6, pause=0.3), "x", on_partial=seen.append)
    assert seen and seen == sorted(seen) and set(seen) <= set(range(6))
