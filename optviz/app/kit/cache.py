"""The one caching convention of every page: results shared by all sessions, bounded, read-only.

- A :class:`Shared` cache holds the results of one kind of computation for the whole server
  process, keyed by hashable values (configs are frozen dataclasses), least recently used
  first out once it is full, each entry dropped after ``ttl`` seconds.
- Thirty sessions asking for the same key at once compute it once: the others wait for it.
- What comes out is shared, so it must not change: NumPy arrays are made read-only on the
  way in (:func:`freeze`), and everything else is treated as read-only by convention.
- Computations never draw. Long ones take a ``progress`` callback from the page, which
  draws its bar outside the cache; a result that is already cached draws no bar at all.

``@shared(n)`` caches a function by its arguments; ``Shared(n).get_or_compute(key, fn)`` is
for work that reports progress or whose key is not simply its arguments.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar, cast

import numpy as np

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
_MISSING = object()


def freeze(value: Any) -> Any:
    """Make every NumPy array inside ``value`` (dataclasses, lists, tuples, dicts) read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            freeze(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for v in value:
            freeze(v)
    elif isinstance(value, dict):
        for v in value.values():
            freeze(v)
    return value


class Shared:
    """A bounded, thread-safe LRU cache shared by every session of the server process."""

    def __init__(self, max_entries: int, ttl: float = 3600.0):
        self.max_entries, self.ttl = max_entries, ttl
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The cached value, or ``default`` when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or time.monotonic() - entry[0] > self.ttl:
                return default
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, value: T) -> T:
        """Store ``value`` (frozen) under ``key``, evicting the least recently used beyond the bound."""
        freeze(value)
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value, or ``compute()`` stored; concurrent callers with one key compute once."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            value = self.get(key, _MISSING)
            if value is _MISSING:
                value = self.put(key, compute())
        with self._lock:
            self._computing.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Cached(Protocol[T_co]):
    """A function wrapped by :func:`shared`: call it as before; ``cache`` is its :class:`Shared`."""

    cache: Shared

    def __call__(self, *args: Any, **kwargs: Any) -> T_co: ...


def shared(max_entries: int, ttl: float = 3600.0) -> Callable[[Callable[..., T]], Cached[T]]:
    """Decorator: cache a pure function of hashable arguments in a :class:`Shared` cache."""

    def wrap(fn: Callable[..., T]) -> Cached[T]:
        cache = Shared(max_entries, ttl)

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            return cache.get_or_compute(key, lambda: fn(*args, **kwargs))

        cached.cache = cache  # type: ignore[attr-defined]  # a function's attribute, typed by Cached
        return cast("Cached[T]", cached)

    return wrap
