"""The MNIST page's link: the race (model, optimizers, sizes, seed) and the loss landscape's settings.

``model``, ``opt`` (repeated, SPEC syntax), ``epochs``, ``batch``, ``train``, ``test``, ``seed``;
the view: ``directions`` (pca or random) and ``grid`` of the landscape, ``pred=K`` (whose test
predictions are shown, 1-based); the edge-of-stability experiment: ``eos`` (a SPEC), ``eos_steps``
and ``eos_images``. Sizes are checked against the limits here and against the
data actually loaded by the page (the bundled subset has 12,000 + 2,000 images).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optviz.core.limits import (
    MAX_BATCH,
    MAX_EOS_IMAGES,
    MAX_EOS_STEPS,
    MAX_EPOCHS,
    MAX_LANDSCAPE_GRID,
    MAX_SEED,
    MAX_TEST,
    MAX_TRAIN,
    MIN_LANDSCAPE_GRID,
)
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.mnist_models import MODELS
from optviz.core.spec import OptSpec, check_network, format_spec, parse_int, parse_seed, parse_spec
from optviz.link.query import Params, Query, Reader, too_long

DIRECTIONS = ("pca", "random")
DEFAULT_OPTS = ("adam", "sgd", "adagrad")
DEFAULT_EOS = "sgd:lr=0.2"


@dataclass(frozen=True)
class MnistConfig:
    """Everything the MNIST page shows."""

    model: str = "cnn"
    specs: tuple[OptSpec, ...] = field(default_factory=lambda: tuple(parse_spec(s) for s in DEFAULT_OPTS))
    epochs: int = 1
    batch: int = 60
    train: int = 6000
    test: int = 2000
    seed: int = 0
    directions: str = "pca"
    grid: int = 21
    pred: int = 0  # whose test predictions are shown (0-based)
    eos: OptSpec = field(default_factory=lambda: parse_spec(DEFAULT_EOS))  # full-batch training, sharpness measured
    eos_steps: int = 200
    eos_images: int = 500
    rules: tuple[str, ...] = ()  # typed optimizer rules the racers may name (optviz.core.optimizers.rules)

    @property
    def race_key(self) -> tuple:
        """What training depends on (the view left out): a cache key (a rule's SPEC names its text)."""
        return (self.model, self.specs, self.epochs, self.batch, self.train, self.test, self.seed)

    @classmethod
    def from_query(cls, params: Params, strict: bool = False) -> tuple[MnistConfig, list[str]]:
        """The configuration a link describes, and one warning per item that had to be replaced
        (``strict``: SpecError for the first, as the command line wants)."""
        problem = too_long(params, strict)
        if problem:
            return cls(), [problem]
        read = Reader(params, strict)
        rules = read.rules()
        with in_scope(rules):  # checked already: the racers may name them
            specs = read.specs("opt", MnistConfig().specs, check_network)
        train = read.value("train", lambda t: parse_int("train", t, 1, MAX_TRAIN), 6000, (1, MAX_TRAIN), whole=True)
        cfg = cls(
            model=read.choice("model", tuple(MODELS), "cnn"),
            specs=specs,
            epochs=read.value(
                "epochs", lambda t: parse_int("epochs", t, 1, MAX_EPOCHS), 1, (1, MAX_EPOCHS), whole=True
            ),
            batch=read.value(
                "batch",
                lambda t: parse_int("batch", t, 1, min(MAX_BATCH, train)),
                min(60, train),
                (1, min(MAX_BATCH, train)),
                whole=True,
            ),
            train=train,
            test=read.value("test", lambda t: parse_int("test", t, 1, MAX_TEST), 2000, (1, MAX_TEST), whole=True),
            seed=read.value("seed", parse_seed, 0, (0, MAX_SEED), whole=True),
            directions=read.choice("directions", DIRECTIONS, "pca"),
            grid=read.value(
                "grid",
                lambda t: parse_int("grid", t, MIN_LANDSCAPE_GRID, MAX_LANDSCAPE_GRID),
                21,
                (MIN_LANDSCAPE_GRID, MAX_LANDSCAPE_GRID),
                whole=True,
            ),
            pred=read.value("pred", lambda t: parse_int("pred", t, 1, len(specs)), 1, (1, len(specs)), whole=True) - 1,
            eos=read.value("eos", lambda t: _network_spec(read.spec("eos", t)), parse_spec(DEFAULT_EOS)),
            eos_steps=read.value(
                "eos_steps", lambda t: parse_int("eos_steps", t, 1, MAX_EOS_STEPS), 200, (1, MAX_EOS_STEPS), whole=True
            ),
            eos_images=read.value(
                "eos_images",
                lambda t: parse_int("eos_images", t, 1, MAX_EOS_IMAGES),
                500,
                (1, MAX_EOS_IMAGES),
                whole=True,
            ),
            rules=rules,
        )
        return cfg, read.warnings

    def to_query(self) -> Query:
        """The parameters that reproduce this configuration exactly (view items only where not default)."""
        query: Query = {
            "model": self.model,
            "opt": [format_spec(s) for s in self.specs],
            "epochs": str(self.epochs),
            "batch": str(self.batch),
            "train": str(self.train),
            "test": str(self.test),
        }
        if self.seed:
            query["seed"] = str(self.seed)
        if self.directions != "pca":
            query["directions"] = self.directions
        if self.grid != 21:
            query["grid"] = str(self.grid)
        if self.pred:
            query["pred"] = str(self.pred + 1)
        if format_spec(self.eos) != DEFAULT_EOS:
            query["eos"] = format_spec(self.eos)
        if self.eos_steps != 200:
            query["eos_steps"] = str(self.eos_steps)
        if self.eos_images != 500:
            query["eos_images"] = str(self.eos_images)
        if self.rules:
            query["rule"] = list(self.rules)
        return query


def _network_spec(spec: OptSpec) -> OptSpec:
    check_network(spec)
    return spec
