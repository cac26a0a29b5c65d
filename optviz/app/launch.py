"""``optviz app [streamlit flags]`` (and ``python -m optviz.app.launch``, ``make run``): the app,
booted before it serves.

The process imports JAX, compiles every program a page could need and freezes its heap
(optviz.app.kit.boot) before Streamlit accepts its first connection, so no visitor waits for
start-up work. Everything after that is Streamlit's own `run` command on the package's entry
script (optviz/app/streamlit_app.py: an installed wheel runs from any folder), with the app's
server settings (optviz.app.config) and the user's flags.
"""

from __future__ import annotations

import os
import sys
import time

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "streamlit_app.py")


def rehearse() -> None:
    """Render every page once in-process (Streamlit's AppTest), before any visitor comes.

    A server's first script run pays for work Streamlit does once per process (compiling its
    emoji pattern for the page icon, inspecting the stack, importing element modules, Arrow's
    first table): 0.7 s on this machine, which the first visitor of each replica would wait for.
    """
    from streamlit.testing.v1 import AppTest

    from optviz.app.pages import PAGES, script_path

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    # The Compare page's default comparison is computed here too, into the shared cache: a class
    # sent to /compare finds it ready.
    for page in PAGES:
        if not page.default:
            at.switch_page(os.path.relpath(script_path(page), os.path.dirname(APP))).run()


def main(argv: list[str]) -> None:
    """Boot, then hand over to Streamlit's command line as `streamlit run app.py ARGV`."""
    from optviz.app.kit.boot import boot
    from optviz.app.pages import import_all

    times = boot(import_all)
    t = time.perf_counter()
    rehearse()
    times["rehearsal"] = time.perf_counter() - t
    print("optviz: booted in " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()), flush=True)
    from streamlit.web import cli

    from optviz.app.config import flags

    sys.argv = ["streamlit", "run", APP, *flags(argv)]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
