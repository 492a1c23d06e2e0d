"""Tests of course.reference.clipping.

Oracles: torch.nn.utils.clip_grad_norm_ in float64 (per-test skip without torch) and
hand-computed cases (a 3-4-5 triangle split across two arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from course.reference.clipping import clip_grads_by_norm

# The same formula as PyTorch (clip_coef = max_norm / (total + 1e-6), applied when < 1): the
# values differ only by the order of the summation, a few ulps; 1e-12 relative.
RTOL = 1e-12


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0) is the oracle for these tests")


def _grads(rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (1, 2)}
    return {key: scale * rng.standard_normal(shape) for key, shape in shapes.items()}


@pytest.mark.parametrize("seed, scale, max_norm", [(0, 1.0, 0.5), (1, 10.0, 3.0), (2, 0.1, 5.0), (3, 2.0, 1e-3)])
def test_matches_torch_clip_grad_norm(torch: Any, seed: int, scale: float, max_norm: float) -> None:
    grads = _grads(np.random.default_rng(seed), scale)
    tensors = []
    for value in grads.values():
        tensor = torch.zeros(value.shape, dtype=torch.float64, requires_grad=True)
        tensor.grad = torch.tensor(value, dtype=torch.float64)
        tensors.append(tensor)
    expected_norm = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    got_norm = clip_grads_by_norm(grads, max_norm)
    assert type(got_norm) is float
    assert got_norm == pytest.approx(expected_norm, rel=RTOL)
    for value, tensor in zip(grads.values(), tensors):
        np.testing.assert_allclose(value, tensor.grad.numpy(), rtol=RTOL, atol=0.0)


def test_hand_computed_global_norm() -> None:
    # |W| = 3 and |b| = 4: each below 4.5, but together sqrt(9 + 16) = 5 > 4.5, so both are scaled
    grads = {"W": np.array([[3.0, 0.0], [0.0, 0.0]]), "b": np.array([4.0])}
    assert clip_grads_by_norm(grads, 4.5) == 5.0
    coef = 4.5 / (5.0 + 1e-6)
    np.testing.assert_allclose(grads["W"], [[3.0 * coef, 0.0], [0.0, 0.0]], rtol=RTOL)
    np.testing.assert_allclose(grads["b"], [4.0 * coef], rtol=RTOL)
    # the clipped norm is max_norm up to the 1e-6 in the denominator
    total = np.sqrt(np.sum(grads["W"] ** 2) + np.sum(grads["b"] ** 2))
    assert total == pytest.approx(4.5, rel=1e-6)


def test_in_place_and_same_objects() -> None:
    grads = _grads(np.random.default_rng(5), 3.0)
    objects = {key: value for key, value in grads.items()}
    clip_grads_by_norm(grads, 1.0)
    assert all(grads[key] is objects[key] for key in grads)
    assert np.sqrt(sum(np.sum(g**2) for g in grads.values())) == pytest.approx(1.0, rel=1e-5)


def test_below_the_limit_is_unchanged_bit_for_bit() -> None:
    grads = _grads(np.random.default_rng(6), 0.1)
    saved = {key: value.copy() for key, value in grads.items()}
    norm = clip_grads_by_norm(grads, 100.0)
    assert norm == pytest.approx(np.sqrt(sum(np.sum(g**2) for g in saved.values())), rel=RTOL)
    for key in grads:
        assert np.array_equal(grads[key], saved[key])


def test_direction_is_kept() -> None:
    grads = _grads(np.random.default_rng(7), 5.0)
    before = np.concatenate([g.ravel() for g in grads.values()])
    clip_grads_by_norm(grads, 0.3)
    after = np.concatenate([g.ravel() for g in grads.values()])
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before), rtol=1e-12)


def test_empty_dict_has_norm_zero() -> None:
    assert clip_grads_by_norm({}, 1.0) == 0.0


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("nan")])
def test_rejects_non_positive_max_norm(max_norm: float) -> None:
    with pytest.raises(ValueError, match="max_norm"):
        clip_grads_by_norm({"W": np.ones(3)}, max_norm)
