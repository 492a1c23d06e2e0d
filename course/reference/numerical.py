"""Numerical differentiation, gradient descent and a one-layer network's numerical gradient (chapter 3)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import softmax
from .losses import cross_entropy_error

__all__ = ["numerical_diff", "numerical_gradient", "gradient_descent", "SimpleNet"]


def numerical_diff(f: Callable[[float], float], x: float, h: float = 1e-4) -> float:
    """Central difference (f(x + h) − f(x − h)) / 2h.

    Its truncation error is O(h²), against O(h) for the forward difference
    (f(x + h) − f(x)) / h; h = 1e-4 balances it against rounding error in float64.
    """
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """スカラー関数の勾配を、要素を 1 つずつ動かす中心差分で求める。

    f: x のスカラー関数。x: 任意の形状・任意のストライドの配列 (float32 も可)。
    各要素はその場で (in place) 動かす (なので ``lambda W: net.loss(x, t)`` のように
    ``f`` が引数を無視して同じ配列を読んでもよい)。f が例外を出しても、後で元の値に
    正確に戻す。差分商の分母には実際にとった刻み、つまり x の dtype で保存された
    (x + h) − (x − h) を使うので、float32 の入力でも精度が落ちない。
    x と同じ形状の float64 の配列を返す。
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"x は浮動小数点数の配列にしてください (その場で値をずらすため)。dtype {x.dtype} の配列が渡されました"
        )
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        original = x[idx].copy()
        try:
            x[idx] = original + h
            upper, f_upper = x[idx].astype(np.float64), f(x)
            x[idx] = original - h
            lower, f_lower = x[idx].astype(np.float64), f(x)
        finally:
            x[idx] = original
        if upper == lower:
            raise FloatingPointError(
                f"x{list(idx)} = {original} は刻み幅 h = {h} に比べて大きすぎ、x ± h が x に丸められます"
            )
        grad[idx] = (f_upper - f_lower) / (upper - lower)
    return grad


def gradient_descent(
    f: Callable[[np.ndarray], float], init_x: np.ndarray, lr: float = 0.01, step_num: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Plain gradient descent x ← x − lr · ∇f(x) with numerical gradients.

    init_x: starting point of any shape; it is not modified.
    Returns (x, history): the final point (float64, shape of init_x) and every
    point visited, of shape (step_num + 1, *init_x.shape), history[0] = init_x.
    """
    x = np.array(init_x, dtype=np.float64)
    history = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        history.append(x.copy())
    return x, np.array(history)


class SimpleNet:
    """The textbook's simpleNet: scores x @ W, softmax, cross-entropy; no bias, no hidden layer.

    W: weight matrix of shape (D, C), kept as ``self.W`` without copying.
    predict(x): x of shape (N, D) or (D,) → scores of shape (N, C) or (C,).
    loss(x, t): mean cross-entropy of softmax(scores); t labels (N,) or one-hot (N, C)
    (one sample: a label () or one-hot (C,)).
    numerical_gradient(x, t): ∂loss/∂W of shape (D, C) by central differences; the loss
    ignores its argument and reads self.W, which numerical_gradient perturbs in place.
    """

    def __init__(self, W: np.ndarray) -> None:
        self.W = W

    def predict(self, x: np.ndarray) -> np.ndarray:
        return x @ self.W

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        return cross_entropy_error(softmax(self.predict(x)), t)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        # the loss does not use its argument: numerical_gradient changes self.W itself
        return numerical_gradient(lambda _: self.loss(x, t), self.W)
