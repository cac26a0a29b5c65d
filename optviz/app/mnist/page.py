"""The MNIST page: the seed's optimizer race on real data, live in the browser.

Its view is a :class:`~optviz.link.MnistConfig`, kept in the link (optviz.app.kit.views). A finished
race is shared by every session that asks for the same configuration; a stopped one keeps
every epoch that finished, for the session that stopped it.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd
import streamlit as st

from optviz.app.kit.boxes import show_fitted
from optviz.app.kit.cache import Shared
from optviz.app.kit.charts import chart
from optviz.app.kit.data import bundled, dataset
from optviz.app.kit.jobs import compute_with_progress
from optviz.app.kit.notes import input_problem, link_warnings, or_dash
from optviz.app.kit.share import share_section
from optviz.app.kit.views import arrive, settle
from optviz.app.mnist import controls as controls
from optviz.app.mnist.edge import edge_section
from optviz.app.mnist.landscape import landscape_section
from optviz.core.engine.training import TrainRun, estimated_seconds, train_race
from optviz.core.numbers import sig
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.mnist_data import Mnist, MnistError, cached, download
from optviz.core.problems.mnist_models import MODELS
from optviz.link import MnistConfig
from optviz.link.export import mnist_csv, mnist_json
from optviz.plots.common import PALETTE, PathData
from optviz.plots.curves import curves_figure
from optviz.plots.mnist import digits_figure, factor_figure, input_factor_image

RACES = Shared(
    max_entries=6, name="mnist races"
)  # finished races, by configuration and data (a CNN race records ~140 MB of paths)
RECORDS = 16  # parameter snapshots per run, for the loss landscape


def page() -> None:
    """The whole page."""
    st.title("MNIST: the optimizer race on real data")
    cfg, warnings = arrive(MnistConfig, "mnist")
    link_warnings(warnings)
    with st.sidebar:
        cfg, problems, folder = controls.sidebar(cfg)
    data = _data(folder)
    cfg, more = controls.fit_to(cfg, data)
    show_fitted()
    for source, problem in problems + more:
        input_problem(source, problem)
    st.caption(f"Data: {data.source}.")
    _model_card(cfg, data)
    settle("mnist", cfg)
    key = (cfg.race_key, data.source)
    if st.button("Train", type="primary", key="mn_train_button"):
        train(cfg, data, key)
    runs, stopped = RACES.get(key), False
    if runs is None and st.session_state.get("mn_partial", (None,))[0] == key:
        runs, stopped = st.session_state["mn_partial"][1], True
    if not runs:
        st.caption("Press Train: every optimizer starts from the same initialisation and sees the same batches.")
    else:
        if stopped:
            st.info(f"Training was stopped: showing every epoch that finished ({stopped_note(cfg, runs)}).")
        results(cfg, runs, data)
        landscape_section(cfg, runs, labels(cfg)[: len(runs)], data, key)
    edge_section(cfg, data)
    _share(cfg, runs or [], data)


def _share(cfg: MnistConfig, runs: list[TrainRun], data: Mnist) -> None:
    """The link always (a configuration worth sharing before it is trained); the exports once there are results."""
    downloads = [
        ("Curves (CSV)", functools.partial(mnist_csv, log_every=log_every(cfg)), "text/csv", "csv"),
        (
            "Configuration and results (JSON)",
            functools.partial(mnist_json, source=data.source),
            "application/json",
            "json",
        ),
    ]
    # An export is built when clicked, from what the session keeps until it ends (two minutes
    # after its tab closes): the runs without their parameter snapshots (a CNN run's are ~47 MB,
    # and neither export holds them), so a class's finished sessions do not pin old races.
    slim = [dataclasses.replace(r, snapshots=[]) for r in runs]
    share_section("mnist", downloads if runs else [], cfg, slim)


def stopped_note(cfg: MnistConfig, runs: list[TrainRun]) -> str:
    """Every racer's progress when training was stopped, those never started included."""
    done = {i: r.epochs_done for i, r in enumerate(runs)}
    return "; ".join(
        f"{lab}: {done[i]} of {cfg.epochs} epochs" if i in done else f"{lab}: not started"
        for i, lab in enumerate(labels(cfg))
    )


def _data(folder: str) -> Mnist:
    """The chosen data, with a way to fetch the full set when only the bundled subset is here."""
    try:
        data = dataset(folder.strip())
    except MnistError as err:
        st.warning(f"Full MNIST unavailable ({err}); using the bundled subset instead.")
        return bundled()
    if not folder.strip() and not cached() and "bundled" in data.source:
        _offer_download()
    return data


def _offer_download() -> None:
    if st.sidebar.button(
        "Download full MNIST (11 MB)",
        key="mn_download",
        help="from public mirrors of the canonical files, each checked against its SHA-256",
    ):
        bar = st.sidebar.progress(0.0, text="downloading…")

        def show(done: int, total: int, name: str) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{name}: {done / 1e6:.1f} MB")

        try:
            download(progress=show)
            dataset.cache.clear()
            bar.empty()
            st.rerun()
        except MnistError as err:
            bar.empty()
            st.warning(f"Could not download MNIST ({err}). Offline? Using the bundled subset instead.")


def _model_card(cfg: MnistConfig, data: Mnist) -> None:
    model = MODELS[cfg.model]
    c1, c2 = st.columns([2, 1])
    chart(c1, digits_figure(data.train_images[:20], data.train_labels[:20]), key="mn_samples")
    c2.dataframe(pd.DataFrame({"layer": model.layers}), hide_index=True)
    c2.metric("trainable parameters", f"{model.param_count():,}")


def labels(cfg: MnistConfig) -> list[str]:
    """Legend labels, numbered where two racers would read the same."""
    names = [s.label() for s in cfg.specs]
    return [f"{n} #{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def log_every(cfg: MnistConfig) -> int:
    """Training loss is kept every this many steps (about 50 points an epoch)."""
    return max(1, (cfg.train // cfg.batch) // 50)


def train(cfg: MnistConfig, data: Mnist, key) -> None:
    """Train every optimizer in turn as one shared job (optviz.app.kit.jobs), drawing live curves.

    Every finished epoch is kept for this session as it comes, so Stop (which ends this
    session's watch, and the job once nobody else watches) leaves them on the page."""
    stop = st.empty()  # gone once training ends: a Stop button after the race has finished stops nothing
    stop.button("Stop", key="mn_stop", help="ends training at the next epoch; every epoch that finished is kept")
    live = st.empty()
    record = max(1, cfg.epochs * (cfg.train // cfg.batch) // RECORDS)

    def work(report) -> list[TrainRun]:
        done: list[TrainRun] = []
        for i, spec in enumerate(cfg.specs):

            def progress(fraction: float, message: str, run: TrainRun, i=i) -> None:
                # runs in this iteration, so `done` is this iteration's list
                report((i + fraction) / len(cfg.specs), message, [r.copy() for r in done] + [run.copy()])  # noqa: B023

            def tick(fraction: float, message: str, i: int = i) -> None:  # within an epoch: no new curves
                report((i + fraction) / len(cfg.specs), message)

            done += train_race(
                cfg.model,
                [spec],
                data,
                cfg.epochs,
                cfg.batch,
                cfg.train,
                cfg.test,
                cfg.seed,
                log_every(cfg),
                progress=progress,
                record_every=record,
                tick=tick,
            )
        return done

    def show(partial: list[TrainRun]) -> None:
        st.session_state["mn_partial"] = (key, partial)
        chart(live, curves(cfg, partial), key=None)

    estimate = estimated_seconds(cfg.model, cfg.specs, cfg.epochs, cfg.train, cfg.test)
    compute_with_progress(RACES, key, work, "compiling and training", on_partial=show, estimate=estimate)
    st.session_state.pop("mn_partial", None)
    for slot in (stop, live):
        slot.empty()


def curves(cfg: MnistConfig, runs: list[TrainRun]) -> dict:
    """Training loss per step and test accuracy per epoch, one colour per optimizer."""
    paths = [PathData(lab, np.zeros((0, 2)), np.zeros(0), PALETTE[i]) for i, lab in enumerate(labels(cfg)[: len(runs)])]
    return curves_figure(
        paths,
        [
            ("training loss", [np.asarray(r.train_loss) for r in runs], True, "step", log_every(cfg)),
            ("test accuracy", [np.r_[np.nan, r.test_accuracy] for r in runs], False, "epoch"),
        ],
    )


def results(cfg: MnistConfig, runs: list[TrainRun], data: Mnist) -> None:
    """Curves, the results table, the train-test gap and the test digits with their predictions."""
    names = labels(cfg)[: len(runs)]
    chart(st, curves(cfg, runs), key="mn_curves")
    st.dataframe(pd.DataFrame(results_rows(cfg, runs, names)), hide_index=True)
    st.subheader("Training against test accuracy")
    st.caption(
        "Wilson et al. (2017): adaptive methods can fit the training set better yet generalize worse. "
        "The gap is train accuracy minus test accuracy, per epoch."
    )
    paths = [PathData(lab, np.zeros((0, 2)), np.zeros(0), PALETTE[i]) for i, lab in enumerate(names)]
    gaps = [np.r_[np.nan, np.asarray(r.train_accuracy) - np.asarray(r.test_accuracy)] for r in runs]
    chart(st, curves_figure(paths, [("train − test accuracy", gaps, False, "epoch")], height=300), key="mn_gap")
    _inside(runs, names)
    _predictions(cfg, runs, names, data)


def results_rows(cfg: MnistConfig, runs: list[TrainRun], names: list[str]) -> list[dict]:
    """One row per run: epochs, accuracies, time, the state it ended with; the switch to SGD only
    when some run switched (a column of blanks says nothing)."""
    switched = any(r.switched_at is not None for r in runs)
    rows = []
    for lab, r in zip(names, runs):
        row = {
            "optimizer": lab,
            "epochs": f"{r.epochs_done} of {cfg.epochs}" + ("" if r.epochs_done == cfg.epochs else " (stopped)"),
            "test accuracy": f"{r.test_accuracy[-1]:.2%}" if r.test_accuracy else "",
            "train accuracy": f"{r.train_accuracy[-1]:.2%}" if r.train_accuracy else "",
            "seconds": sig(r.seconds, 3),
        }
        if switched:
            row["switched to SGD at step"] = or_dash(r.switched_at)
        label = REGISTRY[r.optimizer].state_label
        row["optimizer state at the end"] = "; ".join(f"{label(k)[1]} {sig(v[-1], 3)}" for k, v in r.state.items())
        rows.append(row)
    return rows


def _inside(runs: list[TrainRun], names: list[str]) -> None:
    """The optimizers' own state: one-number state per epoch (Sophia's clip fraction, Prodigy's d,
    Adafactor's relative step) and Adafactor's factors of the first dense layer."""
    keys = sorted({k for r in runs for k in r.state})
    factored = [(lab, f) for lab, r in zip(names, runs) if (f := _first_factors(r)) is not None]
    if not keys and not factored:
        return
    with st.expander("Inside the optimizers: their own state, per epoch"):
        empty = np.zeros((0, 2))
        for key in keys:
            who = [(i, lab, r) for i, (lab, r) in enumerate(zip(names, runs)) if key in r.state]
            paths = [PathData(lab, empty, empty[:, 0], PALETTE[i]) for i, lab, _ in who]
            series = [np.r_[np.nan, r.state[key]] for _, _, r in who]
            title = REGISTRY[who[0][2].optimizer].state_label(key)[1]
            chart(st, curves_figure(paths, [(title, series, False, "epoch")], height=240), key=f"mn_state_{key}")
        if factored:
            st.caption(
                "Adafactor keeps, for each weight matrix, one running mean of squared gradients per input "
                "(the column factor C, drawn as the picture it comes from: pixels, or the CNN's pooled "
                "13×13 features averaged over channels; log10) and per output unit (the row factor R, "
                "bars); v ≈ R Cᵀ / mean(R). Adam would keep one number per weight."
            )
            chart(
                st,
                factor_figure([lab for lab, _ in factored], [f[0] for _, f in factored], [f[1] for _, f in factored]),
                key="mn_factors",
            )


def _first_factors(run: TrainRun):
    """(column factor as an image, row factor) of the run's first dense layer, or None."""
    for key in sorted(k for k in run.small_state if k.startswith("col_")):
        image = input_factor_image(run.small_state[key])
        if image is not None:
            return image, run.small_state["row_" + key[4:]]
    return None


def _predictions(cfg: MnistConfig, runs: list[TrainRun], names: list[str], data: Mnist) -> None:
    st.subheader("Test digits and predictions")
    choice = min(cfg.pred, len(runs) - 1)  # a stopped race may have fewer runs
    st.selectbox("Predictions of", list(range(len(cfg.specs))), format_func=lambda i: labels(cfg)[i], key="mn_pred")
    preds = runs[choice].predictions
    if preds is None:
        return
    truth = data.test_labels[: cfg.test]
    wrong = np.nonzero(preds != truth)[0]
    shown = np.sort(np.concatenate([wrong[:20], np.setdiff1d(np.arange(40), wrong[:20])])[:40])
    chart(st, digits_figure(data.test_images[shown], truth[shown], preds[shown]), key="mn_digits")
    st.caption(f"{len(wrong)} of {cfg.test} test digits wrong ({len(wrong) / cfg.test:.1%}); mistakes in red.")
