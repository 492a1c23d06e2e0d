"""course.reference.losses against PyTorch (float64) and hand-computed cases."""

import numpy as np
import pytest

from course.reference import binary_cross_entropy, cross_entropy_error, mean_squared_error, softmax, sum_squared_error

FORWARD_RTOL = 1e-10


def test_sum_squared_error_single_and_batch():
    y = np.array([0.1, 0.6, 0.3])
    t = np.array([0.0, 1.0, 0.0])
    # ½ (0.01 + 0.16 + 0.09) = 0.13
    assert sum_squared_error(y, t) == pytest.approx(0.13, rel=1e-12)
    batch_y, batch_t = np.stack([y, t]), np.stack([t, t])  # second sample has zero error
    assert sum_squared_error(batch_y, batch_t) == pytest.approx(0.13 / 2, rel=1e-12)


def test_cross_entropy_hand_example():
    y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    assert cross_entropy_error(y, 2) == pytest.approx(-np.log(0.6 + 1e-7), rel=1e-12)
    onehot = np.eye(10)[2]
    assert cross_entropy_error(y, onehot) == pytest.approx(-np.log(0.6 + 1e-7), rel=1e-12)


def test_cross_entropy_log_zero_guard():
    y = np.array([[1.0, 0.0]])
    loss = cross_entropy_error(y, np.array([1]))
    assert np.isfinite(loss) and loss == pytest.approx(-np.log(1e-7), rel=1e-12)


def test_cross_entropy_is_mean_over_batch_not_classes():
    rng = np.random.default_rng(0)
    y = softmax(rng.standard_normal((4, 6)))
    t = rng.integers(0, 6, size=4)
    single = [cross_entropy_error(y[i], t[i]) for i in range(4)]
    assert cross_entropy_error(y, t) == pytest.approx(np.mean(single), rel=1e-12)
    # doubling the batch with copies leaves the mean unchanged
    assert cross_entropy_error(np.vstack([y, y]), np.concatenate([t, t])) == pytest.approx(np.mean(single), rel=1e-12)


def test_cross_entropy_bad_target_shape():
    with pytest.raises(ValueError):
        cross_entropy_error(np.full((3, 4), 0.25), np.zeros((2,), dtype=int))


@pytest.mark.parametrize("n", [1, 5, 32])
def test_cross_entropy_vs_torch(torch, n):
    rng = np.random.default_rng(n)
    logits = rng.standard_normal((n, 10)) * 3
    t = rng.integers(0, 10, size=n)
    y = softmax(logits)
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(t)).item()
    assert cross_entropy_error(y, t, eps=0.0) == pytest.approx(expected, rel=FORWARD_RTOL)
    assert cross_entropy_error(y, np.eye(10)[t], eps=0.0) == pytest.approx(expected, rel=FORWARD_RTOL)
    # the default eps shifts the loss by at most eps / min(y) relative terms
    assert cross_entropy_error(y, t) == pytest.approx(expected, abs=1e-7 / y[np.arange(n), t].min())


def test_mean_squared_error_vs_torch(torch):
    rng = np.random.default_rng(3)
    y, t = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    expected = torch.nn.MSELoss()(torch.from_numpy(y), torch.from_numpy(t)).item()
    assert mean_squared_error(y, t) == pytest.approx(expected, rel=FORWARD_RTOL)
    # sum_squared_error = ½ Σ / N = ½ · C · mean
    assert sum_squared_error(y, t) == pytest.approx(0.5 * 4 * expected, rel=FORWARD_RTOL)


def test_binary_cross_entropy_vs_torch(torch):
    rng = np.random.default_rng(4)
    y = rng.uniform(0.01, 0.99, size=(9, 1))
    t = rng.integers(0, 2, size=(9, 1)).astype(np.float64)
    expected = torch.nn.BCELoss()(torch.from_numpy(y), torch.from_numpy(t)).item()
    assert binary_cross_entropy(y, t, eps=0.0) == pytest.approx(expected, rel=FORWARD_RTOL)
    assert binary_cross_entropy(y, t) == pytest.approx(expected, abs=1e-5)  # |log(y+eps) − log y| ≤ eps/y ≤ 1e-5
