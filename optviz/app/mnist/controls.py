"""The MNIST page's controls: built from its view, read back into a new view, fitted to the data."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz.app.kit.boxes import number_box
from optviz.app.kit.notes import spec_lines
from optviz.app.kit.rules import rules_box
from optviz.app.kit.views import fresh, seed
from optviz.core.limits import MAX_BATCH, MAX_EPOCHS, MAX_SEED, MAX_TEST, MAX_TRAIN
from optviz.core.optimizers.rules import in_scope
from optviz.core.problems.mnist_data import Mnist
from optviz.core.problems.mnist_models import MODELS
from optviz.core.spec import SpecError, check_network, format_spec, parse_spec
from optviz.link import MnistConfig

Problems = list[tuple[str, str]]


def _widget_values(cfg: MnistConfig) -> dict:
    return {
        "mn_model": cfg.model,
        "mn_opts": "\n".join(format_spec(s) for s in cfg.specs),
        "mn_epochs": cfg.epochs,
        "mn_batch": cfg.batch,
        "mn_train": cfg.train,
        "mn_test": cfg.test,
        "mn_seed": cfg.seed,
        "mn_folder": "",
        "mn_pred": cfg.pred,
        "mn_dirs": cfg.directions,
        "mn_grid": cfg.grid,
        "mn_eos": format_spec(cfg.eos),
        "mn_eos_steps": cfg.eos_steps,
        "mn_eos_images": cfg.eos_images,
        "mn_rules": "\n".join(cfg.rules),
    }


def sidebar(cfg: MnistConfig) -> tuple[MnistConfig, Problems, str]:
    """Draw the race's controls (seeded from ``cfg``); returns the view, refusals, and the data folder typed."""
    seed(_widget_values(cfg), overwrite=fresh("mnist"))
    ss = st.session_state
    st.selectbox("Model", list(MODELS), key="mn_model", format_func=lambda m: MODELS[m].title)
    st.text_area(
        "Optimizers, one SPEC a line",
        key="mn_opts",
        help="name[:key=value,...], as on the command line; the seed's three by default",
    )
    c1, c2 = st.columns(2)
    number_box(c1, "epochs", "mn_epochs", 1, MAX_EPOCHS, whole=True)
    number_box(c2, "batch size", "mn_batch", 1, MAX_BATCH, whole=True)
    number_box(c1, "training images", "mn_train", 1, MAX_TRAIN, whole=True, step=1000)
    number_box(c2, "test images", "mn_test", 1, MAX_TEST, whole=True, step=500)
    number_box(c1, "seed", "mn_seed", 0, MAX_SEED, whole=True)
    folder = st.text_input(
        "Full MNIST folder (optional)",
        key="mn_folder",
        help="a folder with the four IDX files; empty: $OPTVIZ_MNIST_DIR, the downloaded copy, "
        "or the bundled subset of 12,000 + 2,000",
    )
    rules, problems = rules_box("mn_rules")
    with in_scope(rules):  # the lines may name them
        specs, more = spec_lines(ss["mn_opts"], cfg.specs, check_network)
    problems += more
    # The view's controls below the results (whose predictions, the landscape's settings) are
    # read here too, so the page writes its whole view into the link once.
    ss["mn_pred"] = min(int(ss["mn_pred"]), len(specs) - 1)
    new = replace(
        cfg,
        model=ss["mn_model"],
        specs=specs,
        epochs=int(ss["mn_epochs"]),
        batch=int(ss["mn_batch"]),
        train=int(ss["mn_train"]),
        test=int(ss["mn_test"]),
        seed=int(ss["mn_seed"]),
        pred=ss["mn_pred"],
        directions=ss["mn_dirs"],
        grid=int(ss["mn_grid"]),
        eos=_eos_spec(cfg, problems),
        eos_steps=int(ss["mn_eos_steps"]),
        eos_images=int(ss["mn_eos_images"]),
        rules=rules,
    )
    return new, problems, folder


def _eos_spec(cfg: MnistConfig, problems: Problems):
    """The edge-of-stability experiment's optimizer (its box is drawn with the experiment)."""
    text = st.session_state["mn_eos"]
    try:
        spec = parse_spec(text)
        check_network(spec)
        return spec
    except SpecError as err:
        problems.append((f"The edge-of-stability optimizer {text!r}", f"{err}; keeping {format_spec(cfg.eos)}"))
        return cfg.eos


def fit_to(cfg: MnistConfig, data: Mnist) -> tuple[MnistConfig, Problems]:
    """The view with sizes the data can give (the bundled subset has 12,000 + 2,000 images), and what changed."""
    problems: Problems = []
    train = min(cfg.train, len(data.train_images))
    test = min(cfg.test, len(data.test_images))
    batch = min(cfg.batch, train)
    for label, asked, got in (
        ("training images", cfg.train, train),
        ("test images", cfg.test, test),
        ("batch size", cfg.batch, batch),
    ):
        if got != asked:
            problems.append((f"The {label}", f"{asked:,} asked for, but the data gives {got:,}; using {got:,}"))
    return replace(cfg, train=train, test=test, batch=batch), problems
