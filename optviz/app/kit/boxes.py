"""Number boxes that fit what is typed, as a link does: a value out of range becomes the nearest
allowed one, and the page says so.

Streamlit's own bounds (``min_value``/``max_value``) are enforced in the browser: a value outside
them stays in the box with "Press Enter to apply" while the page keeps drawing the old one, and
nothing says why. These boxes take any number and fit it on the server instead.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from optviz.app.kit.notes import input_problem
from optviz.core.spec import format_number

NOTES = "fitted_notes"  # session key: (box, what was done) for each value fitted since the last run


def fit_box(key: str, label: str, fit: Callable[[float], float], allowed: str) -> None:
    """The box ``key`` holds ``fit`` of its value; if that changed it, a note is kept for the page."""
    ss = st.session_state
    value = ss.get(key)
    if value is None:
        return
    fitted = fit(float(value))
    if fitted != value:
        ss[key] = type(value)(fitted) if isinstance(value, int) else fitted
        ss.setdefault(NOTES, []).append(
            (label, f"{allowed} (got {format_number(value)}); using the nearest allowed value, {format_number(fitted)}")
        )


def number_box(
    target,
    label: str,
    key: str,
    low: float,
    high: float,
    *,
    whole: bool = False,
    on_change: Callable | None = None,
    args: tuple = (),
    source: str | None = None,
    **kwargs,
):
    """``target.number_input`` with [low, high] fitted on the server (see the module's docstring).
    ``source`` names the box in the note (its label by default)."""

    def clamp(v: float) -> float:
        v = min(max(v, low), high)
        return float(round(v)) if whole else v

    allowed = (
        f"must be a whole number from {format_number(low)} to {format_number(high)}"
        if whole
        else f"must lie from {format_number(low)} to {format_number(high)}"
    )

    def changed() -> None:
        fit_box(key, source or label, clamp, allowed)
        if on_change is not None:
            on_change(*args)

    return target.number_input(label, key=key, on_change=changed, **kwargs)


def show_fitted() -> None:
    """Say which typed values were fitted since the last run (then forget them)."""
    for source, problem in st.session_state.pop(NOTES, []):
        input_problem(source, problem)
