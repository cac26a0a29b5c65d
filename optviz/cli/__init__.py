"""``optviz ...`` (and ``python -m optviz ...``): every command, reading its flags strictly through
the same parser as the links."""

from optviz.cli.main import main

__all__ = ["main"]
