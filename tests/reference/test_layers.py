"""Layers against centred numerical gradients and PyTorch autograd (float64)."""

import numpy as np
import pytest

from course.gradcheck import eval_numerical_gradient_array
from course.reference import AddLayer, Affine, MulLayer, Relu, Sigmoid

GRAD_RTOL = 1e-7  # numerical vs analytic, centred differences (CS231n's threshold)
TORCH_RTOL = 1e-10  # analytic vs PyTorch autograd, float64


def test_apple_example_mul_add():
    # 2 apples at 100 and 3 oranges at 150, 10% tax: total 715
    apple, n_apple, orange, n_orange, tax = 100.0, 2.0, 150.0, 3.0, 1.1
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    total = mul_tax.forward(add.forward(mul_apple.forward(apple, n_apple), mul_orange.forward(orange, n_orange)), tax)
    assert total == pytest.approx(715.0)
    d_sum, d_tax = mul_tax.backward(1.0)
    d_apples, d_oranges = add.backward(d_sum)
    d_apple, d_n_apple = mul_apple.backward(d_apples)
    d_orange, d_n_orange = mul_orange.backward(d_oranges)
    assert (d_apple, d_n_apple, d_orange, d_n_orange, d_tax) == pytest.approx((2.2, 110.0, 3.3, 165.0, 650.0))


def _check(forward, backward, x, dout):
    dx = backward(dout)
    num = eval_numerical_gradient_array(forward, x, dout)
    np.testing.assert_allclose(dx, num, rtol=GRAD_RTOL, atol=1e-9)
    return dx


@pytest.mark.parametrize("shape", [(1, 5), (4, 5), (2, 3, 4)])
def test_relu_and_sigmoid_numerical(shape, rng):
    x = rng.standard_normal(shape)
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink for finite differences
    dout = rng.standard_normal(shape)
    for cls in (Relu, Sigmoid):
        layer = cls()
        layer.forward(x)
        _check(lambda v, cls=cls: cls().forward(v), layer.backward, x, dout)


def test_relu_mask_uses_input_and_zero_at_kink():
    layer = Relu()
    out = layer.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(layer.backward(np.array([5.0, 5.0, 5.0])), [0.0, 0.0, 5.0])


@pytest.mark.parametrize("x_shape", [(1, 6), (5, 6), (4, 2, 3)])
def test_affine_numerical(x_shape, rng):
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((6, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((x_shape[0], 3))
    layer = Affine(W, b)
    out = layer.forward(x)
    assert out.shape == (x_shape[0], 3)
    dx = _check(lambda v: Affine(W, b).forward(v), layer.backward, x, dout)
    assert dx.shape == x_shape
    np.testing.assert_allclose(
        layer.dW, eval_numerical_gradient_array(lambda w: Affine(w, b).forward(x), W, dout), rtol=GRAD_RTOL, atol=1e-9
    )
    np.testing.assert_allclose(
        layer.db, eval_numerical_gradient_array(lambda c: Affine(W, c).forward(x), b, dout), rtol=GRAD_RTOL, atol=1e-9
    )


@pytest.mark.parametrize("n", [1, 7])
def test_layers_vs_torch(torch, n):
    rng = np.random.default_rng(n)
    x, W, b = rng.standard_normal((n, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((n, 3))
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    yt = torch.nn.functional.linear(xt, Wt.T, bt)
    yt.backward(torch.from_numpy(dout))
    layer = Affine(W, b)
    np.testing.assert_allclose(layer.forward(x), yt.detach().numpy(), rtol=TORCH_RTOL)
    dx = layer.backward(dout)
    for ours, theirs in [(dx, xt), (layer.dW, Wt), (layer.db, bt)]:
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=TORCH_RTOL, atol=1e-12)

    for ours_cls, torch_fn in [(Relu, torch.relu), (Sigmoid, torch.sigmoid)]:
        xt = torch.tensor(x, requires_grad=True)
        yt = torch_fn(xt)
        yt.backward(torch.from_numpy(np.ones_like(x) * 0.3))
        layer = ours_cls()
        np.testing.assert_allclose(layer.forward(x), yt.detach().numpy(), rtol=TORCH_RTOL)
        np.testing.assert_allclose(layer.backward(np.ones_like(x) * 0.3), xt.grad.numpy(), rtol=TORCH_RTOL)
