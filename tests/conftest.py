"""Shared fixtures."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def torch():
    """PyTorch in float64 as the independent oracle; skips the test cleanly where it is absent."""
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here: pip install torch==2.13.0 (CPU)")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
