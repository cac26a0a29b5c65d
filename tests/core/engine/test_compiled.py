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
