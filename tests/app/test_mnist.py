"""The MNIST page under AppTest: renders before training, a tiny race, the link, exports, the landscape."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz.link import MnistConfig
from tests.apptools import download, open_link_on, open_page, query, shown, xy

pytestmark = pytest.mark.app

MNIST = "optviz/app/scripts/mnist.py"


def _open():
    return open_page(MNIST)


def _figs(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def open_link(params) -> AppTest:
    """A fresh session that opens an MNIST link."""
    return open_link_on(MNIST, params, timeout=300)


def _tiny(at, opts="adam:lr=0.01\nsgd:lr=0.1\nswats", epochs=2):
    at.selectbox(key="mn_model").set_value("logreg").run()
    at.text_area(key="mn_opts").set_value(opts).run()
    at.number_input(key="mn_train").set_value(600).run()
    at.number_input(key="mn_test").set_value(100).run()
    at.number_input(key="mn_epochs").set_value(epochs).run()
    at.button(key="mn_train_button").click().run()
    return at


def test_before_training_shows_digits_and_the_model():
    at = _open()
    assert not at.exception and not at.error
    assert any(m.value == "693,962" for m in at.metric)  # the CNN's parameters
    assert len(at.get("plotly_chart")) == 1  # the sample digits
    assert at.button(key="mn_train_button").label == "Train"


@pytest.fixture(scope="module")
def tiny_race():
    return _tiny(_open())


def test_a_tiny_race_completes_and_draws_its_curves(tiny_race):
    at = tiny_race
    assert not at.exception and not at.error
    curves = next(f for f in _figs(at) if any(t.get("name") == "Adam (lr=0.01)" for t in f["data"]))
    assert {t["name"] for t in curves["data"]} == {"Adam (lr=0.01)", "SGD (lr=0.1)", "SWATS (lr=0.001)"}
    assert curves["layout"]["xaxis2"]["dtick"] == 1  # whole epochs on the accuracy axis
    table = at.dataframe[1].value  # [0] lists the layers
    assert list(table["optimizer"]) == ["Adam (lr=0.01)", "SGD (lr=0.1)", "SWATS (lr=0.001)"]
    assert list(table["epochs"]) == ["2 of 2"] * 3
    assert all(float(v.rstrip("%")) > 30 for v in table["test accuracy"])
    assert any("test digits wrong" in c.value for c in at.caption)
    # Results are kept per configuration: a rerun without pressing Train still shows them.
    at.selectbox(key="mn_pred").set_value(1).run()
    assert not at.exception and any("test digits wrong" in c.value for c in at.caption)
    assert query(at)["pred"] == ["2"]


def test_the_link_holds_the_race_and_reopens_it(tiny_race):
    q = query(tiny_race)
    cfg, warnings = MnistConfig.from_query(q)
    assert warnings == [] and cfg.model == "logreg" and cfg.train == 600 and cfg.epochs == 2 and len(cfg.specs) == 3
    opened = open_link(q)
    assert not opened.exception
    assert opened.selectbox(key="mn_model").value == "logreg" and opened.number_input(key="mn_train").value == 600
    # the finished race is shared: the new session draws it without training
    table = opened.dataframe[1].value
    assert list(table["test accuracy"]) == list(tiny_race.dataframe[1].value["test accuracy"])


def test_a_bad_link_names_each_bad_item_and_keeps_the_rest():
    at = open_link({"epochs": "1000", "train": "99999999", "model": "mlp"})
    assert not at.exception
    [warning] = shown(at.warning)[:1]
    assert "epochs: must be a whole number from 1 to 20" in warning and "train: must be a whole number" in warning
    assert at.selectbox(key="mn_model").value == "mlp" and at.number_input(key="mn_epochs").value == 20
    # and the data has 12,000 images, not 60,000: said where the sizes are, with the word the page uses
    assert any("The training images" in w and "the data gives 12,000" in w for w in shown(at.warning))
    assert not any("--train-size" in w for w in shown(at.warning))


def test_exports_hold_the_curves_and_the_config(tiny_race):
    from optviz.app.mnist.page import RACES

    at = tiny_race
    assert [b.label for b in at.get("download_button")] == ["Curves (CSV)", "Configuration and results (JSON)"]
    cfg, _ = MnistConfig.from_query(query(at))
    runs = RACES.get((cfg.race_key, "bundled subset (first 12,000 training and 2,000 test images)"))
    rows = list(csv.DictReader(io.StringIO(download(at, "Curves (CSV)"))))  # what a click delivers
    acc = [r for r in rows if r["curve"] == "test_accuracy" and r["optimizer"].startswith("sgd")]
    assert [float(r["value"]) for r in acc] == runs[1].test_accuracy
    data = json.loads(download(at, "Configuration and results (JSON)"))
    assert MnistConfig.from_query(parse_qs(data["query"])) == (cfg, []) and len(data["runs"]) == 3


def test_a_sessions_exports_do_not_pin_the_races_parameter_snapshots(tiny_race):
    """A session keeps its export builders until it ends (minutes after its tab closes): they
    hold the runs without their snapshots (tens of MB a CNN run), while the cache keeps them."""
    from optviz.app.mnist.page import RACES
    from tests.apptools import _DEFERRED

    at = tiny_race
    cfg, _ = MnistConfig.from_query(query(at))
    cached = RACES.get((cfg.race_key, "bundled subset (first 12,000 training and 2,000 test images)"))
    assert all(len(r.snapshots) > 1 for r in cached)
    for button in at.get("download_button"):
        builder = _DEFERRED[button.proto.deferred_file_id]
        runs = next(a for a in builder.args if isinstance(a, list))
        assert [r.test_accuracy for r in runs] == [r.test_accuracy for r in cached]
        assert all(r.snapshots == [] for r in runs)


def test_bad_optimizer_lines_and_sizes_are_reported():
    at = _open()
    at.text_area(key="mn_opts").set_value("adam\nadamm\nsgd:lr=-1").run()
    problems = shown(at.warning)
    assert any("unknown optimizer 'adamm'" in e for e in problems) and any("lr must satisfy" in e for e in problems)
    assert query(at)["opt"] == ["adam"]
    at.number_input(key="mn_train").set_value(30000).run()
    assert any("The training images" in w and "30,000 asked for" in w for w in shown(at.warning))
    assert query(at)["train"] == ["12000"]


def test_download_failure_falls_back_with_a_notice(monkeypatch, tmp_path):
    import optviz.app.mnist.page as page_mod
    import optviz.core.problems.mnist_data as data_mod

    monkeypatch.setattr(page_mod, "cached", lambda: False)
    monkeypatch.setattr(
        page_mod,
        "download",
        lambda progress=None: data_mod.download(str(tmp_path), ("http://127.0.0.1:9/",), progress, timeout=2),
    )
    at = _open()
    at.button(key="mn_download").click().run()
    assert not at.exception
    assert any("Could not download MNIST" in w and "bundled subset" in w for w in shown(at.warning))
    assert any("bundled subset" in c.value for c in at.caption)


def test_both_slices_are_kept_and_named_by_their_directions():
    at = _tiny(_open(), "adam:lr=0.01\nsgd:lr=0.1", epochs=1)
    at.select_slider(key="mn_grid").set_value(11).run()
    at.button(key="mn_landscape_go").click().run()
    assert not at.exception and not at.error
    figs = _figs(at)
    surface = next(f for f in figs if f["data"][0]["type"] == "surface" and f["layout"].get("uirevision") == "mn_land")
    assert {t.get("name") for t in surface["data"]} >= {"Adam (lr=0.01)", "SGD (lr=0.1)"}
    assert surface["layout"]["scene"]["xaxis"]["title"]["text"].startswith("PCA 1 (")
    honest = next(f for f in figs if any(t.get("name") == "Adam (lr=0.01): true" for t in f["data"]))
    assert any(t.get("name") == "Adam (lr=0.01): on the slice" for t in honest["data"])
    at.radio(key="mn_dirs").set_value("random").run()
    at.button(key="mn_landscape_go").click().run()
    at.radio(key="mn_dirs").set_value("pca").run()  # back: drawn at once, no button to press
    assert "mn_landscape_go" not in [b.key for b in at.button]
    assert any(f["layout"].get("uirevision") == "mn_land" for f in _figs(at))
    assert query(at).get("directions") is None and query(at)["grid"] == ["11"]


def test_edge_of_stability_from_a_link_measures_and_keeps_its_settings():
    at = open_link({"model": "logreg", "eos": "sgd:lr=0.3", "eos_steps": "40", "eos_images": "100"})
    assert not at.exception
    assert at.text_input(key="mn_eos").value == "sgd:lr=0.3" and at.number_input(key="mn_eos_steps").value == 40
    assert not any("sharpness (log)" in json.dumps(f) for f in _figs(at))  # nothing measured yet
    at.button(key="mn_eos_run").click().run()
    assert not at.exception
    fig = next(f for f in _figs(at) if "sharpness (log)" in json.dumps(f["layout"]))
    names = [t["name"] for t in fig["data"]]
    assert names[:2] == ["sharpness λmax(H)", "threshold"] and "sgd: training loss" in names
    steps, limits = xy(fig["data"][1])
    assert steps == list(range(0, 41, 2)) and np.allclose(limits, 2 / 0.3)  # every 40 // 16 = 2 steps
    q = query(at)
    assert q["eos"] == ["sgd:lr=0.3"] and q["eos_steps"] == ["40"] and q["eos_images"] == ["100"]
    at.text_input(key="mn_eos").set_value("sgd:lr=-1").run()
    assert any("The edge-of-stability optimizer 'sgd:lr=-1' was not used" in w for w in shown(at.warning))
    assert query(at)["eos"] == ["sgd:lr=0.3"]


def test_newer_optimizers_race_and_show_their_state():
    """Muon, Adafactor and Sophia on the page: they train, the table says Sophia's clip fraction,
    and the inside view draws Adafactor's factors of the first layer as a 28x28 picture."""
    at = _tiny(_open(), opts="muon:lr=0.02\nadafactor\nsophia:lr=0.003", epochs=2)
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = at.dataframe[1].value
    assert list(table["epochs"]) == ["2 of 2"] * 3
    state = dict(zip(table["optimizer"], table["optimizer state at the end"]))
    assert state["Sophia (lr=0.003)"].startswith("fraction of coordinates clipped ")  # its entry's label
    assert 0 < float(state["Sophia (lr=0.003)"].split()[-1]) < 1
    factors = next(f for f in _figs(at) if any(t["type"] == "bar" for t in f["data"]))
    image = next(t for t in factors["data"] if t["type"] == "heatmap")
    assert np.asarray(image["z"]["bdata"] if isinstance(image["z"], dict) else image["z"]).size > 0
    assert any("fraction of coordinates clipped" in str(f["layout"]) for f in _figs(at))
    assert query(at)["opt"] == ["muon:lr=0.02", "adafactor", "sophia:lr=0.003"]


def test_the_link_is_offered_before_any_training():
    at = _open()
    assert any(h.value == "Share" for h in at.subheader)
    assert [e for e in at.get("bidi_component") if e.key == "share_link"], "the link box with its Copy button"


def test_training_leaves_no_stop_button_and_no_empty_switch_column(tiny_race):
    at = tiny_race
    assert not [b for b in at.button if b.key == "mn_stop"]
    table = next(d.value for d in at.dataframe if "test accuracy" in d.value.columns)
    assert "switched to SGD at step" not in table.columns  # SWATS races here, but did not switch in 2 epochs
    from optviz.app.mnist.page import results_rows

    cfg = MnistConfig(model="logreg", specs=MnistConfig().specs[:2])
    runs = _tiny_runs(2)
    runs[1].switched_at = 40
    assert [row["switched to SGD at step"] for row in results_rows(cfg, runs, ["Adam", "SGD"])] == ["–", "40"]


def _tiny_runs(n: int):
    from optviz.core.engine.training import TrainRun

    return [TrainRun("adam", {"lr": 0.001}, [1.0], [0.5], [0.4], 0.1) for _ in range(n)]  # one epoch each


def test_a_stopped_race_names_every_racer_even_one_never_started():
    from optviz.app.mnist.page import stopped_note

    cfg = MnistConfig(epochs=3)
    note = stopped_note(cfg, _tiny_runs(2))
    names = [s.label() for s in cfg.specs]
    assert note == f"{names[0]}: 1 of 3 epochs; {names[1]}: 1 of 3 epochs; {names[2]}: not started"


def test_a_rule_in_the_link_trains_as_the_builtin_it_spells():
    rule = (
        "mine: m = b1*m + (1 - b1)*g; v = b2*v + (1 - b2)*g**2; "
        "p = p - lr*(m/(1 - b1**t))/(sqrt(v/(1 - b2**t)) + eps) | lr=0.001, b1=0.9, b2=0.999, eps=1e-8"
    )
    params = {"model": "logreg", "opt": ["mine:lr=0.01", "adam:lr=0.01"], "rule": rule, "train": "600", "test": "100"}
    at = open_link(params)
    at.button(key="mn_train_button").click().run()
    assert not at.exception and not at.error and not at.warning
    table = at.dataframe[1].value
    assert list(table["optimizer"]) == ["mine (lr=0.01)", "Adam (lr=0.01)"]
    assert table["test accuracy"][0] == table["test accuracy"][1]  # Adam typed as a rule is Adam
    assert query(at)["rule"] == [rule]
