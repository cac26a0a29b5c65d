"""Process-wide JAX settings for the app: a persistent compilation cache.

A fresh server then loads the optimizers' compiled programs from disk instead of compiling
them again, which is most of a cold start.
"""

from __future__ import annotations

import os

import jax

_done = False


def enable_compilation_cache(path: str | None = None) -> str:
    """Keep compiled XLA programs in ``path`` (default: $OPTVIZ_JAX_CACHE or ~/.cache/optviz/jax)."""
    global _done
    path = path or os.environ.get("OPTVIZ_JAX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "optviz", "jax")
    if not _done:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        _done = True
    return path
