"""``optviz`` (or ``python -m optviz``): app, run, sweep, mnist, landscape, compare, lrfind, surfaces, optimizers,
warmup, serve; ``optviz --version``.

Flags are read with the same validators as the pages' links (optviz.link, optviz.core.spec). Bad
input exits with status 2 and one line on stderr naming the flag and what is allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence

import numpy as np

from optviz.cli.rules import rule_arg, rules_in
from optviz.core.limits import MAX_LANDSCAPE_GRID, MAX_STEPS, MAX_WORKERS, MIN_LANDSCAPE_GRID
from optviz.core.optimizers import REGISTRY
from optviz.core.optimizers.rules import RuleError
from optviz.core.problems.mnist_models import MODELS
from optviz.core.problems.surfaces import SURFACES
from optviz.core.spec import (
    SpecError,
    format_spec,
    parse_axis,
    parse_int,
    parse_noise,
    parse_number,
    parse_point,
    parse_seed,
    parse_surface_spec,
    parse_sweep_steps,
)
from optviz.link import MnistConfig, RaceConfig, SurfacesConfig


class UsageError(Exception):
    """A command-line mistake; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line instead of usage plus message.

    It also reads ``--start -1.5,2`` as a value: argparse's own test for negative numbers
    does not accept a comma, so any word that starts like a negative number counts as one.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str):
        raise UsageError(message)


def _dump(obj) -> str:
    return json.dumps(obj, allow_nan=False)


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def cmd_surfaces(args) -> str:
    """List the surface catalogue."""
    if args.json:
        return _dump([s.to_json() for s in SURFACES.values()])
    rows = [["name", "domain", "start", "minima"]]
    for s in SURFACES.values():
        minima = (
            "; ".join(f"({m.x:.4g}, {m.y:.4g}) f={m.f:.4g}" + (" local" if m.kind == "local" else "") for m in s.minima)
            or "none (unbounded below)"
        )
        rows.append([s.name, "[{:g},{:g}]x[{:g},{:g}]".format(*s.domain), "({:g}, {:g})".format(*s.start), minima])
    return _table(rows)


def cmd_optimizers(args) -> str:
    """List the optimizer registry."""
    if args.json:
        return _dump([o.to_json() for o in REGISTRY.values()])
    rows = [["name", "display name", "hyperparameters (defaults)"]]
    for o in REGISTRY.values():
        rows.append([o.name, o.display_name, ", ".join(f"{h.name}={h.default:g}" for h in o.hparams)])
    return _table(rows)


def _race(args) -> RaceConfig:
    """The race the flags describe, read by the link's reader (strictly: the first refusal is an error)."""
    if args.surface == "custom" and not args.expr:
        raise SpecError("expr: --surface custom needs a formula, e.g. --expr 'sin(3*x)*cos(3*y)'")
    if args.surface != "custom" and (args.expr is not None or args.domain is not None):
        raise SpecError("expr: --expr and --domain go with --surface custom")
    flags = {
        "surface": args.surface,
        "start": args.start,
        "steps": args.steps,
        "opt": _given(args.opt),
        "noise": args.noise,
        "seed": args.seed,
        "expr": args.expr,
        "domain": args.domain,
        "rule": getattr(args, "rule", None),  # the commands that take --rule
    }
    cfg, _ = SurfacesConfig.from_query({k: v for k, v in flags.items() if v is not None}, strict=True)
    return cfg.race


def _given(texts):
    if not texts:
        raise SpecError("opt: no optimizer given; add at least one, e.g. adam")
    return texts


def cmd_run(args) -> str:
    """Run a race and print its paths."""
    race = _race(args)
    import numpy as np

    from optviz.core.engine.trajectory import run_race  # JAX is imported only when there is work for it

    runs = run_race(race.surface_obj(), race.start, race.steps, list(race.specs), race.noise, race.seed)
    if args.json:
        from optviz.core.analysis.stability import stability

        def with_stability(r):
            extra = {
                k: [float(x) if np.isfinite(x) else None for x in v]
                for k, v in stability(r, race.surface_obj()).items()
            }
            return {**r.to_json(), **extra}

        return _dump(
            {
                "surface": race.surface,
                "start": [float(v) for v in race.start],
                "steps": race.steps,
                "noise": race.noise,
                "seed": race.seed,
                "runs": [with_stability(r) for r in runs],
            }
        )
    rows = [["optimizer", "final point", "final loss", "diverged at"]]
    for spec, r in zip(race.specs, runs):
        final = "({:.6g}, {:.6g})".format(*r.path[-1]) if len(r.path) else "-"
        rows.append(
            [
                format_spec(spec),
                final,
                f"{r.loss[-1]:.6g}" if len(r.loss) else "-",
                "-" if r.diverged_at is None else f"step {r.diverged_at}",
            ]
        )
    head = f"surface {race.surface}, start ({race.start[0]:g}, {race.start[1]:g}), {race.steps} steps"
    return head + "\n" + _table(rows)


def _parse_surface(args):
    """The surface of --surface (with --expr and --domain for a custom one), for the sweep command."""
    return _race(
        argparse.Namespace(**{**vars(args), "opt": ["sgd"], "steps": "1", "start": None, "noise": "0", "seed": "0"})
    ).surface_obj()


def cmd_sweep(args) -> str:
    """Run a grid of one optimizer and print its metrics."""
    surface = _parse_surface(args)
    with rules_in(args):
        try:
            spec = parse_surface_spec(args.opt)
        except SpecError as err:
            raise SpecError(f"opt: {err}") from None
    x = parse_axis("x", args.x, spec.name)
    y = parse_axis("y", args.y, spec.name)
    start = parse_point("start", args.start) if args.start is not None else surface.start
    steps = parse_sweep_steps(args.steps)
    tol = parse_number("tol", args.tol)
    if tol <= 0:
        raise SpecError(f"tol: must be > 0 (got {args.tol})")
    noise, seed = parse_noise(args.noise), parse_seed(args.seed)

    from optviz.core.engine.sweep import run_sweep

    result = run_sweep(surface, spec, x, y, start, steps, tol, noise, seed)
    if args.json:
        return _dump(result.to_json())
    cells = x.n * y.n
    best = result.best_cell()
    lines = [
        f"sweep of {format_spec(spec)} on {surface.name}: {x.key} ({x.n} values) x {y.key} ({y.n} values), "
        f"{steps} steps, {cells} runs in {result.seconds:.3f} s",
        f"diverged: {int(result.diverged.sum())} of {cells}",
        (
            f"reached loss - min <= {tol:g}: {int((result.steps_to_tol >= 0).sum())} of {cells}"
            if surface.f_min is not None
            else "steps to tolerance: no known minimum on this surface"
        ),
    ]
    if best is not None:
        i, j = best
        lines.append(
            f"best cell: {x.key}={x.values[j]:.6g}, {y.key}={y.values[i]:.6g}, final loss {result.final_loss[i, j]:.6g}"
        )
    return "\n".join(lines)


def _mnist_race(args, record_every: int | None = None):
    """Read the MNIST flags (as the page reads its link), load the data, run the race."""
    from optviz.core.engine.training import train_race
    from optviz.core.problems.mnist_data import MnistError, load

    flags = {
        "model": args.model,
        "opt": _given(args.opt),
        "epochs": args.epochs,
        "batch": args.batch_size,
        "train": args.train_size,
        "test": args.test_size,
        "seed": args.seed,
        "rule": getattr(args, "rule", None),  # the commands that take --rule
    }
    cfg, _ = MnistConfig.from_query(
        {k: v for k, v in flags.items() if v is not None}, strict=True
    )  # the limits; the data's own sizes in train_race
    try:
        data = load(args.data)
    except MnistError as err:
        raise SpecError(f"data: {err}") from None
    record = max(1, cfg.epochs * (cfg.train // cfg.batch) // record_every) if record_every else None
    runs = train_race(
        cfg.model, list(cfg.specs), data, cfg.epochs, cfg.batch, cfg.train, cfg.test, cfg.seed, record_every=record
    )
    return list(cfg.specs), data, runs, cfg.train, cfg.test, cfg.seed


def cmd_mnist(args) -> str:
    """Train a race of optimizers on MNIST and print their curves and accuracies."""
    specs, data, runs, train_size, test_size, _ = _mnist_race(args)
    if args.json:
        return _dump(
            {
                "model": args.model,
                "data": {"source": data.source, "train": train_size, "test": test_size},
                "runs": [r.to_json() for r in runs],
            }
        )
    rows = [["optimizer", "final train loss", "train accuracy", "test accuracy", "seconds"]]
    for spec, r in zip(specs, runs):
        rows.append(
            [
                format_spec(spec),
                f"{r.train_loss[-1]:.4f}",
                f"{r.train_accuracy[-1]:.2%}",
                f"{r.test_accuracy[-1]:.2%}",
                f"{r.seconds:.1f}",
            ]
        )
    return f"{args.model} on {data.source}: {train_size} training, {test_size} test images\n" + _table(rows)


def cmd_landscape(args) -> str:
    """Train a race with recorded parameters, then slice the loss along two directions."""
    grid = parse_int("grid", args.grid, MIN_LANDSCAPE_GRID, MAX_LANDSCAPE_GRID)
    from optviz.core.analysis.landscape import landscape

    _, data, runs, train_size, _, seed = _mnist_race(args, record_every=40)  # about 40 points a path
    n_eval = min(1000, train_size)
    result = landscape(
        args.model,
        runs,
        args.directions,
        grid,
        data.train_images[:n_eval],
        data.train_labels[:n_eval].astype(np.int32),
        seed,
    )
    as_list = lambda a: np.asarray(a, np.float64).tolist()
    if args.json:
        out = {k: (as_list(v) if k in ("alpha", "beta", "loss") else v) for k, v in result.items() if k != "paths"}
        out["paths"] = [
            {
                "optimizer": p["optimizer"],
                "coords": as_list(p["coords"]),
                "loss": as_list(p["loss"]),
                "slice_loss": as_list(p["slice_loss"]),
            }
            for p in result["paths"]
        ]
        return _dump(out)
    ev = result.get("explained_variance")
    head = f"{args.model}: {args.directions} slice, {grid}x{grid} grid" + (
        f", explained variance {ev[0]:.1%} and {ev[1]:.1%}" if ev else ""
    )
    rows = [["optimizer", "final (a, b)", "true loss", "slice loss there"]]
    for p in result["paths"]:
        a, b = p["coords"][-1]
        rows.append([p["optimizer"], f"({a:.3g}, {b:.3g})", f"{p['loss'][-1]:.4f}", f"{p['slice_loss'][-1]:.4f}"])
    return head + "\n" + _table(rows)


def cmd_warmup(args) -> str:
    """Compile the app's programs into the persistent JAX cache, so a fresh server starts fast."""
    from optviz.core.engine.devices import enable_compilation_cache

    path = enable_compilation_cache()
    from optviz.core.warmup import warm_up

    times = warm_up()
    return f"compiled and precomputed into {path}: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())


def cmd_serve(args) -> str:
    """Serve the app until SIGTERM or Ctrl-C."""
    from optviz.cli.serve import serve

    port = parse_int("port", args.port, 1, 65535)
    workers = parse_int("workers", args.workers, 1, MAX_WORKERS)
    status = serve(port, workers, args.address)
    if status:
        raise SystemExit(status)
    return "optviz: stopped"


def _surface_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--surface", required=True, help=f"one of: {', '.join(SURFACES)}, custom")
    p.add_argument("--expr", help="with --surface custom: f(x, y), e.g. 'sin(3*x)*cos(3*y) + 0.1*(x**2 + y**2)'")
    p.add_argument("--domain", help="with --surface custom: XMIN,XMAX,YMIN,YMAX (default -2,2,-2,2)")


def _noise_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--noise", default="0", help="gradient-noise sigma (default 0)")
    p.add_argument("--seed", default="0", help="noise seed (default 0)")
    p.add_argument("--json", action="store_true")


def _mnist_args(p: argparse.ArgumentParser, train: str, test: str) -> None:
    p.add_argument(
        "--data",
        help="a folder with the four MNIST IDX files (default: $OPTVIZ_MNIST_DIR, "
        "then ~/.cache/optviz/mnist, then the bundled subset)",
    )
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--opt", action="append", required=True, metavar="SPEC")
    rule_arg(p)
    p.add_argument("--epochs", default="1")
    p.add_argument("--batch-size", default="60")
    p.add_argument("--train-size", default=train)
    p.add_argument("--test-size", default=test)
    p.add_argument("--seed", default="0")
    p.add_argument("--json", action="store_true")


def cmd_app(args) -> str:
    """Boot the app, then serve it with Streamlit (blocks until the server stops)."""
    from optviz.app.launch import main as launch

    launch(args.flags)
    return ""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    from optviz import __version__

    parser = _Parser(
        prog="optviz",
        description="Adam and its peers: races on 2D surfaces and MNIST, sweeps, "
        "comparisons, and the app that draws them.",
    )
    parser.add_argument("--version", action="version", version=f"optviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "app", help="start the app in a browser tab ([streamlit flags], e.g. --server.port 8502)", add_help=False
    )
    p.add_argument("flags", nargs=argparse.REMAINDER, help="Streamlit's own flags, passed on")
    p.set_defaults(func=cmd_app)
    p = sub.add_parser("surfaces", help="list the test surfaces")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_surfaces)
    p = sub.add_parser("optimizers", help="list the optimizers and their hyperparameters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_optimizers)
    p = sub.add_parser("run", help="run optimizers from one start point")
    _surface_args(p)
    p.add_argument("--start", help="X,Y (write --start=-1.5,2 for negative numbers); default: the surface's")
    p.add_argument("--steps", default="200", help=f"1..{MAX_STEPS} (default 200)")
    p.add_argument(
        "--opt",
        action="append",
        required=True,
        metavar="SPEC",
        help="name[:key=value,...], e.g. adam:lr=0.01; repeat for a race",
    )
    rule_arg(p)
    _noise_args(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("sweep", help="run one optimizer over a grid of two hyperparameters or start coordinates")
    _surface_args(p)
    p.add_argument("--opt", required=True, metavar="SPEC", help="the optimizer and its fixed settings")
    p.add_argument("--x", required=True, metavar="KEY=LO:HI:N[:log]", help="the columns: a hyperparameter, or x / y")
    p.add_argument("--y", required=True, metavar="KEY=LO:HI:N[:log]", help="the rows")
    p.add_argument("--start", help="X,Y for hyperparameter grids (default: the surface's)")
    p.add_argument("--steps", default="500", help="1..2000 (default 500)")
    p.add_argument("--tol", default="1e-3", help="loss - min f counted as reached (default 1e-3)")
    rule_arg(p)
    _noise_args(p)
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("mnist", help="train optimizers on MNIST (the bundled subset unless --data)")
    _mnist_args(p, train="12000", test="2000")
    p.set_defaults(func=cmd_mnist)
    p = sub.add_parser("landscape", help="an MNIST model's loss surface with every optimizer's path on it")
    _mnist_args(p, train="6000", test="1000")
    p.add_argument("--directions", default="pca", choices=["pca", "random"])
    p.add_argument("--grid", default="21", help="points along each axis, 3..51 (default 21)")
    p.set_defaults(func=cmd_landscape)
    from optviz.cli.compare import add_parsers

    add_parsers(sub)
    p = sub.add_parser("warmup", help="compile the app's programs into the persistent cache")
    p.set_defaults(func=cmd_warmup)
    p = sub.add_parser("serve", help="serve the app: N Streamlit replicas behind a sticky HAProxy")
    p.add_argument("--port", default="8501", help="the port browsers connect to (default 8501)")
    p.add_argument(
        "--workers",
        default=str(os.cpu_count() or 1),
        help="Streamlit processes (default: the number of cores); 1 runs without a proxy",
    )
    p.add_argument("--address", default="0.0.0.0", help="the address to listen on (default: all)")
    p.set_defaults(func=cmd_serve)
    return parser


# The core names an item in neutral words (as links do); the command line says which flag it was.
FLAGS = {
    "surface": "--surface",
    "expr": "--expr",
    "domain": "--domain",
    "start": "--start",
    "steps": "--steps",
    "opt": "--opt",
    "noise": "--noise",
    "seed": "--seed",
    "tol": "--tol",
    "x": "--x",
    "y": "--y",
    "axes": "--x and --y",
    "model": "--model",
    "epochs": "--epochs",
    "batch": "--batch-size",
    "train": "--train-size",
    "test": "--test-size",
    "grid": "--grid",
    "directions": "--directions",
    "data": "--data",
    "port": "--port",
    "workers": "--workers",
    "starts": "--starts",
    "seeds": "--seeds",
    "budget": "--budget",
    "tune": "--tune",
    "surfaces": "--surfaces",
    "lr_min": "--lr-min",
    "lr_max": "--lr-max",
    "rule": "--rule",
}


def flag_message(message: str) -> str:
    """``message`` with its leading item named as the flag that gave it (``train: ...`` -> ``--train-size: ...``)."""
    item, sep, rest = message.partition(":")
    return f"{FLAGS[item]}:{rest}" if sep and item in FLAGS else message


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    from optviz.core.engine.devices import enable_compilation_cache, tune_for_this_cpu

    tune_for_this_cpu()  # one JAX CPU device per core, before anything starts JAX's backend
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["app"]:  # everything after it is Streamlit's (argparse would read --server.port as ours)
        cmd_app(argparse.Namespace(flags=argv[1:]))
        return 0
    try:
        args = build_parser().parse_args(argv)
        enable_compilation_cache()  # a second run of the same command loads its programs instead of compiling
        out = args.func(args)
        if out:
            print(out)
    except (UsageError, SpecError, RuleError) as err:
        print(f"optviz: error: {flag_message(str(err))}", file=sys.stderr)
        return 2
    return 0
