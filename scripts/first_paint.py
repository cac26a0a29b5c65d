"""Write optviz/app/data/first_paint.pkl: every page's default view, as the caches hold it.

    .venv/bin/python scripts/first_paint.py          # rewrite it (rerun when a page's default
                                                     # view, an optimizer or a surface changes)
    .venv/bin/python scripts/first_paint.py --check  # exit 1 unless the shipped record equals a
                                                     # fresh one and covers every default view

A fresh server primes its caches from this file (optviz.app.kit.first_paint), so its first
visitors see the default views while it compiles its programs in the background.
tests/app/test_first_paint.py runs the check.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
import sys
from typing import Any

import numpy as np

from optviz.core.engine.devices import tune_for_this_cpu


def fresh_record() -> list:
    """Every page's default view computed by the engine now, from empty caches."""
    from optviz.app.kit.boot import boot
    from optviz.app.kit.cache import CACHES
    from optviz.app.kit.first_paint import record_default_views
    from optviz.app.launch import rehearse
    from optviz.app.pages import import_all

    # Compile everything first, then empty the caches: the record holds what the default views
    # need, computed by the engine, and nothing the warm-up happened to cache beside them.
    boot(import_all)
    for cache in CACHES.values():
        cache.clear()
    return record_default_views(rehearse)


TIMINGS = {"seconds"}  # fields that hold how long the computation took: they differ run to run


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two recorded values differ (arrays to float32 rounding), as readable paths."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return [f"{where}: shape/dtype {a.shape} {a.dtype} != {b.shape} {b.dtype}"]
        if a.dtype.kind in "fc":
            ok = np.allclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True)
        else:
            ok = np.array_equal(a, b)
        return [] if ok else [f"{where}: arrays differ"]
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        if type(a) is not type(b):
            return [f"{where}: {type(a).__name__} != {type(b).__name__}"]
        fields = [f.name for f in dataclasses.fields(a) if f.name not in TIMINGS]
        return [d for f in fields for d in differences(getattr(a, f), getattr(b, f), f"{where}.{f}")]
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"]
        return [d for k in a for d in differences(a[k], b[k], f"{where}[{k!r}]")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if np.isclose(a, b, rtol=1e-5, atol=1e-7, equal_nan=True) else [f"{where}: {a} != {b}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def misses_when_primed() -> list[str]:
    """The caches a fresh server primed from the shipped record still has to compute for the
    default views: none, or the first paint waits for the compiler after all."""
    from optviz.app.kit import cache
    from optviz.app.kit.first_paint import prime, read
    from optviz.app.launch import rehearse

    for c in cache.CACHES.values():
        c.clear()
    prime(read())
    misses: list[str] = []
    cache.on_miss(lambda c, _key: misses.append(str(c.name)) if c.ship else None)
    rehearse()
    cache.on_miss(None)
    return misses


def check() -> int:
    """The shipped record against a fresh one: the same entries, equal values."""
    from optviz.app.kit.first_paint import read

    shipped = {(name, key): value for name, key, value in read()}
    fresh = {(name, key): value for name, key, value in fresh_record()}
    problems = [f"missing from the shipped record: {name} {key!r:.200}" for name, key in fresh.keys() - shipped.keys()]
    problems += [f"not in a fresh record: {name} {key!r:.200}" for name, key in shipped.keys() - fresh.keys()]
    for entry in fresh.keys() & shipped.keys():
        problems += [f"{entry[0]}{d}" for d in differences(shipped[entry], fresh[entry])][:5]
    problems += [f"computed although shipped: {name}" for name in misses_when_primed()]
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("the first-paint record is stale: run python scripts/first_paint.py", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped record with a fresh one")
    args = parser.parse_args()
    tune_for_this_cpu()
    if args.check:
        return check()
    from optviz.app.kit.first_paint import write

    records = fresh_record()
    path = write(records)
    sizes: dict[str, int] = {}
    for name, _key, value in records:
        sizes[name] = sizes.get(name, 0) + len(pickle.dumps(value))
    print(f"{path}: {len(records)} values, {os.path.getsize(path) / 1e3:.0f} kB")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {name}: {size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
