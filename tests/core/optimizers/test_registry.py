"""The registry holds everything about each optimizer: every other part reads it from there."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.core.analysis.stability import PRECONDITIONED, diagonal_preconditioner, threshold_at
from optviz.core.optimizers import FAMILIES, NETWORK_NAMES, REGISTRY, SURFACE_NAMES
from optviz.core.spec import SpecError, check_network, parse_spec


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_entry_carries_its_own_description_lineage_and_limits(name):
    opt = REGISTRY[name]
    assert opt.display_name and opt.description and opt.update_rule and opt.reference
    assert opt.family in FAMILIES and opt.lineage  # the Learn page's family tree reads these
    assert (name in SURFACE_NAMES) != bool(opt.surface_note)  # where it does not run, it says why
    assert (name in NETWORK_NAMES) != bool(opt.network_note)
    if opt.needs_hessian:
        assert opt.network_note
    if opt.preconditioner is not None:  # a preconditioned sharpness needs its threshold
        assert opt.threshold is not None and name in PRECONDITIONED


def test_a_refusal_quotes_the_entrys_own_reason():
    with pytest.raises(SpecError, match="needs the exact Hessian"):
        check_network(parse_spec("newton"))


@pytest.mark.parametrize(
    "name, hp, want",
    [
        ("sgd", {}, 2 / 0.1),
        ("momentum", {"momentum": 0.9}, 3.8 / 0.1),
        ("nesterov", {"momentum": 0.5}, 3.0 / (2.0 * 0.1)),
        ("rmsprop", {}, 2 / 0.1),
        ("adam", {"b1": 0.9}, 3.8 / (0.1 * 0.1)),
    ],
)
def test_thresholds_are_the_textbooks(name, hp, want):
    assert threshold_at(name, hp, 0.1) == pytest.approx(want)
    assert threshold_at("lion", {}, 0.1) is None


def test_adams_preconditioner_is_its_own_denominator():
    hp = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}
    v = np.array([[4.0, 9.0]])
    t = np.array([[3.0]])
    bc1, bc2 = 1 - 0.9**3, 1 - 0.999**3
    np.testing.assert_allclose(diagonal_preconditioner("adam", hp, t, {"v": v}), bc1 * (np.sqrt(v / bc2) + 1e-8))
    assert diagonal_preconditioner("lion", hp, t, {}) is None


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_inspected_quantity_has_a_label(name):
    import jax
    import jax.numpy as jnp

    opt = REGISTRY[name]
    params = jax.ShapeDtypeStruct((2,), jnp.float32)
    hp = {h.name: jax.ShapeDtypeStruct((), jnp.float32) for h in opt.hparams}
    keys = jax.eval_shape(opt.inspect, jax.eval_shape(opt.init, params), hp)
    for key in keys:
        latex, plain = opt.state_label(key)
        assert (latex, plain) != (key, key) and plain, (name, key)  # the inside view writes it out
