"""Layer, instance and group normalisation: which axes the statistics run over (chapter 7).

All three take x of shape (N, C, *) — (N, C, H, W) for images — and return
(x − μ)/√(σ² + eps) of the same shape, with the mean μ and the BIASED variance σ²
taken over a different set of axes; eps = 1e-5 sits inside the square root, as in
``torch.nn.functional.layer_norm`` / ``instance_norm`` / ``group_norm``. The learnable
per-channel scale and shift (γ, β) are left out: they are applied afterwards
exactly as in batch normalisation.

Unlike batch normalisation, none of them mixes different samples, so they behave
the same in training and inference and work with a batch of one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["layer_norm", "instance_norm", "group_norm"]


def layer_norm(x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Layer normalisation (Ba et al. 2016): one mean and variance per SAMPLE.

    x: (N, C, *), or (N, D). Statistics over every axis except the batch axis 0,
    i.e. over (C, H, W) for images. Returns an array of the shape of x.
    """
    axes = tuple(range(1, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def instance_norm(x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Instance normalisation (Ulyanov et al. 2016): one mean and variance per sample AND channel.

    x: (N, C, *) with at least one spatial axis, e.g. (N, C, H, W). Statistics over
    the spatial axes (H, W) only. Returns an array of the shape of x.
    """
    axes = tuple(range(2, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


def group_norm(x: np.ndarray, num_groups: int, eps: float = 1e-5) -> np.ndarray:
    """Group normalisation (Wu & He 2018): one mean and variance per sample and GROUP of channels.

    x: (N, C, *); num_groups G divides C. The channels are split into G groups of
    C/G CONSECUTIVE channels (channels 0 … C/G − 1 form group 0, as in PyTorch), and
    the statistics run over (C/G, H, W) of each group. G = 1 is layer normalisation,
    G = C instance normalisation. Returns an array of the shape of x.
    """
    n, c = x.shape[:2]
    if c % num_groups:
        raise ValueError(f"num_groups={num_groups} がチャンネル数 {c} を割り切りません")
    grouped = x.reshape(n, num_groups, -1)  # (N, G, C/G · H · W): consecutive channels together
    mu = grouped.mean(axis=2, keepdims=True)
    var = np.mean((grouped - mu) ** 2, axis=2, keepdims=True)
    return ((grouped - mu) / np.sqrt(var + eps)).reshape(x.shape)
