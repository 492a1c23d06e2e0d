"""Composition of affine layers (chapter 1, section 1.6).

A layer without an activation function is the affine map x ↦ x·W + b, with the batch
convention of section 1.5: x has shape (N, D), W shape (D, H), b shape (H,). Applying
(W1, b1) and then (W2, b2) is again one affine map, which is why stacking linear layers
adds no expressive power.
"""

from __future__ import annotations

import numpy as np

__all__ = ["compose_affine"]


def compose_affine(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The single affine map (W, b) equal to applying (W1, b1) and then (W2, b2).

    W1: (D, H), b1: (H,), W2: (H, M), b2: (M,). Returns W of shape (D, M) and b of shape
    (M,), new arrays, such that for every x of shape (N, D)

        (x·W1 + b1)·W2 + b2 = x·(W1·W2) + (b1·W2 + b2) = x·W + b.

    The arguments are not modified. Mismatched inner sizes raise whatever NumPy's matrix
    product or broadcasting raises; the exercise states no rule for them.
    """
    # (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2)
    W = W1 @ W2  # (D, H) @ (H, M) -> (D, M)
    b = b1 @ W2 + b2  # (H,) @ (H, M) + (M,) -> (M,)
    return W, b
