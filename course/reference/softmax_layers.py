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
    """ソフトマックス関数と交差エントロピー誤差をつなげたレイヤ (backward は 2 つをまとめた簡単な式)。

    forward(x, t): x は形状 (N, C) のスコア (ロジット、1 サンプルなら (C,))。
    t は同じ形状の one-hot 表現、または形状 (N,) の整数ラベル。バッチで平均した
    交差エントロピー誤差を返し (log の中に eps = 1e-7、:func:`cross_entropy_error` を参照)、
    y = softmax(x) を保存する。
    backward(dout=1): x の形状で dout · (y − t) / N を返す。N で割るのは損失がバッチの
    「平均」だから。log の中の eps は教科書と同じく backward では無視する (影響は 1e-6 未満)。
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
        if t.size == y.size:  # one-hot 表現
            dx = y - t.reshape(y.shape)
        else:  # ラベル: 正解クラスの位置から 1 を引く
            dx = y.copy()
            dx[np.arange(batch_size), t.reshape(batch_size).astype(np.int64)] -= 1
        return (dout * dx / batch_size).reshape(self.y.shape)
