"""Tests of course.reference.initialization.

Oracles: torch.nn.init (sampling a large tensor, and the gain-based
formulas) with per-test skips without torch, and a NumPy check of the
variance argument itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from course.reference.initialization import he_std, xavier_std

FORMULA_RTOL = 1e-14
# Sample std of N iid normals has relative standard error ~ 1/sqrt(2N); with
# N = 600*400 = 240_000 that is 1.4e-3. Allow 6 standard errors (seeds are fixed
# so the test is deterministic; the bound says it is not tuned to the seed).
N_OUT_SAMPLE, N_IN_SAMPLE = 600, 400
STD_RTOL = 6.0 / math.sqrt(2 * N_OUT_SAMPLE * N_IN_SAMPLE)


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0) is the oracle for these tests")


def sample_std(torch: Any, init: Any, **kwargs: Any) -> float:
    torch.manual_seed(0)
    w = torch.empty(N_OUT_SAMPLE, N_IN_SAMPLE, dtype=torch.float64)  # torch: (fan_out, fan_in)
    init(w, **kwargs)
    return float(w.std())


def test_xavier_std_matches_torch_xavier_normal_sample(torch: Any) -> None:
    got = sample_std(torch, torch.nn.init.xavier_normal_)
    assert xavier_std(N_IN_SAMPLE, N_OUT_SAMPLE) == pytest.approx(got, rel=STD_RTOL)


def test_he_std_matches_torch_kaiming_normal_sample(torch: Any) -> None:
    got = sample_std(torch, torch.nn.init.kaiming_normal_, mode="fan_in", nonlinearity="relu")
    assert he_std(N_IN_SAMPLE) == pytest.approx(got, rel=STD_RTOL)


def test_simplified_xavier_matches_torch_kaiming_linear_sample(torch: Any) -> None:
    # kaiming with gain 1 ('linear') is 1/sqrt(fan_in), the textbook's simplified Xavier
    got = sample_std(torch, torch.nn.init.kaiming_normal_, mode="fan_in", nonlinearity="linear")
    assert xavier_std(N_IN_SAMPLE) == pytest.approx(got, rel=STD_RTOL)


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 7), (100, 50), (784, 100), (4096, 10)])
def test_formulas_match_torch_gains(torch: Any, n_in: int, n_out: int) -> None:
    gain_relu = torch.nn.init.calculate_gain("relu")
    gain_linear = torch.nn.init.calculate_gain("linear")
    # torch: kaiming std = gain / sqrt(fan_in); xavier std = gain * sqrt(2 / (fan_in + fan_out))
    assert he_std(n_in) == pytest.approx(gain_relu / math.sqrt(n_in), rel=FORMULA_RTOL)
    assert xavier_std(n_in, n_out) == pytest.approx(gain_linear * math.sqrt(2.0 / (n_in + n_out)), rel=FORMULA_RTOL)
    assert xavier_std(n_in) == pytest.approx(gain_linear / math.sqrt(n_in), rel=FORMULA_RTOL)


def test_closed_form_values() -> None:
    assert xavier_std(100) == pytest.approx(0.1, rel=FORMULA_RTOL)
    assert xavier_std(3, 5) == pytest.approx(0.5, rel=FORMULA_RTOL)  # sqrt(2/8)
    assert he_std(8) == pytest.approx(0.5, rel=FORMULA_RTOL)  # sqrt(2/8)
    assert he_std(np.int64(50)) == pytest.approx(0.2, rel=FORMULA_RTOL)
    assert type(he_std(8)) is float and type(xavier_std(3, 5)) is float


def test_variance_argument_numpy() -> None:
    """Var(x @ W) = M * sigma^2 * E[x^2]: xavier keeps unit variance for unit
    inputs, he keeps unit second moment after a ReLU (E[relu(z)^2] = 1/2).
    Fluctuation is dominated by the 500 column norms, ~sqrt(2/M)/sqrt(500)
    ~ 0.3% relative; allow 3%."""
    rng = np.random.default_rng(0)
    M = 500
    z = rng.normal(size=(2000, M))
    W = rng.normal(size=(M, M))
    y_lin = z @ (xavier_std(M) * W)
    assert np.mean(y_lin**2) == pytest.approx(1.0, rel=0.03)
    y_relu = np.maximum(z, 0.0) @ (he_std(M) * W)
    assert np.mean(y_relu**2) == pytest.approx(1.0, rel=0.03)
    # the simplified xavier std after ReLU halves the second moment
    y_bad = np.maximum(z, 0.0) @ (xavier_std(M) * W)
    assert np.mean(y_bad**2) == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10", None])
def test_invalid_sizes_raise(bad: Any) -> None:
    with pytest.raises(ValueError):
        he_std(bad)
    with pytest.raises(ValueError):
        xavier_std(bad)
    if bad is not None:  # n_out=None means "simplified form"
        with pytest.raises(ValueError):
            xavier_std(10, bad)
