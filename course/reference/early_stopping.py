"""Early stopping on a validation loss (reference solution)."""

from __future__ import annotations

import math
import operator

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` calls.

    Call :meth:`step` once per epoch with the validation loss. A call is an
    IMPROVEMENT iff ``val_loss < best - min_delta`` (strictly). Then
    ``best = val_loss``, ``best_epoch`` = index of this call (from 0) and
    ``counter = 0``; otherwise ``counter += 1`` (a NaN loss never improves).
    ``step`` returns ``should_stop = counter >= patience``, recomputed on every
    call; the first call always improves on ``best = +inf``.

    Example with patience=2: losses 1.0, 0.9, 0.95, 0.91 -> False, False,
    False, True (two calls without improvement after epoch 1).

    Args:
        patience: number of consecutive non-improving calls that triggers the
            stop, integer >= 1.
        min_delta: minimum decrease that counts as an improvement, >= 0
            (default 0.0).

    Attributes:
        best: lowest validation loss seen (``+inf`` before the first call).
        best_epoch: index of the call that produced ``best`` (-1 before the first call).
        counter: consecutive non-improving calls since the last improvement.
        should_stop: result of the last :meth:`step` call (False initially).
        epoch: number of :meth:`step` calls so far.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        if isinstance(patience, bool):
            raise ValueError(f"patience は 1 以上の整数にしてください (bool の {patience!r} が渡されました)")
        try:
            patience = operator.index(patience)
        except TypeError:
            raise ValueError(f"patience は 1 以上の整数にしてください ({patience!r} が渡されました)") from None
        if patience < 1:
            raise ValueError(f"patience は 1 以上の整数にしてください ({patience} が渡されました)")
        if not float(min_delta) >= 0.0:
            raise ValueError(f"min_delta は 0 以上にしてください ({min_delta} が渡されました)")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.best = math.inf
        self.best_epoch = -1
        self.counter = 0
        self.should_stop = False
        self.epoch = 0

    def step(self, val_loss: float) -> bool:
        """Record one epoch's validation loss; return True if training should stop."""
        val_loss = float(val_loss)
        if val_loss < self.best - self.min_delta:  # improvement
            self.best = val_loss
            self.best_epoch = self.epoch
            self.counter = 0
        else:
            self.counter += 1
        self.epoch += 1
        self.should_stop = self.counter >= self.patience
        return self.should_stop
