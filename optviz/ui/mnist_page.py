"""The MNIST page: the seed's optimizer race on real data, live in the browser."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pandas as pd
import streamlit as st

from optviz.mnist.data import CACHE_DIR, MnistError, cached, download, load_bundled, load_folder
from optviz.mnist.models import MODELS
from optviz.mnist.train import TrainRun, check_sizes, train_race
from optviz.plots.common import PathData, color
from optviz.plots.curves import curves_figure
from optviz.plots.mnist import digits_figure
from optviz.spec import OptSpec, SpecError, format_spec, parse_int, parse_spec
from optviz.ui.charts import chart
from optviz.ui.notes import input_problem, link_warnings

MAX_CACHED = 8  # configurations whose results a session keeps
RECORDS = 16  # parameter snapshots per run, for the loss landscape
LANDSCAPE_BATCH = 500  # training images the landscape's loss is measured on


@st.cache_resource(show_spinner=False)
def _bundled():
    return load_bundled()


@st.cache_resource(show_spinner=False, max_entries=2)
def _folder(path: str):
    return load_folder(path)


def _data(folder: str):
    """The chosen folder, else the user's cache, else the bundled subset (with a way to get the full set)."""
    if folder.strip():
        try:
            return _folder(folder.strip())
        except MnistError as err:
            st.warning(f"Full MNIST unavailable ({err}); using the bundled subset instead.")
            return _bundled()
    if cached():
        try:
            return _folder(CACHE_DIR)
        except MnistError as err:
            st.warning(f"The cached copy of MNIST is damaged ({err}); using the bundled subset.")
            return _bundled()
    if st.sidebar.button("Download full MNIST (11 MB)", key="mn_download",
                         help="from public mirrors of the canonical files, each checked against its SHA-256"):
        bar = st.sidebar.progress(0.0, text="downloading…")
        try:
            download(progress=lambda done, total, name: bar.progress(min(done / total, 1.0) if total else 0.0,
                                                                     text=f"{name}: {done / 1e6:.1f} MB"))
            bar.empty()
            return _folder(CACHE_DIR)
        except MnistError as err:
            bar.empty()
            st.warning(f"Could not download MNIST ({err}). Offline? Using the bundled subset instead.")
    return _bundled()


def _specs(text: str) -> tuple[list[OptSpec], list[str]]:
    specs, errors = [], []
    for line in text.splitlines():
        if line.strip():
            try:
                specs.append(parse_spec(line))
            except SpecError as err:
                errors.append(str(err))
    return specs[:10], errors


def _labels(specs: list[OptSpec]) -> list[str]:
    labels = [s.label() for s in specs]
    return [f"{lab} #{i + 1}" if labels.count(lab) > 1 else lab for i, lab in enumerate(labels)]


def _curves(runs: list[TrainRun], labels: list[str], log_every: int):
    paths = [PathData(lab, np.zeros((0, 2)), np.zeros(0), color(i)) for i, lab in enumerate(labels)]
    losses = [np.asarray(r.train_loss) for r in runs]
    accuracy = [np.asarray(r.test_accuracy) for r in runs]
    return curves_figure(paths, [("training loss", losses, True, "step", log_every),
                                 ("test accuracy", [np.r_[np.nan, a] for a in accuracy], False, "epoch")])


LINK_KEYS = {"epochs": ("mn_epochs", 1, 20), "batch": ("mn_batch", 1, 1024), "train": ("mn_train", 60, 60_000),
             "test": ("mn_test", 10, 10_000), "seed": ("mn_seed", 0, 2**31 - 1)}


def _load_link() -> list[str]:
    """On a session's first visit, set the controls from ?model=&opt=SPEC&opt=...&epochs=&batch=&train=&test=&seed=."""
    ss = st.session_state
    if ss.get("mn_link_read"):
        return []
    ss["mn_link_read"] = True
    q = st.query_params
    if "model" not in q:
        return []  # not an MNIST link (perhaps another page's query, kept on navigation)
    warnings = []
    if q["model"] in MODELS:
        ss["mn_model"] = q["model"]
    else:
        warnings.append(f"model: {q['model']!r} is not one of {', '.join(MODELS)}")
    specs, errors = _specs("\n".join(q.get_all("opt")))
    warnings += [f"opt: {e}" for e in errors]
    if specs:
        ss["mn_opts"] = "\n".join(format_spec(sp) for sp in specs)
    for name, (key, lo, hi) in LINK_KEYS.items():
        if name in q:
            try:
                ss[key] = parse_int(name, q[name], lo, hi)
            except SpecError as err:
                warnings.append(str(err))
    return warnings


def page() -> None:
    """The whole page."""
    ss = st.session_state
    st.title("MNIST: the optimizer race on real data")
    link_warnings(_load_link())
    ss.setdefault("mn_model", "cnn")
    ss.setdefault("mn_opts", "adam\nsgd\nadagrad")
    for key, default in (("mn_epochs", 1), ("mn_batch", 60), ("mn_train", 6_000), ("mn_test", 2_000), ("mn_seed", 0)):
        ss.setdefault(key, default)
    with st.sidebar:
        model_name = st.selectbox("Model", list(MODELS), key="mn_model",
                                  format_func=lambda m: {"logreg": "Logistic regression", "mlp": "MLP 784-256-10",
                                                         "cnn": "CNN (the seed's)"}[m])
        text = st.text_area("Optimizers, one SPEC a line", key="mn_opts",
                            help="name[:key=value,...], as on the command line; the seed's three by default")
        c1, c2 = st.columns(2)
        epochs = c1.number_input("epochs", 1, 20, key="mn_epochs")
        batch = c2.number_input("batch size", 1, 1024, key="mn_batch")
        train_size = c1.number_input("training images", 60, 60_000, step=1000, key="mn_train")
        test_size = c2.number_input("test images", 10, 10_000, step=500, key="mn_test")
        seed = c1.number_input("seed", 0, 2**31 - 1, key="mn_seed")
        folder = st.text_input("Full MNIST folder (optional)", key="mn_folder",
                               help="a folder with the four IDX files; empty: the bundled subset of 12,000 + 2,000")
    data = _data(folder)
    specs, errors = _specs(text)
    for e in errors:
        input_problem("An optimizer line", f"{e}; that optimizer is left out")
    st.caption(f"Data: {data.source}.")
    try:
        check_sizes(data, int(epochs), int(batch), int(train_size), int(test_size))
    except SpecError as err:
        st.error(f"Cannot train: {err}")
        return

    model = MODELS[model_name]
    c1, c2 = st.columns([2, 1])
    chart(c1, digits_figure(data.train_images[:20], data.train_labels[:20]), key="mn_samples")
    c2.dataframe(pd.DataFrame({"layer": model.layers}), hide_index=True)
    c2.metric("trainable parameters", f"{model.param_count():,}")

    key = (model_name, tuple(format_spec(s, full=True) for s in specs), int(epochs), int(batch), int(train_size),
           int(test_size), int(seed), data.source)
    results: OrderedDict = ss.setdefault("mn_results", OrderedDict())
    log_every = max(1, (int(train_size) // int(batch)) // 50)
    record_every = max(1, int(epochs) * (int(train_size) // int(batch)) // RECORDS)
    if st.button("Train", type="primary", key="mn_train_button", disabled=not specs):
        st.button("Stop", key="mn_stop", help="ends training at the next epoch; what is done so far is kept")
        bar = st.progress(0.0, text="compiling…")
        live = st.empty()
        done: list[TrainRun] = []

        def progress(fraction: float, message: str, run: TrainRun) -> None:
            bar.progress(fraction, text=message)
            chart(live, _curves(done + [run], _labels(specs)[: len(done) + 1], log_every), key=None)

        for i, spec in enumerate(specs):
            run = train_race(model_name, [spec], data, int(epochs), int(batch), int(train_size), int(test_size),
                             int(seed), log_every, progress=lambda f, m, r, i=i: progress((i + f) / len(specs), m, r),
                             record_every=record_every)[0]
            done.append(run)
            ss["mn_partial"] = (key, list(done))
        bar.empty()
        live.empty()
        for old in results.values():  # parameter snapshots are large: keep only the newest race's
            for r in old:
                r.snapshots = []
        results[key] = done
        while len(results) > MAX_CACHED:
            results.popitem(last=False)
    runs = results.get(key)
    if runs is None and ss.get("mn_partial", (None,))[0] == key:
        runs = ss["mn_partial"][1]
        st.info(f"Training was stopped: showing the {len(runs)} optimizer(s) that finished.")
    if not runs:
        st.caption("Press Train: every optimizer starts from the same initialisation and sees the same batches.")
        return
    _results(runs, _labels(specs)[: len(runs)], data, int(test_size), log_every)
    _landscape_section(model_name, runs, _labels(specs)[: len(runs)], data, key, record_every)


def _results(runs: list[TrainRun], labels: list[str], data, test_size: int, log_every: int) -> None:
    chart(st, _curves(runs, labels, log_every), key="mn_curves")
    st.dataframe(pd.DataFrame([{"optimizer": lab, "test accuracy": r.test_accuracy[-1],
                                "train accuracy": r.train_accuracy[-1], "seconds": round(r.seconds, 2),
                                "switched to SGD at step": r.switched_at} for lab, r in zip(labels, runs)]),
                 hide_index=True)
    st.subheader("Training against test accuracy")
    st.caption("Wilson et al. (2017): adaptive methods can fit the training set better yet generalize worse. "
               "The gap is train accuracy minus test accuracy, per epoch.")
    paths = [PathData(lab, np.zeros((0, 2)), np.zeros(0), color(i)) for i, lab in enumerate(labels)]
    gaps = [np.asarray(r.train_accuracy) - np.asarray(r.test_accuracy) for r in runs]
    chart(st, curves_figure(paths, [("train − test accuracy", [np.r_[np.nan, g] for g in gaps], False, "epoch")],
                                  height=300), key="mn_gap")
    st.subheader("Test digits and predictions")
    choice = st.selectbox("Predictions of", list(range(len(runs))), format_func=lambda i: labels[i], key="mn_pred")
    preds = runs[choice].predictions
    wrong = np.nonzero(preds != data.test_labels[:test_size])[0]
    shown = np.concatenate([wrong[:20], np.setdiff1d(np.arange(40), wrong[:20])])[:40]
    shown.sort()
    chart(st, digits_figure(data.test_images[shown], data.test_labels[shown], preds[shown]), key="mn_digits")
    st.caption(f"{len(wrong)} of {test_size} test digits wrong ({len(wrong) / test_size:.1%}); mistakes in red.")


def _landscape_section(model_name: str, runs: list[TrainRun], labels: list[str], data, key, record_every: int) -> None:
    from optviz.mnist.landscape import landscape
    from optviz.plots.landscape import contour_figure, surface_figure

    st.subheader("Loss landscape")
    st.caption("A 2D slice of parameter space (Li et al., 2018) with every optimizer's recorded path projected onto "
               "it. PCA: the two directions along which the paths moved most, shared by all. Random: two "
               "filter-normalised directions through the first optimizer's final point.")
    if not all(r.snapshots for r in runs):
        st.caption("Train again to record the paths (only the newest race keeps them).")
        return
    c1, c2 = st.columns(2)
    directions = c1.radio("directions", ["pca", "random"], horizontal=True, key="mn_dirs")
    grid = c2.select_slider("grid", [11, 21, 31, 41, 51], 21, key="mn_grid")
    cache = st.session_state.setdefault("mn_landscapes", {})
    lkey = (key, directions, grid)
    if lkey not in cache and st.button("Compute the landscape", key="mn_landscape_go"):
        with st.spinner(f"{grid * grid} losses over {LANDSCAPE_BATCH} images…"):
            cache.clear()
            cache[lkey] = landscape(model_name, runs, directions, grid, data.train_images[:LANDSCAPE_BATCH],
                                    data.train_labels[:LANDSCAPE_BATCH].astype(np.int32))
    out = cache.get(lkey)
    if out is None:
        return
    paths = [PathData(lab, p["coords"].astype(np.float32), p["slice_loss"], color(i))
             for i, (lab, p) in enumerate(zip(labels, out["paths"]))]
    xs, ys, z = out["alpha"].astype(np.float32), out["beta"].astype(np.float32), out["loss"].astype(np.float32)
    floor = float(np.nanmin(z))
    start = tuple(paths[0].xy[0])
    a, b = st.columns(2)
    chart(a, surface_figure(xs, ys, z, paths, [], start, float(paths[0].loss[0]), floor, True, key="mn_land"),
                   key="mn_land3d")
    chart(b, contour_figure(xs, ys, z, paths, [], start, floor, True, key="mn_land"), key="mn_land2d")
    if "explained_variance" in out:
        ev = out["explained_variance"]
        st.caption(f"The two directions explain {ev[0]:.1%} and {ev[1]:.1%} of the paths' variance.")
    honest = [PathData(f"{lab}: true", np.zeros((0, 2)), np.zeros(0), color(i)) for i, lab in enumerate(labels)]
    honest += [PathData(f"{lab}: on the slice", np.zeros((0, 2)), np.zeros(0), color(i), dash="dash")
               for i, lab in enumerate(labels)]
    values = [p["loss"] for p in out["paths"]] + [p["slice_loss"] for p in out["paths"]]
    chart(st, curves_figure(honest, [("loss along each path", values, True, "step", record_every)], height=320),
                    key="mn_land_honest")
    st.caption("Real paths leave the plane: the true loss at each recorded point beside the slice's value where it "
               "projects. Where the two differ, the picture above is a shadow, not the path.")
