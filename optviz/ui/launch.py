"""``python -m optviz.ui.launch [streamlit flags]``: `streamlit run app.py`, booted before it serves.

The process imports JAX, compiles every program a page could need and freezes its heap
(optviz.ui.boot) before Streamlit accepts its first connection, so no visitor waits for
start-up work. Everything after that is Streamlit's own `run` command, flags included.
"""

from __future__ import annotations

import os
import sys

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "app.py")


def main(argv: list[str]) -> None:
    """Boot, then hand over to Streamlit's command line as `streamlit run app.py ARGV`."""
    from optviz.ui.boot import boot

    times = boot()
    print("optviz: booted in " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()), flush=True)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", APP, *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
