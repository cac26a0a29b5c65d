"""Three MNIST models in pure JAX: logistic regression, an MLP and the seed's CNN.

The CNN is Conv2D(32, 3x3) + ReLU -> MaxPool 2x2 -> Flatten -> Dense 128 + ReLU -> Dense 10
(the seed's code forgets the Flatten; this one has it). It trains with XLA's convolution
(jax 0.10: 2-3x faster a step on this CPU than the nine shifted slices and one matmul it used
before, which stay below as the written-out form the faster ones are tested against), pooled
by taking the convolution at each window position separately (``cnn_apply``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

from optviz.core.optimizers.base import Leaf

Params = dict[str, dict[str, jax.Array]]  # layer name -> {"w": ..., "b": ...}


@dataclass(frozen=True)
class Model:
    """A model: ``init(key) -> params``, ``apply(params, images[B, 28, 28]) -> logits[B, 10]``."""

    name: str
    layers: tuple[str, ...]
    init: Callable[[jax.Array], Params]
    apply: Callable[[Params, jax.Array], jax.Array]
    # The same function for evaluation only (no gradient taken): free to use what is fastest
    # forward, which for the convolution is not what is fastest backward.
    fast_forward: Callable[[Params, jax.Array], jax.Array] | None = None
    title: str = ""  # as the pages name it
    # What a job's cost estimate reads (measured on the 2-core machine, warm, rounded down so an
    # estimate errs long): images per second through one training step of an elementwise
    # optimizer, and images per second through the loss alone (a landscape's points).
    train_rate: float = field(kw_only=True)
    loss_rate: float = field(kw_only=True)

    def forward(self, params: Params, images: jax.Array) -> jax.Array:
        """Logits for evaluation (no gradient taken through it): ``apply`` or its faster twin."""
        return (self.fast_forward or self.apply)(params, images)

    def param_count(self) -> int:
        """How many trainable numbers the model has."""
        return sum(p.size for p in jax.tree.leaves(self.init(jax.random.PRNGKey(0))))


def _glorot(key, shape, fan_in: int, fan_out: int):
    """Keras's default initialisation: uniform in +-sqrt(6 / (fan_in + fan_out))."""
    limit = jnp.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, jnp.float32, -limit, limit)


def _dense(key, n_in: int, n_out: int) -> dict:
    return {"w": _glorot(key, (n_in, n_out), n_in, n_out), "b": jnp.zeros(n_out, jnp.float32)}


def _scale(images):
    return images.astype(jnp.float32) / 255.0


def logreg_init(key) -> dict:
    return {"out": _dense(key, 784, 10)}


def logreg_apply(params, images):
    x = _scale(images).reshape(images.shape[0], 784)
    return x @ params["out"]["w"] + params["out"]["b"]


def mlp_init(key) -> dict:
    k1, k2 = jax.random.split(key)
    return {"hidden": _dense(k1, 784, 256), "out": _dense(k2, 256, 10)}


def mlp_apply(params, images):
    x = _scale(images).reshape(images.shape[0], 784)
    h = jax.nn.relu(x @ params["hidden"]["w"] + params["hidden"]["b"])
    return h @ params["out"]["w"] + params["out"]["b"]


def cnn_init(key) -> dict:
    k1, k2, k3 = jax.random.split(key, 3)
    return {
        "conv": {"w": _glorot(k1, (9, 32), 9, 9 * 32), "b": jnp.zeros(32, jnp.float32)},
        "hidden": _dense(k2, 13 * 13 * 32, 128),
        "out": _dense(k3, 128, 10),
    }


def conv3x3(images, w, b):
    """A 'valid' 3x3 convolution with one input channel: [B, 28, 28] -> [B, 26, 26, C]."""
    patches = jnp.stack([images[:, i : i + 26, j : j + 26] for i in range(3) for j in range(3)], axis=-1)
    return patches @ w + b


def cnn_apply_slices(params, images):
    """The CNN written out: convolution as nine shifted slices, ReLU, then max-pool (a reference)."""
    x = _scale(images)
    h = jax.nn.relu(conv3x3(x, params["conv"]["w"], params["conv"]["b"]))  # [B, 26, 26, 32]
    # Max-pool 2x2 as the max of four strided slices: its gradient is cheaper on CPU than a reshape-max's.
    h = jnp.maximum(jnp.maximum(h[:, 0::2, 0::2], h[:, 1::2, 0::2]), jnp.maximum(h[:, 0::2, 1::2], h[:, 1::2, 1::2]))
    h = h.reshape(h.shape[0], 13 * 13 * 32)  # the Flatten
    h = jax.nn.relu(h @ params["hidden"]["w"] + params["hidden"]["b"])
    return h @ params["out"]["w"] + params["out"]["b"]


def cnn_apply(params, images):
    """The CNN for training: the convolution at the four positions of each 2x2 pooling window as
    four stride-2 convolutions, their maximum the max-pool (its backward pass is selects, not the
    strided scatter of slicing one 26x26 map: 2.9 against 4.4 ms a gradient of 60 images here),
    then bias and ReLU on the pooled quarter (max commutes with both) and the dense layers."""
    x = _scale(images)[..., None]
    w = _kernel(params)
    h = [
        jax.lax.conv_general_dilated(x[:, a : a + 27, b : b + 27], w, (2, 2), "VALID", dimension_numbers=_NHWC)
        for a in (0, 1)
        for b in (0, 1)
    ]  # h[2a + b][:, i, j] is the full map's (2i + a, 2j + b)
    pooled = jnp.maximum(jnp.maximum(h[0], h[2]), jnp.maximum(h[1], h[3]))
    return _dense_head(params, jax.nn.relu(pooled + params["conv"]["b"]))


_NHWC = ("NHWC", "HWIO", "NHWC")


def _kernel(params):
    return params["conv"]["w"].reshape(3, 3, 1, -1)  # row i*3+j of the stored kernel is offset (i, j)


def _conv_pool(params, images, pool):
    h = jax.lax.conv_general_dilated(
        _scale(images)[..., None], _kernel(params), (1, 1), "VALID", dimension_numbers=_NHWC
    )
    return jax.nn.relu(pool(h) + params["conv"]["b"])


def _dense_head(params, h):
    h = jax.nn.relu(h.reshape(h.shape[0], 13 * 13 * 32) @ params["hidden"]["w"] + params["hidden"]["b"])
    return h @ params["out"]["w"] + params["out"]["b"]


def cnn_forward(params, images):
    """cnn_apply for evaluation only: pooled by reduce_window, faster forward, slower backward."""
    pool = lambda h: jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    return _dense_head(params, _conv_pool(params, images, pool))


MODELS = {
    "logreg": Model(
        "logreg",
        ("Flatten 784", "Dense 10 (softmax)"),
        logreg_init,
        logreg_apply,
        title="Logistic regression",
        train_rate=1e5,
        loss_rate=1e6,
    ),
    "mlp": Model(
        "mlp",
        ("Flatten 784", "Dense 256 + ReLU", "Dense 10 (softmax)"),
        mlp_init,
        mlp_apply,
        title="MLP 784-256-10",
        train_rate=4e4,
        loss_rate=2e5,
    ),
    "cnn": Model(
        "cnn",
        ("Conv2D 32 3x3 + ReLU", "MaxPool 2x2", "Flatten 5408", "Dense 128 + ReLU", "Dense 10 (softmax)"),
        cnn_init,
        cnn_apply,
        cnn_forward,
        title="CNN (the seed's)",
        train_rate=7e3,
        loss_rate=5e4,
    ),
}


def leaves(model: Model) -> tuple[Leaf, ...]:
    """Each tensor's place in the raveled parameters (``ravel_pytree``'s order) and torch's shape
    of it: a dense weight (in, out) is torch's Linear (out, in); the convolution kernel (9, C)
    is torch's Conv2d (C, 1, 3, 3); a bias is the same vector."""
    params = model.init(jax.random.PRNGKey(0))
    out, start = [], 0
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        layer, kind = (p.key for p in path)
        shape = tuple(leaf.shape)
        if kind == "b":
            out.append(Leaf(start, shape, shape))
        elif layer == "conv":
            out.append(Leaf(start, shape, (shape[1], 1, 3, 3), transpose=True))
        else:
            out.append(Leaf(start, shape, shape[::-1], transpose=True))
        start += leaf.size
    return tuple(out)
