"""Learning-rate schedules (reference solutions).

Pure functions of the initial learning rate and the epoch/step counter;
set ``optimizer.lr = schedule(...)`` before each epoch or step. ``warmup_lr``
multiplies its ``lr0`` by a factor, so it composes with the others:
``warmup_lr(inverse_time_decay(lr0, step, k), step, warmup_steps)``.
"""

from __future__ import annotations

import operator

__all__ = ["step_decay", "inverse_time_decay", "warmup_lr"]


def _check_int(name: str, value: int, minimum: int) -> int:
    """``value`` が ``minimum`` 以上の整数なら int にして返す。"""
    if isinstance(value, bool):
        raise ValueError(f"{name} は整数にしてください (bool の {value!r} が渡されました)")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} は整数にしてください ({value!r} が渡されました)") from None
    if value < minimum:
        bound = f"{minimum} 以上"
        raise ValueError(f"{name} は {bound}にしてください ({value} が渡されました)")
    return value


def step_decay(lr0: float, epoch: int, drop: float = 0.5, epochs_drop: int = 10) -> float:
    """Step decay: ``lr = lr0 * drop ** floor(epoch / epochs_drop)``.

    Epochs are counted from 0, so epochs 0 .. epochs_drop-1 use ``lr0``, the
    next ``epochs_drop`` epochs use ``lr0*drop``, and so on. Equals the
    learning rate of ``torch.optim.lr_scheduler.StepLR(step_size=epochs_drop,
    gamma=drop)`` after ``epoch`` calls of ``scheduler.step()``.

    Args:
        lr0: initial learning rate.
        epoch: current epoch, integer >= 0.
        drop: multiplicative factor applied every ``epochs_drop`` epochs (default 0.5).
        epochs_drop: period in epochs, integer >= 1 (default 10).

    Raises:
        ValueError: if ``epoch`` < 0 or ``epochs_drop`` < 1 (or they are not integers).
    """
    epoch = _check_int("epoch", epoch, 0)
    epochs_drop = _check_int("epochs_drop", epochs_drop, 1)
    return float(lr0 * drop ** (epoch // epochs_drop))  # lr0 * drop^floor(epoch/epochs_drop)


def inverse_time_decay(lr0: float, step: int, decay_rate: float = 0.01) -> float:
    """Inverse-time decay: ``lr = lr0 / (1 + decay_rate * step)``.

    Args:
        lr0: initial learning rate (the value at step 0).
        step: current step (or epoch), integer >= 0.
        decay_rate: non-negative rate (default 0.01); 0 keeps ``lr0``.

    Raises:
        ValueError: if ``step`` < 0 (or not an integer) or ``decay_rate`` < 0.
    """
    step = _check_int("step", step, 0)
    if not float(decay_rate) >= 0.0:
        raise ValueError(f"decay_rate は 0 以上にしてください ({decay_rate} が渡されました)")
    return float(lr0 / (1.0 + decay_rate * step))  # lr0 / (1 + k*step)


def warmup_lr(lr0: float, step: int, warmup_steps: int) -> float:
    """Linear warm-up: ``lr0 * (step + 1) / warmup_steps`` for ``step < warmup_steps``, then ``lr0``.

    Steps are counted from 0, so the first update already uses ``lr0 / warmup_steps``
    (not 0) and update number ``warmup_steps - 1`` is the first one at the full ``lr0``.
    Equals the learning rate of ``torch.optim.lr_scheduler.LambdaLR(opt, lambda s:
    min(1.0, (s + 1) / warmup_steps))`` and, for ``warmup_steps >= 2``, of
    ``LinearLR(opt, start_factor=1 / warmup_steps, end_factor=1.0,
    total_iters=warmup_steps - 1)`` after ``step`` calls of ``scheduler.step()``.
    ``warmup_steps = 1`` means no warm-up.

    Args:
        lr0: learning rate after the warm-up (may itself come from another schedule).
        step: current update, integer >= 0.
        warmup_steps: length of the warm-up in updates, integer >= 1.

    Raises:
        ValueError: if ``step`` < 0 or ``warmup_steps`` < 1 (or they are not integers).
    """
    step = _check_int("step", step, 0)
    warmup_steps = _check_int("warmup_steps", warmup_steps, 1)
    if step < warmup_steps:
        return float(lr0 * (step + 1) / warmup_steps)  # rises linearly from lr0/warmup_steps
    return float(lr0)
