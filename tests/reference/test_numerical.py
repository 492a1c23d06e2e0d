"""course.reference.numerical against analytic derivatives."""

import numpy as np
import pytest

from course.reference import gradient_descent, numerical_diff, numerical_gradient


def test_numerical_diff_central_difference_accuracy():
    # d/dx sin(x) = cos(x); the central difference with h = 1e-4 is accurate to ~h²
    for x in [0.0, 0.5, 2.0]:
        assert numerical_diff(np.sin, x) == pytest.approx(np.cos(x), abs=1e-8)
    # and exact (up to rounding) on a quadratic, unlike the forward difference
    f = lambda x: 0.01 * x**2 + 0.1 * x  # noqa: E731
    assert numerical_diff(f, 5.0) == pytest.approx(0.2, abs=1e-10)
    forward = (f(5.0 + 1e-4) - f(5.0)) / 1e-4
    assert abs(forward - 0.2) > 1e-7  # the forward difference carries an O(h) error


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_numerical_gradient_any_shape(shape, rng):
    x = rng.standard_normal(shape)
    original = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, 3 * original**2, rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(x, original)  # restored bit for bit


def test_numerical_gradient_non_contiguous_and_float32(rng):
    base = rng.standard_normal((4, 6))
    view = base[:, ::2]  # non-contiguous view
    assert not view.flags.c_contiguous
    before = base.copy()
    grad = numerical_gradient(lambda v: np.sum(np.sin(v)), view)
    np.testing.assert_allclose(grad, np.cos(view), rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(base, before)

    x32 = rng.standard_normal((3, 3)).astype(np.float32)
    grad32 = numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x32)
    np.testing.assert_allclose(grad32, 2 * x32.astype(np.float64), rtol=1e-4, atol=1e-4)


def test_numerical_gradient_perturbs_in_place_like_the_textbook(rng):
    W = rng.standard_normal((2, 3))
    x = rng.standard_normal(2)
    loss = lambda _: float(np.sum((x @ W) ** 2))  # noqa: E731  reads W, ignores its argument
    grad = numerical_gradient(loss, W)
    np.testing.assert_allclose(grad, 2 * np.outer(x, x @ W), rtol=1e-7, atol=1e-9)


def test_numerical_gradient_restores_even_if_f_raises():
    x = np.array([1.0, 2.0])

    def boom(v):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_step_lost_in_rounding_is_an_error():
    with pytest.raises(FloatingPointError):
        numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1e20]))


def test_numerical_gradient_rejects_integers():
    with pytest.raises(TypeError):
        numerical_gradient(lambda v: float(np.sum(v)), np.array([1, 2]))


def test_gradient_descent_on_a_quadratic():
    f = lambda x: x[0] ** 2 + x[1] ** 2  # noqa: E731
    init = np.array([-3.0, 4.0])
    x, history = gradient_descent(f, init, lr=0.1, step_num=100)
    np.testing.assert_array_equal(init, [-3.0, 4.0])
    assert history.shape == (101, 2)
    np.testing.assert_array_equal(history[0], init)
    # ∇f = 2x, so each step multiplies x by (1 − 2·lr) = 0.8
    np.testing.assert_allclose(history[10], init * 0.8**10, rtol=1e-8)
    np.testing.assert_allclose(x, init * 0.8**100, atol=1e-8)
    # too large a learning rate diverges, too small barely moves
    assert np.abs(gradient_descent(f, init, lr=1.5, step_num=10)[0]).max() > 1e3  # |1 − 2·1.5| = 2 per step
    assert np.allclose(gradient_descent(f, init, lr=1e-10, step_num=100)[0], init, atol=1e-6)
