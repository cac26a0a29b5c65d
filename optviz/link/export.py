"""What each page exports: its numbers as CSV, its configuration (and link) as JSON.

Pure functions of a page's configuration and results; the pages offer them as downloads,
built only when clicked. Floats are written with ``repr``, so they read back exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from urllib.parse import urlencode

import numpy as np

from optviz.core.analysis.compare import Comparison
from optviz.core.spec import format_axis, format_spec
from optviz.link import MnistConfig, RaceConfig, SweepConfig
from optviz.link.surfaces_view import SurfacesConfig


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _number(v) -> str:
    """A cell: exact float text, empty for a missing value."""
    if v is None:
        return ""
    v = float(v)
    return "" if np.isnan(v) else repr(v)


def _json(config: dict, query: dict, **extra) -> str:
    return json.dumps({**config, "query": urlencode(query, doseq=True), **extra}, indent=2, allow_nan=False)


def paths_csv(cfg: SurfacesConfig, runs) -> str:
    """Every path as rows of run, optimizer, spec, step, x, y, loss."""
    rows = []
    for i, (spec, run) in enumerate(zip(cfg.race.specs, runs)):
        text = format_spec(spec, full=True)
        rows += [
            [i, run.optimizer, text, step, _number(x), _number(y), _number(f)]
            for step, ((x, y), f) in enumerate(zip(run.path, run.loss))
        ]
    return _csv(["run", "optimizer", "spec", "step", "x", "y", "loss"], rows)


def race_json(cfg: SurfacesConfig, runs=None) -> str:
    """The race, complete (every hyperparameter, schedule and clipping), the surface's own domain,
    and its link."""
    race: RaceConfig = cfg.race
    return _json(
        {
            "surface": race.surface,
            "expr": race.expr or None,
            "domain": list(race.surface_obj().domain),
            "start": list(race.start),
            "steps": race.steps,
            "opt": [format_spec(s, full=True) for s in race.specs],
            "hparams": [s.hparams for s in race.specs],
            "common": [s.common for s in race.specs],
            "noise": race.noise,
            "seed": race.seed,
        },
        cfg.to_query(),
    )


def sweep_csv(cfg: SweepConfig, results) -> str:
    """One row per optimizer and cell: the axis values and every metric."""
    rows = []
    for spec, r in zip(cfg.specs, results):
        for i, yv in enumerate(cfg.y.values):
            for j, xv in enumerate(cfg.x.values):
                basin = "" if r.minimum_index is None or r.minimum_index[i, j] < 0 else int(r.minimum_index[i, j])
                rows.append(
                    [
                        format_spec(spec, full=True),
                        _number(xv),
                        _number(yv),
                        _number(r.final_loss[i, j]),
                        "" if r.steps_to_tol[i, j] < 0 else int(r.steps_to_tol[i, j]),
                        int(r.diverged[i, j]),
                        int(r.diverged_at[i, j]) if r.diverged[i, j] else "",
                        _number(r.final_point[i, j, 0]),
                        _number(r.final_point[i, j, 1]),
                        basin,
                    ]
                )
    return _csv(
        [
            "optimizer",
            cfg.x.key,
            cfg.y.key,
            "final_loss",
            "steps_to_tol",
            "diverged",
            "diverged_at",
            "final_x",
            "final_y",
            "minimum_index",
        ],
        rows,
    )


def sweep_json(cfg: SweepConfig, results) -> str:
    """The grid's configuration, its link, and each optimizer's metrics in the CLI's JSON shape."""
    return _json(
        {
            "surface": cfg.surface,
            "opt": [format_spec(s, full=True) for s in cfg.specs],
            "x": format_axis(cfg.x),
            "y": format_axis(cfg.y),
            "start": list(cfg.start),
            "steps": cfg.steps,
            "tol": cfg.tol,
        },
        cfg.to_query(),
        results=[{"optimizer": format_spec(s, full=True), **r.to_json()} for s, r in zip(cfg.specs, results)],
    )


def mnist_csv(cfg: MnistConfig, runs: Sequence, log_every: int) -> str:
    """Every curve: training loss every ``log_every`` steps, and train and test accuracy per epoch."""
    rows = []
    for spec, r in zip(cfg.specs, runs):
        text = format_spec(spec, full=True)
        rows += [[text, "train_loss", "step", k * log_every, _number(v)] for k, v in enumerate(r.train_loss)]
        rows += [[text, "train_accuracy", "epoch", e + 1, _number(v)] for e, v in enumerate(r.train_accuracy)]
        rows += [[text, "test_accuracy", "epoch", e + 1, _number(v)] for e, v in enumerate(r.test_accuracy)]
    return _csv(["optimizer", "curve", "x", "x_value", "value"], rows)


def mnist_json(cfg: MnistConfig, runs: Sequence, source: str = "") -> str:
    """The race's configuration, its link, where the data came from, and each run's results."""
    return _json(
        {
            "model": cfg.model,
            "opt": [format_spec(s, full=True) for s in cfg.specs],
            "epochs": cfg.epochs,
            "batch": cfg.batch,
            "train": cfg.train,
            "test": cfg.test,
            "seed": cfg.seed,
            "data": source,
        },
        cfg.to_query(),
        runs=[r.to_json() for r in runs],
    )


def compare_csv(result: Comparison) -> str:
    """One row per (problem, optimizer): steps to target (empty if never) and the tuned settings."""
    rows = [
        [
            problem["surface"],
            *problem["start"],
            name,
            "" if int(result.steps[p, j]) < 0 else int(result.steps[p, j]),
            json.dumps(result.tuned[p][j]),
        ]
        for p, problem in enumerate(result.problems)
        for j, name in enumerate(result.optimizers)
    ]
    return _csv(["surface", "start_x", "start_y", "optimizer", "steps_to_target", "tuned"], rows)


def compare_json(result: Comparison) -> str:
    """The CLI's JSON."""
    return json.dumps(result.to_json(), allow_nan=False)
