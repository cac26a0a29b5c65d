"""Process-wide JAX settings: one CPU device per core, a persistent compilation cache.

One device per core: XLA's CPU client runs one device's calls one after another, and on this
2-core VM spreading a single call over both cores gained nothing (a sweep ran as fast pinned to
one core); split over two devices, the sweep's cells run at once, about twice as fast. With
512-bit vectors where the CPU has them.

Importing optviz changes nothing in the process. The entry points call :func:`tune_for_this_cpu`
first thing, and say so where they do: the app's entry script (optviz.app.main), the launcher's
boot (optviz.app.kit.boot), the command line (optviz.cli.main) and the test suite's conftest.
A library user who wants the same calls it before running anything on JAX.

The cache: a fresh server loads the optimizers' compiled programs from disk instead of
compiling them again, which is most of a cold start.
"""

from __future__ import annotations

import os
import sys

_done = False


def tune_for_this_cpu() -> dict[str, int]:
    """Before JAX starts its backend: one CPU device per core, and 512-bit vectors in XLA's loops
    where the CPU has AVX-512. Each is left alone if the user chose it (JAX_NUM_CPU_DEVICES,
    XLA_FLAGS) or if JAX's backend has already started; returns what was set.

    Does not import JAX (a page sends its placeholder chart before that import): if JAX is not
    imported yet, the settings go into the environment, which JAX and XLA read when they start;
    if it is, through ``jax.config``, its public settings API, which refuses once the backend runs."""
    done: dict[str, int] = {}
    jax = sys.modules.get("jax")
    flags = os.environ.get("XLA_FLAGS", "")
    chosen = "JAX_NUM_CPU_DEVICES" in os.environ or "xla_force_host_platform_device_count" in flags
    if not chosen and (jax is None or getattr(jax.config, "jax_num_cpu_devices", -1) < 0):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if jax is None:
            os.environ["JAX_NUM_CPU_DEVICES"] = str(cores)
            done["cpu_devices"] = cores
        else:
            try:
                jax.config.update("jax_num_cpu_devices", cores)
                done["cpu_devices"] = cores
            except RuntimeError:  # the backend has started: keep what it has, and its flags too
                return done
    if "xla_cpu_prefer_vector_width" not in flags and _has_avx512():
        # Elementwise results do not change with the width; the sweep's cell loop ran 1.3x
        # faster on this AMD EPYC. Read by XLA when the backend starts (harmless after).
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_prefer_vector_width=512").strip()
        done["vector_width"] = 512
    return done


def _has_avx512() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return " avx512f" in f.read(1 << 16)
    except OSError:
        return False


def enable_compilation_cache(path: str | None = None) -> str:
    """Keep compiled XLA programs in ``path`` (default: $OPTVIZ_JAX_CACHE or ~/.cache/optviz/jax)."""
    global _done
    import jax

    path = (
        path or os.environ.get("OPTVIZ_JAX_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "optviz", "jax")
    )
    if not _done:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
        _done = True
    return path
