"""Standard deviations for weight initialisation (reference solutions).

Use as ``W = std * np.random.randn(n_in, n_out)`` (textbook §6.2).

Variance argument (fan-in): for ``y = sum_{i=1}^{M} w_i x_i`` with independent,
zero-mean w_i and x_i, ``Var(y) = M * Var(w) * Var(x)``; keeping
``Var(y) = Var(x)`` requires ``Var(w) = 1/M``, i.e. ``sigma = 1/sqrt(M)``.
ReLU zeroes half of a symmetric input, halving the second moment, so He
initialisation doubles the variance: ``sigma = sqrt(2/M)``.
"""

from __future__ import annotations

import math
import operator

__all__ = ["xavier_std", "he_std"]


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a positive integer, got bool {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def xavier_std(n_in: int, n_out: int | None = None) -> float:
    """Xavier (Glorot) initialisation standard deviation.

    * ``n_out is None``: ``1/sqrt(n_in)``, the simplified form used in the
      textbook (forward variance only; M = n_in, see the module docstring).
    * ``n_out`` given: ``sqrt(2/(n_in + n_out))`` (Glorot & Bengio 2010),
      the compromise between preserving forward (1/n_in) and backward
      (1/n_out) variance; equals the std of ``torch.nn.init.xavier_normal_``
      (gain 1) on a torch weight of shape (n_out, n_in).

    Raises:
        ValueError: if ``n_in`` or ``n_out`` (when given) is not a positive integer.
    """
    n_in = _check_positive_int("n_in", n_in)
    if n_out is None:
        return 1.0 / math.sqrt(n_in)  # sigma = 1/sqrt(n_in)
    n_out = _check_positive_int("n_out", n_out)
    return math.sqrt(2.0 / (n_in + n_out))  # sigma = sqrt(2/(n_in+n_out))


def he_std(n_in: int) -> float:
    """He (Kaiming) initialisation standard deviation ``sqrt(2/n_in)`` for ReLU.

    He et al. 2015; equals the std of ``torch.nn.init.kaiming_normal_(w,
    mode='fan_in', nonlinearity='relu')`` (gain sqrt(2) over sqrt(fan_in)).

    Raises:
        ValueError: if ``n_in`` is not a positive integer.
    """
    n_in = _check_positive_int("n_in", n_in)
    return math.sqrt(2.0 / n_in)  # sigma = sqrt(2/n_in)
