"""Inverted dropout: reproducible masks, scaling, and statistics against torch.nn.functional.dropout;
the convention that scales at inference (DropoutScaleAtInference): its expectation, and its relation
to inverted dropout."""

import numpy as np
import pytest

from course.reference import Dropout, DropoutScaleAtInference, DropoutTwoLayerNet


def test_same_seed_same_masks_call_by_call():
    a, b = Dropout(0.3, rng=np.random.default_rng(7)), Dropout(0.3, rng=np.random.default_rng(7))
    x = np.ones((4, 5))
    for _ in range(3):
        np.testing.assert_array_equal(a.forward(x), b.forward(x))
    # the documented mask: one rng.random(x.shape) draw per forward call
    expected = np.random.default_rng(7).random((4, 5)) > 0.3
    np.testing.assert_array_equal(Dropout(0.3, rng=np.random.default_rng(7)).forward(x) != 0, expected)


def test_forward_backward_share_mask_and_scale():
    layer = Dropout(0.25, rng=np.random.default_rng(0))
    x = np.arange(1.0, 13.0).reshape(3, 4)
    out = layer.forward(x)
    kept = layer.mask
    np.testing.assert_allclose(out, np.where(kept, x / 0.75, 0.0))
    dout = np.full_like(x, 2.0)
    np.testing.assert_allclose(layer.backward(dout), np.where(kept, 2.0 / 0.75, 0.0))


def test_inference_is_identity_and_keeps_mask():
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    x = np.linspace(-1, 1, 10)
    layer.forward(x)
    mask = layer.mask.copy()
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    np.testing.assert_array_equal(layer.mask, mask)


def test_expectation_matches_inference():
    layer = Dropout(0.4, rng=np.random.default_rng(1))
    x = np.full(200_000, 3.0)
    out = layer.forward(x)
    # mean of Bernoulli(0.6)·3/0.6 over 2e5 samples: std ≈ 3·√(0.4/0.6)/√2e5 ≈ 0.0055
    assert out.mean() == pytest.approx(3.0, abs=0.03)


def test_bad_and_edge_ratios():
    x = np.ones(5)
    np.testing.assert_array_equal(Dropout(0.0).forward(x), x)
    with pytest.raises(ValueError):
        Dropout(1.0)
    with pytest.raises(ValueError):
        Dropout(-0.1)


def test_statistics_vs_torch(torch):
    p = 0.3
    x = np.abs(np.random.default_rng(2).standard_normal(100_000)) + 0.1
    ours = Dropout(p, rng=np.random.default_rng(3)).forward(x)
    torch.manual_seed(0)
    theirs = torch.nn.functional.dropout(torch.from_numpy(x), p=p, training=True).numpy()
    # survivors are scaled by the same factor 1/(1 − p) in both
    np.testing.assert_allclose(ours[ours != 0] / x[ours != 0], 1 / (1 - p), rtol=1e-12)
    np.testing.assert_allclose(theirs[theirs != 0] / x[theirs != 0], 1 / (1 - p), rtol=1e-12)
    # drop fractions agree within 5 standard errors: √(p(1−p)/n) ≈ 0.0014
    assert abs(np.mean(ours == 0) - np.mean(theirs == 0)) < 5 * 2 * np.sqrt(p * (1 - p) / x.size)
    assert np.mean(ours == 0) == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / x.size))
    # inference: both identity
    np.testing.assert_array_equal(Dropout(p).forward(x, train_flg=False), x)
    np.testing.assert_array_equal(torch.nn.functional.dropout(torch.from_numpy(x), p=p, training=False).numpy(), x)


def _net_params(rng):
    return {
        "W1": rng.standard_normal((6, 8)) * 0.3,
        "b1": rng.standard_normal(8) * 0.1,
        "W2": rng.standard_normal((8, 4)) * 0.3,
        "b2": rng.standard_normal(4) * 0.1,
    }


def test_dropout_net_inference_is_the_plain_network_and_training_draws_masks():
    rng = np.random.default_rng(4)
    params, x = _net_params(rng), rng.standard_normal((5, 6))
    net = DropoutTwoLayerNet(params, 0.4, seed=3)
    plain = np.maximum(x @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    np.testing.assert_allclose(net.predict(x), plain, rtol=1e-12)
    first, second = net.predict(x, train_flg=True), net.predict(x, train_flg=True)
    assert not np.allclose(first, second)
    # the masks are those of a Dropout layer given default_rng(seed)
    layer = Dropout(0.4, rng=np.random.default_rng(3))
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0)
    np.testing.assert_allclose(first, layer.forward(hidden) @ params["W2"] + params["b2"], rtol=1e-12)
    np.testing.assert_allclose(second, layer.forward(hidden) @ params["W2"] + params["b2"], rtol=1e-12)


def test_dropout_net_gradient_vs_torch_with_the_same_mask(torch):
    rng = np.random.default_rng(5)
    params, x, t = _net_params(rng), rng.standard_normal((7, 6)), rng.integers(0, 4, size=7)
    net = DropoutTwoLayerNet({k: v.copy() for k, v in params.items()}, 0.3, seed=11)
    grads = net.gradient(x, t)
    mask = torch.from_numpy(net.dropout.mask.astype(np.float64))
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    hidden = torch.relu(torch.from_numpy(x) @ leaves["W1"] + leaves["b1"]) * mask / (1 - 0.3)
    scores = hidden @ leaves["W2"] + leaves["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.from_numpy(t))
    loss.backward()
    for key, leaf in leaves.items():
        # the backward ignores the eps = 1e-7 inside the loss's log: the scores are small (|s| < 3),
        # so every probability is above 1e-3 and the gradients agree to about 1e-10
        np.testing.assert_allclose(grads[key], leaf.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert net.loss(x, t) >= 0


# ----------------------------------------------------------- convention A: DropoutScaleAtInference


def test_scale_at_inference_training_is_unscaled_and_backward_uses_the_training_mask():
    layer = DropoutScaleAtInference(0.25, rng=np.random.default_rng(0))
    x = np.arange(1.0, 13.0).reshape(3, 4)
    x_before = x.copy()
    out = layer.forward(x)
    kept = out != 0
    np.testing.assert_array_equal(out, np.where(kept, x, 0.0))  # 0 or x itself
    assert 0 < kept.sum() < kept.size
    # inference: (1 − p)·x, and the mask of the training forward stays
    np.testing.assert_allclose(layer.forward(x, train_flg=False), 0.75 * x, rtol=1e-15)
    np.testing.assert_array_equal(layer.mask, kept)
    dout = np.full_like(x, 3.0)
    np.testing.assert_array_equal(layer.backward(dout), np.where(kept, 3.0, 0.0))
    np.testing.assert_array_equal(x, x_before)


def test_scale_at_inference_expectation_over_masks_is_the_inference_output():
    # the oracle: E[mask] = 1 − p, estimated by averaging many independent training forwards
    p, draws = 0.3, 20_000
    x = np.linspace(-2.0, 2.0, 9) + 0.05  # no zeros
    layer = DropoutScaleAtInference(p, rng=np.random.default_rng(1))
    mean = np.mean([layer.forward(x) for _ in range(draws)], axis=0)
    # each mean is |x|·(Bernoulli mean): standard error |x|·√(p(1 − p)/draws) ≈ 0.0032·|x|; allow 5 of them
    tolerance = 5 * np.abs(x) * np.sqrt(p * (1 - p) / draws)
    assert np.all(np.abs(mean - layer.forward(x, train_flg=False)) <= tolerance)
    # and the dropped share of one large forward is p within 5 standard errors √(p(1 − p)/n)
    big = layer.forward(np.ones(200_000))
    assert abs(np.mean(big == 0) - p) <= 5 * np.sqrt(p * (1 - p) / big.size)


def test_the_two_conventions_differ_by_the_factor_one_minus_p():
    # the same draw (same seed) keeps the same units; inverted dropout's outputs are those of
    # convention A divided by 1 − p, at training and at inference (section 8.2: W_B = (1 − p) W_A)
    p = 0.4
    x = np.random.default_rng(2).standard_normal((6, 7))
    a = DropoutScaleAtInference(p, rng=np.random.default_rng(5))
    b = Dropout(p, rng=np.random.default_rng(5))
    for _ in range(3):
        np.testing.assert_allclose(a.forward(x) / (1 - p), b.forward(x), rtol=1e-14)
        dout = np.random.default_rng(3).standard_normal(x.shape)
        np.testing.assert_allclose(a.backward(dout) / (1 - p), b.backward(dout), rtol=1e-14)
    np.testing.assert_allclose(a.forward(x, train_flg=False) / (1 - p), b.forward(x, train_flg=False), rtol=1e-14)
