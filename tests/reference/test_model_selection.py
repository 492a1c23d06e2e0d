"""train_validation_split (a partition that keeps the pairs), the random search (sample_config, random_search)
and average_probabilities (PyTorch oracle)."""

import numpy as np
import pytest

from course.reference import average_probabilities, random_search, sample_config, train_validation_split


@pytest.mark.parametrize(("n", "ratio"), [(10, 0.3), (1437, 0.2), (7, 0.5), (1, 0.5)])
def test_split_is_a_partition_that_keeps_the_pairs(n, ratio):
    x = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    t = np.arange(n)  # label i belongs to row i, whose first entry is 3i
    (x_train, t_train), (x_val, t_val) = train_validation_split(x, t, ratio, seed=1)
    assert len(x_val) == len(t_val) == int(n * ratio)  # rounded down
    assert len(x_train) == len(t_train) == n - int(n * ratio)
    together = np.concatenate([t_train, t_val])
    assert sorted(together) == list(range(n))  # every sample exactly once
    np.testing.assert_array_equal(np.concatenate([x_train, x_val])[:, 0], 3 * together)  # pairs kept


def test_split_follows_the_documented_permutation():
    x = np.random.default_rng(0).standard_normal((20, 2, 2))
    t = np.eye(4)[np.arange(20) % 4]  # one-hot
    (x_train, t_train), (x_val, t_val) = train_validation_split(x, t, 0.25, seed=5)
    order = np.random.default_rng(5).permutation(20)
    np.testing.assert_array_equal(x_val, x[order[:5]])
    np.testing.assert_array_equal(t_train, t[order[5:]])
    again = train_validation_split(x, t, 0.25, seed=5)
    np.testing.assert_array_equal(again[0][0], x_train)  # deterministic


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_ratios_outside_the_open_interval(ratio):
    with pytest.raises(ValueError):
        train_validation_split(np.zeros((4, 1)), np.zeros(4), ratio)


def test_split_rejects_misaligned_inputs():
    with pytest.raises(ValueError):
        train_validation_split(np.zeros((4, 1)), np.zeros(3))


def test_average_probabilities_against_torch():
    torch = pytest.importorskip("torch")
    scores = np.random.default_rng(0).standard_normal((4, 6, 5)) * 3
    expected = torch.softmax(torch.tensor(scores, dtype=torch.float64), dim=-1).mean(dim=0).numpy()
    got = average_probabilities(list(scores))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)  # float64, same formula up to rounding
    np.testing.assert_allclose(average_probabilities(scores), expected, rtol=1e-12, atol=1e-15)  # (K, N, C) array


def test_average_of_one_model_is_its_softmax_and_rows_sum_to_one():
    scores = np.array([[1000.0, 1010.0, 990.0]])  # large scores stay finite
    single = average_probabilities([scores])
    assert np.all(np.isfinite(single))
    np.testing.assert_allclose(single.sum(axis=1), 1.0, rtol=1e-12)
    two = average_probabilities([np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]])])
    np.testing.assert_allclose(two, [[(0.5 + 0.75) / 2, (0.5 + 0.25) / 2]], rtol=1e-12)  # by hand


def test_sample_config_draws_exponents_uniformly_within_the_ranges():
    configs = [sample_config(np.random.default_rng(seed)) for seed in range(4000)]
    assert all(sorted(c) == ["hidden_size_list", "lr", "use_batchnorm", "weight_decay_lambda"] for c in configs)
    assert all(c["hidden_size_list"] == [100, 100] and c["use_batchnorm"] is True for c in configs)
    assert configs[0]["hidden_size_list"] is not configs[1]["hidden_size_list"]  # a new list each call
    for key, low, high in [("lr", -3.5, -2.5), ("weight_decay_lambda", -6.0, -3.0)]:
        exponents = np.log10([c[key] for c in configs])
        assert low - 1e-12 <= exponents.min() and exponents.max() < high + 1e-12
        # Kolmogorov-Smirnov distance to the uniform law of the exponent; P(> 0.04) < 2 exp(-2·4000·0.04²) ≈ 6e-6
        u = np.sort((exponents - low) / (high - low))
        n = len(u)
        assert max(np.max(np.arange(1, n + 1) / n - u), np.max(u - np.arange(n) / n)) < 0.04
        assert 0.45 < np.mean(exponents < (low + high) / 2) < 0.55  # a linear scale puts ~24 % (lr) below the middle


def test_sample_config_depends_only_on_the_generator_state():
    assert sample_config(np.random.default_rng(3)) == sample_config(np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert sample_config(rng) != sample_config(rng)


def test_random_search_evaluates_each_draw_once_and_sorts_best_first():
    scores = [0.90, 0.93, 0.95, 0.93, 0.88]  # a tie between trials 2 and 4
    evaluated = []

    def evaluate(config):
        evaluated.append(config)
        return {"val_acc": scores[len(evaluated) - 1], "extra": len(evaluated)}

    results = random_search(evaluate, n_trials=5, seed=7)
    rng = np.random.default_rng(7)
    drawn = [sample_config(rng) for _ in range(5)]  # one generator for the whole search
    assert evaluated == drawn
    assert [r["trial"] for r in results] == [3, 2, 4, 1, 5]  # best first, the tie in trial order
    for r in results:
        assert r["config"] == drawn[r["trial"] - 1]
        assert (r["val_acc"], r["extra"]) == (scores[r["trial"] - 1], r["trial"])
    assert random_search(lambda config: {"val_acc": 0.5}, n_trials=3, seed=7)[0]["config"] == drawn[0]
