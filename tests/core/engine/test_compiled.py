"""Programs compiled once, and ready only once compiled."""

from __future__ import annotations

import threading

import jax
import numpy as np

from optviz.core.engine import compiled


def test_a_program_is_ready_only_once_its_first_call_has_returned():
    started, release = threading.Event(), threading.Event()

    def slow(x):
        started.set()  # while tracing: the first call is under way
        release.wait(5)
        return x * 2

    program = jax.jit(slow)
    first = threading.Thread(target=compiled.call, args=(program, np.float32(1)))
    first.start()
    assert started.wait(5)
    assert not compiled.ready(program)
    release.set()
    first.join(5)
    assert compiled.ready(program)
    assert float(compiled.call(program, np.float32(3))) == 6.0


def test_a_quiet_first_call_traces_here_and_compiles_in_a_helper_at_the_lowest_priority(monkeypatch):
    import os

    seen: dict[str, object] = {}
    real_compile = jax.stages.Lowered.compile

    def spy(self, *args, **kwargs):
        seen["thread"] = threading.current_thread().name
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return real_compile(self, *args, **kwargs)

    monkeypatch.setattr(jax.stages.Lowered, "compile", spy)
    traced_in: list[str] = []

    def plus_one(x):
        traced_in.append(threading.current_thread().name)
        return x + 1

    program = jax.jit(plus_one)
    with compiled.quietly():
        assert float(compiled.call(program, np.float32(1))) == 2.0
    assert traced_in == [threading.current_thread().name]  # traced once, here: the call ran what the helper compiled
    assert seen == {"thread": "optviz-compile", "nice": 19}
    assert compiled.ready(program)
