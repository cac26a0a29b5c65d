"""The optional shared result store: keys that mean the same in every process, a tier under the
named caches, a store that is down, and two replicas sharing a race through a real Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
import pytest

from optviz.app.kit import cache, store
from optviz.app.kit.cache import Shared
from optviz.app.kit.first_paint import prime
from tests.paths import ROOT
from tests.serving import need, two_replicas

sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # the crowd benchmark's protocol client

from protocol import Session, free_port


@dataclass(frozen=True)
class Config:
    name: str
    keys: frozenset


KEY = (Config("adam", frozenset({"clip", "schedule", "noise"})), 0.1, np.float32(0.5), len)


def test_a_keys_text_is_the_same_in_every_process_whatever_its_hash_seed():
    script = (
        "import numpy as np; from dataclasses import dataclass; from optviz.app.kit.store import canonical\n"
        "@dataclass(frozen=True)\nclass Config:\n    name: str\n    keys: frozenset\n"
        "print(canonical((Config('adam', frozenset({'clip', 'schedule', 'noise'})), 0.1, np.float32(0.5), len)))"
    )
    texts = {
        subprocess.run(
            [sys.executable, "-c", script], env=dict(os.environ, PYTHONHASHSEED=seed), capture_output=True, text=True
        ).stdout.replace("__main__.", "")
        for seed in ("1", "2", "3")
    }
    assert len(texts) == 1 and "clip" in texts.pop()


def test_a_key_known_only_by_its_address_is_not_shared():
    with pytest.raises(store.Unshareable):
        store.canonical((1, object()))


class DictTier:
    """A tier in a dict, standing for Redis."""

    def __init__(self):
        self.data: dict = {}

    def get(self, name, key):
        return self.data.get((name, store.canonical(key)), store.MISSING)

    def put(self, name, key, value, ttl):
        self.data[(name, store.canonical(key))] = value


@pytest.fixture
def tier():
    shared = DictTier()
    cache.set_tier(shared)
    yield shared
    cache.set_tier(None)


def test_a_result_computed_by_one_replica_is_found_by_another(tier):
    one, other = Shared(4, name="test store races"), Shared(4, name="test store races (the other replica)")
    one.put(KEY, np.ones(3))
    other.name = one.name  # the same named cache, in another process
    calls = []
    got = other.get_or_compute(KEY, lambda: calls.append(1) or np.zeros(3))
    assert calls == [] and got.tolist() == [1, 1, 1] and not got.flags.writeable
    assert len(other) == 1  # kept locally from then on


def test_unnamed_caches_datasets_and_primed_values_stay_in_their_process(tier):
    Shared(4).put("k", 1)
    Shared(4, name="test store data", ship=False).put("k", 2)
    named = Shared(4, name="test store primed")
    prime([("test store primed", "k", 3)])
    assert tier.data == {} and named.get("k") == 3


def test_a_store_that_is_down_costs_one_short_timeout_then_is_left_alone(capsys):
    pytest.importorskip("redis")
    tier = store.RedisTier(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    t0 = time.monotonic()
    assert tier.get("races", "k") is store.MISSING
    tier.put("races", "k", 1, 60)
    assert tier.get("races", "k") is store.MISSING
    assert time.monotonic() - t0 < 3 * store.TIMEOUT + 0.5
    assert capsys.readouterr().err.count("failed") == 1  # one line, not one per request


# --- two replicas and a real Redis ------------------------------------------------------------

LINK = "surface=booth&steps=150&opt=nadam:lr=0.0371&opt=rmsprop:lr=0.0123"


@pytest.fixture(scope="module")
def redis_url():
    pytest.importorskip("redis")
    program = need("redis-server", "redis-server")
    port = free_port()
    proc = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0", client
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def replicas(redis_url):
    url, _client = redis_url
    with two_replicas(free_port(), OPTVIZ_REDIS_URL=url) as running:
        yield running["ports"]


def _visit(port: int, link: str) -> Session:
    async def go():
        s = Session(f"http://127.0.0.1:{port}", link)
        await s.connect()
        await s.rerun()
        await s.close()
        return s

    return asyncio.run(go())


def _counts(client) -> tuple[int, int]:
    stats = client.info("commandstats")
    return stats.get("cmdstat_set", {}).get("calls", 0), client.info("stats")["keyspace_hits"]


@pytest.mark.server
def test_a_race_computed_on_one_replica_is_served_by_the_other(redis_url, replicas):
    _url, client = redis_url
    first, second = replicas
    sets, _ = _counts(client)
    a = _visit(first, LINK)
    sets_a, hits_a = _counts(client)
    assert a.exceptions == [] and sets_a > sets  # the first replica computed the race and stored it
    assert any(b"racer" in k for k in client.keys("optviz:*"))
    b = _visit(second, LINK)
    sets_b, hits_b = _counts(client)
    assert b.exceptions == []
    assert hits_b > hits_a and sets_b == sets_a  # the second read it all, and computed nothing to store
    assert b.elements["r0_nadam_lr"].value == pytest.approx(0.0371)


def test_a_store_that_cannot_be_used_is_said_once_and_the_app_goes_on(monkeypatch, capsys):
    monkeypatch.setenv(store.ENV, "http://not-redis/0")
    assert store.connect_from_environment() is None
    assert "is not a Redis URL" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "redis", None)  # the optional package missing: import fails
    monkeypatch.setenv(store.ENV, "redis://127.0.0.1:6379/0")
    assert store.connect_from_environment() is None
    assert "pip install 'optviz[redis]'" in capsys.readouterr().err


def test_a_value_that_cannot_be_pickled_stays_in_its_process():
    pytest.importorskip("redis")
    tier = store.RedisTier(f"redis://127.0.0.1:{free_port()}/0")
    tier.put("races", "k", lambda: 1, 60)  # no exception, nothing sent (nothing listens there anyway)
    assert tier.get("races", "k") is store.MISSING
