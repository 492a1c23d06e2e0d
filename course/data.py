"""The course's default data set (scikit-learn's bundled digits) and small data utilities.

The digits data ship inside scikit-learn, so nothing is downloaded:
1797 grey-scale images of 8x8 pixels with values 0..16, labels 0..9.
``load_digits`` returns them with the conventions of the textbook's
``load_mnist``; real MNIST is in ``course.mnist``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

__all__ = ["load_digits", "load_shifted_digits_test", "to_one_hot", "standardize", "sample_minibatch"]

_NUM_CLASSES = 10
_DIGITS_MAX = 16.0
_STD_EPS = 1e-8


def load_digits(
    *,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    test_size: int = 360,
    seed: int = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the 8x8 digits as ((x_train, t_train), (x_test, t_test)).

    The split is stratified (every class keeps its proportion in both parts)
    and fixed by ``seed``: every call with the same arguments returns the same
    split. With the defaults there are 1437 training and 360 test samples, and
    the split is scikit-learn's ``train_test_split`` one, stored with the course
    (the same whatever scikit-learn version is installed).

    Inputs:
    - normalize: if True, pixel values are divided by 16 (float64 in [0, 1]);
      otherwise they are the raw values 0..16 as float64
    - flatten: if True, x has shape (N, 64); otherwise (N, 1, 8, 8)
    - one_hot_label: if True, t has shape (N, 10), float64 one-hot rows;
      otherwise t has shape (N,), int64 labels 0..9
    - test_size: number of test samples (the rest, 1797 - test_size, is
      used for training)
    - seed: random_state of the split

    Returns:
    - (x_train, t_train), (x_test, t_test) as described above, with
      N = 1797 - test_size for training and N = test_size for test.
    """
    x_all, t_all = _all_digits()
    train, test = _split(t_all, test_size, seed)
    x_train, x_test, t_train, t_test = x_all[train], x_all[test], t_all[train], t_all[test]

    def convert_x(x: np.ndarray) -> np.ndarray:
        x = x / _DIGITS_MAX if normalize else x.astype(np.float64)
        return x if flatten else x.reshape(-1, 1, 8, 8)

    def convert_t(t: np.ndarray) -> np.ndarray:
        return to_one_hot(t, _NUM_CLASSES) if one_hot_label else t.astype(np.int64)

    return (
        (convert_x(x_train), convert_t(t_train)),
        (convert_x(x_test), convert_t(t_test)),
    )


def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    """Every digit in scikit-learn's order: x (1797, 64) float64 with values 0..16, t (1797,) int64.

    Read from the file that scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``, as its
    ``load_digits`` reads it) without importing scikit-learn, which takes about 0.7 s; through
    scikit-learn if that file is not where it has always been.
    """
    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    path = Path(folders[0]) / "datasets" / "data" / "digits.csv.gz" if folders else None
    if path is not None and path.is_file():
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    return np.asarray(digits.data, dtype=np.float64), np.asarray(digits.target, dtype=np.int64)


def _split(labels: np.ndarray, test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices of scikit-learn's stratified ``train_test_split``. The split of the default
    arguments is stored in ``course/digits_split.py`` (made by scikit-learn, see autograder/digits_split.py)."""
    from . import digits_split as stored

    if (test_size, seed) == (stored.TEST_SIZE, stored.SEED):
        train = np.array("".join(stored.TRAIN).split(), dtype=np.int64)
        test = np.array("".join(stored.TEST).split(), dtype=np.int64)
        return train, test
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(labels.shape[0]), test_size=test_size, stratify=labels, random_state=seed)
    return train, test


def load_shifted_digits_test() -> tuple[np.ndarray, np.ndarray]:
    """The public evaluation set of chapter 10 as (x, t): x (360, 64) float64, t (360,) int64.

    The test images of ``load_digits()`` (same order, same labels), each shifted by up to one pixel
    in each direction (pixels shifted in from outside are 0) and with Gaussian noise of standard
    deviation 0.05 added: images that look like the test data but that no model has trained on.
    The grader draws a new such set for each learner.
    """
    import base64

    from . import evaluation_digits as stored

    raw = base64.b64decode("".join(stored.PIXELS))
    x = np.frombuffer(raw, dtype="<f2").astype(np.float64).reshape(stored.SHAPE)
    (_, _), (_, t_test) = load_digits()
    return x, t_test


def to_one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """One-hot encode integer labels.

    Inputs:
    - labels: integer array of shape (N,) with values in 0..num_classes-1
    - num_classes: number of classes C

    Returns:
    - one_hot: float64 array of shape (N, C) with one_hot[i, labels[i]] = 1
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels は 1 次元配列 (N,) である必要があります: shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels は整数の配列である必要があります: dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"ラベルは 0 以上 {num_classes - 1} 以下である必要があります (min {labels.min()}, max {labels.max()})"
        )
    one_hot = np.zeros((labels.shape[0], num_classes), dtype=np.float64)
    one_hot[np.arange(labels.shape[0]), labels] = 1.0
    return one_hot


def standardize(x_train: np.ndarray, x_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardize features with the mean and std of the TRAINING set only.

    x_std = (x - mean) / std, with mean and std computed per feature from
    x_train and applied to both sets (the test set must not influence them).

    Features that are constant in the training set (std < 1e-8) get std = 1,
    as in scikit-learn's StandardScaler: they become 0 in the training set and
    are only shifted, not divided by a tiny number, in the test set. (On the
    default digits split, pixel 24 is always 0 in training but not in test;
    a tiny floor such as 1e-8 would turn a test value of 1 into 1e8.)

    Inputs:
    - x_train: array of shape (N_train, D)
    - x_test: array of shape (N_test, D)

    Returns:
    - x_train_std: float64 array of shape (N_train, D)
    - x_test_std: float64 array of shape (N_test, D)
    - mean: float64 array of shape (D,)
    - std: float64 array of shape (D,) (after the replacement above)
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_train と x_test の特徴量の shape が一致しません: {x_train.shape} と {x_test.shape}")
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std = np.where(std < _STD_EPS, 1.0, std)
    return (x_train - mean) / std, (x_test - mean) / std, mean, std


def sample_minibatch(
    x: np.ndarray, t: np.ndarray, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a random minibatch without replacement.

    Inputs:
    - x: array of shape (N, ...)
    - t: array of shape (N,) or (N, C), aligned with x
    - batch_size: B, with 1 <= B <= N
    - rng: a np.random.Generator, e.g. np.random.default_rng(seed)

    Returns:
    - x_batch: array of shape (B, ...)
    - t_batch: array of shape (B,) or (B, C); row i of t_batch belongs to
      row i of x_batch
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng には np.random.default_rng(seed) で作った Generator を渡してください")
    n = len(x)
    if len(t) != n:
        raise ValueError(f"x と t のサンプル数が一致しません: {n} と {len(t)}")
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size は 1 以上 {n} 以下である必要があります: {batch_size}")
    idx = rng.choice(n, size=batch_size, replace=False)
    return x[idx], t[idx]
