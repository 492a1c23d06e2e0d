"""Weight regularisation (reference solutions).

Parameter dicts follow the textbook: keys ``'W1', 'b1', 'W2', ...`` (and
``'gamma1', 'beta1', ...`` for batch normalisation). A key is a WEIGHT iff it
starts with ``'W'``; only weights are penalised, never biases or batch-norm
parameters. The ``*_grad`` functions return a dict with an array for EVERY
key of ``params`` (zeros of the same shape and dtype for non-weights), so the
result can be added key by key to a grads dict::

    for key, g in l2_penalty_grad(params, lam).items():
        grads[key] += g
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "l2_penalty",
    "l2_penalty_grad",
    "l1_penalty",
    "l1_penalty_grad",
    "elastic_net_penalty",
    "elastic_net_penalty_grad",
    "max_norm",
]

Params = dict[str, np.ndarray]


def _is_weight(key: str) -> bool:
    return key.startswith("W")


def l2_penalty(params: Params, weight_decay_lambda: float) -> float:
    """重みの配列についての L2 ペナルティ ``(lambda/2) * sum_W sum(W**2)``。

    1/2 を掛けておくと勾配が ``lambda * W`` になる (教科書 §6.4.2)。
    """
    total = sum(float(np.sum(np.square(p))) for k, p in params.items() if _is_weight(k))
    return 0.5 * weight_decay_lambda * total  # (lambda/2) * sum W^2


def l2_penalty_grad(params: Params, weight_decay_lambda: float) -> Params:
    """:func:`l2_penalty` の勾配: 重みでは ``lambda * W``、それ以外では 0。

    ``params`` と同じ形状 (と dtype) の新しい配列を返す。
    """
    return {
        k: weight_decay_lambda * p if _is_weight(k) else np.zeros_like(p)  # d/dW = lambda*W
        for k, p in params.items()
    }


def l1_penalty(params: Params, l1_lambda: float) -> float:
    """L1 penalty ``lambda * sum_W sum(|W|)`` over the weight arrays."""
    total = sum(float(np.sum(np.abs(p))) for k, p in params.items() if _is_weight(k))
    return l1_lambda * total  # lambda * sum |W|


def l1_penalty_grad(params: Params, l1_lambda: float) -> Params:
    """(Sub)gradient of :func:`l1_penalty`: ``lambda * sign(W)`` for weights.

    At ``W == 0`` the subgradient 0 is used (as the backward of ``torch.abs``).
    Non-weights get zeros of the same shape and dtype.
    """
    return {
        k: l1_lambda * np.sign(p) if _is_weight(k) else np.zeros_like(p)  # d/dW = lambda*sign(W)
        for k, p in params.items()
    }


def elastic_net_penalty(params: Params, l1_lambda: float, l2_lambda: float) -> float:
    """Elastic net ``l1_lambda * sum|W| + (l2_lambda/2) * sum W**2`` (weights only)."""
    return l1_penalty(params, l1_lambda) + l2_penalty(params, l2_lambda)


def elastic_net_penalty_grad(params: Params, l1_lambda: float, l2_lambda: float) -> Params:
    """Gradient of :func:`elastic_net_penalty`: ``l1_lambda*sign(W) + l2_lambda*W``.

    Zeros (same shape and dtype) for non-weights.
    """
    g1 = l1_penalty_grad(params, l1_lambda)
    g2 = l2_penalty_grad(params, l2_lambda)
    return {k: g1[k] + g2[k] for k in params}


def max_norm(W: np.ndarray, c: float) -> np.ndarray:
    """Max-norm constraint (Srebro et al. 2005; used with dropout by Srivastava et al. 2014).

    ``W`` has shape (n_in, n_out) as in the textbook (``x @ W``), so the
    incoming weights of output unit j are the COLUMN ``W[:, j]``. Every column
    whose L2 norm exceeds ``c`` is rescaled to norm ``c`` (up to rounding);
    columns with norm <= c are returned unchanged (bit for bit).

    ``W_new[:, j] = W[:, j] * c / max(||W[:, j]||, c)``

    Returns a NEW array of the same shape and dtype (float32 stays float32;
    integer input is converted to float64); ``W`` is not modified. Unlike
    ``torch.renorm(W, 2, 1, c)``, no 1e-7 is added to the norm.

    Raises:
        ValueError: if ``W`` is not 2-D or ``c`` is not positive.
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W は 2 次元 (n_in, n_out) の配列にしてください (形状 {W.shape} が渡されました)")
    if not float(c) > 0.0:
        raise ValueError(f"c は正の数にしてください ({c} が渡されました)")
    if not np.issubdtype(W.dtype, np.floating):
        W = W.astype(np.float64)
    norms = np.sqrt(np.sum(np.square(W), axis=0))  # (n_out,) column norms
    scale = (c / np.maximum(norms, c)).astype(W.dtype)  # 1 where norm <= c, c/norm otherwise
    return W * scale  # broadcasts over rows: column j times scale[j]
