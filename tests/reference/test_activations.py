"""course.reference.activations against PyTorch (float64) and closed forms."""

import numpy as np
import pytest

from course.reference import AND, NAND, OR, XOR, relu, sigmoid, softmax, step_function

FORWARD_RTOL = 1e-10  # float64 forward passes agree to rounding


def test_step_function_values():
    x = np.array([-2.0, -1e-12, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(step_function(x), [0, 0, 0, 1, 1])
    assert step_function(x).shape == x.shape


@pytest.mark.parametrize(
    "gate, table",
    [
        (AND, {(0, 0): 0, (0, 1): 0, (1, 0): 0, (1, 1): 1}),
        (NAND, {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 0}),
        (OR, {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 1}),
        (XOR, {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}),
    ],
)
def test_gates_truth_tables(gate, table):
    for (x1, x2), expected in table.items():
        assert gate(x1, x2) == expected, f"{gate.__name__}({x1}, {x2})"


def test_sigmoid_matches_closed_form_and_symmetry():
    x = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=FORWARD_RTOL)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)


def test_sigmoid_extreme_inputs_do_not_warn():
    # pytest turns RuntimeWarning (overflow in exp) into an error
    y = sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    np.testing.assert_array_equal(y, [0.0, 0.0, 0.5, 1.0, 1.0])
    assert sigmoid(np.array([-1e4], dtype=np.float32)).dtype == np.float32


def test_relu():
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.1, 0.2]])
    np.testing.assert_array_equal(relu(x), [[0.0, 0.0, 2.0], [3.0, 0.0, 0.2]])


def test_softmax_rows_sum_to_one_and_shift_invariance():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(softmax(x + 100.0), y, rtol=1e-12)
    np.testing.assert_allclose(softmax(x[2]), y[2], rtol=1e-14)  # 1-D = one row


def test_softmax_large_inputs_finite():
    y = softmax(np.array([1010.0, 1000.0, 990.0]))
    assert np.all(np.isfinite(y))
    # exact value from the definition with the max subtracted by hand
    e = np.exp(np.array([0.0, -10.0, -20.0]))
    np.testing.assert_allclose(y, e / e.sum(), rtol=1e-14)


def test_softmax_of_more_axes_is_taken_over_the_last_one():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    y = softmax(x)
    for i in range(2):
        np.testing.assert_allclose(y[i], softmax(x[i]), rtol=1e-14)


def test_sigmoid_relu_softmax_vs_torch(torch):
    rng = np.random.default_rng(1)
    for shape in [(1, 4), (8, 10), (3, 5)]:
        x = rng.standard_normal(shape) * 20
        xt = torch.from_numpy(x)
        np.testing.assert_allclose(sigmoid(x), torch.sigmoid(xt).numpy(), rtol=FORWARD_RTOL, atol=1e-300)
        np.testing.assert_allclose(relu(x), torch.relu(xt).numpy(), rtol=0, atol=0)
        np.testing.assert_allclose(softmax(x), torch.softmax(xt, dim=1).numpy(), rtol=FORWARD_RTOL, atol=1e-300)


def test_three_layer_forward_matches_explicit_loops(rng):
    from course.reference import three_layer_forward

    params = {
        "W1": rng.standard_normal((2, 3)),
        "b1": rng.standard_normal(3),
        "W2": rng.standard_normal((3, 2)),
        "b2": rng.standard_normal(2),
        "W3": rng.standard_normal((2, 2)),
        "b3": rng.standard_normal(2),
    }
    x = rng.standard_normal((4, 2))

    def neuron_by_neuron(sample):
        h = sample
        for layer in (1, 2, 3):
            W, b = params[f"W{layer}"], params[f"b{layer}"]
            a = [sum(h[i] * W[i, j] for i in range(W.shape[0])) + b[j] for j in range(W.shape[1])]
            h = [1 / (1 + np.exp(-v)) for v in a] if layer < 3 else a
        return h

    expected = np.array([neuron_by_neuron(row) for row in x])
    np.testing.assert_allclose(three_layer_forward(params, x), expected, rtol=1e-12)
    np.testing.assert_allclose(three_layer_forward(params, x[0]), expected[0], rtol=1e-12)
