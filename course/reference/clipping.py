"""Gradient clipping by the global norm (reference solution).

Used between ``network.gradient(x, t)`` and ``optimizer.update(params, grads)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip_grads_by_norm"]


def clip_grads_by_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Clip a dict of gradients by their global L2 norm, IN PLACE (Pascanu et al. 2013).

    ``total_norm = sqrt(sum over every key and element of g**2)``: the norm of all the
    arrays of ``grads`` (any shapes, float dtype) taken as one long vector. If
    ``clip_coef = max_norm / (total_norm + 1e-6)`` is below 1, every array is multiplied
    by it in place (``grads[key] *= clip_coef``: the dict keeps the same array objects),
    so the direction of the whole gradient is kept and its norm becomes ``max_norm``
    (up to the 1e-6); otherwise nothing changes. This is
    ``torch.nn.utils.clip_grad_norm_(parameters, max_norm)`` (norm_type=2), the 1e-6
    included; writing ``max_norm / total_norm`` for ``total_norm > max_norm`` instead
    differs by at most a relative 1e-6 / total_norm.

    Returns:
        The total norm BEFORE clipping, as a Python float (as PyTorch returns it).

    Raises:
        ValueError: if ``max_norm`` is not positive.
    """
    if not float(max_norm) > 0.0:
        raise ValueError(f"max_norm は正の数にしてください ({max_norm} が渡されました)")
    # the norm of all the gradients taken together: sqrt(sum of squares over every array)
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads.values())))
    clip_coef = max_norm / (total_norm + 1e-6)
    if clip_coef < 1.0:
        for key in grads:
            grads[key] *= clip_coef  # in place: scale every array by the same factor
    return total_norm
