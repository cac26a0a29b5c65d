"""The surface catalogue: exact formulas, vanishing gradients at the minima, sane metadata."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.core.problems.surfaces import SURFACES
from tests import reference as ref

REQUIRED = {
    "bowl",
    "ellipse",
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
    "ackley",
    "saddle",
    "booth",
    "goldstein_price",
    "six_hump_camel",
}


def test_catalogue_has_the_required_surfaces():
    assert set(SURFACES) >= REQUIRED


@pytest.mark.parametrize("name", list(SURFACES))
def test_metadata(name):
    s = SURFACES[name]
    xmin, xmax, ymin, ymax = s.domain
    assert xmin < xmax and ymin < ymax
    assert xmin <= s.start[0] <= xmax and ymin <= s.start[1] <= ymax
    assert s.formula.startswith("f(x,y) =")
    for m in s.minima:
        assert xmin <= m.x <= xmax and ymin <= m.y <= ymax
        assert m.kind in ("global", "local")
    if s.minima:
        assert any(m.kind == "global" for m in s.minima)
        assert s.f_min == min(m.f for m in s.minima if m.kind == "global")


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradient_vanishes_and_value_matches_at_every_minimum(name):
    s = SURFACES[name]
    with jax.enable_x64(True):
        grad = jax.grad(s.loss)
        for m in s.minima:
            p = jnp.array([m.x, m.y], jnp.float64)
            assert float(s.loss(p)) == pytest.approx(m.f, abs=1e-10)
            np.testing.assert_allclose(np.asarray(grad(p)), 0.0, atol=1e-8)
            # ...and it is a minimum: every nearby point is higher.
            for d in ([1e-3, 0], [0, 1e-3], [-1e-3, 0], [0, -1e-3], [7e-4, 7e-4]):
                assert float(s.loss(p + jnp.array(d))) > m.f


def test_known_values():
    assert float(SURFACES["himmelblau"](3.0, 2.0)) == 0.0
    assert float(SURFACES["goldstein_price"](0.0, -1.0)) == pytest.approx(3.0)
    assert float(SURFACES["rastrigin"](1.0, 0.0)) == pytest.approx(1.0)
    assert float(SURFACES["ackley"](0.0, 0.0)) == pytest.approx(0.0, abs=1e-6)
    assert float(SURFACES["ackley"](1.0, 1.0)) == pytest.approx(3.6253849384403627, rel=1e-6)
    assert float(SURFACES["saddle"](0.5, 2.0)) == pytest.approx(-3.75)
    assert float(SURFACES["beale"](3.0, 0.5)) == 0.0


def test_every_catalogue_surface_has_a_written_out_reference():
    assert set(ref.SURFACES) == set(SURFACES)


@pytest.mark.parametrize("name", sorted(ref.SURFACES))
def test_values_and_gradients_match_written_out_formulas(name):
    s = SURFACES[name]
    rng = np.random.default_rng(0)
    xmin, xmax, ymin, ymax = s.domain
    with jax.enable_x64(True):
        for _ in range(20):
            p = np.array([rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)])
            f, g = ref.SURFACES[name](p)
            assert float(s.loss(jnp.asarray(p))) == pytest.approx(f, rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(np.asarray(jax.grad(s.loss)(jnp.asarray(p))), g, rtol=1e-10, atol=1e-9)


def test_ackley_gradient_is_finite_at_its_cusp():
    g = jax.grad(SURFACES["ackley"].loss)(jnp.zeros(2))
    assert np.all(np.isfinite(np.asarray(g)))


def test_saddle_has_no_minimum():
    assert SURFACES["saddle"].minima == ()
    assert SURFACES["saddle"].f_min is None
