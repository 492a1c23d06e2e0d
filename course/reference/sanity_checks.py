"""Sanity checks before training, in the manner of CS231n (reference solutions, chapter 5).

Two checks catch most bugs of a loss or of a training loop before any long run:

* with small random weights the softmax output is close to uniform, so the first
  cross-entropy loss (a batch mean) is close to ``ln C`` for ``C`` classes;
* a correct network and loop drive the loss towards 0 on a tiny subset of the data
  (plain full-batch gradient descent memorises a few samples).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["expected_initial_loss", "overfit_tiny_subset"]

Params = dict[str, np.ndarray]


def expected_initial_loss(num_classes: int) -> float:
    """The cross-entropy loss of a uniform prediction over ``num_classes`` classes: ``ln C``.

    With every probability ``1/C`` the loss of each sample is ``-log(1/C) = ln C``, and so is
    their batch mean (the value the first loss of a network with small weights should be near).
    num_classes: the number of classes C (an integer ≥ 2). Returns a Python float.
    """
    return float(np.log(num_classes))


def overfit_tiny_subset(
    params: Params,
    loss: Callable[[], float],
    gradient: Callable[[], Params],
    learning_rate: float,
    steps: int,
) -> list[float]:
    """Plain gradient descent for ``steps`` steps; returns the losses before and after each step.

    params: dict of parameter arrays (e.g. ``network.params``), updated IN PLACE, so that the
        layers that hold the same arrays see every update.
    loss: called without arguments, the loss (float) at the current parameters.
    gradient: called without arguments, the dict of gradients (same keys and shapes as
        ``params``) at the current parameters.
    Each step moves every parameter by ``-learning_rate`` times its gradient.
    Returns a list of ``steps + 1`` floats: entry k is ``loss()`` after k steps (entry 0
    before any update). ``steps = 0`` returns ``[loss()]`` and changes nothing.
    """
    losses = [float(loss())]
    for _ in range(steps):
        grads = gradient()
        for key in params:
            params[key] -= learning_rate * grads[key]  # in place: whoever shares the array sees the update
        losses.append(float(loss()))
    return losses
