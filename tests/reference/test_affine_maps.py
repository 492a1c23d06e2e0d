"""course.reference.affine_maps against hand-computed cases and PyTorch (float64) nn.Linear layers."""

import numpy as np
import pytest

from course.reference import compose_affine

FORWARD_RTOL = 1e-10  # float64 products of a few terms agree to rounding


def test_hand_computed_2x2():
    # W1 W2 = [[1·0 + 2·2, 1·1 + 2·0], [3·0 + 4·2, 3·1 + 4·0]]; b1 W2 = [1·0 − 1·2, 1·1 − 1·0]
    W1, b1 = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
    W2, b2 = np.array([[0.0, 1.0], [2.0, 0.0]]), np.array([10.0, 20.0])
    W, b = compose_affine(W1, b1, W2, b2)
    np.testing.assert_array_equal(W, [[4.0, 1.0], [8.0, 3.0]])
    np.testing.assert_array_equal(b, [8.0, 21.0])


def test_shapes_and_arguments_left_alone():
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s) for s in [(4, 3), (3,), (3, 2), (2,)]]
    saved = [a.copy() for a in args]
    W, b = compose_affine(*args)
    assert W.shape == (4, 2) and b.shape == (2,)
    for a, s in zip(args, saved):
        np.testing.assert_array_equal(a, s)
    assert all(not np.shares_memory(out, a) for out in (W, b) for a in args)


@pytest.mark.parametrize("sizes", [(1, 1, 1), (3, 5, 2), (6, 1, 4), (2, 7, 7)])
def test_equals_two_layers_on_a_batch(sizes):
    d, h, m = sizes
    rng = np.random.default_rng(sum(sizes))
    W1, b1, W2, b2 = (rng.standard_normal(s) for s in [(d, h), (h,), (h, m), (m,)])
    x = rng.standard_normal((9, d))
    W, b = compose_affine(W1, b1, W2, b2)
    np.testing.assert_allclose(x @ W + b, (x @ W1 + b1) @ W2 + b2, rtol=FORWARD_RTOL, atol=1e-12)


def test_stack_of_linear_layers_vs_torch(torch):
    """Five torch.nn.Linear layers in a row equal one affine map obtained by composing pairwise."""
    torch.manual_seed(0)
    sizes = [4, 6, 3, 5, 2, 3]
    layers = [torch.nn.Linear(a, c, dtype=torch.float64) for a, c in zip(sizes, sizes[1:])]
    x = torch.randn(8, sizes[0], dtype=torch.float64)
    with torch.no_grad():
        expected = torch.nn.Sequential(*layers)(x).numpy()
        # nn.Linear computes x Aᵀ + c, so the course's W is the transposed weight
        W, b = layers[0].weight.numpy().T.copy(), layers[0].bias.numpy().copy()
        for layer in layers[1:]:
            W, b = compose_affine(W, b, layer.weight.numpy().T.copy(), layer.bias.numpy().copy())
    np.testing.assert_allclose(x.numpy() @ W + b, expected, rtol=FORWARD_RTOL, atol=1e-12)
