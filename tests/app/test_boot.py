"""The background warm-up of a hosted server: when it starts."""

from __future__ import annotations

import threading
import time

import pytest

from optviz.app.kit import boot


@pytest.fixture
def cold(monkeypatch):
    """A server still warming up, with a page running now and the deferral long."""
    monkeypatch.setattr(boot, "_activity", {"running": 1, "last": time.monotonic(), "waiting": 0})
    monkeypatch.setattr(boot, "MAX_DEFER", 30.0)
    warm = threading.Event()
    monkeypatch.setattr(boot, "WARM", warm)
    yield warm
    warm.set()


def _lull_waited(seconds: float) -> bool:
    """Whether the wait for a lull is still going after ``seconds``."""
    waiter = threading.Thread(target=boot._wait_for_a_lull, daemon=True)
    waiter.start()
    waiter.join(seconds)
    return waiter.is_alive()


def test_a_busy_server_puts_the_warm_up_off(cold):
    assert _lull_waited(0.5)


def test_a_job_waiting_for_the_warm_up_starts_it_at_once(cold):
    job = threading.Thread(target=boot.wait_until_warm, daemon=True)  # no script context: a worker's job
    job.start()
    deadline = time.monotonic() + 5
    while boot._activity["waiting"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _lull_waited(5.0)
    cold.set()
    job.join(5)
    assert not job.is_alive() and boot._activity["waiting"] == 0


class _Cache:
    """A cache that says whether computing a key needs nothing still compiling."""

    def __init__(self, ready: threading.Event):
        self.ready = lambda key: key == "light" and ready.is_set()


def test_a_miss_whose_program_is_ready_does_not_wait_for_the_rest_of_the_warm_up(cold):
    compiled = threading.Event()
    cache = _Cache(compiled)
    waits = {
        key: threading.Thread(target=boot.wait_until_warm, args=(cache, key), daemon=True) for key in ("light", "heavy")
    }
    for waiter in waits.values():
        waiter.start()
    time.sleep(0.3)
    assert all(waiter.is_alive() for waiter in waits.values())  # nothing ready yet: both wait
    compiled.set()
    boot._stage_done("first paths")
    waits["light"].join(2)
    assert not waits["light"].is_alive()  # its program is ready: it goes on, the warm-up still running
    assert waits["heavy"].is_alive()  # the rest waits for the whole warm-up
    cold.set()
    boot._stage_done()
    waits["heavy"].join(2)
    assert not waits["heavy"].is_alive()


def test_the_first_racers_are_the_default_views_optimizers():
    from optviz.link import CompareConfig, SurfacesConfig

    first = boot.first_racers()
    assert [s.name for s in SurfacesConfig().race.specs] == list(first[: len(SurfacesConfig().race.specs)])
    assert {s.name for s in CompareConfig().specs} <= set(first)
    assert len(first) == len(set(first))
