"""The project as others meet it: the dependency lists agree, the server settings agree, and the
wheel installs and runs from outside the checkout (its commands, its bundled data, its app)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from optviz.app.config import SETTINGS
from tests.paths import ROOT

PYPROJECT = tomllib.loads(Path(ROOT, "pyproject.toml").read_text())


def _requirements(path: Path) -> dict[str, Requirement]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    reqs = (Requirement(line) for line in lines if line and not line.startswith("-"))
    return {canonicalize_name(r.name): r for r in reqs}  # ml_dtypes in pyproject is ml-dtypes in a lock


def test_requirements_txt_lists_what_pyproject_lists():
    # Hosted platforms install requirements.txt; pip installs pyproject's list. One set of floors.
    declared = {
        canonicalize_name(r.name): str(r.specifier) for r in map(Requirement, PYPROJECT["project"]["dependencies"])
    }
    listed = {name: str(r.specifier) for name, r in _requirements(Path(ROOT, "requirements.txt")).items()}
    assert listed == declared


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_the_locks_pin_every_dependency_within_its_floor(lock):
    pinned = {name: r.specifier for name, r in _requirements(Path(ROOT, lock)).items()}
    wanted = list(PYPROJECT["project"]["dependencies"])
    if lock == "requirements-dev.lock":
        wanted += PYPROJECT["project"]["optional-dependencies"]["dev"]
    for req in map(Requirement, wanted):
        (version,) = [s.version for s in pinned[canonicalize_name(req.name)]]
        assert req.specifier.contains(version), f"{lock}: {req.name}=={version} is outside {req.specifier}"


def test_config_toml_holds_the_settings_optviz_app_passes():
    # `streamlit run app.py` (and a hosted platform) reads .streamlit/config.toml; `optviz app`
    # passes optviz.app.config.SETTINGS as flags. They must be the same settings.
    toml = tomllib.loads(Path(ROOT, ".streamlit", "config.toml").read_text())
    flat = {f"{section}.{key}": value for section, table in toml.items() for key, value in table.items()}
    assert flat == SETTINGS


# -- the wheel, installed into a fresh environment --------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the built wheel; its dependencies are borrowed from the test
    environment (a .pth line), so nothing is downloaded. Returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(work), ROOT],
        check=True,
        capture_output=True,
    )
    (wheel,) = work.glob("optviz-*.whl")
    env = work / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    site = next(env.glob("lib/python*/site-packages"))
    # A .pth line adds a folder to sys.path without running its own .pth files, so the test
    # environment's editable optviz stays out: the wheel's copy is the only one importable.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return env / "bin"


def _optviz(bin_dir: Path, *args: str, cwd: Path) -> str:
    out = subprocess.run([str(bin_dir / "optviz"), *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.server
def test_the_installed_command_runs_outside_the_checkout(installed, tmp_path):
    here = _optviz(installed, "--version", cwd=tmp_path)
    import optviz

    assert here.strip() == f"optviz {optviz.__version__}"
    where = subprocess.run(
        [str(installed / "python"), "-c", "import optviz; print(optviz.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed.parent) in where  # the wheel's copy, not the checkout's
    race = "run --surface rosenbrock --start=-1.5,2 --steps 100 --opt adam:lr=0.01 --json"
    run = json.loads(_optviz(installed, *race.split(), cwd=tmp_path))
    loss = run["runs"][0]["loss"]
    assert len(loss) == 101 and loss[-1] < loss[0]
    # MNIST from the subset the wheel carries (no files beside it, nothing downloaded).
    training = "mnist --model logreg --opt adam --epochs 1 --train-size 1000 --test-size 200 --json"
    mnist = json.loads(_optviz(installed, *training.split(), cwd=tmp_path))
    assert mnist["data"]["source"].startswith("bundled subset")
    assert mnist["runs"][0]["test_accuracy"][-1] > 0.3  # chance is 0.1


@pytest.mark.server
def test_the_installed_app_serves_a_page_outside_the_checkout(installed, tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))  # the protocol-level client
    from protocol import Session, free_port

    port = free_port()
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(
            [str(installed / "optviz"), "app", "--server.port", str(port), "--server.headless", "true"],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the app did not come up in 300 s"
                time.sleep(1)

        async def visit():
            s = Session(f"http://127.0.0.1:{port}", "surface=booth&opt=adam:lr=0.2")
            await s.connect()
            await s.rerun()
            await s.close()
            return s.exceptions, s.elements

        errors, elements = asyncio.run(visit())
        assert errors == []
        assert elements["r0_adam_lr"].value == pytest.approx(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert re.search(r"optviz: booted in", (tmp_path / "server.log").read_text())


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_streamlit_serves_on_uvloop_from_the_runtime_set():
    # Every element a rerun sends crosses from the script's thread to the server's event loop;
    # uvloop does that in C (docs/performance.md). Streamlit picks it up by this lookup.
    from streamlit.web import bootstrap

    assert bootstrap._get_uvloop_loop_factory() is not None
