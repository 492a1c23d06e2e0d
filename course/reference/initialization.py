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
        raise ValueError(f"{name} は正の整数にしてください (bool の {value!r} が渡されました)")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} は正の整数にしてください ({value!r} が渡されました)") from None
    if value < 1:
        raise ValueError(f"{name} は正の整数にしてください ({value} が渡されました)")
    return value


def xavier_std(n_in: int, n_out: int | None = None) -> float:
    """Xavier (Glorot) の初期値の標準偏差。

    * ``n_out is None``: ``1/sqrt(n_in)``。教科書が使う簡略形
      (順伝播の分散だけを保つ。n_in はその層への入力の数)。
    * ``n_out`` を渡したとき: ``sqrt(2/(n_in + n_out))`` (Glorot & Bengio 2010)。
      順伝播の分散 (1/n_in) と逆伝播の分散 (1/n_out) を保つことの折衷で、
      形状 (n_out, n_in) の torch の重みに ``torch.nn.init.xavier_normal_``
      (gain 1) を使ったときの標準偏差に等しい。

    例外:
        ValueError: ``n_in`` または (渡したときの) ``n_out`` が正の整数でないとき。
    """
    n_in = _check_positive_int("n_in", n_in)
    if n_out is None:
        return 1.0 / math.sqrt(n_in)  # sigma = 1/sqrt(n_in)
    n_out = _check_positive_int("n_out", n_out)
    return math.sqrt(2.0 / (n_in + n_out))  # sigma = sqrt(2/(n_in+n_out))


def he_std(n_in: int) -> float:
    """ReLU 向けの He (Kaiming) の初期値の標準偏差 ``sqrt(2/n_in)``。

    He et al. 2015。``torch.nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')``
    の標準偏差 (gain sqrt(2) を sqrt(fan_in) で割ったもの) に等しい。

    例外:
        ValueError: ``n_in`` が正の整数でないとき。
    """
    n_in = _check_positive_int("n_in", n_in)
    return math.sqrt(2.0 / n_in)  # sigma = sqrt(2/n_in)
