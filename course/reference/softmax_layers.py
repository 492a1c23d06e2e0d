"""Backward of softmax and the combined Softmax-with-Loss layer (chapter 5)."""

from __future__ import annotations

import numpy as np

from .activations import softmax
from .losses import cross_entropy_error

__all__ = ["softmax_jacobian", "softmax_backward", "SoftmaxWithLoss"]


def softmax_jacobian(y: np.ndarray) -> np.ndarray:
    """Jacobian ∂y_i/∂x_j = y_i (δ_ij − y_j) of softmax, given its output y.

    y: softmax output of shape (C,), or (N, C) for a batch.
    Returns diag(y) − y yᵀ of shape (C, C), or (N, C, C) (one matrix per row).
    """
    y = np.asarray(y)
    eye = np.eye(y.shape[-1], dtype=y.dtype)
    return y[..., :, None] * eye - y[..., :, None] * y[..., None, :]


def softmax_backward(y: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Vector–Jacobian product of softmax: dx = Jᵀ dy = y ⊙ (dy − ⟨dy, y⟩).

    y: softmax output of shape (C,) or (N, C); dy: upstream gradient ∂L/∂y, same shape.
    Returns ∂L/∂x of the same shape, computed row by row without forming J
    (J is symmetric, so Jᵀ dy = J dy = y ⊙ dy − y (yᵀ dy)).
    """
    return y * (dy - np.sum(dy * y, axis=-1, keepdims=True))


class SoftmaxWithLoss:
    """Softmax followed by cross-entropy, with the simple combined backward.

    forward(x, t): x scores (logits) of shape (N, C) (or (C,) for one sample);
    t one-hot of the same shape or integer labels of shape (N,). Returns the mean
    cross-entropy over the batch (eps = 1e-7 inside the log, see
    :func:`cross_entropy_error`) and stores y = softmax(x).
    backward(dout=1): returns dout · (y − t) / N, of the shape of x. The division by
    N is there because the loss is the batch MEAN; the eps inside the log is
    ignored by the backward, as in the textbook (its effect is below 1e-6).
    """

    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        y = self.y if self.y.ndim == 2 else self.y.reshape(1, -1)
        batch_size = y.shape[0]
        t = np.asarray(self.t)
        if t.size == y.size:  # one-hot
            dx = y - t.reshape(y.shape)
        else:  # labels: subtract 1 at the target class
            dx = y.copy()
            dx[np.arange(batch_size), t.reshape(batch_size).astype(np.int64)] -= 1
        return (dout * dx / batch_size).reshape(self.y.shape)
