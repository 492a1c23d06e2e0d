"""Tests of course.reference.early_stopping on scripted loss sequences.

Expected outputs are worked out by hand from the rule "improvement iff
val_loss < best - min_delta; stop once counter >= patience". Loss values are
chosen exactly representable in binary where the boundary matters.
"""

from __future__ import annotations

import math

import pytest

from course.reference.early_stopping import EarlyStopping


def run(es: EarlyStopping, losses: list[float]) -> tuple[list[bool], list[int]]:
    stops, counters = [], []
    for loss in losses:
        stops.append(es.step(loss))
        counters.append(es.counter)
    return stops, counters


def test_initial_state() -> None:
    es = EarlyStopping(patience=3)
    assert es.best == math.inf
    assert es.counter == 0
    assert es.should_stop is False
    assert es.min_delta == 0.0


def test_stops_exactly_at_patience() -> None:
    es = EarlyStopping(patience=3)
    stops, counters = run(es, [1.0, 0.5, 0.75, 0.625, 0.5625])
    assert counters == [0, 0, 1, 2, 3]
    assert stops == [False, False, False, False, True]
    assert es.should_stop is True
    assert es.best == 0.5
    assert es.best_epoch == 1


def test_counter_resets_on_improvement() -> None:
    es = EarlyStopping(patience=3)
    stops, counters = run(es, [1.0, 1.25, 1.5, 0.75, 0.875, 0.8125, 0.5])
    assert counters == [0, 1, 2, 0, 1, 2, 0]
    assert not any(stops)
    assert es.best == 0.5
    assert es.best_epoch == 6


def test_equal_loss_is_not_an_improvement() -> None:
    es = EarlyStopping(patience=2)
    stops, counters = run(es, [0.5, 0.5, 0.5])
    assert counters == [0, 1, 2]
    assert stops == [False, False, True]
    assert es.best_epoch == 0


def test_patience_one_stops_at_first_non_improvement() -> None:
    es = EarlyStopping(patience=1)
    stops, _ = run(es, [3.0, 2.0, 1.0, 1.5])
    assert stops == [False, False, False, True]
    assert (es.best, es.best_epoch) == (1.0, 2)


def test_min_delta_requires_a_large_enough_decrease() -> None:
    es = EarlyStopping(patience=2, min_delta=0.25)
    # best=2.0: 1.75 is not < 1.75 (no); 1.5 < 1.75 (yes, best=1.5);
    # 1.3125 is not < 1.25 (no); 1.25 is not < 1.25 (no) -> counter 2 -> stop
    stops, counters = run(es, [2.0, 1.75, 1.5, 1.3125, 1.25])
    assert counters == [0, 1, 0, 1, 2]
    assert stops == [False, False, False, False, True]
    assert (es.best, es.best_epoch) == (1.5, 2)


def test_min_delta_zero_counts_any_strict_decrease() -> None:
    es = EarlyStopping(patience=2)
    stops, counters = run(es, [1.0, 1.0 - 1e-12, 1.0 - 2e-12])
    assert counters == [0, 0, 0]
    assert es.best_epoch == 2


def test_training_loop_stops_at_expected_epoch() -> None:
    losses = [2.0, 1.5, 1.25, 1.3, 1.2, 1.22, 1.21, 1.23, 1.19]
    es = EarlyStopping(patience=3)
    stopped_at = None
    for epoch, loss in enumerate(losses):
        if es.step(loss):
            stopped_at = epoch
            break
    # best 1.2 at epoch 4; epochs 5, 6, 7 do not improve -> stop after epoch 7
    assert stopped_at == 7
    assert (es.best, es.best_epoch) == (1.2, 4)


def test_nan_never_improves() -> None:
    es = EarlyStopping(patience=2)
    stops, counters = run(es, [1.0, math.nan, math.nan])
    assert counters == [0, 1, 2]
    assert stops[-1] is True
    assert es.best == 1.0


@pytest.mark.parametrize(
    "kwargs", [dict(patience=0), dict(patience=-1), dict(patience=1.5), dict(patience=2, min_delta=-0.1)]
)
def test_invalid_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        EarlyStopping(**kwargs)
