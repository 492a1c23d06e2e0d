"""Batch Normalization against numerical gradients and torch.nn.BatchNorm1d (float64)."""

import numpy as np
import pytest

from course.gradcheck import eval_numerical_gradient_array
from course.reference import (
    BatchNormalization,
    batchnorm_backward_compact,
    batchnorm_backward_graph,
    batchnorm_forward,
    bn_centering_backward,
    bn_normalize_backward,
    bn_scale_shift_backward,
    bn_std_backward,
    bn_variance_backward,
)

GRAD_RTOL = 1e-7
TORCH_RTOL = 1e-10


def _inputs(rng, n, d=4):
    x = rng.standard_normal((n, d)) * 3 + 2
    return x, rng.standard_normal(d) + 1, rng.standard_normal(d), rng.standard_normal((n, d))


def test_forward_normalises_per_feature(rng):
    x, _, _, _ = _inputs(rng, 50)
    out, cache = batchnorm_forward(x, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(cache["var"], x.var(axis=0), rtol=1e-14)  # biased variance


@pytest.mark.parametrize("backward", [batchnorm_backward_graph, batchnorm_backward_compact])
@pytest.mark.parametrize("n", [2, 10])
def test_backward_numerical(backward, n, rng):
    x, gamma, beta, dout = _inputs(rng, n)
    _, cache = batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = backward(dout, cache)
    num = {
        "x": eval_numerical_gradient_array(lambda v: batchnorm_forward(v, gamma, beta)[0], x, dout),
        "gamma": eval_numerical_gradient_array(lambda g: batchnorm_forward(x, g, beta)[0], gamma, dout),
        "beta": eval_numerical_gradient_array(lambda b: batchnorm_forward(x, gamma, b)[0], beta, dout),
    }
    np.testing.assert_allclose(dx, num["x"], rtol=GRAD_RTOL, atol=1e-8)
    np.testing.assert_allclose(dgamma, num["gamma"], rtol=GRAD_RTOL, atol=1e-8)
    np.testing.assert_allclose(dbeta, num["beta"], rtol=GRAD_RTOL, atol=1e-8)


# Each node of the graph on its own: the vector-Jacobian product of a small function,
# against centred differences (relative 1e-7, absolute 1e-8 as above).


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=GRAD_RTOL, atol=1e-8)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_node_scale_shift(n, rng):
    xn, gamma, beta, dout = _inputs(rng, n)
    dxn, dgamma, dbeta = bn_scale_shift_backward(dout, xn, gamma)
    _close(dxn, eval_numerical_gradient_array(lambda v: gamma * v + beta, xn, dout))
    _close(dgamma, eval_numerical_gradient_array(lambda g: g * xn + beta, gamma, dout))
    _close(dbeta, eval_numerical_gradient_array(lambda b: gamma * xn + b, beta, dout))
    assert dgamma.shape == dbeta.shape == (4,)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_node_normalize(n, rng):
    xc, _, _, dxn = _inputs(rng, n)
    std = rng.uniform(0.5, 2.0, size=4)
    dxc, dstd = bn_normalize_backward(dxn, xc, std)
    _close(dxc, eval_numerical_gradient_array(lambda v: v / std, xc, dxn))  # std held fixed
    _close(dstd, eval_numerical_gradient_array(lambda s: xc / s, std, dxn))
    assert dstd.shape == (4,)


def test_node_std(rng):
    var, dstd = rng.uniform(0.0, 3.0, size=5), rng.standard_normal(5)
    std = np.sqrt(var + 1e-5)
    _close(bn_std_backward(dstd, std), eval_numerical_gradient_array(lambda v: np.sqrt(v + 1e-5), var, dstd))
    # N = 1: var = 0, still finite thanks to eps inside the root (a smaller step: √ is strongly curved near 1e-5)
    zero = np.zeros(1)
    expected = eval_numerical_gradient_array(lambda v: np.sqrt(v + 1e-5), zero, dstd[:1], h=1e-9)
    _close(bn_std_backward(dstd[:1], np.sqrt(zero + 1e-5)), expected)


@pytest.mark.parametrize("n", [1, 2, 7])
def test_node_variance(n, rng):
    xc, _, _, _ = _inputs(rng, n)
    dvar = rng.standard_normal(4)
    _close(bn_variance_backward(dvar, xc), eval_numerical_gradient_array(lambda v: np.mean(v**2, axis=0), xc, dvar))


@pytest.mark.parametrize("n", [1, 2, 7])
def test_node_centering(n, rng):
    x, _, _, dxc = _inputs(rng, n)
    dx = bn_centering_backward(dxc)
    _close(dx, eval_numerical_gradient_array(lambda v: v - v.mean(axis=0), x, dxc))
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)  # shifting all x by c leaves xc unchanged


def test_training_batch_of_one_is_degenerate_but_finite(rng):
    x, gamma, beta, dout = _inputs(rng, 1)
    out, cache = batchnorm_forward(x, gamma, beta)
    np.testing.assert_array_equal(out, beta[None, :])  # x̂ = 0: the output forgets the input
    for backward in (batchnorm_backward_graph, batchnorm_backward_compact):
        dx, dgamma, dbeta = backward(dout, cache)
        np.testing.assert_array_equal(dx, 0.0)
        np.testing.assert_array_equal(dgamma, 0.0)
        np.testing.assert_array_equal(dbeta, dout[0])


def test_graph_and_compact_agree(rng):
    x, gamma, beta, dout = _inputs(rng, 16, d=7)
    _, cache = batchnorm_forward(x, gamma, beta)
    for a, b in zip(batchnorm_backward_graph(dout, cache), batchnorm_backward_compact(dout, cache)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_layer_inference_uses_running_stats_and_keeps_state(rng):
    layer = BatchNormalization(
        np.ones(3), np.zeros(3), running_mean=np.array([1.0, 2.0, 3.0]), running_var=np.array([4.0, 1.0, 0.25])
    )
    x = np.array([[3.0, 2.0, 3.5]])  # batch of one
    out = layer.forward(x, train_flg=False)
    np.testing.assert_allclose(out, [[2.0 / np.sqrt(4 + 1e-5), 0.0, 0.5 / np.sqrt(0.25 + 1e-5)]], rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, [1.0, 2.0, 3.0])


def test_layer_flattens_nd_input(rng):
    layer = BatchNormalization(np.ones(6), np.zeros(6))
    x = rng.standard_normal((5, 2, 3))
    out = layer.forward(x)
    assert out.shape == x.shape
    dx = layer.backward(rng.standard_normal((5, 2, 3)))
    assert dx.shape == x.shape and layer.dgamma.shape == (6,)


@pytest.mark.parametrize("n", [2, 8, 33])
def test_layer_vs_torch_batchnorm1d(torch, n):
    rng = np.random.default_rng(n)
    d = 5
    gamma, beta = rng.standard_normal(d) + 1, rng.standard_normal(d)
    ours = BatchNormalization(gamma.copy(), beta.copy(), momentum=0.9)
    bn = torch.nn.BatchNorm1d(d, eps=1e-5, momentum=0.1)  # torch's momentum weighs the NEW value
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
    expected_running_var, torch_running_var = np.ones(d), np.ones(d)
    for step in range(5):
        x = rng.standard_normal((n, d)) * (step + 1) + step
        dout = rng.standard_normal((n, d))
        xt = torch.tensor(x, requires_grad=True)
        bn.weight.grad = bn.bias.grad = None
        yt = bn.train()(xt)
        yt.backward(torch.from_numpy(dout))
        np.testing.assert_allclose(ours.forward(x, train_flg=True), yt.detach().numpy(), rtol=TORCH_RTOL, atol=1e-12)
        dx = ours.backward(dout)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.dgamma, bn.weight.grad.numpy(), rtol=TORCH_RTOL, atol=1e-12)
        np.testing.assert_allclose(ours.dbeta, bn.bias.grad.numpy(), rtol=TORCH_RTOL, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean, bn.running_mean.numpy(), rtol=TORCH_RTOL)
        # matched conventions: ours averages the biased batch variance, torch the unbiased one
        expected_running_var = 0.9 * expected_running_var + 0.1 * x.var(axis=0)
        torch_running_var = 0.9 * torch_running_var + 0.1 * x.var(axis=0, ddof=1)
        np.testing.assert_allclose(ours.running_var, expected_running_var, rtol=TORCH_RTOL)
        np.testing.assert_allclose(bn.running_var.numpy(), torch_running_var, rtol=TORCH_RTOL)
    # eval mode with the same running statistics gives the same output
    with torch.no_grad():
        bn.running_var.copy_(torch.from_numpy(ours.running_var))
    x = rng.standard_normal((1, d))
    np.testing.assert_allclose(
        ours.forward(x, train_flg=False), bn.eval()(torch.from_numpy(x)).detach().numpy(), rtol=TORCH_RTOL, atol=1e-12
    )
