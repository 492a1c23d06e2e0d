"""SimpleNet (chapter 3) against PyTorch in float64."""

import numpy as np
import pytest

from course.reference import SimpleNet

# loss() is cross_entropy_error, which adds EPS inside the log; the oracle adds it too
EPS = 1e-7
LOSS_RTOL = 1e-12
# the O(h²) error of central differences with h = 1e-4, plus rounding
GRADIENT_RTOL = 1e-6


def _torch_loss_and_grad(torch, W, x, labels):
    """−mean log(softmax(x @ W)[n, t_n] + EPS) and its gradient with respect to W, by autograd."""
    W_t = torch.tensor(W, requires_grad=True)
    scores = torch.tensor(np.atleast_2d(x)) @ W_t
    labels = torch.tensor(np.atleast_1d(labels))
    probabilities = torch.softmax(scores, dim=1)[torch.arange(len(labels)), labels]
    loss = -torch.log(probabilities + EPS).mean()
    loss.backward()
    return loss.item(), W_t.grad.numpy()


@pytest.mark.parametrize("n, d, c", [(1, 2, 3), (5, 4, 3), (7, 3, 6)])
def test_loss_and_numerical_gradient_match_pytorch(torch, rng, n, d, c):
    W = rng.standard_normal((d, c))
    x = rng.standard_normal((n, d))
    labels = rng.integers(0, c, size=n)
    net = SimpleNet(W)
    assert net.W is W  # kept, not copied: the textbook's pattern relies on it
    expected_loss, expected_grad = _torch_loss_and_grad(torch, W, x, labels)
    before = W.copy()

    np.testing.assert_allclose(net.predict(x), x @ before, rtol=1e-12)
    assert net.loss(x, labels) == pytest.approx(expected_loss, rel=LOSS_RTOL)
    assert net.loss(x, np.eye(c)[labels]) == pytest.approx(expected_loss, rel=LOSS_RTOL)  # one-hot targets
    grad = net.numerical_gradient(x, labels)
    assert grad.shape == (d, c)
    np.testing.assert_allclose(grad, expected_grad, rtol=GRADIENT_RTOL, atol=1e-9)
    np.testing.assert_array_equal(W, before)  # perturbed in place and restored bit for bit


def test_single_sample(torch, rng):
    W = rng.standard_normal((2, 3))
    x = np.array([0.6, 0.9])
    net = SimpleNet(W)
    assert net.predict(x).shape == (3,)
    expected_loss, expected_grad = _torch_loss_and_grad(torch, W, x, 2)
    assert net.loss(x, np.array(2)) == pytest.approx(expected_loss, rel=LOSS_RTOL)
    assert net.loss(x, np.array([0.0, 0.0, 1.0])) == pytest.approx(expected_loss, rel=LOSS_RTOL)
    np.testing.assert_allclose(net.numerical_gradient(x, np.array(2)), expected_grad, rtol=GRADIENT_RTOL, atol=1e-9)
