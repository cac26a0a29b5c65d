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
