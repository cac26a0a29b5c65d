"""Messages about the user's own input, said the same way on every page.

Where a value came from is part of the message (a link, or a box the user typed in), and the
user's text is shown as typed: Markdown would otherwise turn ``sin(3*x)*cos(3*y)`` into italics.
"""

from __future__ import annotations

import re

import streamlit as st

NOT_REACHED = "–"  # what every page's tables show for a step that never came (never reached, no switch)


def or_dash(value) -> str:
    """A table cell: ``value``, or NOT_REACHED when there is none."""
    return NOT_REACHED if value is None else str(value)


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def md(text: str) -> str:
    """``text`` with every Markdown (and math) character escaped, so it shows verbatim."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def link_warnings(warnings: list[str]) -> None:
    """One warning naming every value of the link that could not be used, and what was used instead."""
    if warnings:
        items = "\n".join(f"- {md(w)}" for w in warnings)
        st.warning(f"This link had values that could not be used; the rest of the link is shown.\n\n{items}")


def input_problem(source: str, problem: str) -> None:
    """A value typed into ``source`` (a control's label) that was not used, and why."""
    st.warning(f"{md(source)} was not used: {md(problem)}")


def markdown_table(rows: list[dict]) -> str:
    """Rows (dicts with the same keys) as a Markdown table, every cell escaped.

    Cheaper to send than a dataframe (no Arrow table), and its cells wrap, so it fits a phone.
    """
    if not rows:
        return ""
    header = list(rows[0])
    cell = lambda v: "" if v is None else md(v).replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)


def spec_lines(text: str, previous: tuple, check) -> tuple[tuple, list[tuple[str, str]]]:
    """The optimizers of a text box, one SPEC a line, each passed through ``check`` (which
    raises SpecError for one this page cannot run); at most MAX_RUNS. Returns them and one
    (source, problem) per line left out; with none valid, ``previous`` is kept."""
    from optviz.core.limits import MAX_RUNS
    from optviz.core.spec import SpecError, format_spec, parse_spec

    specs, problems = [], []
    for line in text.splitlines():
        if line.strip():
            try:
                specs.append(check(parse_spec(line)))
            except SpecError as err:
                problems.append((f"The optimizer line {line.strip()!r}", f"{err}; that optimizer is left out"))
    if len(specs) > MAX_RUNS:
        problems.append(("The optimizers", f"{len(specs)} given; at most {MAX_RUNS}, so the first {MAX_RUNS} are used"))
        specs = specs[:MAX_RUNS]
    if not specs:
        problems.append(("The optimizers", "none is valid; keeping " + ", ".join(format_spec(s) for s in previous)))
        return tuple(previous), problems
    return tuple(specs), problems
