"""The MNIST page under AppTest: renders before training, a tiny race completes and draws."""

from __future__ import annotations

import json

from apptools import open_page, shown

MNIST = "optviz/ui/pages/mnist.py"


def _open():
    return open_page(MNIST)


def test_before_training_shows_digits_and_the_model():
    at = _open()
    assert not at.exception and not at.error
    assert any(m.value == "693,962" for m in at.metric)  # the CNN's parameters
    assert len(at.get("plotly_chart")) == 1  # the sample digits
    assert at.button(key="mn_train_button").label == "Train"


def test_a_tiny_race_completes_and_draws_its_curves():
    at = _open()
    at.selectbox(key="mn_model").set_value("logreg").run()
    at.text_area(key="mn_opts").set_value("adam:lr=0.01\nsgd:lr=0.1\nswats").run()
    at.number_input(key="mn_train").set_value(600).run()
    at.number_input(key="mn_test").set_value(100).run()
    at.number_input(key="mn_epochs").set_value(2).run()
    at.button(key="mn_train_button").click().run()
    assert not at.exception and not at.error
    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    curves = next(f for f in figs if any(t.get("name") == "Adam (lr=0.01)" for t in f["data"]))
    assert {t["name"] for t in curves["data"]} == {"Adam (lr=0.01)", "SGD (lr=0.1)", "SWATS"}
    table = at.dataframe[1].value  # [0] lists the layers
    assert list(table["optimizer"]) == ["Adam (lr=0.01)", "SGD (lr=0.1)", "SWATS"]
    assert (table["test accuracy"] > 0.3).all()
    assert any("test digits wrong" in c.value for c in at.caption)
    # Results are kept per configuration: a rerun without pressing Train still shows them.
    at.selectbox(key="mn_pred").set_value(1).run()
    assert not at.exception and any("test digits wrong" in c.value for c in at.caption)


def test_bad_optimizer_lines_and_sizes_are_reported():
    at = _open()
    at.text_area(key="mn_opts").set_value("adam\nadamm\nsgd:lr=-1").run()
    problems = shown(at.warning)
    assert any("unknown optimizer 'adamm'" in e for e in problems) and any("lr must satisfy" in e for e in problems)
    at.number_input(key="mn_train").set_value(30000).run()
    assert any("--train-size: must be a whole number from 1 to 12000" in e.value for e in at.error)


def test_download_failure_falls_back_with_a_notice(monkeypatch, tmp_path):
    import optviz.mnist.data as data_mod

    monkeypatch.setattr(data_mod, "MIRRORS", ("http://127.0.0.1:9/",))
    monkeypatch.setattr(data_mod, "CACHE_DIR", str(tmp_path))
    import optviz.ui.mnist_page as page_mod

    monkeypatch.setattr(page_mod, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(page_mod, "cached", lambda: False)
    monkeypatch.setattr(page_mod, "download", lambda progress=None: data_mod.download(
        str(tmp_path), ("http://127.0.0.1:9/",), progress, timeout=2))
    at = _open()
    at.button(key="mn_download").click().run()
    assert not at.exception
    assert any("Could not download MNIST" in w.value and "bundled subset" in w.value for w in at.warning)
    assert any("bundled subset" in c.value for c in at.caption)


def test_loss_landscape_after_training():
    at = _open()
    at.selectbox(key="mn_model").set_value("logreg").run()
    at.text_area(key="mn_opts").set_value("adam:lr=0.01\nsgd:lr=0.1").run()
    at.number_input(key="mn_train").set_value(600).run()
    at.number_input(key="mn_test").set_value(100).run()
    at.button(key="mn_train_button").click().run()
    at.select_slider(key="mn_grid").set_value(11).run()
    at.button(key="mn_landscape_go").click().run()
    assert not at.exception and not at.error
    figs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    surface = next(f for f in figs if f["data"][0]["type"] == "surface" and f["layout"].get("uirevision") == "mn_land")
    assert {t.get("name") for t in surface["data"]} >= {"Adam (lr=0.01)", "SGD (lr=0.1)"}
    honest = next(f for f in figs if any(t.get("name") == "Adam (lr=0.01): true" for t in f["data"]))
    assert any(t.get("name") == "Adam (lr=0.01): on the slice" for t in honest["data"])
    assert any("explain" in c.value for c in at.caption)
