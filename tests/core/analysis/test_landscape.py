"""Loss landscapes: projection maths, explained variance, filter normalisation, the grid, the CLI."""

from __future__ import annotations

import json

import jax.numpy as jnp
import numpy as np
import pytest

from optviz.cli.main import main
from optviz.core.analysis.landscape import Plane, filter_normalize, landscape, pca_plane, random_plane, slice_losses
from optviz.core.engine.training import train_race
from optviz.core.problems.mnist_data import load_bundled
from optviz.core.spec import SpecError, parse_spec


def test_a_path_lying_in_the_plane_projects_exactly():
    rng = np.random.default_rng(0)
    origin, d1, d2 = rng.normal(size=(3, 50))
    plane = Plane(origin, d1, d2)
    coords = rng.normal(size=(12, 2))
    points = origin + coords[:, :1] * d1 + coords[:, 1:] * d2
    # to float32 precision, the parameters' own (projections are float32 products, then solved in float64)
    np.testing.assert_allclose(plane.project(points), coords, rtol=1e-5, atol=1e-6)


def test_pca_plane_matches_numpy_svd():
    rng = np.random.default_rng(1)
    paths = [np.cumsum(rng.normal(size=(20, 30)) * [3.0] + [0.5] * 30, axis=0) for _ in range(3)]
    plane = pca_plane(paths)
    origin = np.mean([p[-1] for p in paths], axis=0)
    centred = np.concatenate(paths) - origin
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(
        plane.explained_variance, (s[0] ** 2 / (s**2).sum(), s[1] ** 2 / (s**2).sum()), rtol=1e-5
    )
    assert abs(abs(float(np.dot(plane.d1, vt[0]))) - 1) < 1e-5 and abs(abs(float(np.dot(plane.d2, vt[1]))) - 1) < 1e-5
    # the directions are orthonormal, and the recorded points lie closer to this plane than to any other
    assert abs(float(np.dot(plane.d1, plane.d2))) < 1e-5


def test_filter_normalisation():
    rng = np.random.default_rng(2)
    weights = {"w": jnp.asarray(rng.normal(size=(6, 4)) * 3), "b": jnp.asarray(rng.normal(size=4))}
    direction = {"w": jnp.asarray(rng.normal(size=(6, 4))), "b": jnp.asarray(rng.normal(size=4))}
    out = filter_normalize(direction, weights)
    np.testing.assert_allclose(np.linalg.norm(out["w"], axis=0), np.linalg.norm(weights["w"], axis=0), rtol=1e-5)
    assert float(jnp.abs(out["b"]).max()) == 0.0  # biases are left out, as in Li et al.
    # the direction of each filter is kept
    cos = np.sum(np.asarray(out["w"]) * np.asarray(direction["w"]), axis=0)
    assert (cos > 0).all()


@pytest.fixture(scope="module")
def race():
    data = load_bundled()
    runs = train_race("mlp", [parse_spec("adam"), parse_spec("sgd:lr=0.1")], data, 1, 60, 1200, 200, 0, record_every=4)
    return data, runs


def test_recorded_paths(race):
    _, runs = race
    assert len(runs[0].snapshots) == 1 + 20 // 4 and runs[0].snapshots[0].shape == (203530,)
    np.testing.assert_array_equal(runs[0].snapshots[0], runs[1].snapshots[0])  # the same initialisation


def test_grid_shape_finiteness_and_honest_path_losses(race):
    data, runs = race
    images, labels = data.train_images[:300], data.train_labels[:300].astype(np.int32)
    out = landscape("mlp", runs, "pca", 9, images, labels)
    assert out["loss"].shape == (9, 9) and np.isfinite(out["loss"]).all()
    assert len(out["alpha"]) == 9 and 0 < sum(out["explained_variance"]) <= 1 + 1e-6
    for p, run in zip(out["paths"], runs):
        assert p["coords"].shape == (len(run.snapshots), 2) and np.isfinite(p["loss"]).all()
    # The origin (mean of the final points) is the grid centre's neighbourhood; the slice at a
    # projected point equals the loss of that point's projection, not of the point itself.
    assert not np.allclose(out["paths"][1]["loss"], out["paths"][1]["slice_loss"])


def test_random_directions_and_limits(race):
    data, runs = race
    images, labels = data.train_images[:100], data.train_labels[:100].astype(np.int32)
    out = landscape("mlp", runs, "random", 5, images, labels, seed=3)
    assert "explained_variance" not in out and out["alpha"][0] <= -1.0 and out["alpha"][-1] >= 1.0
    plane = random_plane("mlp", runs[0].snapshots[-1], 3)
    with pytest.raises(SpecError, match="at most 51"):
        slice_losses("mlp", plane, np.zeros(52), np.zeros(3), images, labels)
    with pytest.raises(SpecError, match="choose pca or random"):
        landscape("mlp", runs, "tsne", 5, images, labels)


def test_slice_at_the_origin_is_the_loss_there(race):
    data, runs = race
    images, labels = data.train_images[:200], data.train_labels[:200].astype(np.int32)
    plane = random_plane("mlp", runs[0].snapshots[-1], 0)
    grid = slice_losses("mlp", plane, np.array([-1.0, 0.0, 1.0]), np.array([0.0]), images, labels)
    from optviz.core.analysis.landscape import true_losses

    assert grid[0, 1] == pytest.approx(
        float(true_losses("mlp", runs[0].snapshots[-1][None], images, labels)[0]), rel=1e-5
    )


def test_cli_json(capsys):
    code = main(
        [
            "landscape",
            "--model",
            "logreg",
            "--opt",
            "adam",
            "--opt",
            "sgd:lr=0.1",
            "--epochs",
            "1",
            "--train-size",
            "600",
            "--test-size",
            "100",
            "--directions",
            "pca",
            "--grid",
            "5",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out, parse_constant=lambda t: pytest.fail(t))
    assert code == 0 and data["directions"] == "pca" and len(data["alpha"]) == 5 and len(data["loss"]) == 5
    assert len(data["explained_variance"]) == 2 and [p["optimizer"] for p in data["paths"]] == ["adam", "sgd"]
    assert len(data["paths"][0]["coords"][0]) == 2 and len(data["paths"][0]["loss"]) == len(data["paths"][0]["coords"])
    assert main(["landscape", "--model", "logreg", "--opt", "adam", "--grid", "99"]) == 2
