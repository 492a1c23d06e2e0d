"""Dropout (Srivastava et al. 2014) in the inverted form used by PyTorch (chapter 8)."""

from __future__ import annotations

import numpy as np

from .layers import Affine, Relu
from .softmax_layers import SoftmaxWithLoss

__all__ = ["Dropout", "DropoutTwoLayerNet"]


class Dropout:
    """Inverted dropout: drop units at training time and scale the survivors by 1/(1 − p).

    dropout_ratio: p, the probability of DROPPING a unit, 0 <= p < 1.
    rng: the ``numpy.random.Generator`` that draws the masks; None means
    ``np.random.default_rng()`` (unseeded). Randomness is controlled only through
    it: the mask of a forward call is ``rng.random(x.shape) > dropout_ratio``, one
    draw per call, so two layers built with ``np.random.default_rng(s)`` for the
    same s produce identical masks call by call.
    forward(x, train_flg=True): x of any shape. Training: returns x ⊙ mask / (1 − p)
    and keeps the mask. Inference (train_flg=False): returns x unchanged — the
    expectation already matches, since E[mask/(1 − p)] = 1. (The other convention
    leaves training unscaled and multiplies by 1 − p at inference.)
    backward(dout): dout ⊙ mask / (1 − p), with the mask of the last forward.
    """

    def __init__(self, dropout_ratio: float = 0.5, rng: np.random.Generator | None = None) -> None:
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f"dropout_ratio must be in [0, 1), got {dropout_ratio}")
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else np.random.default_rng()
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        if not train_flg:
            return x
        self.mask = self.rng.random(x.shape) > self.dropout_ratio
        return x * self.mask / (1.0 - self.dropout_ratio)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.mask / (1.0 - self.dropout_ratio)  # same mask and scale as forward


class DropoutTwoLayerNet:
    """Affine → ReLU → Dropout → Affine → Softmax-with-loss, with given parameters (chapter 8).

    params: dict with 'W1' (D, H), 'b1' (H,), 'W2' (H, C), 'b2' (C,); kept as ``self.params``
    (the same arrays, which the Affine layers use). dropout_ratio: p of the Dropout layer.
    seed: the Dropout layer draws its masks from ``np.random.default_rng(seed)``, nothing else
    draws from it, so two networks built with the same seed draw the same masks call by call.
    predict(x, train_flg=False): x (N, D) → scores (N, C); train_flg goes to the Dropout layer
    (training: a new mask per call; inference: no mask).
    loss(x, t, train_flg=False): mean cross-entropy of predict(x, train_flg); t labels (N,).
    gradient(x, t): one training forward (a new mask), then backward through the same layers,
    so the Dropout layer's backward uses that forward's mask; returns a dict with the keys of
    params and arrays of their shapes.
    """

    def __init__(self, params: dict[str, np.ndarray], dropout_ratio: float = 0.5, seed: int | None = None) -> None:
        self.params = params
        self.affine1 = Affine(params["W1"], params["b1"])
        self.relu = Relu()
        mask_rng = np.random.default_rng(seed)  # drawn from by the Dropout layer only
        self.dropout = Dropout(dropout_ratio, rng=mask_rng)
        self.affine2 = Affine(params["W2"], params["b2"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray, train_flg: bool = False) -> np.ndarray:
        hidden = self.relu.forward(self.affine1.forward(x))
        return self.affine2.forward(self.dropout.forward(hidden, train_flg))  # only Dropout takes the flag

    def loss(self, x: np.ndarray, t: np.ndarray, train_flg: bool = False) -> float:
        return self.last_layer.forward(self.predict(x, train_flg), t)

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        self.loss(x, t, train_flg=True)  # a training forward draws the mask that backward reuses
        dhidden = self.dropout.backward(self.affine2.backward(self.last_layer.backward(1.0)))
        self.affine1.backward(self.relu.backward(dhidden))
        return {"W1": self.affine1.dW, "b1": self.affine1.db, "W2": self.affine2.dW, "b2": self.affine2.db}
