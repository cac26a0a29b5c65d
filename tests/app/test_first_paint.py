"""A fresh server draws every page's default view from the shipped record while it compiles,
and work that needs a program waits for the warm-up instead of compiling it twice."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from optviz.app.kit import cache, first_paint
from optviz.app.kit.boot import WARM
from optviz.app.kit.jobs import JobBoard
from tests.paths import ROOT


@pytest.mark.app
def test_the_shipped_record_equals_a_fresh_computation_and_covers_every_default_view():
    # In a fresh process: the caches must start empty for the record to be whole.
    out = subprocess.run(
        [sys.executable, str(Path(ROOT, "scripts", "first_paint.py")), "--check"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]


def test_a_written_record_primes_the_caches_it_came_from(tmp_path):
    source = cache.Shared(4, name="test source")
    local = cache.Shared(4, name="test local files", ship=False)
    cache.start_recording()
    try:
        source.put(("view", 1), np.arange(3.0))
        local.put("folder", "this machine's data")
        cache.Shared(4).put("unnamed", 1)  # no name: nothing to prime it into
    finally:
        records = cache.stop_recording()
    assert [(name, key) for name, key, _ in records] == [("test source", ("view", 1))]
    path = first_paint.write(records, str(tmp_path / "record.pkl"))
    source.clear()
    assert first_paint.prime(first_paint.read(path)) == 1
    np.testing.assert_array_equal(source.get(("view", 1)), [0.0, 1.0, 2.0])
    assert not source.get(("view", 1)).flags.writeable  # shared values stay read-only


def test_a_missing_or_foreign_record_primes_nothing_and_says_so(tmp_path, capsys):
    assert first_paint.read(str(tmp_path / "absent.pkl")) == []
    foreign = tmp_path / "old.pkl"
    foreign.write_bytes(b"\x80\x04N.")  # a pickled None: not a record of this format
    assert first_paint.read(str(foreign)) == []
    err = capsys.readouterr().err
    assert "no first-paint record" in err and "another format" in err


def test_a_job_waits_for_the_warm_up_and_says_so():
    board, store, started = JobBoard(workers=1), cache.Shared(4), threading.Event()

    def work(report):
        started.set()
        return 42

    WARM.clear()
    try:
        job = board.watch(store, "after warm-up", work, "a sweep")
        time.sleep(0.5)
        assert not started.is_set() and "waiting for the server's warm-up" in job.message
    finally:
        WARM.set()
    assert job.done.wait(5) and job.result == 42
    board.unwatch(job)
