"""Networks: backprop gradients against numerical gradients and PyTorch autograd."""

import numpy as np
import pytest

from course.reference import MultiLayerNet, MultiLayerNetExtend, TwoLayerNet

TORCH_RTOL = 1e-9
# net.numerical_gradient differentiates the loss WITH eps = 1e-7 inside the log (relative
# effect ≈ eps / y), which backprop ignores, using the textbook's h = 1e-4.
NUMERICAL_RTOL = 1e-5


def _data(rng, n=5, d=6, c=3):
    return rng.standard_normal((n, d)), rng.integers(0, c, size=n)


def test_two_layer_net_backprop_vs_numerical(rng):
    x, t = _data(rng)
    net = TwoLayerNet(6, 4, 3, weight_init_std=0.5, rng=np.random.default_rng(0))
    grads, num = net.gradient(x, t), net.numerical_gradient(x, t)
    assert set(grads) == {"W1", "b1", "W2", "b2"}
    for key in grads:
        assert grads[key].shape == net.params[key].shape
        # biases before batch norm have exactly zero gradient: compare with an absolute floor
        np.testing.assert_allclose(grads[key], num[key], rtol=NUMERICAL_RTOL, atol=1e-9, err_msg=key)


def test_two_layer_net_predict_accuracy(rng):
    net = TwoLayerNet(6, 4, 3, rng=np.random.default_rng(0))
    x, t = _data(rng, n=8)
    scores = net.predict(x)
    assert scores.shape == (8, 3)
    assert net.accuracy(x, t) == pytest.approx(np.mean(scores.argmax(axis=1) == t))
    assert net.accuracy(x, np.eye(3)[t]) == net.accuracy(x, t)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_multilayer_batchnorm_weight_decay_numerical(activation, rng):
    x, t = _data(rng, n=6)
    net = MultiLayerNetExtend(
        6,
        [5, 4],
        3,
        activation=activation,
        weight_init_std=0.7,
        weight_decay_lambda=0.1,
        use_batchnorm=True,
        rng=np.random.default_rng(1),
    )
    grads, num = net.gradient(x, t), net.numerical_gradient(x, t)
    assert set(grads) == {"W1", "b1", "W2", "b2", "W3", "b3", "gamma1", "beta1", "gamma2", "beta2"}
    for key in grads:
        np.testing.assert_allclose(grads[key], num[key], rtol=NUMERICAL_RTOL, atol=1e-9, err_msg=key)


def test_weight_decay_touches_weights_only(rng):
    x, t = _data(rng)
    kwargs = dict(weight_init_std=0.3, rng=None)
    plain = MultiLayerNet(6, [4], 3, **{**kwargs, "rng": np.random.default_rng(2)})
    decayed = MultiLayerNet(6, [4], 3, weight_decay_lambda=0.5, **{**kwargs, "rng": np.random.default_rng(2)})
    g0, g1 = plain.gradient(x, t), decayed.gradient(x, t)
    np.testing.assert_allclose(g1["W1"] - g0["W1"], 0.5 * plain.params["W1"], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(g1["b1"], g0["b1"])
    penalty = 0.25 * sum(np.sum(plain.params[k] ** 2) for k in ("W1", "W2"))
    assert decayed.loss(x, t) - plain.loss(x, t) == pytest.approx(penalty, rel=1e-12)


def test_dropout_network_is_deterministic_given_rng(rng):
    x, t = _data(rng)
    make = lambda: MultiLayerNetExtend(
        6,
        [8, 8],
        3,
        use_dropout=True,
        dropout_ratio=0.3,  # noqa: E731
        rng=np.random.default_rng(5),
    )
    a, b = make(), make()
    ga, gb = a.gradient(x, t), b.gradient(x, t)
    for key in ga:
        np.testing.assert_array_equal(ga[key], gb[key])
    np.testing.assert_array_equal(a.predict(x), a.predict(x))  # inference: no dropout


def test_bad_arguments():
    with pytest.raises(ValueError):
        MultiLayerNetExtend(4, [3], 2, activation="tanh")
    with pytest.raises(ValueError):
        MultiLayerNetExtend(4, [3], 2, weight_init_std="bogus")


def test_multilayer_vs_torch(torch):
    rng = np.random.default_rng(3)
    x, t = _data(rng, n=7, d=6, c=4)
    lam = 0.05
    net = MultiLayerNetExtend(
        6,
        [5, 5],
        4,
        activation="sigmoid",
        weight_init_std=0.8,
        weight_decay_lambda=lam,
        use_batchnorm=True,
        rng=np.random.default_rng(4),
    )
    grads = net.gradient(x, t)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    h = torch.from_numpy(x)
    for i in (1, 2):
        h = h @ p[f"W{i}"] + p[f"b{i}"]
        h = torch.nn.functional.batch_norm(h, None, None, p[f"gamma{i}"], p[f"beta{i}"], training=True, eps=1e-5)
        h = torch.sigmoid(h)
    scores = h @ p["W3"] + p["b3"]
    loss = torch.nn.functional.cross_entropy(scores, torch.from_numpy(t))
    loss = loss + lam / 2 * sum((p[f"W{i}"] ** 2).sum() for i in (1, 2, 3))
    loss.backward()
    for key in grads:
        np.testing.assert_allclose(grads[key], p[key].grad.numpy(), rtol=TORCH_RTOL, atol=1e-12, err_msg=key)


def test_two_layer_net_vs_torch(torch):
    rng = np.random.default_rng(6)
    x, t = _data(rng, n=1, d=6, c=3)  # batch of one
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=np.random.default_rng(7))
    grads = net.gradient(x, t)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
    scores = torch.relu(torch.from_numpy(x) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    torch.nn.functional.cross_entropy(scores, torch.from_numpy(t)).backward()
    for key in grads:
        np.testing.assert_allclose(grads[key], p[key].grad.numpy(), rtol=TORCH_RTOL, atol=1e-12, err_msg=key)
