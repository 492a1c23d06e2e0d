"""Tests of course.reference.schedules.

Oracles: torch.optim.lr_scheduler.StepLR, LambdaLR and LinearLR (per-test skip
without torch) and hand-computed closed-form values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from course.reference.schedules import inverse_time_decay, step_decay, warmup_lr

# StepLR multiplies the lr by gamma once per period (chained products of at
# most a handful of factors): a few ulps, far below 1e-12 relative.
RTOL = 1e-12


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0) is the oracle for these tests")


@pytest.mark.parametrize("lr0, drop, epochs_drop", [(0.1, 0.5, 10), (0.01, 0.1, 3), (1.0, 0.9, 1), (0.3, 0.7, 7)])
def test_step_decay_matches_torch_steplr(torch: Any, lr0: float, drop: float, epochs_drop: int) -> None:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=epochs_drop, gamma=drop)
    for epoch in range(40):
        expected = opt.param_groups[0]["lr"]  # lr used during this epoch
        assert step_decay(lr0, epoch, drop=drop, epochs_drop=epochs_drop) == pytest.approx(expected, rel=RTOL)
        opt.step()
        sched.step()


def test_step_decay_closed_form_table() -> None:
    # lr0 = 0.1, drop = 0.5 every 10 epochs, epochs from 0
    expected = [0.1] * 10 + [0.05] * 10 + [0.025] * 10 + [0.0125]
    got = [step_decay(0.1, e, drop=0.5, epochs_drop=10) for e in range(31)]
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_step_decay_defaults_halve_every_ten_epochs() -> None:
    assert step_decay(2.0, 9) == pytest.approx(2.0, rel=RTOL)
    assert step_decay(2.0, 10) == pytest.approx(1.0, rel=RTOL)
    assert step_decay(2.0, 25) == pytest.approx(0.5, rel=RTOL)


def test_step_decay_returns_python_float_and_accepts_numpy_ints() -> None:
    value = step_decay(0.1, np.int64(12), drop=0.5, epochs_drop=np.int32(5))
    assert type(value) is float
    assert value == pytest.approx(0.025, rel=RTOL)


@pytest.mark.parametrize(
    "lr0, step, rate, expected",
    [
        (1.0, 0, 0.5, 1.0),
        (1.0, 2, 0.5, 0.5),
        (0.1, 4, 0.25, 0.05),
        (0.3, 10, 0.1, 0.15),
        (0.2, 7, 0.0, 0.2),
    ],
)
def test_inverse_time_decay_closed_form(lr0: float, step: int, rate: float, expected: float) -> None:
    assert inverse_time_decay(lr0, step, decay_rate=rate) == pytest.approx(expected, rel=RTOL)


def test_inverse_time_decay_default_rate_halves_at_step_100() -> None:
    assert inverse_time_decay(0.4, 100) == pytest.approx(0.2, rel=RTOL)
    assert type(inverse_time_decay(0.4, 100)) is float


def test_inverse_time_decay_matches_torch_lambdalr(torch: Any) -> None:
    lr0, k = 0.05, 0.03
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda s: 1.0 / (1.0 + k * s))
    for step in range(50):
        assert inverse_time_decay(lr0, step, decay_rate=k) == pytest.approx(opt.param_groups[0]["lr"], rel=RTOL)
        opt.step()
        sched.step()


def test_inverse_time_decay_is_decreasing() -> None:
    values = [inverse_time_decay(0.1, s, 0.05) for s in range(100)]
    assert all(a > b for a, b in zip(values, values[1:]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr0=0.1, epoch=-1), "epoch"),
        (dict(lr0=0.1, epoch=1.5), "epoch"),
        (dict(lr0=0.1, epoch=3, epochs_drop=0), "epochs_drop"),
        (dict(lr0=0.1, epoch=3, epochs_drop=-2), "epochs_drop"),
    ],
)
def test_step_decay_rejects_invalid_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        step_decay(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr0=0.1, step=-1), "step"),
        (dict(lr0=0.1, step=2.0), "step"),
        (dict(lr0=0.1, step=1, decay_rate=-0.1), "decay_rate"),
    ],
)
def test_inverse_time_decay_rejects_invalid_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        inverse_time_decay(**kwargs)


def test_warmup_lr_closed_form_table() -> None:
    # lr0 = 0.2 over 4 steps: 0.05, 0.1, 0.15, 0.2, then 0.2
    got = [warmup_lr(0.2, s, 4) for s in range(7)]
    np.testing.assert_allclose(got, [0.05, 0.1, 0.15, 0.2, 0.2, 0.2, 0.2], rtol=RTOL)
    assert all(type(value) is float for value in got)


def test_warmup_lr_one_step_is_no_warmup() -> None:
    assert [warmup_lr(0.3, s, 1) for s in range(3)] == [0.3, 0.3, 0.3]


@pytest.mark.parametrize("lr0, warmup_steps", [(0.1, 2), (0.01, 5), (1.0, 17)])
def test_warmup_lr_matches_torch_linearlr(torch: Any, lr0: float, warmup_steps: int) -> None:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.LinearLR(
        opt, start_factor=1.0 / warmup_steps, end_factor=1.0, total_iters=warmup_steps - 1
    )
    for step in range(3 * warmup_steps):
        assert warmup_lr(lr0, step, warmup_steps) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        sched.step()


@pytest.mark.parametrize("warmup_steps", [1, 3, 10])
def test_warmup_lr_matches_torch_lambdalr(torch: Any, warmup_steps: int) -> None:
    lr0 = 0.05
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda s: min(1.0, (s + 1) / warmup_steps))
    for step in range(3 * warmup_steps + 2):
        assert warmup_lr(lr0, step, warmup_steps) == pytest.approx(opt.param_groups[0]["lr"], rel=RTOL)
        opt.step()
        sched.step()


def test_warmup_lr_composes_with_a_decay() -> None:
    # the warm-up factor times the decayed rate: step 1 of 4 is half of 1 / (1 + 0.5 * 1)
    assert warmup_lr(inverse_time_decay(1.0, 1, 0.5), 1, 4) == pytest.approx(0.5 / 1.5, rel=RTOL)
    assert warmup_lr(inverse_time_decay(1.0, 6, 0.5), 6, 4) == pytest.approx(0.25, rel=RTOL)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr0=0.1, step=-1, warmup_steps=3), "step"),
        (dict(lr0=0.1, step=1.0, warmup_steps=3), "step"),
        (dict(lr0=0.1, step=1, warmup_steps=0), "warmup_steps"),
        (dict(lr0=0.1, step=1, warmup_steps=2.5), "warmup_steps"),
    ],
)
def test_warmup_lr_rejects_invalid_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        warmup_lr(**kwargs)
