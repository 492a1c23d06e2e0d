"""Tests of course.reference.regularization.

Oracles: centred numerical differences (local helper), torch autograd and
torch.renorm (per-test skip without torch), and direct property checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from course.reference.regularization import (
    elastic_net_penalty,
    elastic_net_penalty_grad,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
    max_norm,
)

H = 1e-6  # central-difference step
# Central differences of a quadratic or piecewise-linear function (entries
# kept > 1e-3 away from the kink at 0) are exact up to rounding,
# ~eps_64 * |f| / h ~ 1e-10 relative to the gradient here.
NUMGRAD_RTOL = 1e-7
AUTOGRAD_RTOL = 1e-12  # same float64 arithmetic, a few ulps
# torch.renorm scales by maxnorm / (norm + 1e-7) whereas max_norm uses
# c / norm: relative difference 1e-7 / norm <= 1e-7 / c; with c >= 0.5 that
# is <= 2e-7, so 1e-6 relative.
RENORM_RTOL = 1e-6

WEIGHT_KEYS = ("W1", "W2", "W3")
OTHER_KEYS = ("b1", "b2", "b3", "gamma1", "beta1")


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0) is the oracle for these tests")


def make_params(seed: int = 0, dtype: type = np.float64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {
        "W1": (4, 3),
        "b1": (3,),
        "gamma1": (3,),
        "beta1": (3,),
        "W2": (3, 5),
        "b2": (5,),
        "W3": (5, 2),
        "b3": (2,),
    }
    params = {}
    for k, shape in shapes.items():
        a = rng.normal(size=shape)
        a = np.where(np.abs(a) < 1e-2, 0.5, a)  # keep |w| >> H (away from |.|'s kink)
        params[k] = a.astype(dtype)
    return params


def numerical_grad(f: Callable[[dict], float], params: dict[str, np.ndarray], h: float = H):
    """Centred differences (f(x+h) - f(x-h)) / 2h for every entry of every array."""
    params = {k: v.copy() for k, v in params.items()}
    grads = {}
    for k, arr in params.items():
        g = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + h
            fp = f(params)
            arr[idx] = old - h
            fm = f(params)
            arr[idx] = old
            g[idx] = (fp - fm) / (2 * h)
        grads[k] = g
    return grads


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


# (penalty, grad, lambdas)
CASES = {
    "l2": (l2_penalty, l2_penalty_grad, (0.3,)),
    "l1": (l1_penalty, l1_penalty_grad, (0.2,)),
    "elastic": (elastic_net_penalty, elastic_net_penalty_grad, (0.2, 0.3)),
}


def torch_penalty(torch: Any, name: str, tparams: dict, lams: tuple) -> Any:
    """Independent torch formula of each penalty (weights only)."""
    total = torch.zeros((), dtype=torch.float64)
    for k in WEIGHT_KEYS:
        W = tparams[k]
        if name == "l2":
            total = total + lams[0] * torch.sum(W**2) / 2
        elif name == "l1":
            total = total + lams[0] * torch.sum(torch.abs(W))
        else:
            total = total + lams[0] * torch.sum(torch.abs(W)) + lams[1] * torch.sum(W**2) / 2
    return total


@pytest.mark.parametrize("name", CASES)
def test_grad_matches_central_differences(name: str) -> None:
    penalty, grad, lams = CASES[name]
    params = make_params(1)
    num = numerical_grad(lambda p: penalty(p, *lams), params)
    ana = grad(params, *lams)
    for k in WEIGHT_KEYS:
        assert rel_error(ana[k], num[k]) < NUMGRAD_RTOL, k
    for k in OTHER_KEYS:  # the penalty does not depend on biases / BN params at all
        np.testing.assert_array_equal(num[k], 0.0)
        np.testing.assert_array_equal(ana[k], 0.0)


@pytest.mark.parametrize("name", CASES)
def test_penalty_and_grad_match_torch_autograd(torch: Any, name: str) -> None:
    penalty, grad, lams = CASES[name]
    params = make_params(2)
    params["W2"][0, :2] = 0.0  # exact zeros: subgradient 0, as torch.abs backward
    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    loss = torch_penalty(torch, name, tparams, lams)
    loss.backward()
    assert penalty(params, *lams) == pytest.approx(loss.item(), rel=AUTOGRAD_RTOL)
    ana = grad(params, *lams)
    for k in WEIGHT_KEYS:
        np.testing.assert_allclose(ana[k], tparams[k].grad.numpy(), rtol=AUTOGRAD_RTOL, atol=0)
    for k in OTHER_KEYS:
        assert tparams[k].grad is None  # torch: not part of the graph
        np.testing.assert_array_equal(ana[k], 0.0)


@pytest.mark.parametrize("name", CASES)
def test_grad_dict_has_every_key_with_same_shape_and_dtype(name: str) -> None:
    _, grad, lams = CASES[name]
    for dtype in (np.float64, np.float32):
        params = make_params(3, dtype)
        g = grad(params, *lams)
        assert g.keys() == params.keys()
        for k in params:
            assert g[k].shape == params[k].shape
            assert g[k].dtype == dtype
            assert not np.shares_memory(g[k], params[k])


@pytest.mark.parametrize("name", CASES)
def test_non_weights_do_not_change_the_penalty(name: str) -> None:
    penalty, _, lams = CASES[name]
    params = make_params(4)
    only_weights = {k: params[k] for k in WEIGHT_KEYS}
    assert penalty(params, *lams) == pytest.approx(penalty(only_weights, *lams), rel=1e-15)
    no_weights = {k: params[k] for k in OTHER_KEYS}
    assert penalty(no_weights, *lams) == 0.0
    assert isinstance(penalty(params, *lams), float)


def test_penalty_closed_form_small_example() -> None:
    params = {"W1": np.array([[1.0, -2.0], [0.0, 3.0]]), "b1": np.array([10.0, -10.0])}
    # sum W^2 = 14, sum |W| = 6
    assert l2_penalty(params, 0.5) == pytest.approx(0.5 / 2 * 14, rel=1e-15)
    assert l1_penalty(params, 0.5) == pytest.approx(0.5 * 6, rel=1e-15)
    assert elastic_net_penalty(params, 0.1, 0.2) == pytest.approx(0.1 * 6 + 0.1 * 14, rel=1e-15)
    np.testing.assert_array_equal(l1_penalty_grad(params, 2.0)["W1"], [[2.0, -2.0], [0.0, 2.0]])
    np.testing.assert_array_equal(l2_penalty_grad(params, 2.0)["W1"], [[2.0, -4.0], [0.0, 6.0]])
    np.testing.assert_array_equal(elastic_net_penalty_grad(params, 1.0, 2.0)["W1"], [[3.0, -5.0], [0.0, 7.0]])


def test_grad_can_be_added_to_a_grads_dict() -> None:
    params = make_params(5)
    grads = {k: np.ones_like(v) for k, v in params.items()}
    for k, g in l2_penalty_grad(params, 0.1).items():
        grads[k] += g
    np.testing.assert_allclose(grads["W1"], 1.0 + 0.1 * params["W1"], rtol=1e-15)
    np.testing.assert_array_equal(grads["b1"], 1.0)


# ------------------------------------------------------------------ max_norm
def make_W(seed: int, dtype: type = np.float64) -> np.ndarray:
    """(n_in=6, n_out=5) with column norms well below and well above c = 1."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(6, 5))
    W /= np.linalg.norm(W, axis=0)  # unit columns
    return (W * np.array([0.2, 0.7, 1.5, 3.0, 10.0])).astype(dtype)


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
def test_max_norm_matches_torch_renorm(torch: Any, c: float) -> None:
    W = make_W(6)
    # dim=1: each sub-tensor W[:, j] (a column, unit j's incoming weights)
    ref = torch.renorm(torch.from_numpy(W), p=2, dim=1, maxnorm=c).numpy()
    np.testing.assert_allclose(max_norm(W, c), ref, rtol=RENORM_RTOL, atol=0)


def test_max_norm_matches_torch_renorm_float32(torch: Any) -> None:
    W = make_W(7, np.float32)
    out = max_norm(W, 1.0)
    assert out.dtype == np.float32
    ref = torch.renorm(torch.from_numpy(W), p=2, dim=1, maxnorm=1.0).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=0)  # float32 rounding + torch's 1e-7


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0, 20.0])
def test_max_norm_properties(c: float) -> None:
    W = make_W(8)
    W_before = W.copy()
    out = max_norm(W, c)
    np.testing.assert_array_equal(W, W_before)  # input untouched
    assert not np.shares_memory(out, W)
    assert out.shape == W.shape
    norms_in = np.sqrt((W**2).sum(axis=0))
    norms_out = np.sqrt((out**2).sum(axis=0))
    assert np.all(norms_out <= c + 1e-12)
    big = norms_in > c
    np.testing.assert_allclose(norms_out[big], c, rtol=1e-12)
    # direction preserved: out[:, j] is a positive multiple of W[:, j]
    cos = (out * W).sum(axis=0) / (norms_in * norms_out)
    np.testing.assert_allclose(cos, 1.0, rtol=1e-12)
    ratio = out[:, big] / W[:, big]  # (n_in, n_big): one factor c/||W[:, j]|| per column
    np.testing.assert_allclose(ratio, np.broadcast_to(c / norms_in[big], ratio.shape), rtol=1e-12)
    # columns within the limit are bit-for-bit unchanged
    np.testing.assert_array_equal(out[:, ~big], W[:, ~big])


def test_max_norm_acts_on_columns_not_rows() -> None:
    W = np.array([[3.0, 0.1], [4.0, 0.1]])  # column norms 5 and ~0.14; row norms ~3 and ~4
    out = max_norm(W, 1.0)
    np.testing.assert_allclose(out[:, 0], [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(out[:, 1], [0.1, 0.1])


def test_max_norm_zero_column_and_exact_limit() -> None:
    W = np.zeros((3, 2))
    W[:, 1] = [0.0, 3.0, 4.0]  # norm exactly 5 == c: not > c, unchanged
    out = max_norm(W, 5.0)  # zero column must not divide by zero (RuntimeWarning -> error)
    np.testing.assert_array_equal(out, W)


@pytest.mark.parametrize("W, c", [(np.ones((2, 2)), 0.0), (np.ones((2, 2)), -1.0), (np.ones(3), 1.0)])
def test_max_norm_rejects_invalid_input(W: np.ndarray, c: float) -> None:
    with pytest.raises(ValueError):
        max_norm(W, c)
