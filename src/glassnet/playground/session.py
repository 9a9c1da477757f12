"""One playground session: its data, its network and optimizer, and the thread that trains.

Training is the engine's own: each step is :meth:`Network.train_step` on a mini-batch of
the shuffled training set, exactly the step :func:`glassnet.fit` takes. A session is
reproducible: its seed draws the data, the initial weights, the order of the mini-batches
and the dropout masks from separate streams, so that a reset with the same settings
starts from the same network and takes the same steps.

Everything that reads or changes the network holds :attr:`Session.lock`: the training
thread takes it for a few milliseconds of steps at a time, so that a request waits at
most that long.
"""

from __future__ import annotations

import copy
import itertools
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import Array
from ..layers import Dense, Dropout, Layer
from ..losses import Task, loss_for_task
from ..network import Network
from ..optimizers import Optimizer, get_optimizer
from .config import LIMITS, Config
from .datasets import Dataset, make_dataset

MAX_HISTORY = 1000
"""The most points a loss curve keeps: beyond, every other one is dropped."""
CHUNK_SECONDS = 0.01
"""How long the training thread holds the lock at a time: a request waits at most this."""


def build_network(config: Config, n_outputs: int, task: Task, seed: int) -> Network:
    """The network ``config`` describes: a :class:`Dense` layer per hidden layer with its
    own activation (and batch norm when asked), a :class:`Dropout` after it when its rate
    is above 0, and the output layer that suits ``task``. The weights are drawn from a
    stream of ``seed``, the dropout masks from another."""
    init_seed, dropout_seed = np.random.SeedSequence([seed, 1]).spawn(2)
    init, masks = np.random.default_rng(init_seed), np.random.default_rng(dropout_seed)
    layers: list[Layer] = []
    n_in = 2
    for hidden in config.layers:
        layers.append(
            Dense(
                n_in,
                hidden.units,
                hidden.activation,
                batch_norm=config.batch_norm,
                rng=init,
                dtype="float64",
            )
        )
        if hidden.dropout > 0:
            layers.append(Dropout(hidden.units, hidden.dropout, rng=masks))
        n_in = hidden.units
    loss = loss_for_task(task)  # its output activation: sigmoid, softmax or identity
    layers.append(Dense(n_in, n_outputs, loss.output_activation, rng=init, dtype="float64"))
    return Network(layers, loss, l2=config.l2, l1=config.l1)


def make_optimizer(config: Config) -> Optimizer:
    return get_optimizer(config.optimizer, learning_rate=config.learning_rate)


@dataclass
class Before:
    """What the last step started from, so that its trace can be run again on a copy: the
    parameters and buffers, the optimizer's state, each layer's random generator, and
    the mini-batch (indices into the training set)."""

    arrays: dict[str, Array]
    optimizer: dict[str, Any]
    rngs: list[np.random.Generator | None]
    indices: np.ndarray


class Session:
    """A data set, a network, its optimizer and the state of training."""

    def __init__(self, config: Config, *, play_seconds: float = LIMITS["play_seconds"]) -> None:
        self.lock = threading.RLock()
        # Serializes play, pause and reset, which start and join the training thread.
        self._control = threading.RLock()
        self.play_seconds = play_seconds
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.reset(config)

    # -- building -----------------------------------------------------------------------

    def reset(self, config: Config) -> None:
        """Stop training and start again from ``config``: the same settings give the same
        data, initial weights and sequence of mini-batches."""
        with self._control:
            self.pause()
            self._build(config)

    def _build(self, config: Config) -> None:
        data = make_dataset(
            config.dataset,
            config.samples,
            config.noise,
            config.train_ratio,
            config.seed,
            config.csv,
        )
        n_outputs = loss_for_task(data.task).output_units(len(data.classes))
        network = build_network(config, n_outputs, data.task, config.seed)
        with self.lock:
            self.config, self.data, self.network = config, data, network
            self.optimizer = make_optimizer(config)
            self.X_train = network.check_X(data.X_train, "X_train")
            self.Y_train = network.check_y(data.y_train, len(data.y_train), "y_train")
            self.X_test = network.check_X(data.X_test, "X_test")
            self.Y_test = network.check_y(data.y_test, len(data.y_test), "y_test")
            self._order_rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2]))
            self._order = self._order_rng.permutation(len(self.X_train))
            self._position = 0
            self.batch_size = min(config.batch_size, len(self.X_train))
            self.epoch = self.step_count = 0
            self.before: Before | None = None
            self.error: str | None = None
            self.notice: str | None = None
            # (network, step) → findings: a page polls faster than training changes them.
            self.findings_cache: tuple[tuple[int, int], list[dict[str, Any]]] | None = None
            self.history: dict[str, list[float]] = {"epoch": [], "train_loss": [], "test_loss": []}
            self._record()

    # -- training -----------------------------------------------------------------------

    def losses(self) -> tuple[float, float]:
        """The mean loss (without the L1 and L2 terms) on the training and the test set."""
        return (
            self.network.evaluate(self.X_train, self.Y_train)["loss"],
            self.network.evaluate(self.X_test, self.Y_test)["loss"],
        )

    def _record(self) -> None:
        train, test = self.losses()
        history = self.history
        history["epoch"].append(self.epoch)
        history["train_loss"].append(train)
        history["test_loss"].append(test)
        if len(history["epoch"]) > MAX_HISTORY:
            for key in history:
                history[key] = history[key][::2]

    def next_indices(self) -> np.ndarray:
        """The mini-batch the next step takes (a new epoch reshuffles first)."""
        m, size = len(self.X_train), self.batch_size
        # A remainder too small to learn from (batch norm needs 2) waits for the next epoch.
        if self._position + min(size, self.network_min_batch()) > m:
            self._new_epoch()
        return self._order[self._position : self._position + size]

    def network_min_batch(self) -> int:
        return max(layer.min_batch_size for layer in self.network.layers)

    def _new_epoch(self) -> None:
        self.epoch += 1
        self._record()
        self._order = self._order_rng.permutation(len(self.X_train))
        self._position = 0

    def step(self) -> float:
        """One mini-batch step (the lock must be held); returns the batch's cost ``J``."""
        indices = self.next_indices()
        network = self.network
        self.before = Before(
            {key: array.copy() for key, array in network.arrays().items()},
            self.optimizer.state_dict(),
            [
                copy.deepcopy(layer.rng) if isinstance(layer, Dropout) else None
                for layer in network.layers
            ],
            indices,
        )
        cost = network.train_step(
            self.X_train[indices], self.Y_train[indices], self.optimizer, stop_if_non_finite=True
        )
        if not math.isfinite(cost):
            self.error = (
                f"the cost J became {cost} at epoch {self.epoch}, step {self.step_count + 1}: "
                "lower the learning rate (or the L1 and L2 terms) and reset"
            )
            self.before = None
            return cost
        self.step_count += 1
        self._position += len(indices)
        if self._position >= len(self.X_train):
            self._new_epoch()
        return cost

    def step_once(self) -> None:
        """One step, unless training is running or stopped on an error."""
        with self.lock:
            if self.running:
                raise RuntimeError("training is running: pause it before taking one step")
            if self.error is None:
                self.step()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def play(self) -> None:
        """Start the training thread (nothing happens if it runs already)."""
        with self._control, self.lock:
            if self.running or self.error is not None:
                return
            self.notice = None
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._train, args=(self._stop,), name="glassnet-playground", daemon=True
            )
            self._thread.start()

    def pause(self) -> None:
        """Stop the training thread after its current step and wait for it."""
        with self._control:
            thread = self._thread
            self._stop.set()
            if thread is not None and thread is not threading.current_thread():
                thread.join()
            self._thread = None

    def _train(self, stop: threading.Event) -> None:
        started = time.monotonic()
        while not stop.is_set():
            with self.lock:
                until = time.monotonic() + CHUNK_SECONDS
                while time.monotonic() < until and not stop.is_set():
                    self.step()
                    if self.error is not None:
                        stop.set()
                if time.monotonic() - started > self.play_seconds:
                    self.notice = (
                        f"training paused after {self.play_seconds:g} s, the limit of one play: "
                        "press play to go on"
                    )
                    stop.set()
            time.sleep(0.0005)  # let the request threads take the lock and the interpreter

    # -- what the page reads ------------------------------------------------------------

    def batch(self) -> np.ndarray:
        """The indices of the current mini-batch: the last step's, or before any step,
        the next one's."""
        if self.before is not None:
            return self.before.indices
        position, order = self._position, self._order
        return order[position : position + self.batch_size]

    def before_copy(self) -> tuple[Network, Optimizer, np.ndarray] | None:
        """A copy of the network and optimizer as the last step found them, and its batch."""
        if self.before is None:
            return None
        before = self.before
        config = self.network.config()
        rngs = [copy.deepcopy(rng) for rng in before.rngs]
        network = Network.from_config(config, before.arrays, rngs)
        settings = dict(before.optimizer)
        optimizer = get_optimizer(
            settings.pop("name"),
            **{
                k: v
                for k, v in settings.items()
                if k not in ("iterations", "current_learning_rate", "arrays")
            },
        )
        optimizer.load_state_dict(before.optimizer, [theta for _, theta in network.parameters()])
        return network, optimizer, before.indices

    def state(self) -> dict[str, Any]:
        """The body of ``GET /api/state`` (without the findings, which :mod:`.glass` adds)."""
        with self.lock:
            train, test = self.losses()
            return {
                "running": self.running,
                "epoch": self.epoch,
                "step": self.step_count,
                "train_loss": _json_number(train),
                "test_loss": _json_number(test),
                "history": {
                    key: [_json_number(v) for v in values] for key, values in self.history.items()
                },
                "network": network_view(self.network),
                "data": data_view(self.data),
                "config": self.config.to_dict(),
                "error": self.error,
                "notice": self.notice,
            }


def _json_number(value: float) -> float | None:
    """JSON has no NaN or infinity: ``None`` stands for them."""
    return float(value) if math.isfinite(value) else None


def network_view(network: Network) -> dict[str, Any]:
    """The sizes, activations, weights ``W^[l]`` (``n_l × n_{l−1}``) and biases ``b^[l]``."""
    dense = [layer for layer in network.layers if isinstance(layer, Dense)]
    dropout = {}
    for below, layer in itertools.pairwise(network.layers):
        if isinstance(layer, Dropout):
            dropout[id(below)] = layer.rate
    return {
        "sizes": [dense[0].n_in, *(layer.n_out for layer in dense)],
        "activations": [layer.activation.name for layer in dense],
        "weights": [layer.W.tolist() for layer in dense],
        "biases": [layer.b.tolist() for layer in dense],
        "dropout": [dropout.get(id(layer), 0.0) for layer in dense],
        "batch_norm": [
            None
            if layer.norm is None
            else {"gamma": layer.norm.gamma.tolist(), "beta": layer.norm.beta.tolist()}
            for layer in dense
        ],
        "loss": network.loss.name,
    }


def data_view(data: Dataset) -> dict[str, Any]:
    """The points as ``[x, y, label]`` rows (a value for regression)."""

    def rows(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
        labels = y.tolist()
        return [[x0, x1, label] for (x0, x1), label in zip(X.tolist(), labels, strict=True)]

    return {
        "train": rows(data.X_train, data.y_train),
        "test": rows(data.X_test, data.y_test),
        "task": data.task,
        "classes": data.classes,
    }
