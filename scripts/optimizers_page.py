"""Write docs/optimizers.md from the registry, as `optviz optimizers --json` prints it.

    python scripts/optimizers_page.py          # rewrite the page
    python scripts/optimizers_page.py --check  # exit 1 if the page is not what the registry says

tests/test_docs.py runs the check, so the page cannot go stale; `make docs` rewrites it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "optimizers.md"

INTRO = """\
# Optimizers

Generated from the registry by `scripts/optimizers_page.py` (do not edit by hand): the same
list feeds the command line, the app's controls, input validation, the stability charts and
the Learn page. `optviz optimizers --json` prints it.

A SPEC names one with its settings, `name[:key=value,...]` (`adam:lr=0.01,b1=0.9`); keys not
named take their defaults. Besides its own hyperparameters every optimizer takes the schedule
and clipping keys (`schedule`, `warmup`, `min_lr`, `lr_gamma`, `step_size`, `cooldown`, `clip`,
`clip_value`; see [the command line](cli.md#schedules-and-clipping)).

Each is checked against an independent reference over many steps with non-default
hyperparameters ([testing](testing.md)).
"""


def registry_json() -> list[dict]:
    """The registry exactly as the command line prints it."""
    from optviz.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["optimizers", "--json"]) == 0
    return json.loads(out.getvalue())


def _defaults(entry: dict) -> str:
    return ", ".join(f"{h['name']}={h['default']:g}" for h in entry["hparams"])


def _where(entry: dict) -> str:
    if entry["surface_note"]:
        return "MNIST only"
    if entry["network_note"]:
        return "2D surfaces only"
    return "surfaces and MNIST"


def render(entries: list[dict]) -> str:
    """The whole page: a summary table, then one section per optimizer."""
    lines = [INTRO, "| name | hyperparameters (defaults) | reference | runs on |", "|---|---|---|---|"]
    lines += [f"| [{e['name']}](#{e['name']}) | {_defaults(e)} | {e['reference']} | {_where(e)} |" for e in entries]
    for e in entries:
        lines += ["", f"## {e['name']}", "", f"**{e['display_name']}** ({e['family']}). {e['description']}", ""]
        lines.append(f"Reference: {e['reference']}." + (f" Here: {e['semantics']}." if e["semantics"] else ""))
        if e["network_settings"]:
            spec = ",".join(f"{k}={v:g}" for k, v in e["network_settings"].items())
            lines.append(f"On the MNIST networks: `{e['name']}:{spec}` (its defaults are tuned at another scale).")
        for note, where in ((e["surface_note"], "the 2D surfaces"), (e["network_note"], "networks")):
            if note:
                lines.append(f"Not offered on {where}: {note}.")
        lines += ["", "| key | default | allowed | meaning |", "|---|---|---|---|"]
        for h in e["hparams"]:
            low, high = ("(" if h["min_exclusive"] else "["), (")" if h["max_exclusive"] else "]")
            allowed = " or ".join(h["choices"]) if h.get("choices") else f"{low}{h['min']:g}, {h['max']:g}{high}"
            lines.append(f"| `{h['name']}` | {h['default']:g} | {allowed} | {h['help']} |")
        lines += ["", "Update rule:", "", "$$", r"\begin{gathered}", e["update_rule"].strip(), r"\end{gathered}", "$$"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/optimizers.md is stale")
    args = parser.parse_args()
    text = render(registry_json())
    if args.check:
        if PAGE.read_text() != text:
            print(f"{PAGE} is stale: run python scripts/optimizers_page.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
