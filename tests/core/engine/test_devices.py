"""One CPU device per core (optviz.core.engine.devices), and sweeps that give the same numbers on any number of devices.

Each case runs in a fresh process: the number of devices is fixed when JAX starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.paths import ROOT

SWEEP = """
import json, numpy as np, jax
from optviz.core.spec import SweepAxis, parse_spec
from optviz.core.problems.surfaces import SURFACES
from optviz.core.engine.sweep import run_sweep
out = {"devices": len(jax.devices())}
cases = [("rosenbrock", "adam", SweepAxis("lr", 1e-4, 1.0, 23, True), SweepAxis("b1", 0.0, 0.99, 19), 0.0),
         ("himmelblau", "momentum", SweepAxis("x", -5, 5, 41), SweepAxis("y", -5, 5, 37), 0.05)]
for i, (surface, opt, x, y, noise) in enumerate(cases):
    r = run_sweep(SURFACES[surface], parse_spec(opt), x, y, None, 200, 1e-3, noise=noise, seed=3)
    out[i] = [np.nan_to_num(r.final_loss, nan=-1.0).tolist(), r.steps_to_tol.tolist(), r.diverged_at.tolist(),
              r.final_point.tolist()]
print(json.dumps(out))
"""


def _python(code: str, **env) -> str:
    full = {k: v for k, v in os.environ.items() if k not in ("JAX_NUM_CPU_DEVICES", "XLA_FLAGS")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**full, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout


TUNE = "from optviz.core.engine.devices import tune_for_this_cpu; tune_for_this_cpu(); "


def test_the_entry_points_ask_for_one_device_per_core_unless_the_user_chose():
    cores = len(os.sched_getaffinity(0))
    code = TUNE + "import jax; print(len(jax.devices()))"
    assert int(_python(code)) == cores
    assert int(_python(code, JAX_NUM_CPU_DEVICES="3")) == 3
    assert int(_python(code, XLA_FLAGS="--xla_force_host_platform_device_count=2")) == 2
    # JAX already running when the tuning comes: left as it is, no error
    assert int(_python("import jax; jax.numpy.ones(2).block_until_ready(); " + code)) == 1
    # JAX imported but not started: still one device per core
    assert int(_python("import jax; " + code)) == cores


def test_importing_optviz_changes_nothing_in_the_process():
    """No import-time side effects: JAX's settings are the entry points' business, and a page sends
    its placeholder chart before JAX is imported (optviz.app.kit.boot)."""
    # (JAX sets a couple of variables of its own when imported: those are JAX's, so it comes first.)
    code = (
        "import os, jax; before = dict(os.environ); import optviz, optviz.app.pages, optviz.link; "
        "print(os.environ == before)"
    )
    assert _python(code).strip() == "True"
    assert _python("import sys, optviz; print('jax' in sys.modules)").strip() == "False"
    assert int(_python("import optviz, jax; print(len(jax.devices()))")) == 1  # untouched: JAX's own default


def test_the_command_line_and_the_app_tune_the_process_first():
    cores = len(os.sched_getaffinity(0))
    code = (
        "from optviz.cli import main; import jax, io, contextlib; "
        "contextlib.redirect_stdout(io.StringIO()).__enter__(); main(['surfaces']); "
        "import sys; sys.stderr.write(str(len(jax.devices())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("JAX_NUM_CPU_DEVICES", "XLA_FLAGS")},
    )
    assert out.stderr.strip().endswith(str(cores))
    with open(os.path.join(ROOT, "optviz", "app", "main.py")) as f:
        source = f.read()
    assert source.index("tune_for_this_cpu()") < source.index("st.navigation")


def test_a_sweep_gives_the_same_numbers_on_one_device_and_on_three():
    one, three = (json.loads(_python(SWEEP, JAX_NUM_CPU_DEVICES=n)) for n in ("1", "3"))
    assert (one.pop("devices"), three.pop("devices")) == (1, 3)
    assert one == three
    assert any(v >= 0 for row in one["1"][1] for v in row)  # some runs reach the tolerance
