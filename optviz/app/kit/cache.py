"""The one caching convention of every page: results shared by all sessions, bounded, read-only.

- A :class:`Shared` cache holds the results of one kind of computation for the whole server
  process, keyed by hashable values (configs are frozen dataclasses), least recently used
  first out once it is full, each entry dropped after ``ttl`` seconds.
- Thirty sessions asking for the same key at once compute it once: the others wait for it.
- What comes out is shared, so it must not change: NumPy arrays are made read-only on the
  way in (:func:`freeze`), and everything else is treated as read-only by convention.
- Computations never draw. Long ones take a ``progress`` callback from the page, which
  draws its bar outside the cache; a result that is already cached draws no bar at all.

``@shared(n)`` caches a function by its arguments; ``Shared(n, name=...).get_or_compute(key, fn)``
is for work that reports progress or whose key is not simply its arguments.

Named caches (every ``@shared`` one is named after its function) can be recorded and primed:
optviz.app.kit.first_paint records what the pages' default views put in them and ships it, so
a fresh server draws those views before it has compiled anything. A miss on a primed server
still computes; :func:`on_miss` lets the app wait there until its programs are compiled.

Under the named caches there may be a second tier shared by several replicas
(optviz.app.kit.store, off unless OPTVIZ_REDIS_URL is set): a local miss looks there before
computing, and what is computed is stored there too.
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
MISSING = _MISSING  # what a Tier's get returns for a key it does not hold

CACHES: dict[str, Shared] = {}  # the named caches, by name
_recording: list[tuple[str, Hashable, Any]] | None = None  # (cache, key, value) of every put, while recording
_miss_hook: Callable[[Shared, Hashable], None] | None = None
_tier: Tier | None = None


class Tier(Protocol):
    """A store under the named caches, shared by replicas (optviz.app.kit.store.RedisTier)."""

    def get(self, name: str, key: Hashable) -> Any: ...  # the value, or MISSING

    def put(self, name: str, key: Hashable, value: Any, ttl: float) -> None: ...


def set_tier(tier: Tier | None) -> None:
    """Put ``tier`` under every named cache that ships (None: no tier, the default)."""
    global _tier
    _tier = tier


def on_miss(hook: Callable[[Shared, Hashable], None] | None) -> None:
    """Call ``hook(cache, key)`` before computing a value ``cache`` misses (the app waits there
    while it warms up, unless the cache's ``ready(key)`` says the work needs nothing still compiling)."""
    global _miss_hook
    _miss_hook = hook


def start_recording() -> None:
    """From now on, note every value put into a named cache (optviz.app.kit.first_paint)."""
    global _recording
    _recording = []


def stop_recording() -> list[tuple[str, Hashable, Any]]:
    """The (cache name, key, value) of every put since :func:`start_recording`, in order."""
    global _recording
    records, _recording = _recording or [], None
    return records


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

    def __init__(
        self,
        max_entries: int,
        ttl: float = 3600.0,
        name: str | None = None,
        ship: bool = True,
        ready: Callable[[Hashable], bool] | None = None,
    ):
        # ``ship``: whether its values may be recorded for the first paint (not data read off this machine)
        # ``ready(key)``: whether computing ``key`` needs no program the server is still compiling
        # (see :func:`on_miss`); None: it may need any
        self.max_entries, self.ttl, self.name, self.ship, self.ready = max_entries, ttl, name, ship, ready
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        if name is not None:
            CACHES[name] = self

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The cached value (here, else from the shared tier if there is one), or ``default``
        when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and time.monotonic() - entry[0] <= self.ttl:
                self._entries.move_to_end(key)
                return entry[1]
        tier = self._shared_tier()
        if tier is None or self.name is None:
            return default
        value = tier.get(self.name, key)
        return default if value is MISSING else self.put(key, value, share=False)

    def _shared_tier(self) -> Tier | None:
        # only named caches of computed results: not the datasets (ship=False) read off one machine
        return _tier if self.name is not None and self.ship else None

    def put(self, key: Hashable, value: T, share: bool = True) -> T:
        """Store ``value`` (frozen) under ``key``, evicting the least recently used beyond the
        bound; and in the shared tier, if there is one, unless ``share`` is False."""
        freeze(value)
        tier = self._shared_tier() if share else None
        if tier is not None and self.name is not None:
            tier.put(self.name, key, value, self.ttl)
        if _recording is not None and self.name is not None and self.ship:
            _recording.append((self.name, key, value))
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
        # Before the key's lock, not under it: the app's hook may wait for a warm-up that is
        # itself filling this key (the grids), which would then wait for the lock for ever.
        self.missed(key)
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            value = self.get(key, _MISSING)
            if value is _MISSING:
                value = self.put(key, compute())
        with self._lock:
            self._computing.pop(key, None)
        return value

    def missed(self, key: Hashable = None) -> None:
        """Say that ``key`` missed here and is about to be computed, unless another caller is
        computing it already (see :func:`on_miss`)."""
        if _miss_hook is not None:
            _miss_hook(self, key)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Cached(Protocol[T_co]):
    """A function wrapped by :func:`shared`: call it as before; ``cache`` is its :class:`Shared`."""

    cache: Shared

    def __call__(self, *args: Any, **kwargs: Any) -> T_co: ...


def shared(
    max_entries: int, ttl: float = 3600.0, ship: bool = True, ready: Callable[..., bool] | None = None
) -> Callable[[Callable[..., T]], Cached[T]]:
    """Decorator: cache a pure function of hashable arguments in a :class:`Shared` cache named
    after the function (``ship`` as :class:`Shared`'s; ``ready`` takes the function's arguments)."""

    def wrap(fn: Callable[..., T]) -> Cached[T]:
        ready_key = None if ready is None else (lambda key: ready(*key[0], **dict(key[1])))
        cache = Shared(max_entries, ttl, name=f"{fn.__module__}.{fn.__qualname__}", ship=ship, ready=ready_key)

        @functools.wraps(fn)
        def cached(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            return cache.get_or_compute(key, lambda: fn(*args, **kwargs))

        cached.cache = cache  # type: ignore[attr-defined]  # a function's attribute, typed by Cached
        return cast("Cached[T]", cached)

    return wrap
