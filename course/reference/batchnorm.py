"""Batch Normalization (Ioffe & Szegedy 2015), staged and as a layer (chapter 7).

Conventions (the same as ``torch.nn.BatchNorm1d`` except where marked):

- x has shape (N, D): statistics are taken over the batch axis 0, per feature.
- The batch variance is the BIASED one, σ² = mean((x − μ)²), in training and in
  the running average (as the textbook). PyTorch uses the unbiased N/(N − 1)·σ²
  for its running variance (not for normalising the batch), as does the paper's
  inference step (Algorithm 2: Var[x] = m/(m − 1)·E[σ²_B]). eps = 1e-5 sits
  inside the square root: x̂ = (x − μ)/√(σ² + eps).
- ``momentum`` is the weight of the OLD value: running ← momentum · running +
  (1 − momentum) · batch_stat, so the default 0.9 equals PyTorch's momentum=0.1.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

__all__ = [
    "BatchNormCache",
    "batchnorm_forward",
    "bn_scale_shift_backward",
    "bn_normalize_backward",
    "bn_std_backward",
    "bn_variance_backward",
    "bn_centering_backward",
    "batchnorm_backward_graph",
    "batchnorm_backward_compact",
    "BatchNormalization",
]


class BatchNormCache(TypedDict):
    """訓練モードの forward が backward のために残すもの (配列はすべて形状 (N, D) の x に対するもの)。"""

    x: np.ndarray  # 入力、(N, D)
    xc: np.ndarray  # 中心化した入力 x − μ、(N, D)
    var: np.ndarray  # バッチの分散 (N で割る)、(D,)
    std: np.ndarray  # √(var + eps)、(D,)
    xn: np.ndarray  # 正規化した入力 xc / std、(N, D)
    gamma: np.ndarray  # スケール、(D,)
    eps: float


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, BatchNormCache]:
    """バッチ自身の統計量を使う訓練モードの forward。

    x: (N, D)。gamma, beta: (D,)。(out, cache) を返す。out = γ x̂ + β は形状 (N, D)。
    """
    mu = x.mean(axis=0)  # (D,)
    xc = x - mu  # 中心化
    var = np.mean(xc**2, axis=0)  # 分散 (N で割る)
    std = np.sqrt(var + eps)
    xn = xc / std  # 正規化
    out = gamma * xn + beta  # スケールとシフト
    cache = {"x": x, "xc": xc, "var": var, "std": std, "xn": xn, "gamma": gamma, "eps": eps}
    return out, cache


# Backward of the forward's computational graph, one node at a time (N: batch size, D: features).


def bn_scale_shift_backward(
    dout: np.ndarray, xn: np.ndarray, gamma: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node out = γ x̂ + β (γ, β broadcast over the batch).

    dout: (N, D), ∂L/∂out. xn: (N, D), x̂. gamma: (D,).
    Returns (dxn (N, D), dgamma (D,), dbeta (D,)); dgamma and dbeta are summed over the batch.
    """
    dxn = dout * gamma  # ∂out/∂x̂ = γ
    dgamma = np.sum(dout * xn, axis=0)  # ∂out/∂γ = x̂, summed over the N rows γ is used in
    dbeta = np.sum(dout, axis=0)  # ∂out/∂β = 1
    return dxn, dgamma, dbeta


def bn_normalize_backward(dxn: np.ndarray, xc: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node x̂ = xc / std, with two inputs: xc (N, D) and std (D,) (std broadcast over the batch).

    dxn: (N, D), ∂L/∂x̂. Returns (dxc (N, D), dstd (D,)): the gradient along the xc
    branch only, and the gradient of std summed over the batch.
    """
    dxc = dxn / std  # ∂x̂/∂xc = 1/std
    dstd = -np.sum(dxn * xc, axis=0) / std**2  # ∂x̂/∂std = −xc/std²
    return dxc, dstd


def bn_std_backward(dstd: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Node std = √(var + eps). dstd, std: (D,). Returns dvar (D,)."""
    return dstd / (2.0 * std)  # ∂√(var + eps)/∂var = 1/(2√(var + eps)) = 1/(2 std)


def bn_variance_backward(dvar: np.ndarray, xc: np.ndarray) -> np.ndarray:
    """Node var = (1/N) Σ_n xc², the biased variance. dvar: (D,); xc: (N, D).

    Returns dxc (N, D), the gradient along the var branch only.
    """
    n = xc.shape[0]
    return (2.0 / n) * xc * dvar  # ∂var/∂xc_n = 2 xc_n / N


def bn_centering_backward(dxc: np.ndarray) -> np.ndarray:
    """Node xc = x − μ with μ = (1/N) Σ_n x_n. dxc: (N, D), the TOTAL gradient of xc.

    Returns dx (N, D): the direct path (dxc) plus the path through μ, −(1/N) Σ_n dxc_n.
    """
    return dxc - np.mean(dxc, axis=0)  # dμ = −Σ_n dxc_n, and ∂μ/∂x_n = 1/N


def batchnorm_backward_graph(dout: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward through the computational graph of the forward, one node at a time.

    dout: (N, D), ∂L/∂out. cache: from :func:`batchnorm_forward`.
    Returns (dx (N, D), dgamma (D,), dbeta (D,)).
    """
    dxn, dgamma, dbeta = bn_scale_shift_backward(dout, cache["xn"], cache["gamma"])
    dxc_direct, dstd = bn_normalize_backward(dxn, cache["xc"], cache["std"])
    dvar = bn_std_backward(dstd, cache["std"])
    dxc_via_var = bn_variance_backward(dvar, cache["xc"])
    # xc feeds two nodes (x̂ and var): the gradients of the two branches add up
    dx = bn_centering_backward(dxc_direct + dxc_via_var)
    return dx, dgamma, dbeta


def batchnorm_backward_compact(dout: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """簡約した式 dx = (γ/σ) (dout − mean(dout) − x̂ · mean(dout ⊙ x̂)) による backward。

    平均はバッチの軸に沿ってとる。σ = √(var + eps)。引数と結果は
    :func:`batchnorm_backward_graph` と同じで、途中の配列が少ない。
    """
    xn, std, gamma = cache["xn"], cache["std"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xn, axis=0)
    dx = (gamma / std) * (dout - dout.mean(axis=0) - xn * np.mean(dout * xn, axis=0))
    return dx, dgamma, dbeta


class BatchNormalization:
    """推論用の移動平均を持つバッチ正規化 (Batch Normalization) のレイヤ。

    gamma, beta: (D,)。momentum: 古い移動平均に掛ける重み (0.9 は PyTorch の 0.1 に相当)。
    running_mean, running_var: (D,) または None。None なら最初の forward で 0 と 1 から
    始める (PyTorch と同じ。教科書は分散も 0 から始める)。
    forward(x, train_flg=True): x は形状 (N, D) または (N, d1, d2, …) で、(N, D) に
    平らにして計算し、出力で元の形状に戻す。train_flg=True ならバッチの統計量で正規化し、
    移動平均を更新し (分散は N で割ったもの)、backward 用のキャッシュを残す。
    train_flg=False なら running_mean/running_var で正規化し、状態は何も変えず、
    バッチも要らない (N = 1 でもよい)。
    backward(dout): dout は出力と同じ形状。dgamma, dbeta (D,) を属性に保存し、dx を返す。
    """

    def __init__(
        self,
        gamma: np.ndarray,
        beta: np.ndarray,
        momentum: float = 0.9,
        running_mean: np.ndarray | None = None,
        running_var: np.ndarray | None = None,
        eps: float = 1e-5,
    ) -> None:
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.eps = eps
        self.input_shape = None  # 最後の入力の形状 (出力で元に戻す)
        self.cache = None  # 最後の訓練モードの forward が backward のために残したもの
        self.dgamma = None
        self.dbeta = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        self.input_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if self.running_mean is None:
            self.running_mean = np.zeros(x2.shape[1], dtype=x2.dtype)
            self.running_var = np.ones(x2.shape[1], dtype=x2.dtype)
        if train_flg:
            out, self.cache = batchnorm_forward(x2, self.gamma, self.beta, self.eps)
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * x2.mean(axis=0)
            self.running_var = m * self.running_var + (1 - m) * self.cache["var"]
        else:
            out = self.gamma * (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps) + self.beta
        return out.reshape(self.input_shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.dgamma, self.dbeta = batchnorm_backward_compact(dout.reshape(dout.shape[0], -1), self.cache)
        return dx.reshape(self.input_shape)
