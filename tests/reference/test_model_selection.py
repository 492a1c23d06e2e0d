"""train_validation_split (a partition that keeps the pairs) and average_probabilities (PyTorch oracle)."""

import numpy as np
import pytest

from course.reference import average_probabilities, train_validation_split


@pytest.mark.parametrize(("n", "ratio"), [(10, 0.3), (1437, 0.2), (7, 0.5), (1, 0.5)])
def test_split_is_a_partition_that_keeps_the_pairs(n, ratio):
    x = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    t = np.arange(n)  # label i belongs to row i, whose first entry is 3i
    (x_train, t_train), (x_val, t_val) = train_validation_split(x, t, ratio, seed=1)
    assert len(x_val) == len(t_val) == int(n * ratio)  # rounded down
    assert len(x_train) == len(t_train) == n - int(n * ratio)
    together = np.concatenate([t_train, t_val])
    assert sorted(together) == list(range(n))  # every sample exactly once
    np.testing.assert_array_equal(np.concatenate([x_train, x_val])[:, 0], 3 * together)  # pairs kept


def test_split_follows_the_documented_permutation():
    x = np.random.default_rng(0).standard_normal((20, 2, 2))
    t = np.eye(4)[np.arange(20) % 4]  # one-hot
    (x_train, t_train), (x_val, t_val) = train_validation_split(x, t, 0.25, seed=5)
    order = np.random.default_rng(5).permutation(20)
    np.testing.assert_array_equal(x_val, x[order[:5]])
    np.testing.assert_array_equal(t_train, t[order[5:]])
    again = train_validation_split(x, t, 0.25, seed=5)
    np.testing.assert_array_equal(again[0][0], x_train)  # deterministic


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_ratios_outside_the_open_interval(ratio):
    with pytest.raises(ValueError):
        train_validation_split(np.zeros((4, 1)), np.zeros(4), ratio)


def test_split_rejects_misaligned_inputs():
    with pytest.raises(ValueError):
        train_validation_split(np.zeros((4, 1)), np.zeros(3))


def test_average_probabilities_against_torch():
    torch = pytest.importorskip("torch")
    scores = np.random.default_rng(0).standard_normal((4, 6, 5)) * 3
    expected = torch.softmax(torch.tensor(scores, dtype=torch.float64), dim=-1).mean(dim=0).numpy()
    got = average_probabilities(list(scores))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)  # float64, same formula up to rounding
    np.testing.assert_allclose(average_probabilities(scores), expected, rtol=1e-12, atol=1e-15)  # (K, N, C) array


def test_average_of_one_model_is_its_softmax_and_rows_sum_to_one():
    scores = np.array([[1000.0, 1010.0, 990.0]])  # large scores stay finite
    single = average_probabilities([scores])
    assert np.all(np.isfinite(single))
    np.testing.assert_allclose(single.sum(axis=1), 1.0, rtol=1e-12)
    two = average_probabilities([np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]])])
    np.testing.assert_allclose(two, [[(0.5 + 0.75) / 2, (0.5 + 0.25) / 2]], rtol=1e-12)  # by hand
