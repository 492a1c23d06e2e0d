"""Trainer: history bookkeeping, determinism, and the accuracy the course promises on digits."""

import numpy as np
import pytest

from course.data import load_digits
from course.reference import MultiLayerNetExtend, Trainer, TwoLayerNet


def _trainer(seed=0, **kwargs):
    (x_train, t_train), (x_test, t_test) = load_digits()
    net = MultiLayerNetExtend(64, [100, 100], 10, use_batchnorm=True, rng=np.random.default_rng(seed))
    options = dict(epochs=30, mini_batch_size=32, optimizer="adam", optimizer_param={"lr": 0.001}, seed=seed)
    options.update(kwargs)
    return Trainer(net, x_train, t_train, x_test, t_test, show_progress=False, **options)


def test_history_lengths_and_determinism():
    a = _trainer(epochs=2, mini_batch_size=100).train()
    b = _trainer(epochs=2, mini_batch_size=100).train()
    assert len(a["train_loss"]) == 2 * 15  # ⌈1437 / 100⌉ = 15 mini-batches per epoch
    assert len(a["train_acc"]) == len(a["test_acc"]) == 2
    assert a == b


def test_reference_network_reaches_97_percent_on_digits():
    # The promise of the README: batch norm + Adam reaches ≥ 97 % on the digits test split.
    for seed in (0, 1):
        history = _trainer(seed=seed).train()
        assert history["test_acc"][-1] >= 0.97, (seed, history["test_acc"][-5:])
        assert history["train_loss"][-1] < history["train_loss"][0]


def test_two_layer_net_sgd_learns():
    (x_train, t_train), (x_test, t_test) = load_digits()
    net = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
    history = Trainer(
        net,
        x_train,
        t_train,
        x_test,
        t_test,
        epochs=15,
        mini_batch_size=50,
        optimizer="SGD",
        optimizer_param={"lr": 0.5},
        show_progress=False,
    ).train()
    assert history["test_acc"][-1] >= 0.9


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="は使えません"):
        _trainer(optimizer="lbfgs")
