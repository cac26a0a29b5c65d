"""Debian's Chromium for the browser tests: there or a clear skip (a failure in CI), and launched
the one way that works here (Playwright's own download does not)."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


def need_browser() -> None:
    """Skip the test where Playwright or Chromium is missing; in CI (.ci/run installs both) fail it."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")


def launch(p):
    """A headless Chromium from a running ``sync_playwright()`` ``p``."""
    return p.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    )
