"""MNIST races: every optimizer from the same initialisation, on the same batches in the same order.

Parameters are raveled into one flat vector (``ravel_pytree``), so the optimizers run on
MNIST exactly as they do on the 2D surfaces. Each training step (gradient and update) is one
jitted call; hyperparameters are traced, so changing them never recompiles. A whole epoch as
one ``lax.scan`` was measured too, and is slower on the 2-core CPU (10.7 against 8.6 ms a
batch of 60 for the CNN): XLA runs a loop body's matrix products on one thread.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz.core.engine.cost import COMPILE_SECONDS, COSTLY_SLOWDOWN
from optviz.core.engine.network import flat_value_and_grad, network_rule, training_step
from optviz.core.limits import MAX_BATCH, MAX_EPOCHS
from optviz.core.optimizers import REGISTRY
from optviz.core.problems.mnist_data import Mnist
from optviz.core.problems.mnist_models import MODELS
from optviz.core.spec import OptSpec, SpecError, check_network, check_steps

SMALL_STATE = 10_000  # numbers: state arrays up to this size are kept for the page (Adafactor's factors)
TICK_BATCHES = 50  # batches between the checks a stopped job is noticed at (tick)


def images_per_second(model_name: str, opt_name: str) -> float:
    """About how many images a second one training step of ``opt_name`` on the model handles here."""
    rate = MODELS[model_name].train_rate
    return rate / COSTLY_SLOWDOWN if REGISTRY[opt_name].costly else rate


def estimated_seconds(model_name: str, specs: Sequence[OptSpec], epochs: int, train_size: int, test_size: int) -> float:
    """About how long :func:`train_race` takes here, before it starts: an upper estimate (every
    program taken to need compiling; training plus each epoch's accuracies; see
    optviz.core.engine.cost)."""
    model = MODELS[model_name]
    per_epoch_eval = (train_size + test_size) / model.loss_rate
    return sum(
        COMPILE_SECONDS + epochs * (train_size / images_per_second(model_name, s.name) + per_epoch_eval) for s in specs
    )


@dataclass
class TrainRun:
    """One optimizer's race: losses per step, accuracies per epoch, time, SWATS's switch."""

    optimizer: str
    hparams: dict
    train_loss: list[float] = field(default_factory=list)  # every log_every steps
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0  # training only
    eval_seconds: float = 0.0  # measuring train and test accuracy after each epoch
    switched_at: int | None = None
    predictions: np.ndarray | None = None  # test predictions after the last epoch
    snapshots: list = field(default_factory=list)  # flat parameters every record_every steps (start first)
    # The optimizer's own one-number state after each epoch (Sophia's clip fraction, Prodigy's d, ...)
    state: dict[str, list[float]] = field(default_factory=dict)
    # Its small arrays after the last epoch finished (Adafactor's row and column factors)
    small_state: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def epochs_done(self) -> int:
        return len(self.test_accuracy)

    def copy(self) -> TrainRun:
        """A copy whose lists do not grow with the original (a stopped race keeps what it had)."""
        return replace(
            self,
            train_loss=list(self.train_loss),
            train_accuracy=list(self.train_accuracy),
            test_accuracy=list(self.test_accuracy),
            snapshots=list(self.snapshots),
            state={k: list(v) for k, v in self.state.items()},
        )

    def to_json(self) -> dict:
        """The CLI's JSON shape for one run."""
        return {
            "optimizer": self.optimizer,
            "hparams": self.hparams,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "seconds": self.seconds,
            "switched_at": self.switched_at,
            "state": self.state,
        }


def cross_entropy(logits, labels):
    """Mean softmax cross-entropy of integer labels."""
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


@functools.lru_cache(maxsize=64)
def _programs(model_name: str, opt_name: str):
    """The jitted training step and prediction functions for one model and optimizer."""
    model = MODELS[model_name]
    _, unravel = ravel_pytree(model.init(jax.random.PRNGKey(0)))  # the structure, whatever the key

    def loss_fn(params, images, labels):
        return cross_entropy(model.apply(params, images), labels)

    def predict(flat, images):
        return jnp.argmax(model.forward(unravel(flat), images), axis=1)

    step = training_step(model_name, opt_name, flat_value_and_grad(loss_fn, unravel))
    return jax.jit(step), jax.jit(predict)


def _accuracy(predict, flat, images, labels, chunk: int = 2000) -> tuple[float, np.ndarray]:
    preds = np.concatenate([np.asarray(predict(flat, images[i : i + chunk])) for i in range(0, len(images), chunk)])
    return float((preds == labels).mean()), preds


def check_sizes(data: Mnist, epochs: int, batch_size: int, train_size: int, test_size: int) -> None:
    """Refuse sizes outside the limits or the data, with SpecError naming the item (epochs, train, test, batch)."""
    checks = [
        ("epochs", epochs, 1, MAX_EPOCHS),
        ("train", train_size, 1, len(data.train_images)),
        ("test", test_size, 1, len(data.test_images)),
        ("batch", batch_size, 1, min(MAX_BATCH, train_size)),
    ]
    for item, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise SpecError(f"{item}: must be a whole number from {lo} to {hi} (got {value})")


def train_race(
    model_name: str,
    specs: Sequence[OptSpec],
    data: Mnist,
    epochs: int = 1,
    batch_size: int = 60,
    train_size: int = 12_000,
    test_size: int = 2_000,
    seed: int = 0,
    log_every: int = 10,
    progress: Callable[[float, str, TrainRun], None] | None = None,
    record_every: int | None = None,
    tick: Callable[[float, str], None] | None = None,
) -> list[TrainRun]:
    """Train every spec from the same initialisation on the same batches.

    ``progress(fraction, message, run)`` is called after every epoch with the run so far. (The
    page's Stop button needs no hook here: Streamlit interrupts the script at its next progress
    update, and the page keeps every epoch that finished.)

    With ``record_every``, each run keeps its flat parameters at the start and every that many
    steps (for loss landscapes).

    ``tick(fraction, message)`` is called every TICK_BATCHES batches, with no more than about
    half as many batches queued on the device: a job that is stopped there (it raises) leaves
    the CPU within a fraction of a second, not at the end of an epoch.
    """
    check_sizes(data, epochs, batch_size, train_size, test_size)
    model = MODELS[model_name]
    flat0, _ = ravel_pytree(model.init(jax.random.PRNGKey(seed)))
    train_x, train_y = data.train_images[:train_size], data.train_labels[:train_size].astype(np.int32)
    test_x, test_y = data.test_images[:test_size], data.test_labels[:test_size].astype(np.int32)
    n_batches = train_size // batch_size
    orders = [np.random.default_rng(seed + e).permutation(train_size)[: n_batches * batch_size] for e in range(epochs)]
    runs = []
    for k, spec in enumerate(specs):
        step_fn, predict = _programs(model_name, spec.name)
        opt = REGISTRY[spec.name]
        check_network(spec)
        check_steps(spec, epochs * n_batches)
        hp = {name: jnp.float32(v) for name, v in spec.settings().items()}
        flat, state = flat0, network_rule(model_name, spec.name)[0](flat0)
        key = jax.random.PRNGKey(seed)
        run = TrainRun(spec.name, dict(spec.hparams))
        if record_every:
            run.snapshots.append(np.asarray(flat0))
        for e, order in enumerate(orders):
            t0 = time.perf_counter()
            xb = train_x[order].reshape(n_batches, batch_size, 28, 28)
            yb = train_y[order].reshape(n_batches, batch_size)
            step_losses = []
            for b in range(n_batches):  # dispatched asynchronously: the host runs ahead of the device
                flat, state, loss = step_fn(
                    flat, state, hp, xb[b], yb[b], np.int32(e * n_batches + b), np.int32(epochs * n_batches), key
                )
                step_losses.append(loss)
                if record_every and (e * n_batches + b + 1) % record_every == 0:
                    run.snapshots.append(np.asarray(flat))
                if tick is not None and (b + 1) % TICK_BATCHES == 0:
                    step_losses[-TICK_BATCHES // 2].block_until_ready()  # bound what is queued ahead
                    done = (k * epochs + e + (b + 1) / n_batches) / (len(specs) * epochs)
                    tick(done, f"{opt.display_name}: epoch {e + 1} of {epochs}, batch {b + 1} of {n_batches}")
            losses = np.asarray(jax.device_get(step_losses))  # waits for the epoch to finish
            run.seconds += time.perf_counter() - t0
            t0 = time.perf_counter()
            run.train_loss += [float(v) for v in losses[::log_every]]
            run.train_accuracy.append(_accuracy(predict, flat, train_x, train_y)[0])
            acc, preds = _accuracy(predict, flat, test_x, test_y)
            run.test_accuracy.append(acc)
            run.predictions = preds
            run.eval_seconds += time.perf_counter() - t0
            for item, value in network_rule(model_name, spec.name)[2](state, hp).items():
                if jnp.ndim(value) == 0:
                    run.state.setdefault(item, []).append(float(value))
                elif jnp.size(value) <= SMALL_STATE:
                    run.small_state[item] = np.asarray(value)
            switched = getattr(state, "switched_at", None)
            run.switched_at = int(switched) if switched is not None and int(switched) > 0 else None
            if progress is not None:
                progress(
                    (k * epochs + e + 1) / (len(specs) * epochs),
                    f"{opt.display_name}: epoch {e + 1} of {epochs}, test accuracy {acc:.1%}",
                    run,
                )
        runs.append(run)
    return runs
