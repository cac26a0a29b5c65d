"""The Learn page: renders, its charts follow their controls, and every "Try it" link works."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from tests.apptools import charts, make_app, open_page, path_trace, query, switch_on, xy

pytestmark = pytest.mark.app

LEARN = "optviz/app/scripts/learn.py"


@pytest.fixture(scope="module")
def learn():
    return open_page(LEARN)


def _figs(at):
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _fig_with(at, name):
    return next(f for f in _figs(at) if any(t.get("name") == name for t in f["data"]))


def test_renders_every_section(learn):
    assert not learn.exception and not learn.error
    headers = [h.value for h in learn.header]
    assert headers == [  # the seed's order
        "1. What an optimizer does",
        "2. Momentum: a memory of about 1/(1−β1) steps",
        "3. Adaptive rates: a step size per coordinate",
        "4. Adam: momentum and adaptive rates, in seven steps",
        "5. Take Adam apart",
        "6. Bias correction",
        "7. ε: when the gradient nears zero",
        "8. The learning rate and stability",
        "9. Schedules and warmup",
        "10. Adam's problems",
        "11. Does Adam generalize worse?",
        "12. SWATS: from Adam to SGD",
        "13. Adam's family",
        "14. FAQ",
    ]
    assert len(learn.expander) == 5  # the FAQ: the seed's five questions


CONTROLS = {  # each figure's control, and a value other than its default
    "learn_sgd": 0.75,
    "learn_mb1": 0.5,
    "learn_kappa": 100.0,
    "learn_t": 20,
    "learn_apart": "sign(m), as Lion",
    "learn_b1": 0.5,
    "learn_eps": 0.01,
    "learn_eta": 0.05,
    "learn_warmup": 50,
    "learn_C": 6.0,
    "learn_wd": 3.0,
    "learn_swats": 0.1,
    "learn_family": "sign",
}


def _widget(at, key):
    for kind in ("slider", "select_slider", "radio", "toggle"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no control {key}")


def test_there_are_as_many_interactive_figures_as_sections_each_redrawn_by_its_control():
    at = open_page(LEARN)
    sections = len(at.header)
    redrawn = 0
    for key, value in CONTROLS.items():
        before = {k: json.dumps(f, sort_keys=True) for k, f in charts(at).items()}
        _widget(at, key).set_value(value).run()
        assert not at.exception and not at.warning, key
        after = {k: json.dumps(f, sort_keys=True) for k, f in charts(at).items()}
        changed = [k for k in after if before.get(k) != after[k]]
        assert changed, f"{key} redrew no figure"
        redrawn += 1
    # the generalization study's figure appears with its toggle (tested below): one more
    assert redrawn + 1 >= sections


def test_bias_correction_chart_follows_beta1():
    at = open_page(LEARN)
    before = xy(path_trace(_fig_with(at, "m_t"), "m_t"))[1]
    assert before[0] == pytest.approx(0.1, rel=1e-5) and before[9] == pytest.approx(1 - 0.9**10, rel=1e-4)
    at.slider(key="learn_b1").set_value(0.5).run()
    after = xy(path_trace(_fig_with(at, "m_t"), "m_t"))[1]
    assert after[0] == pytest.approx(0.5, rel=1e-5)
    corrected = xy(path_trace(_fig_with(at, "m̂_t"), "m̂_t"))[1]
    assert corrected == pytest.approx([1.0] * len(corrected), rel=1e-5)  # m̂ recovers the gradient exactly


def test_amsgrad_chart_and_numbers():
    at = open_page(LEARN)
    caption = next(c.value for c in at.caption if c.value.startswith("After 3000 steps"))
    adam_x, ams_x = map(float, re.findall(r"x = ([+-]\d\.\d+)", caption))
    assert adam_x > 0.95 and ams_x < -0.95
    before = xy(path_trace(_fig_with(at, "AMSGrad"), "AMSGrad"))[1]
    at.slider(key="learn_C").set_value(6.0).run()
    assert xy(path_trace(_fig_with(at, "AMSGrad"), "AMSGrad"))[1] != before


def _links(at) -> list[str]:
    return [
        href for m in at.markdown if m.value.startswith("**Try it") for href in re.findall(r"\]\(([^)]+)\)", m.value)
    ]


def test_every_try_it_link_opens_its_page_without_a_warning(learn):
    links = _links(learn)
    assert len(links) >= 7 and any(link.startswith("/sweep?") for link in links)
    assert any(link.startswith("/mnist?") for link in links)
    for link in links:
        url = urlparse(link)
        query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(url.query).items()}
        at = make_app(**query)
        pages = {"/sweep": "optviz/app/scripts/sweep.py", "/mnist": "optviz/app/scripts/mnist.py"}
        if url.path in pages:
            at.switch_page(pages[url.path])  # a new session that opens the link: its first page
        at.run()
        assert not at.exception, link
        assert not at.warning and not at.error, (link, [w.value for w in at.warning], [e.value for e in at.error])
        assert at.get("plotly_chart"), link
        if url.path == "/sweep":  # the page took the link's settings
            assert at.text_input(key="sw_opt").value == query["opt"]
            assert at.selectbox(key="sw_x_key").value == query["x"].split("=")[0]
        elif url.path == "/mnist":
            assert at.selectbox(key="mn_model").value == query["model"]
            assert at.text_area(key="mn_opts").value.splitlines() == query["opt"]
        else:
            assert at.selectbox(key="surface").value == query["surface"]
            if "scrub" in query:  # it opens the what-if scrubber, its slider on the racer's own value
                assert switch_on(at, "scrub") and at.selectbox(key="scrub_key").value == query["scrub"]
                slider = charts(at)["contour"]["layout"]["sliders"][0]
                assert slider["steps"][slider["active"]]["label"].startswith(query["scrub"] + "=")


def test_the_demos_controls_are_in_the_link():
    at = make_app()
    at.run()
    at.switch_page("optviz/app/scripts/learn.py").run()
    at.slider(key="learn_b1").set_value(0.5).run()
    at.select_slider(key="learn_ams_lr").set_value(0.03).run()
    q = {k: v if len(v) > 1 else v[0] for k, v in at.query_params.items()}
    assert q == {"b1": "0.5", "lr": "0.03"}
    opened = make_app(**q)
    opened.switch_page("optviz/app/scripts/learn.py")
    opened.run()
    assert opened.slider(key="learn_b1").value == 0.5 and opened.select_slider(key="learn_ams_lr").value == 0.03
    assert _fig_with(opened, "m̂_t") == _fig_with(at, "m̂_t")


def test_the_stability_figure_shows_sgd_at_the_sliders_eta_on_its_side_of_two_over_eta():
    at = open_page(LEARN)
    for eta, name in ((0.082, "SGD, η = 0.082 (2/η = 24.4)"), (0.078, "SGD, η = 0.078 (2/η = 25.6)")):
        at.select_slider(key="learn_eta").set_value(eta).run()
        by = {t["line"]["dash"]: xy(t)[1] for t in charts(at)["learn_edge"]["data"] if t["name"] == name}
        assert abs(by["dash"][0] - 2 / eta) < 1e-3 and abs(by["solid"][0] - 25) < 1e-3  # threshold, sharpness
        run = _edge_run(eta)
        losses = {t["name"]: xy(t)[1] for t in charts(at)["learn_edge_loss"]["data"]}  # the loss, seen
        assert losses[name] == pytest.approx(run.loss.tolist(), rel=1e-6)
        assert (run.loss[-1] > run.loss[0]) == (eta > 0.08)


def _edge_run(eta: float):
    from optviz.core.engine.trajectory import run_one
    from optviz.core.problems.surfaces import SURFACES
    from optviz.core.spec import parse_spec

    return run_one(SURFACES["ellipse"], (-1.8, 0.6), 120, parse_spec(f"sgd:lr={eta}"))


def test_the_swats_chart_marks_its_switch():
    learn = make_app()
    learn.run()
    learn.switch_page("optviz/app/scripts/learn.py").run()
    swats = next(
        json.loads(c.proto.spec)
        for c in learn.get("plotly_chart")
        if any(t.get("name", "").startswith("SWATS") for t in json.loads(c.proto.spec)["data"])
    )
    k = int(
        re.search(r"after step (\d+)", next(c.value for c in learn.caption if "SWATS switched" in c.value)).group(1)
    )
    assert swats["layout"]["shapes"][0]["x0"] == k and "switches to SGD" in swats["layout"]["annotations"][0]["text"]


def test_the_generalization_study_opens_from_its_link_and_states_its_interval(monkeypatch):
    from optviz.app.learn import generalization
    from tests.core.analysis.test_generalization import SMALL

    monkeypatch.setattr(generalization, "STUDY", SMALL)  # the page's study, small enough for a test
    at = make_app(gen="1")
    at.switch_page(LEARN)
    at.run(timeout=300)
    assert not at.exception and at.toggle(key="learn_gen").value
    fig = charts(at)["learn_gen_chart"]
    seeds = [t for t in fig["data"] if t.get("mode") == "markers+lines"]
    assert seeds[0]["name"].startswith("Adam") and len(seeds) == 2
    text = next(m.value for m in at.markdown if "95% interval" in m.value)
    gap = float(re.search(r"\*\*([+-]\d+\.\d+) points\*\*", text).group(1))
    accs = [xy(t)[1] for t in seeds]
    assert gap == pytest.approx(sum(a - b for a, b in zip(*accs)) / len(accs[0]), abs=0.006)
    assert query(at)["gen"] == ["1"]


def test_the_momentum_window_follows_its_slider_and_its_link():
    from optviz.core.analysis.demos import window, window_share

    at = make_app(mb1="0.95")
    at.switch_page(LEARN)
    at.run()
    assert not at.exception and at.slider(key="learn_mb1").value == 0.95
    bars = charts(at)["learn_momentum_weights"]["data"][0]
    shaded = [c == "#0077BB" for c in bars["marker"]["color"]]
    assert sum(shaded) == window(0.95) == 20 and shaded[:20] == [True] * 20
    caption = next(c.value for c in at.caption if c.value.startswith("At β1 = 0.95"))
    assert f"carry {100 * window_share(0.95):.0f}% of m's weight" in caption
    before = xy(path_trace(charts(at)["learn_momentum_path"], "Adam, β1 = 0.95"))
    at.slider(key="learn_mb1").set_value(0.5).run()
    assert query(at)["mb1"] == ["0.5"]
    after = xy(path_trace(charts(at)["learn_momentum_path"], "Adam, β1 = 0.5"))
    assert after != before


def test_the_first_step_demo_follows_its_epsilon_and_its_link():
    at = make_app(eps="0.0001")
    at.switch_page(LEARN)
    at.run()
    assert not at.exception and at.select_slider(key="learn_eps").value == 1e-4
    fig = charts(at)["learn_first_step"]
    adam = path_trace(fig, "Adam, ε = 0.0001")
    grads, steps = (np.asarray(v) for v in xy(adam))
    np.testing.assert_allclose(steps, grads / (grads + 1e-4), rtol=1e-5)
    caption = next(c.value for c in at.caption if c.value.startswith("For gradients from 0.01 up"))
    assert "at a gradient of ε it is 0.50 lr" in caption
    at.select_slider(key="learn_eps").set_value(1e-8).run()
    assert "eps" not in query(at)  # the default, written as nothing


def test_the_warmup_demo_follows_its_slider_and_says_each_runs_fate():
    at = make_app(warmup="150")
    at.switch_page(LEARN)
    at.run()
    assert not at.exception and at.select_slider(key="learn_warmup").value == 150
    caption = next(c.value for c in at.caption if c.value.startswith("No warmup:"))
    assert "No warmup: leaves the picture at step 9" in caption
    assert "With 150 steps of warmup: never leaves the picture, and ends 0 above the minimum" in caption
    at.select_slider(key="learn_warmup").set_value(0).run()
    assert query(at)["warmup"] == ["0"]
    names = [t.get("name") for t in charts(at)["learn_warmup_chart"]["data"]]
    assert "no warmup" in names and "warmup = 0" in names


def test_the_bias_correction_and_amsgrad_figures_draw_the_runs_their_sentences_measure():
    from optviz.core.analysis.demos import AMSGRAD, BIAS

    at = make_app()
    at.switch_page(LEARN)
    at.run()
    drawn = charts(at)
    bias, amsgrad = BIAS.runs(), AMSGRAD.runs()
    for name, run in zip(("with bias correction", "without"), bias):
        assert xy(path_trace(drawn["learn_bias_paths"], name))[0][:50] == pytest.approx(run.path[:50, 0].tolist())
    for name, run in zip(("Adam", "AMSGrad"), amsgrad):
        assert xy(path_trace(drawn["learn_amsgrad_loss"], name))[1][-1] == pytest.approx(float(run.loss[-1]), rel=1e-5)


def test_the_eta_scrubber_holds_every_run_of_its_fan_and_opens_at_the_racers_own_value(learn):
    from optviz.core.analysis.demos import ETA_FAN, eta_demo
    from optviz.core.engine.trajectory import run_one
    from optviz.core.spec import parse_spec

    fig = charts(learn)["learn_eta_scrub"]
    slider = fig["layout"]["sliders"][0]
    labels = [s["label"] for s in slider["steps"]]
    assert len(labels) == len(ETA_FAN) and labels[slider["active"]] == "lr=0.078"
    frames = {f["name"]: f for f in fig["frames"]}
    demo = eta_demo(0.078)
    for i in (0, labels.index("lr=0.082"), len(labels) - 1):
        frame = frames[slider["steps"][i]["args"][0][0]]
        drawn = frame["data"][0]  # the path: the first trace a step restyles
        run = run_one(demo.problem, demo.start, demo.steps, parse_spec(f"sgd:lr={ETA_FAN[i]}"))
        n = len(run.path)
        x, y = xy(drawn)
        np.testing.assert_allclose(np.asarray(x, float)[:n], run.path[:, 0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(y, float)[:n], run.path[:, 1], rtol=1e-5, atol=1e-6)
