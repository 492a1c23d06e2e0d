"""expected_initial_loss and overfit_tiny_subset against PyTorch (CPU, float64) and hand-computed cases."""

import math

import numpy as np
import pytest

from course.data import load_digits
from course.reference import TwoLayerNet, expected_initial_loss, overfit_tiny_subset

torch = pytest.importorskip("torch", reason="PyTorch is the independent oracle of these tests")


@pytest.mark.parametrize("num_classes", [2, 3, 10, 1000])
def test_initial_loss_is_the_cross_entropy_of_a_uniform_prediction(num_classes):
    # equal scores give a uniform softmax; torch's cross_entropy takes the scores (no eps)
    scores = torch.zeros((7, num_classes), dtype=torch.float64)
    labels = torch.arange(7) % num_classes
    expected = torch.nn.functional.cross_entropy(scores, labels).item()
    got = expected_initial_loss(num_classes)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-12)


def test_a_small_network_starts_near_the_expected_loss():
    (x, t), _ = load_digits()
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.01, rng=np.random.default_rng(0))
    assert network.loss(x[:200], t[:200]) == pytest.approx(expected_initial_loss(10), rel=1e-3)


def _torch_descent(params, x, t, learning_rate, steps):
    """The same plain gradient descent with torch.optim.SGD on the same two-layer network."""
    weights = {key: torch.tensor(value, dtype=torch.float64, requires_grad=True) for key, value in params.items()}
    optimizer = torch.optim.SGD(list(weights.values()), lr=learning_rate)
    xs, ts = torch.tensor(x), torch.tensor(t)

    def loss():
        hidden = torch.relu(xs @ weights["W1"] + weights["b1"])
        return torch.nn.functional.cross_entropy(hidden @ weights["W2"] + weights["b2"], ts)

    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        value = loss()
        losses.append(value.item())
        value.backward()
        optimizer.step()
    losses.append(loss().item())
    return losses, {key: value.detach().numpy() for key, value in weights.items()}


def test_descent_on_a_tiny_subset_matches_torch_sgd_and_reaches_zero():
    (x, t), _ = load_digits()
    x, t = x[:20], t[:20]
    network = TwoLayerNet(64, 50, 10, weight_init_std=0.1, rng=np.random.default_rng(0))
    start = {key: value.copy() for key, value in network.params.items()}
    arrays = dict(network.params)
    losses = overfit_tiny_subset(
        network.params, lambda: network.loss(x, t), lambda: network.gradient(x, t), learning_rate=0.5, steps=200
    )
    expected_losses, expected_params = _torch_descent(start, x, t, 0.5, 200)
    assert isinstance(losses, list) and len(losses) == 201
    assert all(isinstance(value, float) for value in losses)
    # the course's loss has eps = 1e-7 inside the log (torch has none): each sample's loss moves by about
    # eps / y, below 1.2e-7 once the probabilities are near 1, and below relative 1e-6 at the start
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-6, atol=2e-7)
    for key in arrays:
        assert network.params[key] is arrays[key]  # updated in place
        np.testing.assert_allclose(network.params[key], expected_params[key], rtol=1e-4, atol=1e-7)
    assert losses[0] == pytest.approx(expected_initial_loss(10), rel=0.01)
    assert losses[-1] < 0.01
    assert network.accuracy(x, t) == 1.0


def test_hand_computed_quadratic_and_zero_steps():
    w = np.array([4.0, -2.0])
    params = {"w": w}
    losses = overfit_tiny_subset(params, lambda: float(w @ w), lambda: {"w": 2 * w}, 0.25, 3)
    assert losses == [20.0, 5.0, 1.25, 0.3125]  # w halves at every step: exact in binary floating point
    assert params["w"] is w and w.tolist() == [0.5, -0.25]
    assert overfit_tiny_subset(params, lambda: float(w @ w), lambda: {"w": 2 * w}, 0.25, 0) == [0.3125]
    assert w.tolist() == [0.5, -0.25]
    assert math.isclose(expected_initial_loss(2), 0.6931471805599453, rel_tol=1e-15)
