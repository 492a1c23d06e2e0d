"""Mini-batch SGD training of a TwoLayerNet, written out as a plain loop (chapter 5).

Chapter 10 wraps the same loop, with other optimizers, in :class:`Trainer`; this
function keeps every step visible: shuffle, slice a mini-batch, backprop, update.
"""

from __future__ import annotations

import numpy as np

from ..progress import progress
from .networks import TwoLayerNet

__all__ = ["train_two_layer_net"]


def train_two_layer_net(
    x_train: np.ndarray,
    t_train: np.ndarray,
    x_test: np.ndarray,
    t_test: np.ndarray,
    hidden_size: int = 50,
    epochs: int = 30,
    batch_size: int = 20,
    learning_rate: float = 0.1,
    weight_init_std: float = 0.1,
    seed: int = 0,
    show_progress: bool = True,
) -> tuple[TwoLayerNet, dict[str, list[float]]]:
    """Train a TwoLayerNet by plain mini-batch SGD and record its learning curves.

    x_train (N, D), t_train labels (N,) or one-hot (N, C); x_test, t_test likewise.
    The test data are only evaluated after each epoch, never trained on.
    The network is TwoLayerNet(D, hidden_size, C, weight_init_std, rng) with C the
    number of classes (t_train.shape[1] for one-hot, max label + 1 otherwise) and
    rng = np.random.default_rng(seed), which also draws the order of the samples.
    Each epoch visits the training set once in a fresh random order, in
    ⌈N / batch_size⌉ mini-batches (the last one may be smaller). Each mini-batch
    updates every parameter IN PLACE, p ← p − learning_rate · ∂L/∂p, so the Affine
    layers, which hold the same arrays, see the new values.
    Returns (network, history): history['train_loss'] holds the mean of the
    mini-batch losses of each epoch (each measured before its update),
    history['train_acc'] and history['test_acc'] the accuracies after each epoch;
    every list has ``epochs`` entries. show_progress: draw a progress bar.
    """
    rng = np.random.default_rng(seed)
    num_classes = t_train.shape[1] if t_train.ndim == 2 else int(t_train.max()) + 1
    network = TwoLayerNet(x_train.shape[1], hidden_size, num_classes, weight_init_std, rng=rng)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "test_acc": []}
    n = x_train.shape[0]
    for _ in progress(range(epochs), desc="学習", unit="epoch", disable=not show_progress):
        order = rng.permutation(n)  # a new random order in every epoch
        losses = []
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            x_batch, t_batch = x_train[batch], t_train[batch]
            grads = network.gradient(x_batch, t_batch)
            losses.append(network.last_layer.loss)  # the loss of the forward pass inside gradient
            for key in ("W1", "b1", "W2", "b2"):
                network.params[key] -= learning_rate * grads[key]  # in place: the layers share the arrays
        history["train_loss"].append(float(np.mean(losses)))
        history["train_acc"].append(network.accuracy(x_train, t_train))
        history["test_acc"].append(network.accuracy(x_test, t_test))
    return network, history
