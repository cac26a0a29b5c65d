"""How many times each kind of program was traced (compiled): the tests count recompiles with it.

A trace happens only when jit meets new shapes or a new Python closure; a slider moving must
never cause one. Each jitted kernel calls :func:`traced` from inside the function it traces.
"""

from __future__ import annotations

from collections import Counter

COUNTS: Counter[str] = Counter()


def traced(kind: str) -> None:
    """Note one trace of a ``kind`` of program ("paths", "sweep")."""
    COUNTS[kind] += 1


def count(kind: str) -> int:
    """How many ``kind`` programs were traced so far in this process."""
    return COUNTS[kind]
