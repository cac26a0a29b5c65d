"""The shared cache: bounded, least recently used out first, read-only values, one computation per key."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from optviz.app.kit.cache import Shared, freeze, shared
from optviz.core.engine.trajectory import Run


def test_bounded_and_least_recently_used_out_first():
    cache = Shared(max_entries=3)
    for k in "abc":
        cache.put(k, k.upper())
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("d", "D")
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") == "A" and cache.get("d") == "D"


def test_entries_expire():
    cache = Shared(max_entries=3, ttl=0.05)
    cache.put("k", 1)
    assert cache.get("k") == 1
    time.sleep(0.1)
    assert cache.get("k", "gone") == "gone"


def test_cached_values_are_read_only():
    run = Run("adam", {"lr": 0.1}, np.zeros((3, 2)), np.zeros(3), None, {"m": np.zeros((2, 2))})
    freeze([run])
    for a in (run.path, run.loss, run.state["m"]):
        with pytest.raises(ValueError):
            a[0] = 1.0


def test_concurrent_callers_compute_a_key_once():
    calls = []

    @shared(max_entries=8)
    def slow(x):
        calls.append(x)
        time.sleep(0.2)
        return np.full(2, x)

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(7))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [7] and len(results) == 6 and all(r is results[0] for r in results)
    assert not results[0].flags.writeable
    slow(8)
    assert calls == [7, 8]


def test_a_miss_that_waits_for_a_warm_up_filling_the_same_key_gets_its_value(monkeypatch):
    """The app's miss hook waits for the warm-up, which may be computing that very key (the
    grids): waiting under the key's lock, the two waited for each other for ever."""
    from optviz.app.kit import cache as module

    cache = Shared(max_entries=4)
    warm_up = threading.Thread(target=lambda: cache.get_or_compute("grid", lambda: "from the warm-up"), daemon=True)

    def wait_for_the_warm_up(_cache, _key):
        if threading.current_thread() is not warm_up:  # the warm-up itself waits for nothing
            warm_up.start()
            warm_up.join(5)

    monkeypatch.setattr(module, "_miss_hook", wait_for_the_warm_up)
    assert cache.get_or_compute("grid", lambda: "from the page") == "from the warm-up"
    assert not warm_up.is_alive()


def test_a_caches_ready_says_per_key_whether_its_work_needs_a_program_still_compiling():
    @shared(max_entries=4, ready=lambda surface, steps: surface == "bowl")
    def run(surface, steps):
        return f"{surface} {steps}"

    assert run.cache.ready is not None
    assert run.cache.ready((("bowl", 10), ())) and not run.cache.ready((("rosenbrock", 10), ()))
    assert run("bowl", 10) == "bowl 10"
