"""Mini-batch training loop (chapters 5 and 10)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..progress import progress
from .optimizers import OPTIMIZERS

__all__ = ["Trainer"]


class Network(Protocol):
    params: dict[str, np.ndarray]
    last_layer: Any  # SoftmaxWithLoss: its .loss holds the last forward's data loss

    def loss(self, x: np.ndarray, t: np.ndarray, *args: Any) -> float: ...
    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float: ...
    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]: ...


class Trainer:
    """Train a network by mini-batch gradient descent and record its learning curves.

    network: an object with ``params``, ``gradient(x, t)``, ``loss(x, t)``, ``accuracy(x, t)``.
    x_train (N, D), t_train (N,) or (N, C); x_test, t_test likewise.
    optimizer: a name from ``OPTIMIZERS`` ('sgd', 'momentum', 'nesterov', 'adagrad',
    'rmsprop', 'adadelta', 'adam', 'amsgrad', 'adamw'), built with ``optimizer_param``.
    Each epoch visits the training set once in a fresh random order drawn from
    ``np.random.default_rng(seed)``, in ⌈N / mini_batch_size⌉ mini-batches.
    evaluate_sample_num_per_epoch: if set, accuracies are measured on that many
    leading samples only (faster). show_progress: draw a progress bar per run.
    """

    def __init__(
        self,
        network: Network,
        x_train: np.ndarray,
        t_train: np.ndarray,
        x_test: np.ndarray,
        t_test: np.ndarray,
        epochs: int = 20,
        mini_batch_size: int = 100,
        optimizer: str = "sgd",
        optimizer_param: dict[str, float] | None = None,
        evaluate_sample_num_per_epoch: int | None = None,
        seed: int = 0,
        show_progress: bool = True,
    ) -> None:
        name = optimizer.lower()
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer に {optimizer!r} は使えません。{sorted(OPTIMIZERS)} のどれかにしてください")
        self.network = network
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = epochs
        self.batch_size = mini_batch_size
        self.optimizer = OPTIMIZERS[name](**(optimizer_param or {}))
        self.evaluate_sample_num = evaluate_sample_num_per_epoch
        self.rng = np.random.default_rng(seed)
        self.show_progress = show_progress
        self.history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "test_acc": []}

    def train_step(self, x_batch: np.ndarray, t_batch: np.ndarray) -> float:
        """One update on one mini-batch; returns the batch's cross-entropy before the
        update, as computed in training mode by ``gradient`` (without the L2 term)."""
        grads = self.network.gradient(x_batch, t_batch)
        loss = float(self.network.last_layer.loss)
        self.optimizer.update(self.network.params, grads)
        return loss

    def _evaluate(self) -> tuple[float, float]:
        n = self.evaluate_sample_num
        x_tr, t_tr = (self.x_train, self.t_train) if n is None else (self.x_train[:n], self.t_train[:n])
        x_te, t_te = (self.x_test, self.t_test) if n is None else (self.x_test[:n], self.t_test[:n])
        return self.network.accuracy(x_tr, t_tr), self.network.accuracy(x_te, t_te)

    def train(self) -> dict[str, list[float]]:
        """Run all epochs. Returns the history: 'train_loss' per iteration (see
        :meth:`train_step`),
        'train_acc' and 'test_acc' once per epoch (after it)."""
        n = self.x_train.shape[0]
        bar = progress(range(self.epochs), desc="学習", unit="epoch", disable=not self.show_progress)
        for _ in bar:
            order = self.rng.permutation(n)
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                self.history["train_loss"].append(self.train_step(self.x_train[idx], self.t_train[idx]))
            train_acc, test_acc = self._evaluate()
            self.history["train_acc"].append(train_acc)
            self.history["test_acc"].append(test_acc)
            bar.set_postfix(loss=f"{self.history['train_loss'][-1]:.3f}", test_acc=f"{test_acc:.3f}")
        return self.history
