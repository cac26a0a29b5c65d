"""`optviz serve --workers 2` on loopback, for the tests that need real replicas behind HAProxy."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.paths import ROOT


def need(program: str, package: str) -> str:
    """The path of a Debian program the test drives; in CI (.ci/run installs it) a failure if
    missing, elsewhere a skip."""
    for path in (shutil.which(program), f"/usr/bin/{program}", f"/usr/sbin/{program}"):
        if path and os.path.exists(path):
            return path
    if os.environ.get("CI"):
        pytest.fail(f"{program} is missing: .ci/run should have installed {package}")
    pytest.skip(f"{program} is missing (apt-get install -y {package})")


@contextlib.contextmanager
def two_replicas(port: int, **env: str) -> Iterator[dict]:
    """Serve on ``port`` until the block ends: yields the proxy's address, the replicas' ports
    and the supervisor's process (once both replicas answer, each booted)."""
    need("haproxy", "haproxy")
    with open(os.devnull, "w") as log:  # the child keeps its own handle
        proc = subprocess.Popen(
            [sys.executable, "-m", "optviz", "serve", "--workers", "2", "--port", str(port), "--address", "127.0.0.1"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=dict(os.environ, PYTHONPATH=ROOT, **env),
        )
    try:
        line = proc.stdout.readline()  # "serving ... (ports A, B; ...)" once both replicas answer
        ports = [int(p) for p in re.search(r"ports ([\d, ]+);", line).group(1).split(", ")]
        yield {"base": f"http://127.0.0.1:{port}", "ports": ports, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
