"""Softmax backward and SoftmaxWithLoss against numerical gradients and PyTorch."""

import numpy as np
import pytest

from course.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array
from course.reference import SoftmaxWithLoss, cross_entropy_error, softmax, softmax_backward, softmax_jacobian

GRAD_RTOL = 1e-7
TORCH_RTOL = 1e-10


def test_jacobian_matches_numerical(rng):
    x = rng.standard_normal(5)
    J = softmax_jacobian(softmax(x))
    numerical = np.stack([eval_numerical_gradient(lambda v, i=i: softmax(v)[i], x) for i in range(5)])
    np.testing.assert_allclose(J, numerical, rtol=GRAD_RTOL, atol=1e-10)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)  # softmax sums to 1


def test_batched_jacobian_and_backward(rng):
    x = rng.standard_normal((3, 4))
    y = softmax(x)
    dy = rng.standard_normal((3, 4))
    J = softmax_jacobian(y)
    assert J.shape == (3, 4, 4)
    np.testing.assert_allclose(softmax_backward(y, dy), np.einsum("nij,ni->nj", J, dy), rtol=1e-12)
    np.testing.assert_allclose(
        softmax_backward(y, dy), eval_numerical_gradient_array(softmax, x, dy), rtol=GRAD_RTOL, atol=1e-10
    )
    np.testing.assert_allclose(softmax_backward(y[0], dy[0]), softmax_backward(y, dy)[0], rtol=1e-14)


@pytest.mark.parametrize("n", [1, 6])
@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_numerical(n, one_hot, rng):
    x = rng.standard_normal((n, 4))
    labels = rng.integers(0, 4, size=n)
    t = np.eye(4)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    assert loss == pytest.approx(cross_entropy_error(softmax(x), labels), rel=1e-14)
    dx = layer.backward()
    np.testing.assert_allclose(dx, (softmax(x) - np.eye(4)[labels]) / n, rtol=1e-14)
    # the eps inside the log is ignored by backward: difference below 1e-6
    num = eval_numerical_gradient(lambda v: SoftmaxWithLoss().forward(v, t), x)
    np.testing.assert_allclose(dx, num, rtol=1e-5, atol=1e-6)


def test_softmax_with_loss_single_sample(rng):
    x = rng.standard_normal(4)
    layer = SoftmaxWithLoss()
    layer.forward(x, 2)
    dx = layer.backward()
    assert dx.shape == (4,)
    np.testing.assert_allclose(dx, softmax(x) - np.eye(4)[2], rtol=1e-14)


@pytest.mark.parametrize("n", [1, 9])
def test_softmax_with_loss_vs_torch(torch, n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 5)) * 2
    labels = rng.integers(0, 5, size=n)
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(xt, torch.from_numpy(labels))
    loss_t.backward()
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, labels)
    y_min = softmax(x)[np.arange(n), labels].min()
    assert loss == pytest.approx(loss_t.item(), abs=1e-7 / y_min)  # eps = 1e-7 inside the log
    np.testing.assert_allclose(layer.backward(), xt.grad.numpy(), rtol=TORCH_RTOL, atol=1e-15)

    y = softmax(x)
    yt = torch.tensor(x, requires_grad=True)
    dy = rng.standard_normal((n, 5))
    torch.softmax(yt, dim=1).backward(torch.from_numpy(dy))
    np.testing.assert_allclose(softmax_backward(y, dy), yt.grad.numpy(), rtol=TORCH_RTOL, atol=1e-14)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), torch.from_numpy(x[0]))
    np.testing.assert_allclose(softmax_jacobian(y[0]), jac.numpy(), rtol=TORCH_RTOL, atol=1e-15)
