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
