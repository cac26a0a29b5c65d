"""`python -m optviz serve --workers 2`: two replicas behind HAProxy on loopback.

Stickiness (a browser stays on its replica), spreading (two sessions, two replicas), and a
replica killed: new sessions keep working, a session pinned to it gets its page back from its
link on another replica, and the killed one is restarted. In CI (.ci/run installs HAProxy) a
missing proxy is a failure; elsewhere the tests are skipped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.paths import ROOT
from tests.serving import two_replicas

sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # the crowd benchmark's protocol client

from protocol import Session, children, free_port

pytestmark = pytest.mark.server

LINK = "surface=himmelblau&steps=120&opt=adam:lr=0.042&opt=sgd:lr=0.003"


@pytest.fixture(scope="module")
def served():
    with two_replicas(free_port()) as running:
        yield running


def _replica_pid(proc: subprocess.Popen, port: int) -> int:
    for pid in children(proc.pid):
        try:
            with open(f"/proc/{pid}/cmdline") as f:
                if f"--server.port\0{port}\0" in f.read():
                    return pid
        except OSError:
            continue
    raise AssertionError(f"no replica on port {port}")


def _replica_of(base: str, cookie: str = "") -> str:
    req = urllib.request.Request(base + "/_stcore/health", headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.headers["X-Optviz-Replica"]


def test_a_browser_stays_on_its_replica(served):
    async def go():
        s = Session(served["base"], LINK)
        await s.connect()
        await s.rerun()
        assert s.cookie.startswith("optviz_replica=") and s.served_by == s.cookie.split("=")[1]
        # Every request that carries the cookie reaches the same replica.
        assert {_replica_of(served["base"], s.cookie) for _ in range(8)} == {s.served_by}
        # Its state lives there: a value typed into a box survives a plain rerun and a reconnect.
        await s.set_number("r0_adam_lr", 0.0123)
        await s.rerun()
        assert s.elements["r0_adam_lr"].value == pytest.approx(0.0123)
        first = s.served_by
        await s.reconnect()
        assert s.served_by == first
        await s.rerun()
        assert s.elements["r0_adam_lr"].value == pytest.approx(0.0123)
        assert "opt=adam%3Alr%3D0.0123" in s.query  # and the page wrote it into the link
        await s.close()
        return s.exceptions

    assert asyncio.run(go()) == []


def test_two_sessions_use_both_replicas(served):
    async def go():
        a, b = Session(served["base"], LINK), Session(served["base"], "surface=booth&opt=adam:lr=0.2")
        await a.connect()
        await b.connect()  # the least busy replica: not a's, whose websocket is open
        times = await asyncio.gather(a.rerun(), b.rerun())
        replicas = {a.served_by, b.served_by}
        for s in (a, b):
            await s.close()
        return replicas, times, a.exceptions + b.exceptions, a.elements, b.elements

    replicas, _times, errors, ea, eb = asyncio.run(go())
    assert replicas == {"r1", "r2"} and errors == []
    assert ea["r0_adam_lr"].value == pytest.approx(0.042) and eb["r0_adam_lr"].value == pytest.approx(0.2)


def test_a_killed_replica_is_replaced_and_its_sessions_come_back(served):
    base = served["base"]

    async def go():
        pinned = Session(base, LINK)
        await pinned.connect()
        await pinned.rerun()
        await pinned.set_number("r0_adam_lr", 0.0077)  # the view, now also in the link
        victim = served["ports"][int(pinned.served_by[1:]) - 1]
        pid = _replica_pid(served["proc"], victim)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        # A new visitor is served (by the other replica), with no error.
        fresh = Session(base, "surface=bowl&opt=adam:lr=0.05")
        await fresh.connect()
        await fresh.rerun()
        assert fresh.served_by != pinned.served_by and fresh.exceptions == []
        # The pinned browser reconnects: another replica rebuilds its page from its link.
        await asyncio.wait_for(pinned.reconnect(), 30)
        await asyncio.wait_for(pinned.rerun(), 60)
        assert pinned.served_by == fresh.served_by
        assert pinned.elements["r0_adam_lr"].value == pytest.approx(0.0077)
        for s in (pinned, fresh):
            await s.close()
        return victim, pid, pinned.exceptions + fresh.exceptions

    victim, pid, errors = asyncio.run(go())
    assert errors == []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{victim}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        raise AssertionError("the killed replica was not restarted")
    assert _replica_pid(served["proc"], victim) != pid
