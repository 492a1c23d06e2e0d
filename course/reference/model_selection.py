"""Validation split, random search of hyper-parameters and model averaging (chapter 10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .activations import softmax

__all__ = ["train_validation_split", "sample_config", "random_search", "average_probabilities"]


def train_validation_split(
    x: np.ndarray, t: np.ndarray, validation_ratio: float = 0.2, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split (x, t) at random into a training part and a validation part.

    x: (N, ...); t: labels (N,) or one-hot (N, C), row i of t belongs to row i of x.
    validation_ratio: r with 0 < r < 1. The order is
    ``np.random.default_rng(seed).permutation(N)``; its first n_val = ⌊N · r⌋
    indices (``int(N * r)``, rounded down as in the textbook) form the validation
    set and the remaining N − n_val the training set, both in that order. x and t
    are indexed with the SAME indices, so the pairs stay together. The exercise asks
    only for these properties (any seeded random partition of these sizes, the same
    for the same seed), not for this particular order.
    Returns ((x_train, t_train), (x_val, t_val)), the order of ``load_digits``;
    the inputs are not modified.

    Raises:
        ValueError: if r is not in (0, 1) or x and t differ in length.
    """
    if not 0 < validation_ratio < 1:
        raise ValueError(
            f"validation_ratio は 0 より大きく 1 より小さい数にしてください ({validation_ratio} が渡されました)"
        )
    n = x.shape[0]
    if t.shape[0] != n:
        raise ValueError(f"x と t のサンプル数 (最初の軸の長さ) が違います ({n} と {t.shape[0]})")
    order = np.random.default_rng(seed).permutation(n)  # one permutation for x AND t
    n_val = int(n * validation_ratio)  # rounded down
    val, train = order[:n_val], order[n_val:]
    return (x[train], t[train]), (x[val], t[val])


def sample_config(rng: np.random.Generator) -> dict[str, Any]:
    """One candidate of the random search of chapter 10.4, drawn from ``rng`` only.

    The learning rate is 10**u and the weight-decay lambda 10**v, with u uniform on [-3.5, -2.5) and
    v uniform on [-6, -3): the EXPONENTS are uniform (log scale), since what matters is the order of
    magnitude. Here u is drawn first, then v, one ``rng.uniform`` each, so that the notebook's table
    follows the generator of seed 0 as before; the exercise asks only for the ranges, the log scale,
    the fixed keys and "the same rng state gives the same config", not for this order of draws.
    Returns {"hidden_size_list": [100, 100], "use_batchnorm": True, "lr": float,
    "weight_decay_lambda": float} (a new dict and list each call).
    """
    lr = float(10 ** rng.uniform(-3.5, -2.5))  # the exponent is uniform: log scale
    weight_decay_lambda = float(10 ** rng.uniform(-6, -3))
    return {"hidden_size_list": [100, 100], "use_batchnorm": True, "lr": lr, "weight_decay_lambda": weight_decay_lambda}


def random_search(evaluate: Callable[[dict], dict], n_trials: int, seed: int = 0) -> list[dict[str, Any]]:
    """Random search: ``n_trials`` configs drawn in turn with ``sample_config`` from ONE generator
    ``np.random.default_rng(seed)``, each evaluated once with ``evaluate(config)``, which returns a dict
    with at least "val_acc" (the validation accuracy).

    Returns one dict per trial, {"trial": its number counted from 1, "config": the config evaluated,
    **the dict that evaluate returned}, best first: by "val_acc" descending, ties in trial order
    (``sorted(..., key=val_acc, reverse=True)`` is stable, so it keeps that order too).
    """
    search_rng = np.random.default_rng(seed)
    results = []
    for trial in range(1, n_trials + 1):
        config = sample_config(search_rng)
        results.append({"trial": trial, "config": config, **evaluate(config)})
    results.sort(key=lambda result: (-result["val_acc"], result["trial"]))  # best first; ties: the earlier trial
    return results


def average_probabilities(scores_list: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """Model averaging: the mean of the softmax probabilities of K models.

    scores_list: K score arrays of shape (N, C) (the ``predict`` outputs of K
    networks on the same N samples), as a list or an array of shape (K, N, C).
    Returns (N, C): (1/K) Σ_k softmax(scores_k), each row a probability vector.
    The probabilities are averaged, not the scores: the mean of the scores would
    let one over-confident model dominate and is not a mean of predictions.
    """
    return np.mean([softmax(scores) for scores in scores_list], axis=0)  # softmax first, then the mean over k
