"""Several sessions at once against a real server: no exception, each session its own race."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.paths import ROOT

sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # the crowd benchmark's protocol client

import load_test

pytestmark = pytest.mark.server


def test_concurrent_sessions_from_different_links():
    with load_test.Server() as server:
        result = asyncio.run(load_test.run_sessions(server.base, sessions=4, changes=3, pid=server.proc.pid))
    assert result["errors"] == []
    assert len(result["latencies_ms"]) == 12
    # Each session drew the race of its own link, not a neighbour's.
    own = ["r1_sgd_lr", "r1_rmsprop_lr", "r2_nesterov_lr", "r1_adamw_lr"]
    for widgets, key in zip(result["widgets"], own):
        assert key in widgets and not (set(own) - {key}) & set(widgets)
