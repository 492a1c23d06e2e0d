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
    """任意の形状の入力に対する ReLU レイヤ y = max(0, x)。

    マスク x <= 0 は「入力」から作る。backward は x > 0 の位置では dout をそのまま、
    それ以外では 0 を流す (ちょうど 0 での微分は PyTorch と同じく 0 とする)。
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
        dx[self.mask] = 0  # dy/dx は x > 0 で 1、それ以外で 0
        return dx


class Sigmoid:
    """任意の形状の入力に対する Sigmoid レイヤ y = 1 / (1 + exp(−x))。

    backward は保存した「出力」を使う: dy/dx = y (1 − y)。
    """

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.out * (1.0 - self.out)  # dy/dx = y(1 − y)


class Affine:
    """全結合層 (Affine レイヤ) Y = X · W + b。

    W: 形状 (D, M) の配列。b: 形状 (M,) の配列。
    forward(x): x は形状 (N, D)、または d1·d2·… = D となる (N, d1, d2, ...) で、
    後者は (N, D) に平らにする。形状 (N, M) の Y を返す (b は各行にブロードキャストされる)。
    backward(dout): dout は形状 (N, M)。dW = Xᵀ · dY (D, M) と db = Σ_n dY[n] (M,) を
    属性に保存し、dX = dY · Wᵀ を x の元の形状で返す。
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
        self.db = np.sum(dout, axis=0)  # b は N 行にブロードキャストされたので、N の軸で和をとる
        dx = dout @ self.W.T  # ∂L/∂X = ∂L/∂Y · Wᵀ
        return dx.reshape(self.original_x_shape)
