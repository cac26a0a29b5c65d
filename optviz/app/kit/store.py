"""An optional tier under the shared caches: results shared by every replica through Redis.

Off by default: one process (``streamlit run app.py``, Community Cloud, ``make run``) needs
nothing. With ``OPTVIZ_REDIS_URL`` set (``redis://host:6379/0``), every replica that the
variable reaches, on this machine or another, looks in Redis when its own cache misses and
stores there what it computes: a race, sweep or MNIST run that one replica computed is served
by the others. Keys are the cache's name and a digest of the key's canonical text, under a
prefix naming this code (a digest of the package's source), so replicas running different
code never read each other's results; entries expire with the cache's time to live.

Values are pickled: the store must be one only the deployment writes to (a Redis on its own
network), as with any cache of pickled objects. A store that is down or slow costs a request
one short timeout, then is left alone for RETRY seconds; the app works on without it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import threading
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any, cast

import numpy as np

from optviz.app.kit.cache import MISSING, set_tier

ENV = "OPTVIZ_REDIS_URL"
TIMEOUT = 0.5  # seconds a get or a put may wait for the store
RETRY = 30.0  # seconds a store that failed is left alone
MAX_VALUE_BYTES = 32 << 20  # larger results stay in their own replica


class Unshareable(TypeError):
    """A key with no text that means the same in every process (an object known by its address)."""


def canonical(key: Any) -> str:
    """Text for ``key`` that is the same in every process (sets sorted, functions by name)."""
    if key is None or isinstance(key, (bool, int, str, bytes)):
        return repr(key)
    if isinstance(key, float):
        return key.hex()
    if isinstance(key, (tuple, list)):
        return "(" + ",".join(canonical(k) for k in key) + ")"
    if isinstance(key, (set, frozenset)):
        return "{" + ",".join(sorted(canonical(k) for k in key)) + "}"
    if isinstance(key, dict):
        return "{" + ",".join(sorted(f"{canonical(k)}:{canonical(v)}" for k, v in key.items())) + "}"
    if isinstance(key, np.ndarray):
        return f"array({key.dtype},{key.shape},{hashlib.sha256(key.tobytes()).hexdigest()})"
    if isinstance(key, np.generic):
        return canonical(key.item())
    if dataclasses.is_dataclass(key) and not isinstance(key, type):
        fields = ",".join(f"{f.name}={canonical(getattr(key, f.name))}" for f in dataclasses.fields(key))
        return f"{type(key).__qualname__}({fields})"
    if callable(key) and hasattr(key, "__qualname__"):
        return f"{getattr(key, '__module__', '')}.{key.__qualname__}"
    text = repr(key)
    if " at 0x" in text:
        raise Unshareable(f"no process-independent text for {type(key).__qualname__}")
    return f"{type(key).__qualname__}:{text}"


@functools.cache
def code_digest() -> str:
    """A digest of the package's Python source: replicas share results only with the same code."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]  # the optviz package
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class RedisTier:
    """Results in a Redis server, shared by every replica that points at it."""

    def __init__(self, url: str):
        import redis  # the optional extra: pip install optviz[redis]

        self.url = url
        self._client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.prefix = f"optviz:{code_digest()}:"

    def _address(self, name: str, key: Hashable) -> str | None:
        try:
            return self.prefix + name + ":" + hashlib.sha256(canonical(key).encode()).hexdigest()
        except Unshareable:
            return None

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, err: BaseException) -> None:
        with self._lock:
            if self._available():
                print(
                    f"optviz: the shared result store {self.url} failed ({err}); retrying in {RETRY:.0f} s",
                    file=sys.stderr,
                )
            self._down_until = time.monotonic() + RETRY

    def get(self, name: str, key: Hashable) -> Any:
        """The stored value, or MISSING (absent, unshareable key, or store unavailable)."""
        address = self._address(name, key)
        if address is None or not self._available():
            return MISSING
        try:
            blob = self._client.get(address)
        except self._errors as err:
            self._failed(err)
            return MISSING
        if blob is None:
            return MISSING
        try:
            return pickle.loads(cast(bytes, blob))  # the deployment's own store
        except Exception:  # written by other code (the digest makes that unlikely): compute instead
            return MISSING

    def put(self, name: str, key: Hashable, value: Any, ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds (skipped when too large, unshareable or unavailable)."""
        address = self._address(name, key)
        if address is None or not self._available():
            return
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):  # a value that cannot travel stays here
            return
        if len(blob) > MAX_VALUE_BYTES:
            return
        try:
            self._client.set(address, blob, px=int(ttl * 1000))
        except self._errors as err:
            self._failed(err)


def connect_from_environment() -> RedisTier | None:
    """The tier named by OPTVIZ_REDIS_URL, installed under every shared cache (None if unset)."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        return None
    try:
        tier: RedisTier | None = RedisTier(url)
    except ImportError:
        _without_store(f"{ENV} is set but the redis package is not installed (pip install 'optviz[redis]')")
        tier = None
    except ValueError as err:  # redis-py's word on a URL it cannot read
        _without_store(f"{ENV}={url!r} is not a Redis URL ({err}); e.g. redis://host:6379/0")
        tier = None
    set_tier(tier)
    return tier


def _without_store(reason: str) -> None:
    print(f"optviz: {reason}; each process keeps its own results", file=sys.stderr)
