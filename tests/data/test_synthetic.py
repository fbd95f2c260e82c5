"""The synthetic long-memory tasks: shapes, the defining structure, the baselines."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmjax.data import synthetic


@settings(max_examples=6, deadline=None)
@given(st.integers(2, 60), st.integers(1, 5), st.integers(0, 1000))
def test_adding_structure(T, B, seed):
    xs, y = synthetic.adding(jax.random.key(seed), B, T)
    xs, y = np.asarray(xs), np.asarray(y)
    assert xs.shape == (B, T, 2) and y.shape == (B, 1)
    marks = xs[..., 1]
    assert np.all(marks.sum(axis=1) == 2)
    for row, values, target in zip(marks, xs[..., 0], y[:, 0]):
        idx = np.nonzero(row)[0]
        assert idx[0] < T // 2 <= idx[1]
        np.testing.assert_allclose(values[idx].sum(), target, rtol=1e-6)


def test_adding_baseline_is_one_sixth():
    _, y = synthetic.adding(jax.random.key(0), 20000, 10)
    mse = float(jnp.mean((y - 1.0) ** 2))
    assert abs(mse - synthetic.ADDING_BASELINE_MSE) < 0.005


@settings(max_examples=6, deadline=None)
@given(st.integers(22, 120), st.integers(1, 6), st.integers(0, 1000))
def test_adding_hs97_follows_the_papers_layout(T, B, seed):
    xs, y, lengths = (np.asarray(a) for a in synthetic.adding_hs97(jax.random.key(seed), B, T))
    assert xs.shape == (B, T + T // 10, 2) and y.shape == (B, 1) and lengths.shape == (B,)
    for x, target, n in zip(xs, y[:, 0], lengths):
        assert T <= n <= T + T // 10
        values, marks = x[:, 0], x[:, 1]
        assert not np.any(x[n:])  # zero past the length
        assert np.all(np.abs(values[:n]) <= 1)
        first, second = np.flatnonzero(marks == 1)
        assert first < 10 and second < T // 2 - 1 or second < 10 and first < T // 2 - 1
        ends = {0, n - 1} - {first, second}
        assert set(np.flatnonzero(marks == -1)) == ends
        assert np.count_nonzero(marks) == 2 + len(ends)
        if first == 0:
            assert values[0] == 0  # a marked first pair has X1 = 0
        np.testing.assert_allclose(target, 0.5 + (values[first] + values[second]) / 4, rtol=1e-6)


def test_adding_hs97_baselines_are_what_predicting_one_half_scores():
    for T in (24, 40):
        _, y, _ = synthetic.adding_hs97(jax.random.key(T), 100_000, T)
        error = np.abs(np.asarray(y, np.float64) - 0.5)
        mse, wrong = synthetic.hs97_baselines(T)
        assert abs(np.mean(error**2) - mse) < 0.0005  # ~3.5 standard errors
        assert abs(np.mean(error > synthetic.HS97_TOLERANCE) - wrong) < 0.005
    with pytest.raises(ValueError, match="min_steps"):
        synthetic.adding_hs97(jax.random.key(0), 2, 21)


def test_delayed_recall_layout():
    delay, length, n = 7, 4, 5
    xs, symbols = synthetic.delayed_recall(
        jax.random.key(1), 3, delay, num_symbols=n, length=length
    )
    tokens = np.argmax(np.asarray(xs), axis=-1)
    assert xs.shape == (3, 2 * length + delay, n + 2) and symbols.shape == (3, length)
    np.testing.assert_array_equal(tokens[:, :length], symbols)
    assert np.all(tokens[:, length : length + delay] == n)  # blanks
    assert np.all(tokens[:, length + delay] == n + 1)  # the delimiter
    assert np.all(tokens[:, length + delay + 1 :] == n)


def test_temporal_order_classes_match_the_symbols():
    T = 50
    xs, classes = synthetic.temporal_order(jax.random.key(2), 200, T)
    tokens = np.argmax(np.asarray(xs), axis=-1)
    assert np.all(tokens[:, 0] == 6) and np.all(tokens[:, -1] == 7)
    for row, cls in zip(tokens, np.asarray(classes)):
        idx = np.nonzero(row >= 4)[0][1:-1]  # X/Y between B and E
        assert len(idx) == 2 and 5 <= idx[0] <= 10 and 25 <= idx[1] <= 30
        assert (row[idx[0]] - 4) * 2 + (row[idx[1]] - 4) == cls
    assert set(np.unique(classes)) == {0, 1, 2, 3}


def test_batch_at_is_a_pure_function_of_the_step():
    key = jax.random.key(3)
    a = synthetic.batch_at(synthetic.adding, key, 5, 4, 10)
    b = synthetic.batch_at(synthetic.adding, key, 5, 4, 10)
    c = synthetic.batch_at(synthetic.adding, key, 6, 4, 10)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs, c.inputs)


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match="num_steps"):
        synthetic.adding(jax.random.key(0), 2, 1)
    with pytest.raises(ValueError, match="num_steps"):
        synthetic.temporal_order(jax.random.key(0), 2, 10)
    with pytest.raises(ValueError, match="delay"):
        synthetic.delayed_recall(jax.random.key(0), 2, -1)
