"""Tests of course.data (scikit-learn digits, one-hot, standardization, minibatches)."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.datasets

from course.data import load_digits, sample_minibatch, standardize, to_one_hot


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def raw_digits():
    d = sklearn.datasets.load_digits()
    return d.data, d.target


# ------------------------------------------------------------- load_digits


def test_shapes_and_dtypes(digits):
    (x_train, t_train), (x_test, t_test) = digits
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert t_train.shape == (1437,) and t_test.shape == (360,)
    assert x_train.dtype == np.float64 and x_test.dtype == np.float64
    assert t_train.dtype == np.int64 and t_test.dtype == np.int64


def test_normalized_range(digits):
    (x_train, t_train), (x_test, _) = digits
    for x in (x_train, x_test):
        assert x.min() == 0.0 and x.max() == 1.0
    assert set(np.unique(t_train)) == set(range(10))


def test_raw_values_are_the_normalized_ones_times_16(digits):
    (x_train, _), (x_test, _) = load_digits(normalize=False)
    assert x_train.dtype == np.float64
    assert np.array_equal(x_train, np.round(x_train))  # integers 0..16
    assert x_train.min() == 0.0 and x_train.max() == 16.0
    assert np.allclose(x_train / 16.0, digits[0][0]) and np.allclose(x_test / 16.0, digits[1][0])


def test_split_is_a_partition_of_the_full_data(digits, raw_digits):
    (x_train, t_train), (x_test, t_test) = load_digits(normalize=False)
    x_all, t_all = raw_digits
    ours = np.column_stack([np.vstack([x_train, x_test]), np.concatenate([t_train, t_test])])
    theirs = np.column_stack([x_all, t_all])

    def sort_rows(a):
        return a[np.lexsort(a.T[::-1])]

    assert np.array_equal(sort_rows(ours), sort_rows(theirs))


def test_flatten_false(digits):
    (x_train, _), (x_test, _) = load_digits(flatten=False)
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert np.array_equal(x_train.reshape(1437, 64), digits[0][0])


def test_split_is_deterministic(digits):
    again = load_digits()
    for part, part_again in zip(digits, again):
        for a, b in zip(part, part_again):
            assert np.array_equal(a, b)
    other = load_digits(seed=1)
    assert not np.array_equal(other[1][0], digits[1][0])


def test_test_size():
    (x_train, _), (x_test, _) = load_digits(test_size=100)
    assert len(x_train) == 1697 and len(x_test) == 100


def test_stratified(digits, raw_digits):
    _, (_, t_test) = digits
    counts = np.bincount(t_test, minlength=10)
    assert np.all(counts > 0)
    # 360 of 1797, per class 174..183 samples -> 35 or 36 or 37 expected.
    expected = 360 * np.bincount(raw_digits[1]) / len(raw_digits[1])
    assert np.all(np.abs(counts - expected) <= 1.0)


def test_one_hot_labels(digits):
    (_, t_train_oh), (_, t_test_oh) = load_digits(one_hot_label=True)
    assert t_train_oh.shape == (1437, 10) and t_test_oh.shape == (360, 10)
    assert t_train_oh.dtype == np.float64
    assert set(np.unique(t_train_oh)) == {0.0, 1.0}
    assert np.all(t_train_oh.sum(axis=1) == 1.0)
    assert np.array_equal(t_train_oh.argmax(axis=1), digits[0][1])
    assert np.array_equal(t_test_oh.argmax(axis=1), digits[1][1])


# --------------------------------------------------------------- to_one_hot


def test_to_one_hot_hand_example():
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    out = to_one_hot(np.array([2, 0, 1, 2]), 3)
    assert out.dtype == np.float64
    assert np.array_equal(out, expected)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_to_one_hot_out_of_range(labels):
    with pytest.raises(ValueError, match="ラベル"):
        to_one_hot(np.array(labels), 3)


def test_to_one_hot_rejects_float_and_2d():
    with pytest.raises(TypeError):
        to_one_hot(np.array([0.0, 1.0]), 3)
    with pytest.raises(ValueError):
        to_one_hot(np.zeros((2, 2), dtype=np.int64), 3)


# -------------------------------------------------------------- standardize


def test_standardize_uses_training_statistics():
    rng = np.random.default_rng(0)
    x_train = rng.normal(5.0, 3.0, size=(50, 4))
    x_test = rng.normal(-2.0, 0.5, size=(20, 4))
    train_copy, test_copy = x_train.copy(), x_test.copy()

    x_train_std, x_test_std, mean, std = standardize(x_train, x_test)
    assert np.allclose(mean, x_train.mean(axis=0))
    assert np.allclose(std, x_train.std(axis=0))
    assert np.allclose(x_train_std.mean(axis=0), 0.0)
    assert np.allclose(x_train_std.std(axis=0), 1.0)
    assert np.allclose(x_test_std, (x_test - x_train.mean(axis=0)) / x_train.std(axis=0))
    # Inputs untouched.
    assert np.array_equal(x_train, train_copy) and np.array_equal(x_test, test_copy)

    # A completely different test set changes neither the statistics nor x_train_std.
    x_train_std2, _, mean2, std2 = standardize(x_train, 100.0 + 10.0 * x_test)
    assert np.array_equal(mean2, mean) and np.array_equal(std2, std)
    assert np.array_equal(x_train_std2, x_train_std)


def test_standardize_constant_feature():
    x_train = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]])
    x_test = np.array([[3.0, 8.0]])
    x_train_std, x_test_std, mean, std = standardize(x_train, x_test)
    assert np.all(np.isfinite(x_train_std)) and np.all(np.isfinite(x_test_std))
    assert np.array_equal(x_train_std[:, 1], np.zeros(3))
    # Constant in training: std treated as 1, so the test value is only shifted.
    assert std[1] == 1.0
    assert x_test_std[0, 1] == pytest.approx(1.0)
    assert x_test_std[0, 0] == pytest.approx(0.0)


def test_standardize_on_digits_stays_bounded(digits):
    (x_train, _), (x_test, _) = digits
    _, x_test_std, _, _ = standardize(x_train, x_test)
    assert np.all(np.isfinite(x_test_std))
    assert np.abs(x_test_std).max() < 1e3


# --------------------------------------------------------- sample_minibatch


def test_minibatch_without_replacement_and_aligned():
    x = np.arange(100, dtype=np.float64).reshape(50, 2)  # row i = [2i, 2i+1]
    t = np.arange(50) * 10
    x_batch, t_batch = sample_minibatch(x, t, 50, np.random.default_rng(0))
    assert x_batch.shape == (50, 2) and t_batch.shape == (50,)
    rows = (x_batch[:, 0] / 2).astype(int)
    assert sorted(rows) == list(range(50))  # every row exactly once
    assert np.array_equal(t_batch, rows * 10)  # labels stay with their rows
    assert np.array_equal(x_batch[:, 1], x_batch[:, 0] + 1)


def test_minibatch_reproducible_from_seed():
    x = np.arange(200, dtype=np.float64).reshape(100, 2)
    t = np.arange(100)
    a = sample_minibatch(x, t, 10, np.random.default_rng(42))
    b = sample_minibatch(x, t, 10, np.random.default_rng(42))
    c = sample_minibatch(x, t, 10, np.random.default_rng(43))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    assert len(np.unique(a[1])) == 10


def test_minibatch_one_hot_labels():
    x = np.arange(8, dtype=np.float64).reshape(8, 1)
    t = to_one_hot(np.arange(8) % 3, 3)
    x_batch, t_batch = sample_minibatch(x, t, 4, np.random.default_rng(0))
    assert t_batch.shape == (4, 3)
    assert np.array_equal(t_batch.argmax(axis=1), x_batch[:, 0].astype(int) % 3)


def test_minibatch_errors():
    x, t = np.zeros((5, 2)), np.zeros(5)
    with pytest.raises(ValueError):
        sample_minibatch(x, t, 6, np.random.default_rng(0))
    with pytest.raises(ValueError):
        sample_minibatch(x, np.zeros(4), 2, np.random.default_rng(0))
    with pytest.raises(TypeError, match="default_rng"):
        sample_minibatch(x, t, 2, 0)


# ------------------------------------------------------------- the stored default split


def _sklearn_split(test_size: int, seed: int):
    """scikit-learn's own split of its digits: the oracle of load_digits(normalize=False)."""
    from sklearn.model_selection import train_test_split

    d = sklearn.datasets.load_digits()
    x_train, x_test, t_train, t_test = train_test_split(
        d.data, d.target, test_size=test_size, stratify=d.target, random_state=seed
    )
    return (x_train, t_train), (x_test, t_test)


@pytest.mark.parametrize("test_size, seed", [(360, 0), (100, 3)])  # the stored split, and one scikit-learn makes
def test_split_is_scikit_learns_train_test_split(test_size, seed):
    ours = load_digits(normalize=False, test_size=test_size, seed=seed)
    theirs = _sklearn_split(test_size, seed)
    for (x, t), (x_expected, t_expected) in zip(ours, theirs, strict=True):
        assert np.array_equal(x, x_expected) and x.dtype == np.float64
        assert np.array_equal(t, t_expected) and t.dtype == np.int64


def test_default_digits_load_without_importing_scikit_learn():
    """Importing scikit-learn takes about 0.7 s, in every graded notebook; the default split needs none."""
    import subprocess
    import sys

    code = "import sys; from course.data import load_digits; load_digits(); print('sklearn' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_changed_split_module_is_drift(tmp_path):
    from autograder import digits_split

    path = tmp_path / "course" / "digits_split.py"
    path.parent.mkdir()
    assert digits_split.drift(path)  # missing
    digits_split.write(path)
    assert digits_split.drift(path) == []
    path.write_text(path.read_text(encoding="utf-8").replace('"1346 295', '"295 1346'), encoding="utf-8")
    assert digits_split.drift(path)
