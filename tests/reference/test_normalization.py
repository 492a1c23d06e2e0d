"""Layer, instance and group normalisation against torch.nn.functional in float64 (relative 1e-10)."""

import numpy as np
import pytest

from course.reference import group_norm, instance_norm, layer_norm

TORCH_RTOL, TORCH_ATOL = 1e-10, 1e-12

SHAPES = [(1, 4, 3, 3), (5, 6, 2, 4), (3, 4, 7)]


def _x(shape, seed):
    rng = np.random.default_rng(seed)
    # per-channel offsets and scales, so that averaging over the wrong axes is visible
    return rng.standard_normal(shape) * rng.uniform(0.1, 4.0, size=(1, shape[1]) + (1,) * (len(shape) - 2)) + 3.0


@pytest.mark.parametrize("shape", SHAPES)
def test_layer_norm_vs_torch(torch, shape):
    x = _x(shape, 0)
    expected = torch.nn.functional.layer_norm(torch.from_numpy(x), shape[1:], eps=1e-5).numpy()
    np.testing.assert_allclose(layer_norm(x), expected, rtol=TORCH_RTOL, atol=TORCH_ATOL)


def test_layer_norm_of_2d_input(torch):
    x = _x((4, 6), 1)
    expected = torch.nn.functional.layer_norm(torch.from_numpy(x), (6,), eps=1e-5).numpy()
    np.testing.assert_allclose(layer_norm(x), expected, rtol=TORCH_RTOL, atol=TORCH_ATOL)


@pytest.mark.parametrize("shape", SHAPES)
def test_instance_norm_vs_torch(torch, shape):
    x = _x(shape, 2)
    expected = torch.nn.functional.instance_norm(torch.from_numpy(x), eps=1e-5).numpy()
    np.testing.assert_allclose(instance_norm(x), expected, rtol=TORCH_RTOL, atol=TORCH_ATOL)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("groups", [1, 2, "C"])
def test_group_norm_vs_torch(torch, shape, groups):
    groups = shape[1] if groups == "C" else groups
    x = _x(shape, 3)
    expected = torch.nn.functional.group_norm(torch.from_numpy(x), groups, eps=1e-5).numpy()
    np.testing.assert_allclose(group_norm(x, groups), expected, rtol=TORCH_RTOL, atol=TORCH_ATOL)


def test_group_norm_limits_are_layer_and_instance_norm():
    x = _x((2, 6, 3, 3), 4)
    np.testing.assert_allclose(group_norm(x, 1), layer_norm(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(group_norm(x, 6), instance_norm(x), rtol=1e-12, atol=1e-14)


def test_group_norm_rejects_indivisible_groups():
    with pytest.raises(ValueError):
        group_norm(np.zeros((1, 6, 2, 2)), 4)


def test_statistics_axes_and_independence_of_the_batch():
    x = _x((3, 4, 5, 5), 5)
    out = layer_norm(x)
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0.0, atol=1e-12)
    out = instance_norm(x)
    np.testing.assert_allclose(out.mean(axis=(2, 3)), 0.0, atol=1e-12)
    # no statistic mixes samples: each sample alone gives the same result
    for fn in (layer_norm, instance_norm, lambda v: group_norm(v, 2)):
        np.testing.assert_allclose(fn(x)[1:2], fn(x[1:2]), rtol=1e-12, atol=1e-14)
