"""Dropout (Srivastava et al. 2014) in the inverted form used by PyTorch (chapter 8)."""

from __future__ import annotations

import numpy as np

__all__ = ["Dropout"]


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
