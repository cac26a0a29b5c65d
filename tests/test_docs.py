"""The docs cannot rot: their command examples run, the optimizers page is what the registry
says, the README stays short, and the site builds."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optviz.cli.main import main as optviz
from tests.paths import ROOT

DOCS = sorted(Path(ROOT, "docs").glob("*.md")) + [Path(ROOT, "README.md"), Path(ROOT, "CONTRIBUTING.md")]
# `$ optviz ...` lines in ```console blocks: the examples a reader copies.
EXAMPLE = re.compile(r"^\$ (optviz .+)$", re.MULTILINE)
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
PYTHON = re.compile(r"```python\n(.*?)```", re.DOTALL)

# Commands a test run must not start: long-lived servers (tests/test_packaging.py and
# tests/cli/test_serve.py run those).
SERVERS = ("optviz app", "optviz serve")


def _examples() -> list[tuple[str, str]]:
    found = []
    for page in DOCS:
        for block in BLOCK.findall(page.read_text()):
            found += [(page.name, cmd) for cmd in EXAMPLE.findall(block) if not cmd.startswith(SERVERS)]
    return found


def test_the_docs_have_examples_to_run():
    pages = {page for page, _ in _examples()}
    assert {"cli.md", "README.md"} <= pages


@pytest.mark.parametrize(("page", "command"), _examples(), ids=lambda v: v[:60] if isinstance(v, str) else v)
def test_every_command_example_runs(page, command):
    argv = shlex.split(command)[1:]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = optviz(argv)
    assert status == 0, f"{page}: `{command}` exited {status}"
    text = out.getvalue()
    assert text.strip(), f"{page}: `{command}` printed nothing"
    if "--json" in argv:
        json.loads(text)


@pytest.mark.parametrize(
    ("page", "code"),
    [(p.name, code) for p in DOCS for code in PYTHON.findall(p.read_text())],
)
def test_every_python_example_runs(page, code):
    exec(compile(code, f"{page} example", "exec"), {"__name__": "docs_example"})


def test_the_optimizers_page_is_what_the_registry_says():
    out = subprocess.run(
        [sys.executable, str(Path(ROOT, "scripts", "optimizers_page.py")), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def test_the_readme_is_short():
    assert len(Path(ROOT, "README.md").read_bytes()) <= 10_000


def test_every_docs_link_to_a_file_finds_it():
    for page in DOCS:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which is missing"


def test_the_site_builds(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -r requirements-dev.lock)")
    out = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
