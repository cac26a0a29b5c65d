"""The CLI contract: JSON shapes, strict JSON, and one-line errors with status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from optviz.cli.main import main
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.surfaces import SURFACES


def _strict(text: str):
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_surfaces_json(capsys):
    code, out, _ = run_cli(capsys, "surfaces", "--json")
    data = _strict(out)
    assert code == 0 and [d["name"] for d in data] == list(SURFACES)
    rosen = next(d for d in data if d["name"] == "rosenbrock")
    assert rosen["domain"] == [-2.0, 2.0, -1.0, 3.0] and rosen["minima"] == [[1.0, 1.0, 0.0]]
    assert {"name", "formula", "domain", "start", "minima"} <= set(rosen)


def test_optimizers_json_is_the_registry(capsys):
    code, out, _ = run_cli(capsys, "optimizers", "--json")
    assert code == 0
    data = _strict(out)
    assert [d["name"] for d in data] == list(REGISTRY)
    adam = next(d for d in data if d["name"] == "adam")
    assert [h["name"] for h in adam["hparams"]] == ["lr", "b1", "b2", "eps", "bias_correction"]
    assert adam["hparams"][0]["default"] == 0.001 and adam["hparams"][0]["log"] is True


def test_tables_without_json(capsys):
    assert run_cli(capsys, "surfaces")[1].splitlines()[0].split()[0] == "name"
    out = run_cli(capsys, "optimizers")[1]
    assert "swats" in out and "lr=0.001" in out


def test_run_json(capsys):
    code, out, _ = run_cli(
        capsys,
        "run",
        "--surface",
        "rosenbrock",
        "--start=-1.5,2",
        "--steps",
        "50",
        "--opt",
        "adam:lr=0.05,b1=0.8",
        "--opt",
        "sgd:lr=0.0005",
        "--json",
    )
    data = _strict(out)
    assert code == 0
    assert data["surface"] == "rosenbrock" and data["start"] == [-1.5, 2.0] and data["steps"] == 50
    adam, sgd = data["runs"]
    assert adam["optimizer"] == "adam"
    assert adam["hparams"] == {"lr": 0.05, "b1": 0.8, "b2": 0.999, "eps": 1e-8, "bias_correction": 1.0}
    assert len(adam["path"]) == 51 and len(adam["loss"]) == 51 and adam["diverged_at"] is None
    assert adam["path"][0] == [-1.5, 2.0] and adam["loss"][0] == pytest.approx(12.5)
    assert sgd["loss"][-1] < sgd["loss"][0]


def test_run_json_divergence_is_strict(capsys):
    code, out, _ = run_cli(
        capsys, "run", "--surface", "bowl", "--start=1,1", "--steps", "100", "--opt", "sgd:lr=10", "--json"
    )
    assert code == 0  # a diverged run is a result, not an error
    run = _strict(out)["runs"][0]
    assert run["diverged_at"] == 15 and len(run["path"]) == 15
    assert np.all(np.isfinite(run["loss"]))


def test_run_negative_start_without_equals(capsys):
    code, out, _ = run_cli(
        capsys, "run", "--surface", "bowl", "--start", "-0.5,-0.5", "--steps", "3", "--opt", "sgd", "--json"
    )
    assert code == 0 and _strict(out)["start"] == [-0.5, -0.5]


def test_run_table(capsys):
    code, out, _ = run_cli(
        capsys, "run", "--surface", "saddle", "--steps", "2000", "--opt", "sgd:lr=0.5", "--opt", "adam"
    )
    assert code == 0 and "step " in out and "adam" in out


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["run", "--surface", "nope", "--opt", "adam"], "--surface: unknown surface 'nope'; choose one of: bowl"),
        (["run", "--surface", "bowl", "--opt", "adamm"], "--opt: unknown optimizer 'adamm'"),
        (["run", "--surface", "bowl", "--opt", "adam:lr=0"], "--opt: adam: lr must satisfy 0 < lr <= 10 (got 0)"),
        (["run", "--surface", "bowl", "--opt", "adam:b1=1"], "b1 must satisfy 0 <= b1 < 1 (got 1)"),
        (["run", "--surface", "bowl", "--opt", "adam:lr=NaN"], "lr: 'NaN' is not a finite number"),
        (["run", "--surface", "bowl", "--opt", "adam:wd=1"], "unknown hyperparameter 'wd'"),
        (["run", "--surface", "bowl", "--opt", "adam:lr=x"], "lr: 'x' is not a number"),
        (
            ["run", "--surface", "bowl", "--opt", "adam", "--steps", "5001"],
            "steps: must be a whole number from 1 to 5000",
        ),
        (["run", "--surface", "bowl", "--opt", "adam", "--steps", "ten"], "steps: 'ten' is not a number"),
        (["run", "--surface", "bowl", "--opt", "adam", "--start=1"], "--start: expected two numbers X,Y"),
        (["run", "--surface", "bowl", "--opt", "adam", "--noise", "-1"], "noise: must satisfy 0 <= noise"),
        (["run", "--surface", "bowl"], "the following arguments are required: --opt"),
        (["run", "--opt", "adam"], "required: --surface"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_input_one_line_status_2(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], err


def test_real_process_exit_codes_and_no_traceback():
    ok = subprocess.run(
        [sys.executable, "-m", "optviz", "run", "--surface", "booth", "--steps", "5", "--opt", "adam", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and len(_strict(ok.stdout)["runs"][0]["path"]) == 6
    bad = subprocess.run(
        [sys.executable, "-m", "optviz", "run", "--surface", "booth", "--opt", "adam:lr=inf"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "lr" in bad.stderr


def test_run_custom_surface_json(capsys):
    code, out, _ = run_cli(
        capsys,
        "run",
        "--surface",
        "custom",
        "--expr",
        "(x - 1)**2 + 2*(y + 0.5)**2",
        "--domain=-3,3,-3,3",
        "--start=2,2",
        "--steps",
        "300",
        "--opt",
        "adam:lr=0.05",
        "--json",
    )
    data = _strict(out)
    assert code == 0 and data["surface"] == "custom"
    assert data["runs"][0]["path"][-1] == pytest.approx([1.0, -0.5], abs=1e-2)


def test_run_custom_surface_starting_where_f_is_not_finite(capsys):
    code, out, _ = run_cli(
        capsys,
        "run",
        "--surface",
        "custom",
        "--expr",
        "log(x)",
        "--start=-1,0",
        "--steps",
        "5",
        "--opt",
        "sgd",
        "--json",
    )
    run = _strict(out)["runs"][0]
    assert code == 0 and run["diverged_at"] == 0 and run["path"] == []


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["--surface", "custom", "--opt", "adam"], "--expr: --surface custom needs a formula"),
        (["--surface", "custom", "--expr", "import os", "--opt", "adam"], "--expr: invalid syntax"),
        (
            ["--surface", "custom", "--expr", "x.__class__", "--opt", "adam"],
            "'x.__class__' (Attribute) is not allowed at position 1",
        ),
        (["--surface", "custom", "--expr", "9**9**9**9", "--opt", "adam"], "exponent '9**9**9' is too large"),
        (
            ["--surface", "custom", "--expr", "x", "--domain", "0,1", "--opt", "adam"],
            "--domain: expected XMIN,XMAX,YMIN,YMAX",
        ),
        (["--surface", "bowl", "--expr", "x", "--opt", "adam"], "--expr and --domain go with --surface custom"),
    ],
)
def test_custom_surface_errors(capsys, argv, fragment):
    code, out, err = run_cli(capsys, "run", *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and fragment in err, err


@pytest.mark.parametrize(
    "command,argv,flag",
    [
        ("run", ["--surface", "custom", "--expr", "x+" * 5000 + "y", "--opt", "adam"], "--expr"),
        ("run", ["--surface", "bowl", "--opt", "adam:lr=0.01" + "0" * 9000], "--opt"),
        ("mnist", ["--model", "logreg", "--opt", "sgd:lr=0.1" + "0" * 9000], "--opt"),
    ],
)
def test_flags_longer_than_a_link_are_refused_not_replaced_by_the_defaults(capsys, command, argv, flag):
    # The link reader shows the default view for an over-long query; a command must not run it.
    code, out, err = run_cli(capsys, command, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert f"{flag}: too long" in err and "at most 8000 are read" in err
