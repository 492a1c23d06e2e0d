"""Inverted dropout: reproducible masks, scaling, and statistics against torch.nn.functional.dropout."""

import numpy as np
import pytest

from course.reference import Dropout


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
