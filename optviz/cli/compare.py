"""``python -m optviz compare`` and ``python -m optviz lrfind``: which optimizer, at which lr."""

from __future__ import annotations

import json

import numpy as np

from optviz.cli.rules import rule_arg, rules_in
from optviz.core.analysis.compare import DEFAULT_SURFACES, TUNES
from optviz.core.limits import MAX_BUDGET, MAX_RUNS, MAX_SEEDS, MAX_STARTS, MAX_SWEEP_STEPS
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import (
    SpecError,
    format_number,
    parse_int,
    parse_noise,
    parse_number,
    parse_spec,
    parse_surface_spec,
)


def _dump(obj) -> str:
    return json.dumps(obj, allow_nan=False)


def add_parsers(sub) -> None:
    """Register both subcommands."""
    p = sub.add_parser("compare", help="tune optimizers with one budget on a problem suite: performance profiles")
    p.add_argument(
        "--opt",
        action="append",
        required=True,
        metavar="SPEC",
        help=f"an optimizer and its fixed settings; repeat, up to {MAX_RUNS}",
    )
    rule_arg(p)
    p.add_argument(
        "--surfaces",
        default=",".join(DEFAULT_SURFACES),
        help=f"all, or NAME,NAME,... (default: {','.join(DEFAULT_SURFACES)})",
    )
    p.add_argument("--starts", default="3", help="start points per surface: its own, then drawn ones (default 3)")
    p.add_argument("--seeds", default="1", help="noise seeds per start (with --noise; default 1)")
    p.add_argument("--noise", default="0", help="gradient-noise sigma (default 0)")
    p.add_argument("--budget", default="12", help="trials per optimizer and problem (default 12)")
    p.add_argument(
        "--tune",
        default="lr",
        choices=TUNES,
        help="lr: a log grid of lr; all: a Halton sequence over every float hyperparameter's slider range",
    )
    p.add_argument("--steps", default="500", help="steps of every run, 1..2000 (default 500)")
    p.add_argument("--tol", default="1e-3", help="target: loss - min f <= tol (default 1e-3)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("lrfind", help="Smith's LR range test, checked against a grid of real runs")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--surface", help=f"one of: {', '.join(SURFACES)}")
    target.add_argument("--model", choices=["logreg", "mlp", "cnn"])
    p.add_argument("--opt", required=True, metavar="SPEC")
    p.add_argument("--steps", default="100", help="updates in the test and in each grid run (default 100)")
    p.add_argument("--lr-min", default="1e-5")
    p.add_argument("--lr-max", default="10")
    p.add_argument("--grid", default=None, help="constant-lr runs for the truth (default 24 on surfaces, 8 on MNIST)")
    p.add_argument("--data", help="MNIST: a folder with the four IDX files (default: the bundled subset)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lrfind)


def cmd_compare(args) -> str:
    """Tune, run, and print the steps-to-target table and the profile (or the JSON)."""
    from optviz.core.analysis.compare import compare

    specs = []
    with rules_in(args):
        for text in args.opt:
            try:
                specs.append(parse_surface_spec(text))
            except SpecError as err:
                raise SpecError(f"opt: {err}") from None
    names = list(SURFACES) if args.surfaces.strip() == "all" else [s.strip() for s in args.surfaces.split(",")]
    if args.surfaces.strip() == "all":
        names = [n for n in names if SURFACES[n].f_min is not None]
    result = compare(
        specs,
        names,
        parse_int("starts", args.starts, 1, MAX_STARTS),
        parse_int("seeds", args.seeds, 1, MAX_SEEDS),
        parse_int("budget", args.budget, 1, MAX_BUDGET),
        args.tune,
        parse_int("steps", args.steps, 1, MAX_SWEEP_STEPS),
        parse_number("tol", args.tol),
        parse_noise(args.noise),
    )
    if args.json:
        return _dump(result.to_json())
    out = result.to_json()
    lines = [
        f"{len(out['problems'])} problems; steps to loss - min f <= {args.tol} of each optimizer's best of "
        f"{args.budget} trials (tune {args.tune}); - where none reached it"
    ]
    header = ["surface", "start"] + out["optimizers"]
    rows = [header] + [
        [p["surface"], "({:.3g}, {:.3g})".format(*p["start"])] + ["-" if s is None else str(s) for s in row]
        for p, row in zip(out["problems"], out["steps"])
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    steps = np.where(result.steps < 0, np.nan, result.steps)
    lines.append(
        "wins (fewest steps, ties shared): "
        + ", ".join(f"{n} {int(w)}" for n, w in zip(out["optimizers"], _wins(result.steps)))
    )
    lines.append(
        "solved: "
        + ", ".join(
            f"{n} {int(np.sum(~np.isnan(steps[:, j])))} of {len(steps)}" for j, n in enumerate(out["optimizers"])
        )
    )
    lines.append(
        "robustness (fraction of trials x problems on target): "
        + ", ".join(f"{n} {format_number(round(v, 3))}" for n, v in out["robustness"].items())
    )
    return "\n".join(lines)


def _wins(steps: np.ndarray) -> np.ndarray:
    cost = np.where(steps < 0, np.inf, steps).astype(float)
    best = cost.min(axis=1, keepdims=True)
    return ((cost == best) & np.isfinite(best)).sum(axis=0)


def cmd_lrfind(args) -> str:
    """Run the range test and the grid; print the suggestions against the grid's best (or the JSON)."""
    from optviz.core.analysis.lrfind import lr_range_test_mnist, lr_range_test_surface

    k = parse_int("steps", args.steps, 10, 2000)
    lr_min, lr_max = parse_number("lr_min", args.lr_min), parse_number("lr_max", args.lr_max)
    try:
        spec = parse_spec(args.opt)
    except SpecError as err:
        raise SpecError(f"opt: {err}") from None
    if args.surface is not None:
        if args.surface not in SURFACES:
            raise SpecError(f"surface: unknown surface {args.surface!r}; choose one of: {', '.join(SURFACES)}")
        grid = parse_int("grid", args.grid or "24", 3, 64)
        test = lr_range_test_surface(SURFACES[args.surface], spec, None, k, lr_min, lr_max, grid)
        where = args.surface
    else:
        from optviz.core.problems.mnist_data import MnistError, load

        grid = parse_int("grid", args.grid or "8", 3, 64)
        try:
            data = load(args.data)
        except MnistError as err:
            raise SpecError(f"data: {err}") from None
        test = lr_range_test_mnist(args.model, spec, data, k, lr_min, lr_max, grid)
        where = args.model
    if args.json:
        return _dump(test.to_json())
    lines = [
        f"LR range test of {args.opt} on {where}: {len(test.lrs)} of {k} updates kept; "
        f"grid of {grid} constant-lr runs: best lr {test.best_lr:.3g}"
    ]
    for name, v in test.verdict().items():
        lines.append(
            f"  {name:7s} suggests lr {v['lr']:.3g}: {v['factor_from_best']:.3g}x from the grid's best; "
            f"mean loss {v['mean_loss']:.4g} against {v['best_mean_loss']:.4g}"
        )
    return "\n".join(lines)
