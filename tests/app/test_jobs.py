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


def _blocking(release: threading.Event, ran: list, name: str):
    def work(report):
        ran.append(name)
        while not release.wait(0.02):
            report(0.5, f"{name} working")
        return name

    return work


def test_heavy_jobs_wait_their_turn_and_watchers_see_their_place():
    board, cache, release, ran = JobBoard(workers=1), Shared(8), threading.Event(), []
    first = board.watch(cache, "first", _blocking(release, ran, "first"), "first")
    time.sleep(0.2)
    second = board.watch(cache, "second", _blocking(release, ran, "second"), "second", estimate=30)
    third = board.watch(cache, "third", _blocking(release, ran, "third"), "third", estimate=30)
    assert (board.place(first), board.place(second), board.place(third)) == (None, 0, 1)
    assert "queued behind 2 job(s)" in board.status(third) and "takes about 30 s" in board.status(third)
    board.unwatch(second)  # its tab closed while it waited: it leaves the queue, and never runs
    assert board.place(third) == 0
    release.set()
    assert third.done.wait(10) and third.result == "third"
    assert ran == ["first", "third"]
    for job in (first, third):
        board.unwatch(job)


def test_a_light_job_runs_at_once_beside_a_busy_queue():
    board, cache, release, ran = JobBoard(workers=1), Shared(8), threading.Event(), []
    heavy = board.watch(cache, "heavy", _blocking(release, ran, "heavy"), "heavy")
    light = board.watch(cache, "light", lambda report: "quick", "light", estimate=0.1)
    assert light.done.wait(5) and light.result == "quick" and not heavy.done.is_set()
    release.set()
    assert heavy.done.wait(5)
    board.unwatch(heavy)
    board.unwatch(light)


def test_the_time_left_comes_from_the_progress_once_under_way():
    board, cache, release, ran = JobBoard(workers=1), Shared(8), threading.Event(), []
    job = board.watch(cache, "half", _blocking(release, ran, "half"), "half", estimate=1000)
    assert "queued" not in board.status(job)  # nothing ahead of it: it starts at once
    time.sleep(1.2)  # it reports half done, so about as long again is left
    assert 0.5 < job.seconds_left() < 3.0 and "left)" in board.status(job)
    release.set()
    job.done.wait(5)
    board.unwatch(job)


def test_a_job_caught_between_leaving_the_queue_and_starting_is_not_queued_behind_itself():
    """The interleaving a loaded CI machine hit: the worker took the job from the queue and
    started it while status() was reading. Read at one moment, nothing is ahead of it."""
    from optviz.app.kit.jobs import Job

    board = JobBoard(workers=1)
    job = Job("alone", "alone", estimate=1000)
    board._jobs["alone"], job.started = job, time.monotonic()
    board._queue.append(job)  # still listed as queued, already started
    assert board.status(job).startswith("alone: starting")


def test_every_pages_job_says_its_estimate_before_it_starts():
    """Each call of the shared helper in the app passes ``estimate=`` (so it queues, or not, by
    its size, and its watchers are told how long it takes)."""
    import ast
    import pathlib

    import optviz.app

    calls = []
    for path in pathlib.Path(optviz.app.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "compute_with_progress":
                calls.append((path.name, node.lineno, {k.arg for k in node.keywords}))
    assert len(calls) >= 6  # sweep, compare, two range tests, MNIST training, landscape, edge
    assert [c for c in calls if "estimate" not in c[2]] == []
