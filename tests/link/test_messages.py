"""What a bad link is told: every warning speaks the link's own syntax, never Python's.

A warning that says "using OptSpec(name='adam', hparams={...})" or "using SweepAxis(key='lr', ...)"
hands the reader an object dump where they expected ``adam:lr=0.001`` or ``lr=1e-05:1:48:log``.
"""

from __future__ import annotations

import re

import pytest

from optviz.link import CompareConfig, LearnConfig, MnistConfig, SurfacesConfig, SweepConfig
from tests.apptools import open_link_on, shown

# Python's own spellings: a constructor with keywords, a dict or set literal, an object's default
# repr, a NumPy array or scalar, a bare None.
PYTHON_SPELLINGS = re.compile(
    r"\b[A-Za-z_]\w*\(\w+=|\{'|<\w[\w.]* object at|np\.\w+\(|\bNone\b|\bOptSpec\b|"
    r"\bSweepAxis\b|\barray\("
)

BAD_LINKS = {
    SurfacesConfig: [
        {"opt": "nope"},
        {"opt": "adam:lr=-1"},
        {"opt": "adam:b1=2,lr=x"},
        {"steps": "99999"},
        {"start": "nan,1"},
        {"surface": "nope"},
        {"surface": "custom", "expr": "__import__('os')"},
        {"tol": "7"},
        {"inside": "9"},
        {"frame": "-3"},
        {"opt": ["muon", "adam:warmup=99999"]},
        {"noise": "x", "seed": "-1"},
        {"log": "maybe"},
        {"colors": "1,1,99"},
        {"scrub": "nope"},
        {"opt": ["adam", "sgd"], "scrub": "b1", "scrub_racer": "2"},
        {"scrub": "lr", "scrub_racer": "0"},
    ],
    SweepConfig: [
        {"opt": "nope"},
        {"x": "lr=1:0:99999", "y": "b1=0:1:-3"},
        {"x": "b1=0:1:4", "y": "b1=0:1:4"},
        {"opt2": "muon"},
        {"opt2": "sgd", "y": "b1=0:0.9:4"},
        {"metric": "basin"},
        {"cell": "1,2,3"},
        {"steps": "0"},
        {"surface": "custom"},
        {"x": "lr=1e-5:1:48:lin"},
        {"scale": "mine"},
    ],
    MnistConfig: [
        {"eos": "adam:lr=-1"},
        {"eos": "newton"},
        {"opt": "newton"},
        {"model": "resnet"},
        {"batch": "0"},
        {"train": "x"},
        {"pred": "7"},
        {"grid": "2"},
        {"directions": "up"},
    ],
    CompareConfig: [
        {"lr_opt": "muon"},
        {"lr_opt": "adam:lr=-1"},
        {"opt": "nope"},
        {"surfaces": "saddle,nope"},
        {"budget": "0"},
        {"tune": "some"},
        {"lr_on": "mars"},
        {"starts": "x"},
    ],
    LearnConfig: [
        {"b1": "2"},
        {"b2": "x"},
        {"C": "-4"},
        {"lr": "0.123"},
        {"t": "500"},
        {"family": "nope"},
        {"eta": "x"},
    ],
}


@pytest.mark.parametrize(
    "config, params",
    [(c, p) for c, links in BAD_LINKS.items() for p in links],
    ids=lambda v: v.__name__ if isinstance(v, type) else "&".join(f"{k}={v[k]}" for k in v),
)
def test_a_bad_link_is_told_in_the_links_own_syntax(config, params):
    _, warnings = config.from_query(params)
    assert warnings, "a bad link must be told what was not used"
    for warning in warnings:
        assert not PYTHON_SPELLINGS.search(warning), warning


def test_a_refused_optimizer_is_replaced_by_a_spec_the_reader_could_type():
    _, warnings = SweepConfig.from_query({"opt": "nope"})
    assert warnings[0].endswith("; using adam")
    _, warnings = SweepConfig.from_query({"x": "lr=1:0:99999"})
    assert warnings[0].endswith("; using lr=1e-05:1:48:log")


PAGES = [
    ("optviz/app/scripts/sweep.py", {"opt": "nope"}),
    ("optviz/app/scripts/sweep.py", {"x": "lr=1:0:99999", "y": "b1=0:1:-3"}),
    ("optviz/app/scripts/mnist.py", {"eos": "adam:lr=-1"}),
    ("optviz/app/scripts/compare.py", {"lr_opt": "muon"}),
]


@pytest.mark.app
@pytest.mark.parametrize("page, params", PAGES, ids=lambda v: v if isinstance(v, str) else str(v))
def test_each_page_warns_in_the_links_own_syntax(page, params):
    at = open_link_on(page, params)
    assert not at.exception
    texts = shown(at.warning)
    assert texts and any("could not be used" in t for t in texts)
    for text in texts:
        assert not PYTHON_SPELLINGS.search(text), text
