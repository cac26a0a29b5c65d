"""MNIST's data for every page that trains on it, loaded once per process and shared."""

from __future__ import annotations

from optviz.app.kit.cache import shared
from optviz.core.problems.mnist_data import Mnist, load, load_bundled


@shared(max_entries=4, ship=False)  # this machine's files
def dataset(folder: str) -> Mnist:
    """The data: ``folder``, else $OPTVIZ_MNIST_DIR, else the user's cache, else the bundled subset."""
    return load(folder or None)


@shared(max_entries=1, ship=False)
def bundled() -> Mnist:
    """The subset that ships with the app (always there)."""
    return load_bundled()
