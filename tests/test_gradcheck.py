"""Tests of course.gradcheck against functions and layers with known analytic gradients.

The layers are written here on purpose (the learner-side tools must not
depend on course.reference).
"""

from __future__ import annotations

import numpy as np
import pytest

from course.gradcheck import (
    check_layer_gradients,
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    format_gradient_report,
    rel_error,
)

TOL = 1e-7


def _signed_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values with |v| in [0.5, 2]: keeps relative errors away from the 1e-8 floor."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ---------------------------------------------------------------- rel_error


def test_rel_error_hand_computed_values():
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)  # |1-3| / (1+3)
    assert rel_error(np.array([1.0, 1.0]), np.array([1.0, 3.0])) == pytest.approx(0.5)  # max
    assert rel_error(np.array([2.0, -1.0]), np.array([2.0, 1.0])) == pytest.approx(1.0)  # signs
    # Both (almost) zero: the denominator is floored at 1e-8.
    assert rel_error(0.0, 1e-9) == pytest.approx(0.1)
    assert rel_error(0.0, 0.0) == 0.0


def test_rel_error_properties():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 5, 3))
    assert rel_error(x, x) == 0.0
    assert rel_error(x, y) == rel_error(y, x)
    assert rel_error(1e3 * x, 1e3 * y) == pytest.approx(rel_error(x, y), rel=1e-12)
    assert 0.0 <= rel_error(x, y) <= 1.0
    assert isinstance(rel_error(x, y), float)


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


# ------------------------------------------------- eval_numerical_gradient


def test_square():
    x = _signed_uniform(np.random.default_rng(0), (3, 4))
    grad = eval_numerical_gradient(lambda z: np.sum(z**2), x)
    assert grad.shape == x.shape
    assert grad.dtype == np.float64
    assert rel_error(grad, 2 * x) < TOL


def test_sin():
    x = np.random.default_rng(0).uniform(-1.0, 1.0, size=(7,))
    grad = eval_numerical_gradient(lambda z: np.sum(np.sin(z)), x)
    assert rel_error(grad, np.cos(x)) < TOL


def test_quadratic_form_on_2d_array():
    # f(X) = sum_j X[:, j]^T A X[:, j] = sum(X * (A @ X)); grad = (A + A^T) X
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))  # not symmetric
    x = rng.standard_normal((4, 3))
    grad = eval_numerical_gradient(lambda z: np.sum(z * (a @ z)), x)
    assert rel_error(grad, (a + a.T) @ x) < TOL


def test_scalar_0d_array():
    x = np.array(0.7)
    grad = eval_numerical_gradient(lambda z: z**3, x)
    assert grad.shape == ()
    assert rel_error(grad, 3 * 0.7**2) < TOL


def test_non_contiguous_slice_and_base_restored():
    base = _signed_uniform(np.random.default_rng(0), (6, 8))
    before = base.copy()
    x = base[::2, 1::3]
    assert not x.flags.c_contiguous
    grad = eval_numerical_gradient(lambda z: np.sum(z**3), x)
    assert rel_error(grad, 3 * x**2) < TOL
    assert base.tobytes() == before.tobytes()


def test_non_contiguous_float64_view_is_perturbed_in_place():
    # f ignores its argument and reads the base array (the parameter pattern).
    base = _signed_uniform(np.random.default_rng(0), (4, 6))
    view = base[:, ::2]
    grad = eval_numerical_gradient(lambda _: np.sum(base**2), view)
    assert rel_error(grad, 2 * view) < TOL


def test_float32_input_computed_in_float64_and_unchanged():
    x32 = _signed_uniform(np.random.default_rng(0), (3, 5)).astype(np.float32)
    before = x32.copy()
    seen_dtypes = []

    def f(z):
        seen_dtypes.append(z.dtype)
        return np.sum(z**2)

    grad = eval_numerical_gradient(f, x32)
    assert grad.dtype == np.float64
    assert set(seen_dtypes) == {np.dtype(np.float64)}
    # float64 arithmetic: the error is far below what float32 steps would give.
    assert rel_error(grad, 2 * x32.astype(np.float64)) < TOL
    assert x32.tobytes() == before.tobytes()


def test_float32_with_closure_warns_about_zero_gradient():
    x32 = np.ones(3, dtype=np.float32)
    with pytest.warns(UserWarning, match="0"):
        grad = eval_numerical_gradient(lambda _: float(np.sum(x32**2)), x32)
    assert not np.any(grad)


def test_x_restored_bit_exactly():
    # Values for which x + h - 2h + h != x in floating point.
    x = np.random.default_rng(3).standard_normal(200) / 3.0
    before = x.copy()
    eval_numerical_gradient(lambda z: np.sum(np.exp(z)), x)
    assert x.tobytes() == before.tobytes()


def test_x_restored_when_f_raises():
    x = np.random.default_rng(3).standard_normal((4, 4)) / 3.0
    before = x.copy()
    calls = []

    def f(z):
        calls.append(1)
        if len(calls) == 6:  # in the middle of the perturbation of an entry
            raise RuntimeError("boom")
        return np.sum(z)

    with pytest.raises(RuntimeError, match="boom"):
        eval_numerical_gradient(f, x)
    assert x.tobytes() == before.tobytes()


def test_non_scalar_f_is_rejected():
    with pytest.raises(ValueError, match="eval_numerical_gradient_array"):
        eval_numerical_gradient(lambda z: z * 2, np.ones(3))


# ------------------------------------------- eval_numerical_gradient_array


def test_array_version_matrix_product():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3))
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3))
    dx = eval_numerical_gradient_array(lambda z: z @ w, x, dout)
    assert rel_error(dx, dout @ w.T) < TOL


def test_array_version_elementwise_tanh():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    dout = rng.standard_normal((2, 3, 4))
    dx = eval_numerical_gradient_array(np.tanh, x, dout)
    assert rel_error(dx, dout * (1 - np.tanh(x) ** 2)) < TOL


def test_array_version_shape_mismatch():
    with pytest.raises(ValueError, match="dout"):
        eval_numerical_gradient_array(lambda z: z, np.ones(3), np.ones(4))


# -------------------------------------------------- check_layer_gradients


class AffineLike:
    """out = x @ W + b with the textbook's reshape of x to (N, D)."""

    def __init__(self, w: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = w, b
        self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class TransposedDW(AffineLike):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW.T
        return dx


class MeanDB(AffineLike):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = np.mean(dout, axis=0)
        return dx


class UnsummedDB(AffineLike):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout
        return dx


class SigmoidLike:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


def _affine(cls, d_in=4, d_out=3, seed=0):
    rng = np.random.default_rng(seed)
    return cls(rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out))


def test_affine_like_layer_passes():
    layer = _affine(AffineLike)
    x = np.random.default_rng(1).standard_normal((5, 2, 2))  # reshaped to (5, 4)
    errors = check_layer_gradients(layer, x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOL


def test_sigmoid_like_layer_passes():
    x = np.random.default_rng(1).standard_normal((4, 6))
    errors = check_layer_gradients(SigmoidLike(), x)
    assert set(errors) == {"x"}
    assert errors["x"] < TOL


def test_transposed_dw_is_detected():
    layer = _affine(TransposedDW, d_in=3, d_out=3)  # square: the shapes still agree
    errors = check_layer_gradients(layer, np.random.default_rng(1).standard_normal((5, 3)))
    assert errors["W"] > 1e-2
    assert errors["x"] < TOL and errors["b"] < TOL


def test_mean_instead_of_sum_for_db_is_detected():
    layer = _affine(MeanDB)
    errors = check_layer_gradients(layer, np.random.default_rng(1).standard_normal((5, 4)))
    assert errors["b"] > 1e-2
    assert errors["W"] < TOL


def test_missing_sum_for_db_gives_shape_error():
    layer = _affine(UnsummedDB)
    with pytest.raises(ValueError, match="db"):
        check_layer_gradients(layer, np.random.default_rng(1).standard_normal((5, 4)))


def test_params_restored_bit_exactly():
    layer = _affine(AffineLike)
    w_before, b_before = layer.W.copy(), layer.b.copy()
    x = np.random.default_rng(1).standard_normal((5, 4))
    x_before = x.copy()
    check_layer_gradients(layer, x)
    assert layer.W.tobytes() == w_before.tobytes()
    assert layer.b.tobytes() == b_before.tobytes()
    assert x.tobytes() == x_before.tobytes()


def test_param_names_selects_parameters():
    errors = check_layer_gradients(_affine(AffineLike), np.ones((2, 4)), param_names=["b"])
    assert set(errors) == {"x", "b"}


def test_default_dout_is_seeded_and_has_output_shape():
    class Recorder(SigmoidLike):
        def backward(self, dout):
            self.seen = dout.copy()
            return super().backward(dout)

    x = np.random.default_rng(1).standard_normal((3, 2))
    a, b, c = Recorder(), Recorder(), Recorder()
    check_layer_gradients(a, x, seed=5)
    check_layer_gradients(b, x, seed=5)
    check_layer_gradients(c, x, seed=6)
    assert a.seen.shape == (3, 2)
    assert np.array_equal(a.seen, b.seen)
    assert not np.array_equal(a.seen, c.seen)


def test_explicit_dout_shape_checked():
    with pytest.raises(ValueError, match="dout"):
        check_layer_gradients(SigmoidLike(), np.ones((3, 2)), dout=np.ones((2, 3)))


def test_float32_parameter_rejected():
    layer = AffineLike(np.ones((2, 2), dtype=np.float32), np.zeros(2))
    with pytest.raises(TypeError, match="float64"):
        check_layer_gradients(layer, np.ones((3, 2)))


def test_missing_gradient_attribute():
    class NoDW(AffineLike):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW = None
            return dx

    with pytest.raises(AttributeError, match="dW"):
        check_layer_gradients(_affine(NoDW), np.ones((2, 4)))


class RandomMask:
    """Dropout-like: a fresh random mask on every forward (train mode)."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        self.mask = self.rng.random(x.shape) > 0.5
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class FixedMask:
    """The documented wrapper pattern: the same randomness on every forward."""

    def __init__(self, layer: RandomMask, seed: int) -> None:
        self.layer, self.seed = layer, seed

    def forward(self, x):
        self.layer.rng = np.random.default_rng(self.seed)
        return self.layer.forward(x)

    def backward(self, dout):
        return self.layer.backward(dout)

    def __getattr__(self, name):
        return getattr(self.layer, name)


def test_random_layer_needs_wrapper():
    x = np.random.default_rng(1).standard_normal((6, 5))
    assert check_layer_gradients(RandomMask(0), x)["x"] > 1e-2
    assert check_layer_gradients(FixedMask(RandomMask(0), seed=0), x)["x"] < TOL


def test_wrapper_exposes_parameters():
    layer = _affine(AffineLike)

    class Wrapper:
        def forward(self, x):
            return layer.forward(x)

        def backward(self, dout):
            return layer.backward(dout)

        def __getattr__(self, name):
            return getattr(layer, name)

    errors = check_layer_gradients(Wrapper(), np.random.default_rng(1).standard_normal((3, 4)))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOL


# -------------------------------------------------- format_gradient_report


def test_format_gradient_report():
    report = format_gradient_report({"x": 3.2e-10, "W": 1.5e-2, "b": float("nan")})
    lines = report.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("dx:") and "3.2e-10" in lines[0] and lines[0].endswith("OK")
    assert lines[1].startswith("dW:") and "1.5e-02" in lines[1]
    assert "大きすぎます" in lines[1] and "1e-07" in lines[1]
    assert "大きすぎます" in lines[2]


def test_format_gradient_report_tolerance():
    assert format_gradient_report({"W": 1e-5}, tol=1e-4).endswith("OK")
    assert "許容 1e-06" in format_gradient_report({"W": 1e-5}, tol=1e-6)
