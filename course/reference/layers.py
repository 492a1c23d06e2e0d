"""Layers with forward/backward in the convention of 『ゼロから作るDeep Learning』 (chapter 4).

Each layer keeps what its backward needs from the last forward call. ``backward(dout)``
takes the gradient of the loss with respect to the layer's output and returns the
gradient with respect to its input; parameter gradients are stored as attributes
(``dW``, ``db``).
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine"]


class MulLayer:
    """z = x · y (scalars or arrays of one shape)."""

    def __init__(self) -> None:
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        """Returns (dx, dy) = (dout · y, dout · x): each input gets the other one."""
        return dout * self.y, dout * self.x


class AddLayer:
    """z = x + y (scalars or arrays of one shape)."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        """Returns (dx, dy) = (dout, dout): addition passes the gradient on unchanged."""
        return dout, dout


class Relu:
    """ReLU layer y = max(0, x) for input of any shape.

    The mask x <= 0 is taken from the INPUT; backward passes dout where x > 0 and
    0 elsewhere (the derivative at exactly 0 is taken as 0, as in PyTorch).
    """

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx = dout.copy()
        dx[self.mask] = 0  # dy/dx = 1 for x > 0, 0 otherwise
        return dx


class Sigmoid:
    """Sigmoid layer y = 1 / (1 + exp(−x)) for input of any shape.

    backward uses the stored OUTPUT: dy/dx = y (1 − y).
    """

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)  # dy/dx = y(1 − y)


class Affine:
    """Fully connected layer Y = X · W + b.

    W: array of shape (D, M); b: array of shape (M,).
    forward(x): x of shape (N, D), or (N, d1, d2, ...) with d1·d2·… = D, which is
    flattened to (N, D); returns Y of shape (N, M) (b is broadcast over the rows).
    backward(dout): dout of shape (N, M); sets dW = Xᵀ · dY (D, M) and
    db = Σ_n dY[n] (M,), and returns dX = dY · Wᵀ in the original shape of x.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self.dW = self.x.T @ dout  # ∂L/∂W = Xᵀ · ∂L/∂Y
        self.db = np.sum(dout, axis=0)  # b was broadcast over N rows: sum them
        dx = dout @ self.W.T  # ∂L/∂X = ∂L/∂Y · Wᵀ
        return dx.reshape(self.original_x_shape)
