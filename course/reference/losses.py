"""Loss functions (chapter 2).

Conventions shared by every function here:

- ``y`` is the network output, ``t`` the target. A 1-D ``y`` of shape (C,) is one
  sample; a 2-D ``y`` of shape (N, C) is a batch of N samples.
- Batch losses are averaged over the batch (divide by N, never by the number of
  classes C: some lecture notes divide by C, which shrinks the loss and its
  gradient by a factor C/N and silently changes the learning rate).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sum_squared_error", "mean_squared_error", "cross_entropy_error", "binary_cross_entropy"]


def sum_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """Half the sum of squared errors, ½ Σ (y − t)².

    y, t: arrays of the same shape, (C,) for one sample or (N, C) for a batch.
    For a batch the per-sample sums are averaged over N: ½ Σ_{n,k} (y_nk − t_nk)² / N.
    """
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if y.shape != t.shape:
        raise ValueError(f"y と t の形状が違います ({y.shape} と {t.shape})")
    batch_size = y.shape[0] if y.ndim == 2 else 1
    return float(0.5 * np.sum((y - t) ** 2) / batch_size)


def mean_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """Mean of the squared errors over all elements, Σ (y − t)² / y.size.

    y, t: arrays of the same shape. Equals ``torch.nn.MSELoss()`` (reduction='mean').
    """
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if y.shape != t.shape:
        raise ValueError(f"y と t の形状が違います ({y.shape} と {t.shape})")
    return float(np.mean((y - t) ** 2))


def cross_entropy_error(y: np.ndarray, t: np.ndarray, eps: float = 1e-7) -> float:
    """交差エントロピー誤差 −Σ_k t_k log(y_k + eps) のバッチ平均。

    y: 形状 (C,) または (N, C) の確率 (例えばソフトマックス関数の出力)。
    t: y と同じ形状の one-hot 表現の正解、または形状 () / (N,) の整数ラベル。
    eps: log の「中」に足す小さな定数。y = 0 でも −inf ではなく log(eps) になる。
    eps = 0 なら ``torch.nn.NLLLoss()(log y, labels)`` と等しい。
    −Σ_n log(y[n, t_n] + eps) / N を返す。
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.ndim == 1 and t.size == y.size else t.reshape(1)
    if t.shape == y.shape:  # one-hot 表現 → ラベル
        t = t.argmax(axis=1)
    if t.shape != (y.shape[0],):
        raise ValueError(
            f"t は形状 {y.shape} の one-hot か、形状 ({y.shape[0]},) のラベルにしてください"
            f" (形状 {t.shape} が渡されました)"
        )
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), t.astype(np.int64)] + eps)) / batch_size)


def binary_cross_entropy(y: np.ndarray, t: np.ndarray, eps: float = 1e-7) -> float:
    """Binary cross-entropy −[t log(y + eps) + (1 − t) log(1 − y + eps)], averaged.

    y: predicted probabilities of the positive class, any shape, values in [0, 1].
    t: targets in {0, 1} (or in [0, 1]) of the same shape.
    The mean runs over all elements, which for shape (N,) or (N, 1) is the batch mean.
    With eps = 0 this equals ``torch.nn.BCELoss()`` away from 0 and 1.
    """
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if y.shape != t.shape:
        raise ValueError(f"y と t の形状が違います ({y.shape} と {t.shape})")
    return float(-np.mean(t * np.log(y + eps) + (1.0 - t) * np.log(1.0 - y + eps)))
