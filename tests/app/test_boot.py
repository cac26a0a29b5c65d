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
    monkeypatch.setattr(boot, "DRAWN", threading.Event())
    monkeypatch.setattr(boot, "_lull_over", threading.Event())
    yield warm
    warm.set()


def _lull_waited(seconds: float) -> bool:
    """Whether the wait for a lull is still going after ``seconds``."""
    return _lull(seconds)[0].is_alive()


def _lull(seconds: float) -> tuple[threading.Thread, list[str]]:
    """The wait for a lull, in a thread, after ``seconds``; and why it ended (once it has)."""
    why: list[str] = []
    waiter = threading.Thread(target=lambda: why.append(boot._wait_for_a_lull()), daemon=True)
    waiter.start()
    waiter.join(seconds)
    return waiter, why


def _quiet(monkeypatch) -> None:
    """No page running, and none for longer than the lull asks."""
    monkeypatch.setattr(boot, "_activity", {"running": 0, "last": time.monotonic() - 10 * boot.QUIET, "waiting": 0})


def test_a_busy_server_puts_the_warm_up_off(cold):
    assert _lull_waited(0.5)


def test_a_quiet_server_waits_for_a_browser_to_finish_drawing_a_page(cold, monkeypatch):
    _quiet(monkeypatch)
    assert boot.wants_a_drawn_page()  # the share box is asked to say when its page is drawn
    waiter, why = _lull(0.5)
    assert waiter.is_alive()  # quiet, but no browser has drawn a page yet
    boot.page_drawn()
    waiter.join(5)
    assert not waiter.is_alive() and why == ["a browser has drawn a page"]
    assert not boot.wants_a_drawn_page()


def test_a_drawn_page_does_not_start_the_warm_up_while_a_page_runs(cold):
    boot.page_drawn()
    assert _lull_waited(0.5)


def test_without_a_browser_the_warm_up_starts_after_the_deferral(cold, monkeypatch):
    _quiet(monkeypatch)
    monkeypatch.setattr(boot, "MAX_DEFER", 0.3)
    waiter, why = _lull(5)
    assert not waiter.is_alive() and why == ["0.3 s after the first page"]
    assert not boot.wants_a_drawn_page()  # the lull is over: nobody need report any more


def test_a_warm_server_asks_for_no_report(monkeypatch):
    monkeypatch.setattr(boot, "DRAWN", threading.Event())
    monkeypatch.setattr(boot, "_lull_over", threading.Event())
    assert boot.WARM.is_set() and not boot.wants_a_drawn_page()  # the launcher's server, warm before it serves


def test_a_job_waiting_for_the_warm_up_starts_it_at_once(cold):
    job = threading.Thread(target=boot.wait_until_warm, daemon=True)  # no script context: a worker's job
    job.start()
    deadline = time.monotonic() + 5
    while boot._activity["waiting"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    waiter, why = _lull(5.0)
    assert not waiter.is_alive() and why == ["a view is waiting for it"]
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
