"""Tests of course.reference.optimizers.

Oracle: ``torch.optim`` (PyTorch 2.13.0, CPU). Both sides receive identical
gradients (a fixed random sequence, or the gradient of the same least-squares
loss computed independently: by hand in NumPy, by autograd in torch) and the
parameter trajectories are compared after EVERY step.

Tests that need torch request the ``torch`` fixture, which skips only them
when PyTorch is absent; the remaining tests use independent closed forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from course.reference.optimizers import (
    OPTIMIZERS,
    SGD,
    Adadelta,
    AdaGrad,
    Adam,
    AdamW,
    AMSGrad,
    Momentum,
    Nesterov,
    RMSprop,
)

# float64: both sides do the same arithmetic up to operation order, so the
# trajectories agree to a few ulps per step; 1e-10 relative leaves room for
# 50+ steps of accumulation (atol only guards entries that pass near zero).
RTOL_F64 = 1e-10
ATOL_F64 = 1e-12
# float32: eps_32 ~ 1.2e-7 per operation, accumulated over 50 steps.
RTOL_F32 = 1e-5
ATOL_F32 = 1e-6
N_STEPS = 60


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="PyTorch (pip install torch==2.13.0) is the oracle for these tests")


# name -> (our constructor, our kwargs, torch factory(torch, param_list))
# Hyper-parameters differ from the defaults to exercise every argument.
CASES: dict[str, tuple[type, dict[str, float], Callable[[Any, list], Any]]] = {
    "sgd": (SGD, dict(lr=0.05), lambda t, ps: t.optim.SGD(ps, lr=0.05)),
    "momentum": (
        Momentum,
        dict(lr=0.02, momentum=0.8),
        lambda t, ps: t.optim.SGD(ps, lr=0.02, momentum=0.8, dampening=0.0),
    ),
    "nesterov": (
        Nesterov,
        dict(lr=0.02, momentum=0.8),
        lambda t, ps: t.optim.SGD(ps, lr=0.02, momentum=0.8, dampening=0.0, nesterov=True),
    ),
    "adagrad": (
        AdaGrad,
        dict(lr=0.1, eps=1e-6),
        lambda t, ps: t.optim.Adagrad(ps, lr=0.1, eps=1e-6, lr_decay=0.0, initial_accumulator_value=0.0),
    ),
    "rmsprop": (
        RMSprop,
        dict(lr=0.01, decay_rate=0.9, eps=1e-6),
        lambda t, ps: t.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-6, centered=False, momentum=0.0),
    ),
    "adadelta": (
        Adadelta,
        dict(lr=0.5, rho=0.9, eps=1e-5),
        lambda t, ps: t.optim.Adadelta(ps, lr=0.5, rho=0.9, eps=1e-5),
    ),
    "adam": (
        Adam,
        dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7),
        lambda t, ps: t.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-7),
    ),
    "amsgrad": (
        AMSGrad,
        dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7),
        lambda t, ps: t.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-7, amsgrad=True),
    ),
    "adamw": (
        AdamW,
        dict(lr=0.01, beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=0.3),
        lambda t, ps: t.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.3),
    ),
}

# The defaults of the specification, spelled out for torch (independent of
# the code's signatures).
TORCH_WITH_SPEC_DEFAULTS: dict[str, Callable[[Any, list], Any]] = {
    "sgd": lambda t, ps: t.optim.SGD(ps, lr=0.01),
    "momentum": lambda t, ps: t.optim.SGD(ps, lr=0.01, momentum=0.9),
    "nesterov": lambda t, ps: t.optim.SGD(ps, lr=0.01, momentum=0.9, nesterov=True),
    "adagrad": lambda t, ps: t.optim.Adagrad(ps, lr=0.01, eps=1e-7),
    "rmsprop": lambda t, ps: t.optim.RMSprop(ps, lr=0.01, alpha=0.99, eps=1e-7),
    "adadelta": lambda t, ps: t.optim.Adadelta(ps, lr=1.0, rho=0.95, eps=1e-6),
    "adam": lambda t, ps: t.optim.Adam(ps, lr=0.001, betas=(0.9, 0.999), eps=1e-8),
    "amsgrad": lambda t, ps: t.optim.Adam(ps, lr=0.001, betas=(0.9, 0.999), eps=1e-8, amsgrad=True),
    "adamw": lambda t, ps: t.optim.AdamW(ps, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01),
}

NAMES = list(CASES)


# ---------------------------------------------------------------- helpers
def make_params(seed: int, dtype: type = np.float64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "W": rng.normal(size=(5, 3)).astype(dtype),
        "b": rng.normal(size=(3,)).astype(dtype),
    }


def make_grad_sequence(seed: int, n_steps: int = N_STEPS, dtype: type = np.float64) -> list[dict[str, np.ndarray]]:
    """Random gradients whose scale rises then falls (so AMSGrad's max matters)
    and differs per entry (so adaptive methods differ from SGD)."""
    rng = np.random.default_rng(seed)
    col_scale = np.array([0.1, 1.0, 10.0])
    out = []
    for t in range(n_steps):
        s = 1.0 + 4.0 * np.sin(np.pi * t / n_steps) ** 2
        out.append(
            {
                "W": (s * col_scale * rng.normal(size=(5, 3))).astype(dtype),
                "b": (s * rng.normal(size=(3,))).astype(dtype),
            }
        )
    return out


def copy_params(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in params.items()}


def run_ours(opt: Any, params: dict[str, np.ndarray], grad_seq: list) -> list[dict]:
    params = copy_params(params)
    traj = []
    for grads in grad_seq:
        opt.update(params, grads)
        traj.append(copy_params(params))
    return traj


def run_torch(torch: Any, factory: Callable, params: dict[str, np.ndarray], grad_seq: list):
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    opt = factory(torch, list(tparams.values()))
    traj = []
    for grads in grad_seq:
        for k, p in tparams.items():
            p.grad = torch.from_numpy(grads[k].copy())
        opt.step()
        traj.append({k: p.detach().numpy().copy() for k, p in tparams.items()})
    return traj


def assert_trajectories_close(ours: list, ref: list, rtol: float, atol: float) -> None:
    assert len(ours) == len(ref) > 0
    for step, (a, b) in enumerate(zip(ours, ref)):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype
            np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=f"step {step}, key {k}")


# Least-squares problem: loss = 0.5/n * ||X @ W + b - Y||^2.
_rng = np.random.default_rng(1234)
X_LS = _rng.normal(size=(20, 5))
Y_LS = _rng.normal(size=(20, 3))


def ls_grads_numpy(params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    r = (X_LS @ params["W"] + params["b"] - Y_LS) / len(X_LS)
    return {"W": X_LS.T @ r, "b": r.sum(axis=0)}


# ---------------------------------------------------------- torch oracle
@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_random_gradients_float64(torch: Any, name: str) -> None:
    cls, kwargs, factory = CASES[name]
    params = make_params(0)
    grads = make_grad_sequence(1)
    ours = run_ours(cls(**kwargs), params, grads)
    ref = run_torch(torch, factory, params, grads)
    assert_trajectories_close(ours, ref, RTOL_F64, ATOL_F64)
    # the run must actually move the parameters
    assert not np.allclose(ours[-1]["W"], params["W"])


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_with_spec_defaults(torch: Any, name: str) -> None:
    params = make_params(2)
    grads = make_grad_sequence(3)
    ours = run_ours(OPTIMIZERS[name](), params, grads)
    ref = run_torch(torch, TORCH_WITH_SPEC_DEFAULTS[name], params, grads)
    assert_trajectories_close(ours, ref, RTOL_F64, ATOL_F64)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_least_squares_float64(torch: Any, name: str) -> None:
    """Closed loop: each side's gradient is computed from its OWN parameters.

    Both sides use the same NumPy gradient function: the optimizer is the
    thing under test. (With torch autograd gradients instead, the 1-ulp
    differences in the gradient are amplified by RMSprop's lr/sqrt(h) in its
    non-converging oscillation, reaching ~2e-9 relative after ~35 steps,
    which is sensitivity of the dynamics, not a discrepancy of the algorithm.)
    The gradient function itself is checked against autograd below.
    """
    cls, kwargs, factory = CASES[name]
    init = make_params(4)
    params = copy_params(init)
    opt = cls(**kwargs)
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in init.items()}
    topt = factory(torch, list(tparams.values()))
    for step in range(N_STEPS):
        opt.update(params, ls_grads_numpy(params))
        tgrads = ls_grads_numpy({k: p.detach().numpy() for k, p in tparams.items()})
        for k, p in tparams.items():
            p.grad = torch.from_numpy(tgrads[k])
        topt.step()
        for k in params:
            np.testing.assert_allclose(
                params[k],
                tparams[k].detach().numpy(),
                rtol=RTOL_F64,
                atol=ATOL_F64,
                err_msg=f"step {step}, key {k}",
            )
    assert 0.5 * np.mean(np.sum((X_LS @ params["W"] + params["b"] - Y_LS) ** 2, axis=1)) < (
        0.5 * np.mean(np.sum((X_LS @ init["W"] + init["b"] - Y_LS) ** 2, axis=1))
    )


def test_least_squares_gradient_matches_autograd(torch: Any) -> None:
    params = make_params(4)
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    X, Y = torch.from_numpy(X_LS), torch.from_numpy(Y_LS)
    loss = 0.5 * torch.sum((X @ tparams["W"] + tparams["b"] - Y) ** 2) / len(X_LS)
    loss.backward()
    ours = ls_grads_numpy(params)
    for k in params:
        np.testing.assert_allclose(ours[k], tparams[k].grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_float32(torch: Any, name: str) -> None:
    cls, kwargs, factory = CASES[name]
    params = make_params(5, np.float32)
    grads = make_grad_sequence(6, dtype=np.float32)
    ours = run_ours(cls(**kwargs), params, grads)
    ref = run_torch(torch, factory, params, grads)
    assert ours[-1]["W"].dtype == np.float32
    assert_trajectories_close(ours, ref, RTOL_F32, ATOL_F32)


def test_amsgrad_differs_from_adam_on_this_problem() -> None:
    """Sanity check of the AMSGrad test data: the running max must matter."""
    params = make_params(0)
    grads = make_grad_sequence(1)
    kwargs = CASES["adam"][1]
    a = run_ours(Adam(**kwargs), params, grads)[-1]["W"]
    b = run_ours(AMSGrad(**kwargs), params, grads)[-1]["W"]
    assert np.max(np.abs(a - b)) > 1e-4


def test_adam_with_l2_gradient_matches_torch_adam_weight_decay_but_not_adamw(torch: Any) -> None:
    """Adam + L2 (lambda*w added to g) == torch.optim.Adam(weight_decay=lambda);
    AdamW (decoupled decay) is a different algorithm."""
    lam, lr = 0.3, 0.01
    init = make_params(7)
    grads = make_grad_sequence(8)

    params = copy_params(init)
    adam = Adam(lr=lr)
    l2_traj = []
    for g in grads:
        adam.update(params, {k: g[k] + lam * params[k] for k in params})
        l2_traj.append(copy_params(params))
    ref = run_torch(torch, lambda t, ps: t.optim.Adam(ps, lr=lr, weight_decay=lam), init, grads)
    assert_trajectories_close(l2_traj, ref, RTOL_F64, ATOL_F64)

    adamw_final = run_ours(AdamW(lr=lr, weight_decay=lam), init, grads)[-1]
    diff = max(np.max(np.abs(adamw_final[k] - l2_traj[-1][k])) for k in init)
    assert diff > 1e-4


# ---------------------------------------------------- closed-form oracles
def test_adamw_zero_gradient_is_pure_exponential_decay() -> None:
    """With g = 0 the Adam part is 0/(0+eps) = 0: w_T = (1 - lr*lambda)^T w_0.
    Adam + L2 would instead feed lambda*w into m and v and move by ~lr per step."""
    lr, lam, T = 0.01, 0.5, 40
    init = make_params(9)
    params = copy_params(init)
    opt = AdamW(lr=lr, weight_decay=lam)
    zeros = {k: np.zeros_like(v) for k, v in init.items()}
    for _ in range(T):
        opt.update(params, zeros)
    for k in init:
        np.testing.assert_allclose(params[k], (1 - lr * lam) ** T * init[k], rtol=1e-12)


def test_adamw_without_decay_equals_adam() -> None:
    params = make_params(10)
    grads = make_grad_sequence(11)
    a = run_ours(Adam(lr=0.01), params, grads)
    b = run_ours(AdamW(lr=0.01, weight_decay=0.0), params, grads)
    assert_trajectories_close(a, b, rtol=0.0, atol=0.0)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_adam_first_step_has_magnitude_lr(scale: float) -> None:
    """Bias correction: m_hat = g and v_hat = g^2 at t=1, so the first step is
    lr*g/(|g|+eps) ~ lr*sign(g) for any gradient scale. Without correction it
    would be lr*(1-b1)/sqrt(1-b2) = lr*0.1/0.0316 ~ 3.16*lr."""
    lr = 0.001
    rng = np.random.default_rng(12)
    w0 = rng.normal(size=(4, 4))
    g = scale * rng.normal(size=(4, 4))
    g[np.abs(g) < 0.1 * scale] = 0.5 * scale  # keep |g| >> eps
    params = {"W": w0.copy()}
    Adam(lr=lr).update(params, {"W": g})
    step = params["W"] - w0
    # relative error: eps/|g| <= 1e-8/1e-4, plus rounding of w0 + step
    np.testing.assert_allclose(np.abs(step), lr, rtol=1e-4)
    np.testing.assert_array_equal(np.sign(step), -np.sign(g))


class TextbookAdam:
    """Adam as printed in the textbook (common/optimizer.py): the bias correction
    is folded into lr_t and eps is added to the UNcorrected sqrt(v)."""

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter = 0
        self.m: dict[str, np.ndarray] | None = None
        self.v: dict[str, np.ndarray] | None = None

    def update(self, params: dict, grads: dict) -> None:
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for k in params:
            self.m[k] += (1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += (1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + self.eps)


def test_adam_agrees_with_textbook_variant_when_eps_is_tiny() -> None:
    params = make_params(13)
    grads = make_grad_sequence(14)
    kw = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-14)
    ours = run_ours(Adam(**kw), params, grads)
    book = run_ours(TextbookAdam(**kw), params, grads)
    # eps placement differs by O(eps/|sqrt(v)|); the rest is rounding
    assert_trajectories_close(ours, book, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_first_steps_closed_form(name: str) -> None:
    """Two steps written out by hand from the formulas of the specification."""
    cls, kw, _ = CASES[name]
    rng = np.random.default_rng(15)
    w0 = rng.normal(size=(3, 2))
    g1, g2 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    params = {"W": w0.copy()}
    opt = cls(**kw)
    opt.update(params, {"W": g1})
    opt.update(params, {"W": g2})
    lr = kw["lr"]
    if name == "sgd":
        w = w0 - lr * g1 - lr * g2
    elif name in ("momentum", "nesterov"):
        mu = kw["momentum"]
        v1 = -lr * g1
        v2 = mu * v1 - lr * g2
        w = w0 + v1 + v2 if name == "momentum" else w0 + (mu * v1 - lr * g1) + (mu * v2 - lr * g2)
    elif name == "adagrad":
        e = kw["eps"]
        h1, h2 = g1**2, g1**2 + g2**2
        w = w0 - lr * g1 / (np.sqrt(h1) + e) - lr * g2 / (np.sqrt(h2) + e)
    elif name == "rmsprop":
        r, e = kw["decay_rate"], kw["eps"]
        h1 = (1 - r) * g1**2
        h2 = r * h1 + (1 - r) * g2**2
        w = w0 - lr * g1 / (np.sqrt(h1) + e) - lr * g2 / (np.sqrt(h2) + e)
    elif name == "adadelta":
        r, e = kw["rho"], kw["eps"]
        s1 = (1 - r) * g1**2
        d1 = np.sqrt(e) / np.sqrt(s1 + e) * g1
        u1 = (1 - r) * d1**2
        s2 = r * s1 + (1 - r) * g2**2
        d2 = np.sqrt(u1 + e) / np.sqrt(s2 + e) * g2
        w = w0 - lr * d1 - lr * d2
    else:  # adam, amsgrad, adamw
        b1, b2, e = kw["beta1"], kw["beta2"], kw["eps"]
        lam = kw.get("weight_decay", 0.0)
        m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
        m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
        vv2 = np.maximum(v1, v2) if name == "amsgrad" else v2
        w = w0 * (1 - lr * lam)
        w = w - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + e)
        w = w * (1 - lr * lam)
        w = w - lr * (m2 / (1 - b1**2)) / (np.sqrt(vv2 / (1 - b2**2)) + e)
    np.testing.assert_allclose(params["W"], w, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------ interface contract
@pytest.mark.parametrize("name", NAMES)
def test_update_is_in_place(name: str) -> None:
    cls, kw, _ = CASES[name]
    buffer = np.random.default_rng(16).normal(size=18)
    params = {"W": buffer[:15].reshape(5, 3), "b": buffer[15:]}  # views of one buffer
    originals = dict(params)
    before = buffer.copy()
    grads = make_grad_sequence(17, n_steps=3)
    grads_before = [copy_params(g) for g in grads]
    opt = cls(**kw)
    for g in grads:
        opt.update(params, g)
    for k in params:
        assert params[k] is originals[k]
        assert np.shares_memory(params[k], buffer)
    assert not np.allclose(buffer, before)  # the caller's buffer saw the update
    for g, g0 in zip(grads, grads_before):  # grads are only read
        for k in g:
            np.testing.assert_array_equal(g[k], g0[k])


@pytest.mark.parametrize("name", NAMES)
def test_state_is_per_key(name: str) -> None:
    """One optimizer on {W, b} == two independent optimizers on {W} and {b}."""
    cls, kw, _ = CASES[name]
    init = make_params(18)
    grads = make_grad_sequence(19, n_steps=20)
    joint = run_ours(cls(**kw), init, grads)
    only_w = run_ours(cls(**kw), {"W": init["W"]}, [{"W": g["W"]} for g in grads])
    only_b = run_ours(cls(**kw), {"b": init["b"]}, [{"b": g["b"]} for g in grads])
    for step in range(len(grads)):
        np.testing.assert_array_equal(joint[step]["W"], only_w[step]["W"])
        np.testing.assert_array_equal(joint[step]["b"], only_b[step]["b"])


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad"])
def test_state_of_a_new_key_starts_at_zero(name: str) -> None:
    """A key first seen after some steps gets fresh zero state."""
    cls, kw, _ = CASES[name]
    rng = np.random.default_rng(20)
    params = {"W": rng.normal(size=(2, 2))}
    opt = cls(**kw)
    for _ in range(5):
        opt.update(params, {"W": rng.normal(size=(2, 2))})
    c0, gc = rng.normal(size=3), rng.normal(size=3)
    params["c"] = c0.copy()
    opt.update(params, {"W": rng.normal(size=(2, 2)), "c": gc})
    lr = kw["lr"]
    if name == "momentum":
        expected = c0 - lr * gc  # v = -lr*g
    elif name == "nesterov":
        expected = c0 + kw["momentum"] * (-lr * gc) - lr * gc
    else:
        expected = c0 - lr * gc / (np.abs(gc) + kw["eps"])  # h = g^2
    np.testing.assert_allclose(params["c"], expected, rtol=1e-14)


@pytest.mark.parametrize("cls", [Adam, AMSGrad, AdamW])
def test_adam_counter_counts_update_calls(cls: type) -> None:
    opt = cls()
    params = make_params(21)
    for g in make_grad_sequence(22, n_steps=7):
        opt.update(params, g)
    assert opt.t == 7
    assert opt.iter == 7


def test_optimizers_registry() -> None:
    expected = {
        "sgd": SGD,
        "momentum": Momentum,
        "nesterov": Nesterov,
        "adagrad": AdaGrad,
        "rmsprop": RMSprop,
        "adadelta": Adadelta,
        "adam": Adam,
        "amsgrad": AMSGrad,
        "adamw": AdamW,
    }
    assert OPTIMIZERS == expected


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (SGD, dict(lr=-0.1)),
        (Momentum, dict(momentum=1.0)),
        (AdaGrad, dict(eps=-1.0)),
        (RMSprop, dict(decay_rate=1.5)),
        (Adadelta, dict(rho=-0.1)),
        (Adam, dict(beta1=1.0)),
        (AdamW, dict(weight_decay=-0.01)),
    ],
)
def test_invalid_hyperparameters_raise(cls: type, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        cls(**kwargs)
